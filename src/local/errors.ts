/** The one error class of the local runner, with a stable `code`. */
export const LocalErrorCode = {
  /** `--listen` is not `host:port`, `:port` or `[v6]:port`. */
  invalidListenAddress: 'LOCAL_INVALID_LISTEN_ADDRESS',
  /** The HTTP server could not bind (address in use, permission). */
  listenFailed: 'LOCAL_LISTEN_FAILED',
  /** A new config could not be applied; the previous one keeps running. */
  reloadFailed: 'LOCAL_RELOAD_FAILED',
  /** `start()` twice, or `reload()` before `start()` / after `stop()`. */
  invalidState: 'LOCAL_INVALID_STATE',
  /** Another live `run` process holds the data directory's lock file. */
  dataDirLocked: 'LOCAL_DATA_DIR_LOCKED',
  /** The data directory or one of its files cannot be created, read or written. */
  dataDirFailed: 'LOCAL_DATA_DIR_FAILED',
  /** A record read back from the data directory does not match its checksum. */
  recordCorrupt: 'LOCAL_RECORD_CORRUPT',
} as const;
export type LocalErrorCode = (typeof LocalErrorCode)[keyof typeof LocalErrorCode];

export class LocalError extends Error {
  override readonly name = 'LocalError';
  constructor(
    readonly code: LocalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

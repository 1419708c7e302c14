/**
 * The data directory of `lambdascrape run --storage.path DIR`: where the units not delivered yet
 * are kept, one queue per remote_write, so that they survive a restart of the process.
 *
 *   DIR/lock                       the pid of the `run` process using DIR
 *   DIR/remote_write/<name>/       one remote_write's queue: segment files 00000001, … (see
 *                                  disk-unit-queue.ts and segment-log.ts)
 *
 * `<name>` is the remote_write's name with every byte outside `A-Z a-z 0-9 _ -` written `%XX`
 * (so `.` and `/` cannot reach outside), or `sha256-<hex>` when that would be longer than 200
 * characters.
 *
 * One process per directory: the lock file is created exclusively; a lock whose pid is a live
 * process other than this one refuses the open. A lock left by a process that is gone (killed)
 * is taken over with a warning. Node has no `flock`, so two processes that find the same stale
 * lock at the same instant could both take it over; starting them one after the other is safe.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { Clock } from '../schedule/clock.js';
import { DiskUnitQueue } from './disk-unit-queue.js';
import { LocalError, LocalErrorCode } from './errors.js';

export interface DataDirectoryOptions {
  /** Largest size of one remote_write's segment files (bytes); 0 = no limit. */
  readonly maxBytesPerQueue: number;
  /** How long a unit may wait before it is given up (ms). */
  readonly maxAgeMs: number;
  /** @default see DiskUnitQueueOptions.segmentBytes */
  readonly segmentBytes?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** This process's pid. @default process.pid */
  readonly pid?: number;
  /** Whether a process with this pid runs. @default signal 0 */
  readonly isAlive?: (pid: number) => boolean;
}

/**
 * Default `--storage.retention.size`, per remote_write: 4 GiB. Two hours of the reference
 * workload (500 targets × 1,000 series every 30 s: 120 M samples) take about 2.6 GB at the
 * 21.7 bytes per sample measured on disk (docs/remote-write.md, "The data directory").
 */
export const DEFAULT_STORAGE_RETENTION_SIZE = 4 * 1024 ** 3;

const LOCK_FILE = 'lock';
const QUEUES_DIR = 'remote_write';

export class DataDirectory {
  private readonly queues = new Map<string, DiskUnitQueue>();
  private readonly logger: Logger;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly options: DataDirectoryOptions,
    private readonly pid: number,
  ) {
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Creates `path` if needed and takes its lock.
   * @throws LocalError `LOCAL_DATA_DIR_LOCKED` when another live process holds it,
   * `LOCAL_DATA_DIR_FAILED` when it cannot be created or written.
   */
  static open(path: string, options: DataDirectoryOptions): DataDirectory {
    const pid = options.pid ?? process.pid;
    const isAlive = options.isAlive ?? processIsAlive;
    const logger = options.logger ?? silentLogger;
    const lock = join(path, LOCK_FILE);
    try {
      mkdirSync(join(path, QUEUES_DIR), { recursive: true });
    } catch (err) {
      throw failed(`cannot create the data directory ${path}`, err);
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(lock, 'wx');
        try {
          writeSync(fd, `${pid}\n`);
        } finally {
          closeSync(fd);
        }
        return new DataDirectory(path, options, pid);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) {
          if (err instanceof LocalError) throw err;
          throw failed(`cannot create the lock file ${lock}`, err);
        }
      }
      const holder = readLockPid(lock);
      if (holder !== undefined && holder !== pid && isAlive(holder)) {
        throw new LocalError(
          LocalErrorCode.dataDirLocked,
          `data directory ${path} is in use by process ${holder} (lock file ${lock}); ` +
            'one directory serves one run process: give this one another --storage.path, or ' +
            'delete the lock file if no process uses the directory',
        );
      }
      logger.warn('data directory: lock of a process that is gone taken over', {
        path,
        pid: holder ?? 'unreadable',
      });
      try {
        unlinkSync(lock);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw failed(`cannot remove the stale lock file ${lock}`, err);
        }
      }
    }
  }

  /**
   * The queue of the remote_write named `name`, opened (and read) on first use and kept until
   * {@link close}: sinks created by reloads share it.
   * @throws LocalError `LOCAL_DATA_DIR_FAILED`
   */
  queue(name: string): DiskUnitQueue {
    if (this.closed) throw new LocalError(LocalErrorCode.invalidState, 'data directory closed');
    let q = this.queues.get(name);
    if (q === undefined) {
      q = DiskUnitQueue.open(join(this.path, QUEUES_DIR, queueDirName(name)), {
        name,
        maxBytes: this.options.maxBytesPerQueue,
        maxAgeMs: this.options.maxAgeMs,
        ...(this.options.segmentBytes === undefined
          ? {}
          : { segmentBytes: this.options.segmentBytes }),
        ...(this.options.clock === undefined ? {} : { clock: this.options.clock }),
        logger: this.logger,
      });
      this.queues.set(name, q);
    }
    return q;
  }

  /** Queue directories on disk that belong to none of `names` (their remote_write is gone). */
  otherQueues(names: readonly string[]): string[] {
    const known = new Set(names.map(queueDirName));
    try {
      return readdirSync(join(this.path, QUEUES_DIR))
        .filter((d) => !known.has(d))
        .map((d) => {
          try {
            return d.startsWith('sha256-') ? d : decodeURIComponent(d);
          } catch {
            return d;
          }
        });
    } catch {
      return [];
    }
  }

  /** Closes every queue (what is pending stays on disk) and removes the lock. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const q of this.queues.values()) {
      try {
        q.close();
      } catch (err) {
        this.logger.warn('data directory: cannot close a queue', { err });
      }
    }
    const lock = join(this.path, LOCK_FILE);
    if (readLockPid(lock) === this.pid) {
      try {
        unlinkSync(lock);
      } catch (err) {
        this.logger.warn('data directory: cannot remove the lock file', { path: lock, err });
      }
    }
  }
}

/** The directory name of a remote_write's queue. */
export function queueDirName(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out.length > 0 && out.length <= 200) return out;
  return `sha256-${createHash('sha256').update(name).digest('hex')}`;
}

function readLockPid(lock: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lock, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, and belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function failed(message: string, cause: unknown): LocalError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new LocalError(LocalErrorCode.dataDirFailed, `${message}: ${why}`, { cause });
}

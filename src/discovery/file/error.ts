/** Errors of file-based discovery (§10.2). Each names the file or pattern it is about. */

export const FileSdErrorCode = {
  /** The file or its directory could not be read (other than not existing). */
  read: 'FILE_SD_READ',
  /** The file is larger than the size limit. */
  tooLarge: 'FILE_SD_TOO_LARGE',
  /** The content is not valid JSON/YAML or not a list of target groups. */
  parse: 'FILE_SD_PARSE',
  /** The pattern is not one file_sd supports (a `*` outside the last element, bad extension). */
  pattern: 'FILE_SD_PATTERN',
} as const;
export type FileSdErrorCode = (typeof FileSdErrorCode)[keyof typeof FileSdErrorCode];

export class FileSdError extends Error {
  override readonly name = 'FileSdError';
  constructor(
    readonly code: FileSdErrorCode,
    /** The file (or, for listing and pattern errors, the pattern) the error is about. */
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The one error class of the scrape worker (`scraper.ts`). `retryable` tells the Lambda entry
 * point what to do with the SQS message: true → report it as a batch item failure so SQS
 * delivers it again; false → the task cannot succeed (log it and let it go).
 */

export const SCRAPER_ERROR_CODES = {
  /** The state store could not be read; nothing was scraped or written. Retryable. */
  stateRead: 'SCRAPER_STATE_READ',
  /** A retired target's state could not be removed (markers were sent). Retryable. */
  stateRemove: 'SCRAPER_STATE_REMOVE',
  /** A retire task's undelivered markers could not be parked in the outbox. Retryable. */
  parkFailed: 'SCRAPER_PARK_FAILED',
  /** The task is malformed (unknown kind, non-finite times). Not retryable. */
  invalidTask: 'SCRAPER_INVALID_TASK',
  /** The worker's options are invalid (thrown by the constructor). */
  invalidOptions: 'SCRAPER_INVALID_OPTIONS',
} as const;
export type ScraperErrorCode = (typeof SCRAPER_ERROR_CODES)[keyof typeof SCRAPER_ERROR_CODES];

export class ScraperError extends Error {
  override readonly name = 'ScraperError';
  readonly code: ScraperErrorCode;
  readonly retryable: boolean;
  constructor(
    code: ScraperErrorCode,
    message: string,
    options: { readonly retryable: boolean; readonly cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable;
  }
}

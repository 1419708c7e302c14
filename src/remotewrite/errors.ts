/**
 * The one error class of remote write (snappy has its own, `SnappyError`, as a codec that stands
 * alone). `recoverable` follows Prometheus's split (§11.3): true when sending the same request
 * again may succeed (network errors, timeouts, 5xx, 429 with `retry_on_http_429`), false when the
 * receiver rejected the request for good or the configuration cannot work.
 */

export const REMOTE_WRITE_ERROR_CODES = {
  /** Connection refused/reset, DNS, TLS handshake, socket errors. Recoverable. */
  network: 'RW_NETWORK',
  /** No complete response within `remote_timeout`. Recoverable. */
  timeout: 'RW_TIMEOUT',
  /** 5xx. Recoverable. */
  serverError: 'RW_HTTP_5XX',
  /** 429; recoverable only with `retry_on_http_429`. */
  tooManyRequests: 'RW_HTTP_429',
  /** Any other non-2xx status (4xx, unfollowed 3xx). Not recoverable. */
  rejected: 'RW_HTTP_REJECTED',
  /** The caller's AbortSignal fired or `retryUntil` passed before delivery. */
  deadline: 'RW_DEADLINE',
  /**
   * A credentials/header file could not be read at request time (recoverable: it may be
   * rotated), or the request signer failed (recoverable unless the signer says otherwise).
   */
  credentials: 'RW_CREDENTIALS',
  /** The remote_write config uses something this implementation does not support. */
  unsupportedConfig: 'RW_UNSUPPORTED_CONFIG',
  /** The remote_write config cannot be used as given (e.g. a write relabel rule fails to compile). */
  invalidConfig: 'RW_INVALID_CONFIG',
  /**
   * A 2xx whose `X-Prometheus-Remote-Write-*-Written` headers count fewer samples or exemplars
   * than were sent (§11.4): the rest was not written and is not sent again. Not recoverable.
   */
  partialWrite: 'RW_PARTIAL_WRITE',
  /** A 2.0 request that could not be re-encoded as 1.0 for a receiver without 2.0. Not recoverable. */
  reencode: 'RW_REENCODE',
} as const;
export type RemoteWriteErrorCode =
  (typeof REMOTE_WRITE_ERROR_CODES)[keyof typeof REMOTE_WRITE_ERROR_CODES];

export interface RemoteWriteErrorDetails {
  readonly recoverable: boolean;
  /** HTTP status when a response was received. */
  readonly status?: number;
  /** First 1024 bytes of the response body (UTF-8 decoded) for non-2xx responses. */
  readonly body?: string;
  /** Retry-After from the response, in ms (undefined when absent or not positive). */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

export class RemoteWriteError extends Error {
  override readonly name = 'RemoteWriteError';
  readonly code: RemoteWriteErrorCode;
  readonly recoverable: boolean;
  readonly status: number | undefined;
  readonly body: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: RemoteWriteErrorCode, message: string, details: RemoteWriteErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.recoverable = details.recoverable;
    this.status = details.status;
    this.body = details.body;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** Errors of HTTP-based discovery (§10.3). Messages never contain secrets (URL passwords masked). */

export const HttpSdErrorCode = {
  /** The request failed: network error, TLS, credential files, redirect limit. */
  fetch: 'HTTP_SD_FETCH',
  /** No complete response within the timeout (= refresh_interval). */
  timeout: 'HTTP_SD_TIMEOUT',
  /** The response status is not 200. */
  status: 'HTTP_SD_STATUS',
  /** The response Content-Type is not `application/json` (optionally `; charset=utf-8`). */
  contentType: 'HTTP_SD_CONTENT_TYPE',
  /** The response body is larger than the limit. */
  tooLarge: 'HTTP_SD_TOO_LARGE',
  /** The body is not valid JSON or not a list of target groups. */
  parse: 'HTTP_SD_PARSE',
} as const;
export type HttpSdErrorCode = (typeof HttpSdErrorCode)[keyof typeof HttpSdErrorCode];

export class HttpSdError extends Error {
  override readonly name = 'HttpSdError';
  constructor(
    readonly code: HttpSdErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

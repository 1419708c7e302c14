/**
 * The one error class of Consul discovery (§10.6). Messages name the endpoint or service they
 * are about; they never contain the token, passwords or header values.
 */

export const ConsulSdErrorCode = {
  /** The request failed before a response arrived (connection refused, TLS, credentials file). */
  request: 'CONSUL_SD_REQUEST',
  /** No complete response within the request timeout. */
  timeout: 'CONSUL_SD_TIMEOUT',
  /** The server answered with a status other than 200. */
  status: 'CONSUL_SD_STATUS',
  /** The response body is larger than the size limit. */
  tooLarge: 'CONSUL_SD_TOO_LARGE',
  /** The response body is not JSON of the shape the endpoint returns. */
  response: 'CONSUL_SD_RESPONSE',
} as const;
export type ConsulSdErrorCode = (typeof ConsulSdErrorCode)[keyof typeof ConsulSdErrorCode];

export class ConsulSdError extends Error {
  override readonly name = 'ConsulSdError';
  constructor(
    readonly code: ConsulSdErrorCode,
    message: string,
    options?: {
      cause?: unknown;
      /** The service a per-service failure is about (its previous group is kept). */
      service?: string;
    },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.service = options?.service;
  }

  /** Set for per-service failures of `/v1/health/service/<name>`. */
  readonly service: string | undefined;
}

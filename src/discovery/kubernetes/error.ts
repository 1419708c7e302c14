/**
 * The one runtime error class of Kubernetes discovery. Messages name the API path they are about
 * (never a query, a token or a header value).
 */

export const KubernetesSdErrorCode = {
  /** The API server could not be reached (connection, TLS, credentials file). */
  request: 'KUBERNETES_SD_REQUEST',
  /** No complete response within the request timeout. */
  timeout: 'KUBERNETES_SD_TIMEOUT',
  /** The API server answered with a status other than 200. */
  status: 'KUBERNETES_SD_STATUS',
  /** A response body is larger than the size limit. */
  tooLarge: 'KUBERNETES_SD_TOO_LARGE',
  /** A response is not JSON of the shape the API returns. */
  response: 'KUBERNETES_SD_RESPONSE',
  /** The connection settings cannot be used: kubeconfig, in-cluster files, credential plugin. */
  config: 'KUBERNETES_SD_CONFIG',
  /** An Amazon EKS token could not be made (no credentials, no region). */
  eksToken: 'KUBERNETES_SD_EKS_TOKEN',
} as const;
export type KubernetesSdErrorCode =
  (typeof KubernetesSdErrorCode)[keyof typeof KubernetesSdErrorCode];

export class KubernetesSdError extends Error {
  override readonly name = 'KubernetesSdError';
  constructor(
    readonly code: KubernetesSdErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
  }

  /** The HTTP status, for {@link KubernetesSdErrorCode.status}. */
  readonly status: number | undefined;
}

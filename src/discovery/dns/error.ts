/** Errors of DNS-based discovery (§10.4). Each names the DNS name it is about. */

export const DnsSdErrorCode = {
  /** A lookup failed other than "no such name" / "no records" (refused, server failure, timeout, …). */
  lookup: 'DNS_SD_LOOKUP',
} as const;
export type DnsSdErrorCode = (typeof DnsSdErrorCode)[keyof typeof DnsSdErrorCode];

export class DnsSdError extends Error {
  override readonly name = 'DnsSdError';
  constructor(
    readonly code: DnsSdErrorCode,
    /** The queried name. */
    readonly subject: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

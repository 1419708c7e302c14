/** Errors of DNS-based discovery (§10.4). Each names the config entry or DNS name it is about. */

export const DnsSdErrorCode = {
  /** A `dns_sd_configs` entry is invalid (unknown field, no names, bad type or port, …). */
  config: 'DNS_SD_CONFIG',
  /** A lookup failed other than "no such name" / "no records" (refused, server failure, timeout, …). */
  lookup: 'DNS_SD_LOOKUP',
} as const;
export type DnsSdErrorCode = (typeof DnsSdErrorCode)[keyof typeof DnsSdErrorCode];

export class DnsSdError extends Error {
  override readonly name = 'DnsSdError';
  constructor(
    readonly code: DnsSdErrorCode,
    /** The config entry (`where`) for config errors; the queried name for lookup errors. */
    readonly subject: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

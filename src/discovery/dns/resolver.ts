/**
 * The DNS lookups dns_sd needs (§10.4), as an injectable interface. Node's
 * `dns.promises.Resolver` satisfies it as is; {@link nodeDnsResolver} builds one.
 *
 * Which servers are asked is decided by whoever creates the resolver, never by the mechanism
 * (it reads no environment): by default the operating system's (on Linux the `nameserver`
 * lines of /etc/resolv.conf, read by c-ares when the resolver is created); a process that wants
 * a private resolver passes `servers` (e.g. from its own flag or environment variable).
 */
import { promises as dns } from 'node:dns';

export interface DnsSrvRecord {
  /** Target host name, without the trailing dot. */
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

export interface DnsMxRecord {
  /** Mail exchanger host name, without the trailing dot. */
  readonly exchange: string;
  readonly priority: number;
}

/**
 * Lookups by record type. Each rejects with a Node-style `code` on failure: `ENOTFOUND` (no
 * such name, NXDOMAIN) and `ENODATA` (the name has no record of that type) mean "no targets";
 * anything else (`EREFUSED`, `ESERVFAIL`, `ETIMEOUT`, `ECONNREFUSED`, …) is a failed lookup.
 */
export interface DnsResolver {
  resolveSrv(name: string): Promise<readonly DnsSrvRecord[]>;
  resolve4(name: string): Promise<readonly string[]>;
  resolve6(name: string): Promise<readonly string[]>;
  resolveMx(name: string): Promise<readonly DnsMxRecord[]>;
  resolveNs(name: string): Promise<readonly string[]>;
}

export interface NodeDnsResolverOptions {
  /**
   * Servers to ask instead of the system's, in `dns.setServers` form: `'10.0.0.2'`,
   * `'127.0.0.1:5353'`, `'[::1]:53'`. Throws when one is not an IP address (with port).
   * @default the system's servers
   */
  readonly servers?: readonly string[];
  /** Per-query timeout, ms. @default c-ares' default */
  readonly timeoutMs?: number;
  /** Attempts per server before giving up. @default c-ares' default (4) */
  readonly tries?: number;
}

/** A {@link DnsResolver} over `node:dns` (c-ares; UDP, TCP when truncated). */
export function nodeDnsResolver(options: NodeDnsResolverOptions = {}): DnsResolver {
  const resolver = new dns.Resolver({
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    ...(options.tries === undefined ? {} : { tries: options.tries }),
  });
  if (options.servers !== undefined) resolver.setServers([...options.servers]);
  return resolver;
}

/** The Node error code of a lookup failure, if any. */
export function dnsErrorCode(err: unknown): string | undefined {
  const code =
    typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True when a failure means the name has no records of the type: NXDOMAIN (`ENOTFOUND`) or an
 * empty answer (`ENODATA`). Prometheus treats an all-NXDOMAIN answer as an empty response, and
 * an empty answer yields no targets (§10.4); both clear the name's group.
 */
export function isNoRecords(err: unknown): boolean {
  const code = dnsErrorCode(err);
  return code === 'ENOTFOUND' || code === 'ENODATA';
}

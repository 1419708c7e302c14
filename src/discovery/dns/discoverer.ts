/**
 * DNS-based discovery (§10.4): each refresh looks up every configured name (concurrently) and
 * returns one group per name, `source` = the name. Per record one target:
 *
 * | type | `__address__`                     | meta labels besides `__meta_dns_name`                                   |
 * | ---- | --------------------------------- | ----------------------------------------------------------------------- |
 * | SRV  | `<target>:<record port>`          | `__meta_dns_srv_record_target` (trailing dot), `__meta_dns_srv_record_port` |
 * | A    | `<ipv4>:<port>`                   | —                                                                       |
 * | AAAA | `[<ipv6>]:<port>`                 | —                                                                       |
 * | MX   | `<exchange>:<port>`               | `__meta_dns_mx_record_target` (trailing dot)                            |
 * | NS   | `<server>:<port>`                 | `__meta_dns_ns_record_target` (trailing dot)                            |
 *
 * Prometheus sets the labels of the other types to the empty value; empty means absent, so
 * they are not emitted here. Host names in `__address__` lose their trailing dot; the
 * `*_record_target` labels keep the rooted form Prometheus takes from the raw record (Node's
 * resolver returns names without the dot, so it is added back).
 *
 * Failures, per name: "no such name" (NXDOMAIN) and "no records of this type" give the name an
 * empty group (its targets are cleared), as Prometheus does; any other failure (refused,
 * server failure, timeout) keeps that name's previous targets and is returned in `errors`.
 * The refresh itself never throws: some names may still update while others fail.
 */
import type { Discoverer, DiscoveryRefresh, TargetGroup } from '../types.js';
import type { DnsSdConfig } from './config.js';
import { DnsSdError, DnsSdErrorCode } from './error.js';
import { type DnsResolver, type DnsSrvRecord, dnsErrorCode, isNoRecords } from './resolver.js';

export const DNS_NAME_LABEL = '__meta_dns_name';
export const DNS_SRV_RECORD_TARGET_LABEL = '__meta_dns_srv_record_target';
export const DNS_SRV_RECORD_PORT_LABEL = '__meta_dns_srv_record_port';
export const DNS_MX_RECORD_TARGET_LABEL = '__meta_dns_mx_record_target';
export const DNS_NS_RECORD_TARGET_LABEL = '__meta_dns_ns_record_target';

type Target = Readonly<Record<string, string>>;

/** Go `net.JoinHostPort`: hosts containing `:` (IPv6) are bracketed. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The rooted form of a host name as it appears in the DNS record (`a.example.` ). */
function rooted(host: string): string {
  return host.endsWith('.') ? host : `${host}.`;
}

/** The host name without trailing dots (Go `strings.TrimRight(name, ".")`). */
function unrooted(host: string): string {
  return host.replace(/\.+$/, '');
}

/**
 * An SRV record's port, which is 16 bits on the wire. The resolver is injectable, so a port no
 * DNS answer can carry (NaN, -1, 70000, 0.5) fails the name's lookup instead of becoming a
 * target `host:NaN`.
 */
function srvPort(r: DnsSrvRecord): number {
  if (Number.isInteger(r.port) && r.port >= 0 && r.port <= 65_535) return r.port;
  throw new Error(
    `SRV record ${JSON.stringify(r.name)} has port ${r.port}, not an integer in 0-65535`,
  );
}

/** The targets of `name`'s records of the configured type (§10.4). */
export async function lookupTargets(
  config: DnsSdConfig,
  resolver: DnsResolver,
  name: string,
): Promise<Target[]> {
  const base = { [DNS_NAME_LABEL]: name };
  switch (config.type) {
    case 'SRV':
      return (await resolver.resolveSrv(name)).map((r) => ({
        __address__: joinHostPort(unrooted(r.name), srvPort(r)),
        ...base,
        [DNS_SRV_RECORD_TARGET_LABEL]: rooted(r.name),
        [DNS_SRV_RECORD_PORT_LABEL]: String(r.port),
      }));
    case 'A':
      return (await resolver.resolve4(name)).map((ip) => ({
        __address__: joinHostPort(ip, config.port),
        ...base,
      }));
    case 'AAAA':
      return (await resolver.resolve6(name)).map((ip) => ({
        __address__: joinHostPort(ip, config.port),
        ...base,
      }));
    case 'MX':
      return (await resolver.resolveMx(name)).map((r) => ({
        __address__: joinHostPort(unrooted(r.exchange), config.port),
        ...base,
        [DNS_MX_RECORD_TARGET_LABEL]: rooted(r.exchange),
      }));
    case 'NS':
      return (await resolver.resolveNs(name)).map((host) => ({
        __address__: joinHostPort(unrooted(host), config.port),
        ...base,
        [DNS_NS_RECORD_TARGET_LABEL]: rooted(host),
      }));
  }
}

export interface DnsSdRefresh extends DiscoveryRefresh {
  readonly groups: TargetGroup[];
  readonly errors: DnsSdError[];
}

export class DnsDiscoverer implements Discoverer {
  /** Targets of each name's last successful lookup. */
  private readonly lastGood = new Map<string, readonly Target[]>();
  /** How often the caller should refresh (the config's `refresh_interval`), ms. */
  readonly refreshIntervalMs: number;
  private readonly names: readonly string[];

  constructor(
    private readonly config: DnsSdConfig,
    private readonly resolver: DnsResolver,
  ) {
    this.refreshIntervalMs = config.refreshInterval;
    // A name listed twice is one source: look it up once.
    this.names = [...new Set(config.names)];
  }

  async refresh(): Promise<DnsSdRefresh> {
    const results = await Promise.all(
      this.names.map(async (name) => {
        try {
          return { name, targets: await lookupTargets(this.config, this.resolver, name) };
        } catch (err) {
          if (isNoRecords(err)) return { name, targets: [] };
          return { name, error: lookupError(name, this.config.type, err) };
        }
      }),
    );
    const groups: TargetGroup[] = [];
    const errors: DnsSdError[] = [];
    for (const result of results) {
      if (result.error === undefined) {
        this.lastGood.set(result.name, result.targets);
      } else {
        // §10.4: a lookup error leaves that name's previous targets in place.
        errors.push(result.error);
      }
      const targets = this.lastGood.get(result.name);
      if (targets !== undefined) groups.push({ source: result.name, targets, labels: {} });
    }
    return { groups, errors };
  }
}

/** What a failure says; never throws (String() of an object without a prototype would). */
function failureText(err: unknown): string {
  if (err instanceof Error) return err.message;
  try {
    return String(err);
  } catch {
    return Object.prototype.toString.call(err);
  }
}

/** The error of one name's failed lookup: whatever the resolver rejected with, a DnsSdError. */
function lookupError(name: string, type: string, err: unknown): DnsSdError {
  const code = dnsErrorCode(err);
  const detail = failureText(err);
  return new DnsSdError(
    DnsSdErrorCode.lookup,
    name,
    `dns_sd lookup of ${type} records for ${JSON.stringify(name)} failed${code === undefined ? '' : ` (${code})`}: ${detail}`,
    { cause: err },
  );
}

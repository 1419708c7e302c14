/**
 * DNS-based service discovery (§10.4): `dns_sd_configs` entries, validated from the plain data
 * the config loader carries, become one {@link DnsDiscoverer} each.
 */
import type { ScrapeConfig } from '../../config/types.js';
import { parseDnsSdConfig } from './config.js';
import { DnsDiscoverer } from './discoverer.js';
import { type DnsResolver, nodeDnsResolver } from './resolver.js';

export {
  DEFAULT_DNS_SD_REFRESH_INTERVAL,
  DNS_RECORD_TYPES,
  type DnsRecordType,
  type DnsSdConfig,
  parseDnsSdConfig,
} from './config.js';
export {
  DNS_MX_RECORD_TARGET_LABEL,
  DNS_NAME_LABEL,
  DNS_NS_RECORD_TARGET_LABEL,
  DNS_SRV_RECORD_PORT_LABEL,
  DNS_SRV_RECORD_TARGET_LABEL,
  DnsDiscoverer,
  type DnsSdRefresh,
  joinHostPort,
  lookupTargets,
} from './discoverer.js';
export { DnsSdError, DnsSdErrorCode } from './error.js';
export {
  type DnsMxRecord,
  type DnsResolver,
  type DnsSrvRecord,
  dnsErrorCode,
  isNoRecords,
  type NodeDnsResolverOptions,
  nodeDnsResolver,
} from './resolver.js';

/** The scrape_config field dns_sd reads. */
export const DNS_SD_CONFIGS = 'dns_sd_configs';

/** What dns_sd needs from the outside world. */
export interface DnsSdDeps {
  /**
   * The resolver every lookup goes through. Created by the process (e.g. with
   * `nodeDnsResolver({ servers })` from its own flag or environment), never from the
   * environment by the mechanism.
   * @default nodeDnsResolver(): the operating system's servers (resolv.conf)
   */
  readonly resolver?: DnsResolver;
}

/** The validated `dns_sd_configs` of a job; throws {@link DnsSdError} (`DNS_SD_CONFIG`). */
export function parseDnsSdConfigs(job: ScrapeConfig) {
  const raw = job.otherSdConfigs[DNS_SD_CONFIGS] ?? [];
  return raw.map((entry, i) =>
    parseDnsSdConfig(entry, `job ${JSON.stringify(job.jobName)}: ${DNS_SD_CONFIGS}[${i}]`),
  );
}

/**
 * One discoverer per `dns_sd_configs` entry of `job` (none when it has none), in config order,
 * each with its `refreshIntervalMs`. Throws {@link DnsSdError} (`DNS_SD_CONFIG`) when an entry
 * is invalid, before any lookup. All discoverers share one resolver.
 */
export function createDnsDiscoverers(job: ScrapeConfig, deps: DnsSdDeps = {}): DnsDiscoverer[] {
  const configs = parseDnsSdConfigs(job);
  if (configs.length === 0) return [];
  const resolver = deps.resolver ?? nodeDnsResolver();
  return configs.map((config) => new DnsDiscoverer(config, resolver));
}

/**
 * DNS-based service discovery (§10.4): each `dns_sd_configs` entry becomes one
 * {@link DnsDiscoverer}; all of a job's discoverers share one resolver.
 */
import type { DiscoveryMechanism } from '../types.js';
import { type DnsSdConfig, parseDnsSdConfig } from './config.js';
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

export const dnsMechanism: DiscoveryMechanism<DnsSdConfig, { readonly dns?: DnsSdDeps }> = {
  name: 'dns_sd_configs',
  parse: parseDnsSdConfig,
  create(configs, deps) {
    if (configs.length === 0) return [];
    const resolver = deps.dns?.resolver ?? nodeDnsResolver();
    return configs.map((config) => new DnsDiscoverer(config, resolver));
  },
};

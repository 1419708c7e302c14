/**
 * Consul discovery (§10.6): each `consul_sd_configs` entry becomes one {@link ConsulDiscoverer},
 * which polls the catalog and health APIs.
 */
import type { DiscoveryMechanism } from '../types.js';
import { type ConsulSdConfig, parseConsulSdConfig } from './config.js';
import { ConsulDiscoverer, type ConsulSdOptions } from './discoverer.js';

export {
  CONSUL_SD_DEFAULTS,
  type ConsulSdConfig,
  parseConsulSdConfig,
} from './config.js';
export {
  aggregatedStatus,
  CONSUL_LABEL,
  ConsulDiscoverer,
  type ConsulSdOptions,
  type ConsulServiceEntry,
  consulTargetLabels,
  DEFAULT_CONSUL_CONCURRENCY,
  DEFAULT_CONSUL_MAX_RESPONSE_BYTES,
  DEFAULT_CONSUL_REQUEST_TIMEOUT_MS,
  parseHealthEntries,
  sanitizeLabelName,
} from './discoverer.js';
export { ConsulSdError, ConsulSdErrorCode } from './error.js';

/** What Consul discovery takes from the registry's deps. */
export interface ConsulSdDeps {
  /** Folder relative `*_file`/TLS paths resolve against (configs built in code). */
  readonly configDir?: string;
  /** Limits and an optional shared dispatcher. @default the `DEFAULT_CONSUL_*` values */
  readonly consul?: ConsulSdOptions;
}

export const consulMechanism: DiscoveryMechanism<ConsulSdConfig, ConsulSdDeps> = {
  name: 'consul_sd_configs',
  parse: parseConsulSdConfig,
  create(configs, deps) {
    const options: ConsulSdOptions = {
      ...deps.consul,
      ...(deps.consul?.baseDir === undefined &&
      deps.configDir !== undefined &&
      deps.configDir !== ''
        ? { baseDir: deps.configDir }
        : {}),
    };
    return configs.map((config) => new ConsulDiscoverer(config, options));
  },
};

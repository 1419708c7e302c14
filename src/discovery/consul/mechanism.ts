/**
 * The `consul_sd_configs` mechanism (§10.6): one {@link ConsulDiscoverer} per config entry of a
 * job. The config loader carries the entries as plain data; they are validated here.
 */
import type { ScrapeConfig } from '../../config/types.js';
import { parseConsulSdConfig } from './config.js';
import { ConsulDiscoverer, type ConsulSdOptions } from './discoverer.js';

/** The scrape_config field this mechanism reads. */
export const CONSUL_SD_CONFIGS = 'consul_sd_configs';

/** What Consul discovery takes from the registry's deps (a structural subset of them). */
export interface ConsulSdDeps {
  /** Folder relative `*_file`/TLS paths resolve against (the config file's folder). */
  readonly configDir?: string;
  /** Limits and an optional shared dispatcher. @default the `DEFAULT_CONSUL_*` values */
  readonly consul?: ConsulSdOptions;
}

/**
 * The discoverers for `job`'s `consul_sd_configs` (none when it has none), each with its
 * `refreshIntervalMs`. Throws `ConsulSdError` (`CONSUL_SD_CONFIG`) naming the job and entry
 * when an entry is invalid.
 */
export function createConsulDiscoverers(
  job: ScrapeConfig,
  deps: ConsulSdDeps = {},
): ConsulDiscoverer[] {
  const raws = job.otherSdConfigs[CONSUL_SD_CONFIGS] ?? [];
  const options: ConsulSdOptions = {
    ...deps.consul,
    ...(deps.consul?.baseDir === undefined && deps.configDir !== undefined && deps.configDir !== ''
      ? { baseDir: deps.configDir }
      : {}),
  };
  return raws.map(
    (raw, i) =>
      new ConsulDiscoverer(
        parseConsulSdConfig(raw, `job ${JSON.stringify(job.jobName)} ${CONSUL_SD_CONFIGS}[${i}]`),
        options,
      ),
  );
}

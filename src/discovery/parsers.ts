/**
 * What checking a config needs of each discovery mechanism: its scrape_config key and how one
 * entry is read — not its discoverers. `check.ts` validates every config with this table, so
 * code that only loads a config (the Lambda scraper, dispatcher and outbox functions, `check
 * config`) carries the mechanisms' config readers and none of their discovery code.
 *
 * The list names the same mechanisms, in the same order, with the same readers, as
 * `DISCOVERY_MECHANISMS` in `registry.ts` (test/discovery/parsers.test.ts holds them equal).
 */
import type { Node } from 'yaml';
import { Diagnostics } from '../config/diagnostics.js';
import { ConfigError } from '../config/errors.js';
import type { YamlReader } from '../config/yaml-reader.js';
import {
  AWS_SERVICE_SD_READERS,
  lackingAwsSdRole,
  parseAwsSdConfig,
  validateLackingAwsSdConfig,
} from './aws/config.js';
import { parseConsulSdConfig } from './consul/config.js';
import { parseDnsSdConfig } from './dns/config.js';
import { parseEc2SdConfig } from './ec2/config.js';
import { parseFileSdConfig } from './file/config.js';
import { parseHttpSdConfig } from './http/config.js';
import { parseKubernetesSdConfig } from './kubernetes/config.js';
import { parseStaticConfig } from './static/config.js';
import type { JobSdConfigs } from './types.js';

/** A mechanism's config side (the fields of `DiscoveryMechanism` that read entries). */
export interface MechanismConfigReader<Config = unknown> {
  /** The scrape_config key, e.g. `dns_sd_configs`. */
  readonly name: string;
  /** Reads one entry; problems are recorded on the reader and the result is undefined. */
  parse(reader: YamlReader, node: Node): Config | undefined;
  /** The entries the config loader has already read (static and file SD): `parse` is not called. */
  loaded?(job: JobSdConfigs): readonly Config[];
  /**
   * What the entry asks for that lambdascrape does not run (an aws_sd_configs role), or
   * undefined. Such an entry is treated as an entry of a mechanism lambdascrape lacks: checked
   * by {@link MechanismConfigReader.validateLacking}, never parsed, its job skipped or the entry
   * ignored by `check.ts`.
   */
  lacking?(node: Node): string | undefined;
  /** Records the problems of an entry {@link MechanismConfigReader.lacking} names. */
  validateLacking?(reader: YamlReader, node: Node): void;
}

export const DISCOVERY_CONFIG_READERS: readonly MechanismConfigReader[] = [
  { name: 'static_configs', parse: parseStaticConfig, loaded: (job) => job.staticConfigs },
  { name: 'file_sd_configs', parse: parseFileSdConfig, loaded: (job) => job.fileSdConfigs },
  { name: 'ec2_sd_configs', parse: parseEc2SdConfig },
  { name: 'dns_sd_configs', parse: parseDnsSdConfig },
  { name: 'http_sd_configs', parse: parseHttpSdConfig },
  { name: 'consul_sd_configs', parse: parseConsulSdConfig },
  {
    name: 'aws_sd_configs',
    parse: parseAwsSdConfig,
    lacking: lackingAwsSdRole,
    validateLacking: validateLackingAwsSdConfig,
  },
  // ecs_sd_configs, elasticache_sd_configs, lightsail_sd_configs, msk_sd_configs, rds_sd_configs.
  ...AWS_SERVICE_SD_READERS,
  { name: 'kubernetes_sd_configs', parse: parseKubernetesSdConfig },
];

/**
 * The job's entries of one mechanism, parsed (or as the loader read them, see
 * {@link MechanismConfigReader.loaded}). Problems go to `errors`; an invalid entry is left out.
 */
export function mechanismConfigs<Config>(
  job: JobSdConfigs,
  mechanism: MechanismConfigReader<Config>,
  errors: Diagnostics,
): Config[] {
  if (mechanism.loaded) return [...mechanism.loaded(job)];
  const configs: Config[] = [];
  for (const { reader, node } of job.sdConfigNodes[mechanism.name] ?? []) {
    // Left to check.ts (see MechanismConfigReader.lacking).
    if (mechanism.lacking?.(node) !== undefined) continue;
    const config = mechanism.parse(reader.withErrors(errors), node);
    if (config !== undefined) configs.push(config);
  }
  return configs;
}

/**
 * Like {@link mechanismConfigs}, for callers that need every entry valid (building discoverers,
 * reading a deployment's IAM needs). Throws {@link ConfigError}, as the loader does.
 */
export function validMechanismConfigs<Config>(
  job: JobSdConfigs,
  mechanism: MechanismConfigReader<Config>,
): Config[] {
  const errors = new Diagnostics();
  const configs = mechanismConfigs(job, mechanism, errors);
  if (errors.length > 0) throw new ConfigError(errors.sorted());
  return configs;
}

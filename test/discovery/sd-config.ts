/**
 * Test helpers: SD entries written as plain data go through the real loader (as YAML 1.1, so a
 * string such as `'no'` stays a string), so mechanisms read them exactly as they read a
 * prometheus.yml, positions included.
 */
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import type { ScrapeConfig } from '../../src/config/types.js';
import { type DiscoveryMechanism, validMechanismConfigs } from '../../src/discovery/registry.js';

export interface SdJobOptions {
  readonly jobName?: string;
  /** Without one, messages read `<config>:line:col` and `*_file` paths stay as written. */
  readonly sourcePath?: string;
}

/** The YAML text of a config with one job holding `entries` under `key`. */
export function sdConfigText(key: string, entries: readonly unknown[], jobName = 'job1'): string {
  return stringify({ scrape_configs: [{ job_name: jobName, [key]: entries }] }, { version: '1.1' });
}

/** The job of {@link sdConfigText}, loaded. */
export function sdJob(
  key: string,
  entries: readonly unknown[],
  options: SdJobOptions = {},
): ScrapeConfig {
  const text = sdConfigText(key, entries, options.jobName);
  const config = loadConfig(text, {
    ...(options.sourcePath === undefined ? {} : { sourcePath: options.sourcePath }),
    env: {},
  });
  return config.scrapeConfigs[0]!;
}

/** One entry read by `mechanism`; throws ConfigError with `file:line:col` messages. */
export function parseEntry<Config>(
  mechanism: DiscoveryMechanism<Config, never>,
  raw: unknown,
  options: SdJobOptions = {},
): Config {
  return validMechanismConfigs(sdJob(mechanism.name, [raw], options), mechanism)[0]!;
}

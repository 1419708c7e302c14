/**
 * The discovery half of `check config`, run by every command that loads a config (through
 * `loadCheckedConfig`) so that they all accept and refuse the same files:
 *
 * - every entry of every `*_sd_configs` list, of jobs and of alertmanagers, is validated: by its
 *   mechanism when lambdascrape runs it, else by the field list of unsupported.ts;
 * - a job whose discovery is only mechanisms lambdascrape lacks would never have a target: it is
 *   an error, or, with `skipUnsupportedDiscovery`, left out of the config with a warning;
 * - a job that also has a mechanism that works keeps it, with a warning naming each list
 *   ignored.
 *
 * Messages carry the `file:line:col` of the entry they are about.
 */
import { Diagnostics } from '../config/diagnostics.js';
import type { ConfigCheck, ConfigCheckResult } from '../config/load-file.js';
import type { Config, ScrapeConfig } from '../config/types.js';
import {
  DISCOVERY_CONFIG_READERS,
  type MechanismConfigReader,
  mechanismConfigs,
} from './parsers.js';
import type { JobSdConfigs } from './types.js';
import { checkUnsupportedEntry } from './unsupported.js';

export interface DiscoveryCheckOptions {
  /**
   * Leave out, with a warning, each job whose only discovery is mechanisms lambdascrape lacks
   * (`--skip-unsupported-discovery`, LAMBDASCRAPE_SKIP_UNSUPPORTED_DISCOVERY=on, the CDK context
   * key `skipUnsupportedDiscovery`). @default false: such a job is an error
   */
  readonly skipUnsupportedDiscovery?: boolean;
}

/** The command-line flag of {@link DiscoveryCheckOptions.skipUnsupportedDiscovery}. */
export const SKIP_UNSUPPORTED_DISCOVERY_FLAG = 'skip-unsupported-discovery';

/** The check `loadCheckedConfig` runs, with these options. */
export function discoveryCheck(options: DiscoveryCheckOptions = {}): ConfigCheck {
  return (config) => checkDiscovery(config, options);
}

export function checkDiscovery(
  config: Config,
  options: DiscoveryCheckOptions = {},
  mechanisms: readonly MechanismConfigReader[] = DISCOVERY_CONFIG_READERS,
): ConfigCheckResult {
  const errors = new Diagnostics();
  const warnings = new Diagnostics();
  const runs = new Set(mechanisms.map((m) => m.name));
  for (const owner of [...config.scrapeConfigs, ...(config.alertmanagers ?? [])]) {
    for (const mechanism of mechanisms) mechanismConfigs(owner, mechanism, errors);
    for (const [key, entries] of Object.entries(owner.sdConfigNodes)) {
      if (runs.has(key)) continue;
      for (const { reader, node } of entries) {
        checkUnsupportedEntry(reader.withErrors(errors), key, node);
      }
    }
  }
  const supported = mechanisms.map((m) => m.name).join(', ');
  const kept: ScrapeConfig[] = [];
  for (const job of config.scrapeConfigs) {
    const lacking = Object.keys(job.sdConfigNodes).filter(
      (key) => !runs.has(key) && (job.sdConfigNodes[key]?.length ?? 0) > 0,
    );
    if (lacking.length === 0) {
      kept.push(job);
      continue;
    }
    const first = job.sdConfigNodes[lacking[0]!]![0]!;
    const at = first.reader.withErrors(errors, warnings);
    const name = JSON.stringify(job.jobName);
    const what = `${lacking.join(' and ')} ${lacking.length > 1 ? 'are' : 'is'} not supported yet`;
    if (hasWorkingDiscovery(job, runs)) {
      kept.push(job);
      for (const key of lacking) {
        const entry = job.sdConfigNodes[key]![0]!;
        entry.reader
          .withErrors(errors, warnings)
          .warn(entry.node, `job ${name}: ${key} is not supported yet and is ignored`);
      }
    } else if (options.skipUnsupportedDiscovery === true) {
      at.warn(first.node, `job ${name} is skipped: ${what}, and it has no other discovery`);
    } else {
      at.fail(
        first.node,
        `job ${name} has no discovery lambdascrape supports: ${what} (supported: ${supported}); skip such jobs with --${SKIP_UNSUPPORTED_DISCOVERY_FLAG} (CDK context skipUnsupportedDiscovery=true)`,
      );
    }
  }
  return {
    errors: errors.sorted(),
    config: {
      ...config,
      scrapeConfigs: kept,
      warnings: [...(config.warnings ?? []), ...warnings.sorted()],
    },
  };
}

/** Whether the job has an entry for a mechanism lambdascrape runs. */
function hasWorkingDiscovery(job: JobSdConfigs, runs: ReadonlySet<string>): boolean {
  if (job.staticConfigs.length > 0 || job.fileSdConfigs.length > 0) return true;
  return Object.entries(job.sdConfigNodes).some(
    ([key, entries]) => runs.has(key) && entries.length > 0,
  );
}

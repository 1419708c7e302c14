/**
 * The discovery half of `check config`, run by every command that loads a config (through
 * `loadCheckedConfig`) so that they all accept and refuse the same files:
 *
 * - every entry of every `*_sd_configs` list, of jobs and of alertmanagers, is validated: by its
 *   mechanism when lambdascrape runs it, else by the field list of unsupported.ts;
 * - a job whose discovery is only mechanisms lambdascrape lacks would never have a target: it is
 *   an error, or, with `skipUnsupportedDiscovery`, left out of the config with a warning;
 * - a job that also has a mechanism that works keeps it, with a warning naming each list
 *   ignored;
 * - an entry of a mechanism lambdascrape runs that asks for what it does not run (an
 *   aws_sd_configs role, `MechanismConfigReader.lacking`) counts as such a mechanism: validated
 *   field by field, never run, its job skipped (or an error) when it has nothing else, the entry
 *   dropped from the config with a warning otherwise (and from alertmanagers).
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
    for (const mechanism of mechanisms) {
      mechanismConfigs(owner, mechanism, errors);
      for (const { reader, node } of lackingEntries(owner, mechanism)) {
        mechanism.validateLacking?.(reader.withErrors(errors), node);
      }
    }
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
    // Whole lists of mechanisms lambdascrape lacks, then entries of one it runs that ask for
    // what it does not run (an aws_sd_configs role): each with its first entry and its name.
    const lacking: { entry: SdConfigNode; what: string }[] = [];
    for (const key of Object.keys(job.sdConfigNodes)) {
      const first = job.sdConfigNodes[key]?.[0];
      if (!runs.has(key) && first !== undefined) lacking.push({ entry: first, what: key });
    }
    for (const mechanism of mechanisms) {
      for (const entry of lackingEntries(job, mechanism)) {
        lacking.push({
          entry,
          what: `${mechanism.name} ${mechanism.lacking?.(entry.node) ?? ''}`.trim(),
        });
      }
    }
    if (lacking.length === 0) {
      kept.push(job);
      continue;
    }
    const first = lacking[0]!.entry;
    const at = first.reader.withErrors(errors, warnings);
    const name = JSON.stringify(job.jobName);
    const names = [...new Set(lacking.map((l) => l.what))];
    const what = `${names.join(' and ')} ${names.length > 1 ? 'are' : 'is'} not supported yet`;
    if (hasWorkingDiscovery(job, runs, mechanisms)) {
      kept.push(withoutLacking(job, mechanisms));
      const warned = new Set<string>();
      for (const { entry, what: key } of lacking) {
        if (warned.has(key)) continue;
        warned.add(key);
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
  const alertmanagers = config.alertmanagers?.map((am) => {
    for (const mechanism of mechanisms) {
      for (const entry of lackingEntries(am, mechanism)) {
        const what = `${mechanism.name} ${mechanism.lacking?.(entry.node) ?? ''}`.trim();
        entry.reader
          .withErrors(errors, warnings)
          .warn(entry.node, `alertmanager: ${what} is not supported yet and is ignored`);
      }
    }
    return withoutLacking(am, mechanisms);
  });
  return {
    errors: errors.sorted(),
    config: {
      ...config,
      scrapeConfigs: kept,
      ...(alertmanagers === undefined ? {} : { alertmanagers }),
      warnings: [...(config.warnings ?? []), ...warnings.sorted()],
    },
  };
}

type SdConfigNode = JobSdConfigs['sdConfigNodes'][string][number];

/** The owner's entries of `mechanism` that ask for what lambdascrape does not run. */
function lackingEntries(
  owner: Pick<JobSdConfigs, 'sdConfigNodes'>,
  mechanism: MechanismConfigReader,
): SdConfigNode[] {
  const lacking = mechanism.lacking;
  if (lacking === undefined) return [];
  return (owner.sdConfigNodes[mechanism.name] ?? []).filter((e) => lacking(e.node) !== undefined);
}

/** The owner without the entries {@link lackingEntries} finds (unchanged when there are none). */
function withoutLacking<T extends Pick<JobSdConfigs, 'sdConfigNodes'>>(
  owner: T,
  mechanisms: readonly MechanismConfigReader[],
): T {
  let nodes: Record<string, readonly SdConfigNode[]> | undefined;
  for (const mechanism of mechanisms) {
    const drop = lackingEntries(owner, mechanism);
    if (drop.length === 0) continue;
    nodes ??= { ...owner.sdConfigNodes };
    nodes![mechanism.name] = (owner.sdConfigNodes[mechanism.name] ?? []).filter(
      (e) => !drop.includes(e),
    );
  }
  return nodes === undefined ? owner : { ...owner, sdConfigNodes: nodes };
}

/** Whether the job has an entry lambdascrape runs (of a mechanism it runs, asking for nothing it lacks). */
function hasWorkingDiscovery(
  job: JobSdConfigs,
  runs: ReadonlySet<string>,
  mechanisms: readonly MechanismConfigReader[],
): boolean {
  if (job.staticConfigs.length > 0 || job.fileSdConfigs.length > 0) return true;
  return Object.entries(job.sdConfigNodes).some(([key, entries]) => {
    if (!runs.has(key)) return false;
    const lacking = mechanisms.find((m) => m.name === key)?.lacking;
    return entries.some((e) => lacking?.(e.node) === undefined);
  });
}

/**
 * One discovery pass of one job, as both drivers run it: the job's service discovery (a
 * mechanism whose refresh fails keeps its previous groups, §10), then target relabeling and
 * the checks that make targets of the groups (§2). What the driver does with the result
 * (schedule it, or diff it against the targets table) is its own.
 */
import type { ScrapeConfig } from '../config/types.js';
import type { JobDiscovery } from '../discovery/registry.js';
import type { RefreshTiming } from '../discovery/types.js';
import { type BuildTargetsResult, buildTargets } from '../targets/index.js';

export interface JobTargets {
  /** The job's targets. */
  readonly built: BuildTargetsResult;
  /** True when every mechanism of the job refreshed without error this time. */
  readonly clean: boolean;
  /** True when discovery found no group at all (it cannot vouch for any missing target). */
  readonly empty: boolean;
  /** The mechanisms asked this time, with their durations. */
  readonly refreshed: readonly RefreshTiming[];
  /** Discovery errors (a failing mechanism kept its previous groups). */
  readonly discoveryErrors: readonly Error[];
  /**
   * Everything wrong with the job, one message each, for logs and the targets page:
   * target_limit exceeded, discovery errors, targets that could not be made.
   */
  readonly problems: readonly string[];
}

export async function discoverJobTargets(
  config: ScrapeConfig,
  discovery: JobDiscovery,
  offsetSeed: bigint,
): Promise<JobTargets> {
  const { groups, errors, refreshed = [] } = await discovery.refresh();
  const built = buildTargets(config, groups, { offsetSeed });
  return {
    built,
    clean: errors.length === 0,
    empty: groups.length === 0,
    refreshed,
    discoveryErrors: errors,
    problems: [
      ...(built.targetLimitError === undefined ? [] : [built.targetLimitError]),
      ...errors.map((e) => e.message),
      ...built.errors.map((e) => e.message),
    ],
  };
}

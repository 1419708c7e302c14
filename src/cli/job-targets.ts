import { hostname } from 'node:os';
import type { Config, ScrapeConfig } from '../config/types.js';
import { type DiscoveryDeps, discoverJob } from '../discovery/registry.js';
import { buildTargets, computeOffsetSeed } from '../targets/index.js';
import type { DroppedTarget, Target } from '../targets/types.js';

export interface JobTargets {
  readonly job: ScrapeConfig;
  readonly active: readonly Target[];
  readonly dropped: readonly DroppedTarget[];
  /** Problems with individual targets or the job (e.g. target_limit exceeded). */
  readonly errors: readonly string[];
  /** Set when target_limit is exceeded: every scrape of the job fails with it (§2.6). */
  readonly forcedError: string | undefined;
}

/** Runs discovery and target relabeling for every job of a config (or one job). */
export async function resolveTargets(
  config: Config,
  onlyJob?: string,
  deps: Omit<DiscoveryDeps, 'configDir'> = {},
): Promise<JobTargets[]> {
  const offsetSeed = computeOffsetSeed(hostname(), config.global.externalLabels);
  const out: JobTargets[] = [];
  for (const job of config.scrapeConfigs) {
    if (onlyJob !== undefined && job.jobName !== onlyJob) continue;
    const errors: string[] = [];
    const groups = await discoverJob(job, {
      ...deps,
      configDir: dirOf(config.sourcePath),
      onError: (err) => errors.push(err.message),
    });
    const result = buildTargets(job, groups, { offsetSeed });
    out.push({
      job,
      active: result.active,
      dropped: result.dropped,
      errors: [...errors, ...result.errors.map((e) => e.message)],
      forcedError: result.targetLimitError,
    });
  }
  return out;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : path.slice(0, i) || '/';
}

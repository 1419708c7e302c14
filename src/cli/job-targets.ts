import { hostname } from 'node:os';
import type { Config, ScrapeConfig } from '../config/types.js';
import { type DiscoveryDeps, JobDiscovery } from '../discovery/registry.js';
import { discoverJobTargets } from '../engine/job-targets.js';
import { computeOffsetSeed } from '../targets/index.js';
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
    const discovery = new JobDiscovery(job, { ...deps, configDir: dirOf(config.sourcePath) });
    try {
      const { built, discoveryErrors } = await discoverJobTargets(job, discovery, offsetSeed);
      out.push({
        job,
        active: built.active,
        dropped: built.dropped,
        errors: [...discoveryErrors, ...built.errors].map((e) => e.message),
        forcedError: built.targetLimitError,
      });
    } finally {
      await discovery.close();
    }
  }
  return out;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : path.slice(0, i) || '/';
}

/**
 * The discovery mechanisms lambdascrape knows, as an explicit list (no registration by import
 * side effect: bundlers drop those). Adding a mechanism (ec2, dns, http, consul, …) means one
 * entry here whose `create` turns a job's configs of that kind into discoverers.
 *
 * The rule every mechanism shares is written once, in {@link JobDiscovery}: a discoverer whose
 * refresh fails keeps its previous groups (§10), and the failure is reported, not thrown.
 */
import { posix } from 'node:path';
import type { FileSdConfig, ScrapeConfig } from '../config/types.js';
import { FileDiscoverer, type FileSdDeps, nodeFileSdDeps } from './file/index.js';
import { refresh as refreshStatic } from './static/index.js';
import type { TargetGroup } from './types.js';

/** What the mechanisms need from the outside world. */
export interface DiscoveryDeps {
  /** File system for file_sd. @default nodeFileSdDeps (the local file system) */
  readonly file?: FileSdDeps;
  /**
   * Folder relative file_sd paths are joined to (Prometheus `JoinDir`). The config loader
   * already resolves them, so this only matters for configs built in code.
   * @default none: paths are used as given
   */
  readonly configDir?: string;
  /** Receives every refresh error of {@link discoverJob}. @default errors are dropped */
  readonly onError?: (err: Error) => void;
}

export interface DiscoveryRefresh {
  readonly groups: readonly TargetGroup[];
  /** Partial failures: the groups they concern are still in `groups` (from earlier refreshes). */
  readonly errors: readonly Error[];
}

/**
 * One running instance of a mechanism for one config entry. `refresh` returns all current
 * groups of the instance; it throws when it could not refresh at all.
 */
export interface Discoverer {
  refresh(): Promise<DiscoveryRefresh>;
}

export type MechanismName = 'static_configs' | 'file_sd_configs';

export interface DiscoveryMechanism {
  /** The scrape_config field this mechanism reads. */
  readonly name: MechanismName;
  /** The discoverers for `job`'s configs of this kind (none when it has none). */
  create(job: ScrapeConfig, deps: DiscoveryDeps): Discoverer[];
}

export const DISCOVERY_MECHANISMS: readonly DiscoveryMechanism[] = [
  {
    name: 'static_configs',
    // All static entries form one discoverer, as in Prometheus (§10.1).
    create: (job) => {
      if (job.staticConfigs.length === 0) return [];
      const groups = refreshStatic(job.staticConfigs);
      return [{ refresh: async () => ({ groups, errors: [] }) }];
    },
  },
  {
    name: 'file_sd_configs',
    create: (job, deps) =>
      job.fileSdConfigs.map(
        (config) =>
          new FileDiscoverer(withConfigDir(config, deps.configDir), deps.file ?? nodeFileSdDeps),
      ),
  },
];

function withConfigDir(config: FileSdConfig, dir: string | undefined): FileSdConfig {
  if (dir === undefined || dir === '') return config;
  const files = config.files.map((f) => (posix.isAbsolute(f) ? f : posix.join(dir, f)));
  return { ...config, files };
}

/** The error a whole-discoverer failure is reported as. */
export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';
  readonly code = 'DISCOVERY_REFRESH_FAILED';
  constructor(
    readonly job: string,
    /** `<mechanism>/<index>`, e.g. `file_sd_configs/1`. */
    readonly provider: string,
    cause: unknown,
  ) {
    super(
      `discovery ${provider} of job ${JSON.stringify(job)} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

interface Provider {
  readonly name: string;
  readonly discoverer: Discoverer;
  last: readonly TargetGroup[];
}

/**
 * Discovery for one job: every discoverer of every mechanism, refreshed together. Sources are
 * prefixed with `<mechanism>/<index>/` so groups of different discoverers never collide
 * (e.g. `static_configs/0/1`, `file_sd_configs/1/targets/a.json:0`).
 */
export class JobDiscovery {
  private readonly providers: Provider[];

  constructor(
    private readonly job: ScrapeConfig,
    deps: DiscoveryDeps,
    mechanisms: readonly DiscoveryMechanism[] = DISCOVERY_MECHANISMS,
  ) {
    this.providers = mechanisms.flatMap((mechanism) =>
      mechanism.create(job, deps).map((discoverer, index) => ({
        name: `${mechanism.name}/${index}`,
        discoverer,
        last: [],
      })),
    );
  }

  /** Refreshes every discoverer (concurrently) and concatenates their groups in config order. */
  async refresh(): Promise<DiscoveryRefresh> {
    const results = await Promise.all(
      this.providers.map(async (provider) => {
        try {
          const { groups, errors } = await provider.discoverer.refresh();
          provider.last = groups.map((g) => ({ ...g, source: `${provider.name}/${g.source}` }));
          return { groups: provider.last, errors };
        } catch (err) {
          // §10: a refresh that fails keeps the previous targets.
          return {
            groups: provider.last,
            errors: [new DiscoveryError(this.job.jobName, provider.name, err)],
          };
        }
      }),
    );
    return {
      groups: results.flatMap((r) => r.groups),
      errors: results.flatMap((r) => r.errors),
    };
  }
}

/**
 * One-shot discovery of a job: its groups now, errors passed to `deps.onError`. Keeps no state
 * between calls, so a file that fails contributes nothing; use {@link JobDiscovery} to keep
 * previous targets across refreshes.
 */
export async function discoverJob(
  job: ScrapeConfig,
  deps: DiscoveryDeps = {},
): Promise<TargetGroup[]> {
  const { groups, errors } = await new JobDiscovery(job, deps).refresh();
  for (const err of errors) deps.onError?.(err);
  return [...groups];
}

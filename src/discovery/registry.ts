/**
 * The discovery mechanisms lambdascrape knows, as an explicit list (no registration by import
 * side effect: bundlers drop those). Adding a mechanism (ec2, dns, http, consul, …) means one
 * entry here whose `create` turns a job's configs of that kind into discoverers.
 *
 * The rule every mechanism shares is written once, in {@link JobDiscovery}: a discoverer whose
 * refresh fails keeps its previous groups (§10), and the failure is reported, not thrown.
 */
import { posix } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FileSdConfig, ScrapeConfig } from '../config/types.js';
import {
  type ConsulSdOptions,
  createConsulDiscoverers,
  parseConsulSdConfig,
} from './consul/index.js';
import { createDnsDiscoverers, type DnsSdDeps, parseDnsSdConfigs } from './dns/index.js';
import { createEc2Discoverers, type Ec2Deps, parseEc2SdConfig } from './ec2/index.js';
import { FileDiscoverer, type FileSdDeps, nodeFileSdDeps } from './file/index.js';
import { createHttpDiscoverers, type HttpSdOptions, parseHttpSdConfig } from './http/index.js';
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
  /** Resolver for dns_sd. @default the OS resolver (node:dns, resolv.conf servers) */
  readonly dns?: DnsSdDeps;
  /** EC2 client factory for ec2_sd. @default new EC2Client(opts) */
  readonly ec2?: Ec2Deps;
  /** Limits / shared dispatcher for consul_sd. @default DEFAULT_CONSUL_* */
  readonly consul?: ConsulSdOptions;
  /** Limits for http_sd. @default DEFAULT_MAX_BODY_BYTES */
  readonly http?: HttpSdOptions;
  /** Clock for refresh_interval bookkeeping, ms since the epoch. @default Date.now */
  readonly now?: () => number;
}

export interface DiscoveryRefresh {
  readonly groups: readonly TargetGroup[];
  /** Partial failures: the groups they concern are still in `groups` (from earlier refreshes). */
  readonly errors: readonly Error[];
  /** The discoverers actually asked in this refresh (those due), for metrics. */
  readonly refreshed?: readonly RefreshTiming[];
}

export interface RefreshTiming {
  readonly mechanism: MechanismName;
  readonly durationMs: number;
  /** True when the refresh threw or reported errors (the groups concerned were kept). */
  readonly failed: boolean;
}

/**
 * One running instance of a mechanism for one config entry. `refresh` returns all current
 * groups of the instance; it throws when it could not refresh at all.
 */
export interface Discoverer {
  refresh(): Promise<DiscoveryRefresh>;
  /** The entry's refresh_interval; a refresh before it is due returns the last groups. */
  readonly refreshIntervalMs?: number;
  /** Releases connections the discoverer holds. */
  close?(): Promise<void>;
}

export type MechanismName =
  | 'static_configs'
  | 'file_sd_configs'
  | 'ec2_sd_configs'
  | 'dns_sd_configs'
  | 'http_sd_configs'
  | 'consul_sd_configs';

export interface DiscoveryMechanism {
  /** The scrape_config field this mechanism reads. */
  readonly name: MechanismName;
  /** The discoverers for `job`'s configs of this kind (none when it has none). */
  create(job: ScrapeConfig, deps: DiscoveryDeps): Discoverer[];
  /**
   * Checks `job`'s raw configs of this kind (those the config loader carries as data) without
   * building clients; throws with a message naming the job and entry.
   */
  validate?(job: ScrapeConfig): void;
}

/** Calls `parse` on each raw entry of `field`, naming it as the mechanisms do. */
function validateEach(
  job: ScrapeConfig,
  field: MechanismName,
  parse: (raw: unknown, where: string) => unknown,
): void {
  const list = job.otherSdConfigs[field] ?? [];
  for (let i = 0; i < list.length; i++) {
    parse(list[i], `job ${JSON.stringify(job.jobName)} ${field}[${i}]`);
  }
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
  {
    name: 'ec2_sd_configs',
    create: (job, deps) => createEc2Discoverers(job, deps.ec2),
    validate: (job) => validateEach(job, 'ec2_sd_configs', parseEc2SdConfig),
  },
  {
    name: 'dns_sd_configs',
    create: (job, deps) => createDnsDiscoverers(job, deps.dns ?? {}),
    validate: (job) => {
      parseDnsSdConfigs(job);
    },
  },
  {
    name: 'http_sd_configs',
    create: (job, deps) =>
      createHttpDiscoverers(job, {
        ...(deps.configDir === undefined ? {} : { configDir: deps.configDir }),
        ...(deps.http === undefined ? {} : { http: deps.http }),
      }),
    validate: (job) =>
      validateEach(job, 'http_sd_configs', (raw, where) => parseHttpSdConfig(raw, where)),
  },
  {
    name: 'consul_sd_configs',
    create: (job, deps) => createConsulDiscoverers(job, deps),
    validate: (job) => validateEach(job, 'consul_sd_configs', parseConsulSdConfig),
  },
];

interface JobsConfig {
  readonly scrapeConfigs: readonly ScrapeConfig[];
}

/**
 * Errors in the discovery configs of `config` that the config loader cannot see (it carries
 * `*_sd_configs` other than static and file as data): one message per job and mechanism.
 * Empty when all is well.
 */
export function discoveryConfigErrors(config: JobsConfig): string[] {
  const errors: string[] = [];
  for (const job of config.scrapeConfigs) {
    for (const mechanism of DISCOVERY_MECHANISMS) {
      try {
        mechanism.validate?.(job);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
  }
  return errors;
}

/**
 * Warnings for `*_sd_configs` fields no mechanism here reads (kubernetes_sd_configs, say):
 * those jobs get no targets from them. A warning, not an error, so a prometheus.yml that
 * also covers other environments still runs its supported jobs.
 */
export function unsupportedDiscoveryWarnings(config: JobsConfig): string[] {
  const known = new Set<string>(DISCOVERY_MECHANISMS.map((m) => m.name));
  const warnings: string[] = [];
  for (const job of config.scrapeConfigs) {
    for (const [field, list] of Object.entries(job.otherSdConfigs)) {
      if (!known.has(field) && list.length > 0) {
        warnings.push(
          `job ${JSON.stringify(job.jobName)}: ${field} is not supported yet and is ignored`,
        );
      }
    }
  }
  return warnings;
}

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
  readonly mechanism: MechanismName;
  readonly name: string;
  readonly discoverer: Discoverer;
  last: readonly TargetGroup[];
  /** When the next refresh is due (ms); 0 = at the next call. */
  due: number;
}

/**
 * Discovery for one job: every discoverer of every mechanism, refreshed together. Sources are
 * prefixed with `<mechanism>/<index>/` so groups of different discoverers never collide
 * (e.g. `static_configs/0/1`, `file_sd_configs/1/targets/a.json:0`).
 */
export class JobDiscovery {
  private readonly providers: Provider[];
  private readonly now: () => number;

  constructor(
    private readonly job: ScrapeConfig,
    deps: DiscoveryDeps,
    mechanisms: readonly DiscoveryMechanism[] = DISCOVERY_MECHANISMS,
  ) {
    this.now = deps.now ?? Date.now;
    this.providers = mechanisms.flatMap((mechanism) =>
      mechanism.create(job, deps).map((discoverer, index) => ({
        mechanism: mechanism.name,
        name: `${mechanism.name}/${index}`,
        discoverer,
        last: [],
        due: 0,
      })),
    );
  }

  /**
   * The shortest refresh_interval among the discoverers (ms), or undefined when none polls
   * (static targets only): how often a caller should call {@link refresh}.
   */
  get refreshIntervalMs(): number | undefined {
    const intervals = this.providers
      .map((p) => p.discoverer.refreshIntervalMs)
      .filter((ms): ms is number => ms !== undefined && ms > 0);
    return intervals.length === 0 ? undefined : Math.min(...intervals);
  }

  /**
   * Refreshes every discoverer that is due (concurrently) and concatenates all groups in
   * config order. A discoverer refreshed less than its refresh_interval ago contributes its
   * last groups without being asked, so a caller that runs every minute does not call EC2
   * every minute for a 5-minute interval. `force` refreshes every discoverer.
   */
  async refresh(options: { force?: boolean } = {}): Promise<DiscoveryRefresh> {
    const now = this.now();
    const refreshed: RefreshTiming[] = [];
    const results = await Promise.all(
      this.providers.map(async (provider) => {
        if (!options.force && provider.due > now) return { groups: provider.last, errors: [] };
        const interval = provider.discoverer.refreshIntervalMs;
        provider.due = interval !== undefined && interval > 0 ? now + interval : 0;
        const started = performance.now();
        const timing = (failed: boolean) =>
          refreshed.push({
            mechanism: provider.mechanism,
            durationMs: performance.now() - started,
            failed,
          });
        try {
          const { groups, errors } = await provider.discoverer.refresh();
          timing(errors.length > 0);
          provider.last = groups.map((g) => ({ ...g, source: `${provider.name}/${g.source}` }));
          return { groups: provider.last, errors };
        } catch (err) {
          timing(true);
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
      refreshed,
    };
  }

  /** Releases every discoverer's connections. */
  async close(): Promise<void> {
    await Promise.all(this.providers.map((p) => p.discoverer.close?.()));
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
  const discovery = new JobDiscovery(job, deps);
  try {
    const { groups, errors } = await discovery.refresh();
    for (const err of errors) deps.onError?.(err);
    return [...groups];
  } finally {
    await discovery.close();
  }
}

/**
 * The discovery mechanisms lambdascrape knows, as an explicit list (no registration by import
 * side effect: bundlers drop those), and what every mechanism shares, written once: reading a
 * job's entries (errors as `file:line:col: message`), and in {@link JobDiscovery} refresh
 * scheduling, source prefixes and keeping a discoverer's previous groups when its refresh fails
 * (§10; the failure is reported, not thrown).
 *
 * Adding a mechanism: a folder like `dns/` whose `index.ts` exports a {@link DiscoveryMechanism}
 * (see `types.ts`), one entry in {@link DISCOVERY_MECHANISMS} and its config reader in
 * `parsers.ts` (what config checks use without loading discoverers).
 */
import { performance } from 'node:perf_hooks';
import { Diagnostics } from '../config/diagnostics.js';
import { ConfigError } from '../config/errors.js';
import type { ScrapeConfig } from '../config/types.js';
import { type AwsSdDeps, awsMechanism, awsServiceMechanisms } from './aws/index.js';
import { type ConsulSdDeps, consulMechanism } from './consul/index.js';
import { type DnsSdDeps, dnsMechanism } from './dns/index.js';
import { type Ec2Deps, ec2Mechanism } from './ec2/index.js';
import { type FileSdMechanismDeps, fileMechanism } from './file/index.js';
import { type HttpSdDeps, httpMechanism } from './http/index.js';
import { type KubernetesSdDeps, kubernetesMechanism } from './kubernetes/mechanism.js';
import { mechanismConfigs } from './parsers.js';
import { staticMechanism } from './static/index.js';
import type {
  Discoverer,
  DiscoveryMechanism,
  DiscoveryRefresh,
  RefreshTiming,
  TargetGroup,
} from './types.js';

export type {
  Discoverer,
  DiscoveryMechanism,
  DiscoveryRefresh,
  RefreshTiming,
  TargetGroup,
} from './types.js';

/** What the mechanisms need from the outside world: the union of what each declares. */
export interface DiscoveryDeps
  extends FileSdMechanismDeps,
    ConsulSdDeps,
    HttpSdDeps,
    KubernetesSdDeps {
  /** Receives every refresh error of {@link discoverJob}. @default errors are dropped */
  readonly onError?: (err: Error) => void;
  /** Resolver for dns_sd. @default the OS resolver (node:dns, resolv.conf servers) */
  readonly dns?: DnsSdDeps;
  /** EC2 client factory for ec2_sd. @default new EC2Client(opts) */
  readonly ec2?: Ec2Deps;
  /** Client factories for aws_sd and the per-service AWS keys, by role. @default the SDK's clients */
  readonly aws?: AwsSdDeps;
  /** Clock for refresh_interval bookkeeping, ms since the epoch. @default Date.now */
  readonly now?: () => number;
}

/**
 * Every mechanism, in the order their groups are listed. A mechanism's `Config` is only ever
 * handed back to its own `create`, hence `unknown` here.
 */
export const DISCOVERY_MECHANISMS: readonly DiscoveryMechanism<unknown, DiscoveryDeps>[] = [
  staticMechanism,
  fileMechanism,
  ec2Mechanism,
  dnsMechanism,
  httpMechanism,
  consulMechanism,
  awsMechanism,
  ...awsServiceMechanisms,
  kubernetesMechanism,
];

export { mechanismConfigs, validMechanismConfigs } from './parsers.js';

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
  readonly mechanism: string;
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
    mechanisms: readonly DiscoveryMechanism<unknown, DiscoveryDeps>[] = DISCOVERY_MECHANISMS,
  ) {
    this.now = deps.now ?? Date.now;
    const errors = new Diagnostics();
    const configs = mechanisms.map((mechanism) => mechanismConfigs(job, mechanism, errors));
    if (errors.length > 0) throw new ConfigError(errors.sorted());
    this.providers = mechanisms.flatMap((mechanism, m) =>
      mechanism.create(configs[m]!, deps).map((discoverer, index) => ({
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

/**
 * AWS discovery (`aws_sd_configs`, Prometheus's unified AWS mechanism, and the per-service keys
 * `ecs_sd_configs`, `elasticache_sd_configs`, `lightsail_sd_configs`, `msk_sd_configs`,
 * `rds_sd_configs`, each one role): each entry becomes one discoverer of its role: the ECS discoverer (`ecs.ts`) for `ecs`, the ElastiCache discoverer
 * (`elasticache.ts`) for `elasticache`, the Lightsail discoverer (`lightsail.ts`) for `lightsail`,
 * the MSK discoverer (`msk.ts`) for `msk`, the RDS discoverer (`rds.ts`) for `rds`, the
 * {@link Ec2Discoverer} of ec2_sd_configs for `ec2` (same labels, `__meta_ec2_*`). A role not
 * run would be refused when the config is read (src/config/unsupported.ts; none is left).
 *
 * Only the config reading is loaded with this module: the ECS, ElastiCache, Lightsail, MSK and
 * RDS discoverers and
 * their SDK clients are imported on the first refresh of such an entry, so they cost nothing at
 * a cold start
 * (the discovery function's INIT budget, test/infra/bundle.test.ts) and fold away from the
 * bundles built with `process.env.LAMBDASCRAPE_BUNDLE_EC2` defined as "false" (infra/bundle.ts).
 */
import { type Ec2Deps, Ec2Discoverer } from '../ec2/index.js';
import type { Discoverer, DiscoveryMechanism, DiscoveryRefresh } from '../types.js';
import type { EcsDeps } from './clients.js';
import {
  AWS_SERVICE_SD_READERS,
  type AwsSdConfig,
  lackingAwsSdRole as lacking,
  parseAwsSdConfig,
  validateLackingAwsSdConfig,
} from './config.js';
import type { ElastiCacheDeps } from './elasticache.js';
import type { LightsailDeps } from './lightsail.js';
import type { MskDeps } from './msk.js';
import type { RdsDeps } from './rds.js';

export type { EcsDeps } from './clients.js';
export {
  AWS_SD_ROLES,
  AWS_SERVICE_SD_KEYS,
  type AwsSdConfig,
  type AwsSdKey,
  type AwsSdRole,
  DEFAULT_AWS_SD_PORT,
  DEFAULT_AWS_SD_REFRESH_INTERVAL,
  DEFAULT_REQUEST_CONCURRENCY,
  type EcsSdConfig,
  LACKING_AWS_SD_ROLES,
  lackingAwsSdRole,
  parseAwsSdConfig,
  type RdsSdConfig,
  RUNNING_AWS_SD_ROLES,
} from './config.js';
export type { ElastiCacheDeps } from './elasticache.js';
export { AwsSdError, AwsSdErrorCode } from './error.js';
export type { LightsailDeps } from './lightsail.js';
export type { MskDeps } from './msk.js';
export type { RdsDeps } from './rds.js';

/** What aws_sd needs from the outside world: the clients of each role. */
export interface AwsSdDeps {
  /** Clients of the ecs role. @default the SDK's ECSClient and EC2Client */
  readonly ecs?: EcsDeps;
  /** Client of the ec2 role. @default the SDK's EC2Client */
  readonly ec2?: Ec2Deps;
  /** Client of the elasticache role. @default the SDK's ElastiCacheClient */
  readonly elasticache?: ElastiCacheDeps;
  /** Client of the lightsail role. @default the SDK's LightsailClient */
  readonly lightsail?: LightsailDeps;
  /** Client of the msk role. @default the SDK's KafkaClient */
  readonly msk?: MskDeps;
  /** Client of the rds role. @default the SDK's RDSClient */
  readonly rds?: RdsDeps;
}

/**
 * The roles' modules. Each import sits in its own condition on the bundle switch, spelled out,
 * so that esbuild folds the condition and drops the import (and the chunk) from the bundles
 * built without AWS discovery.
 */
const WITHOUT = 'this function was bundled without AWS discovery';
const loadEcs = (): Promise<typeof import('./ecs.js')> =>
  process.env.LAMBDASCRAPE_BUNDLE_EC2 === 'false'
    ? Promise.reject(new Error(WITHOUT))
    : import('./ecs.js');
const loadElastiCache = (): Promise<typeof import('./elasticache.js')> =>
  process.env.LAMBDASCRAPE_BUNDLE_EC2 === 'false'
    ? Promise.reject(new Error(WITHOUT))
    : import('./elasticache.js');
const loadLightsail = (): Promise<typeof import('./lightsail.js')> =>
  process.env.LAMBDASCRAPE_BUNDLE_EC2 === 'false'
    ? Promise.reject(new Error(WITHOUT))
    : import('./lightsail.js');
const loadMsk = (): Promise<typeof import('./msk.js')> =>
  process.env.LAMBDASCRAPE_BUNDLE_EC2 === 'false'
    ? Promise.reject(new Error(WITHOUT))
    : import('./msk.js');
const loadRds = (): Promise<typeof import('./rds.js')> =>
  process.env.LAMBDASCRAPE_BUNDLE_EC2 === 'false'
    ? Promise.reject(new Error(WITHOUT))
    : import('./rds.js');

/**
 * A role's discoverer whose code is loaded on the first refresh (see the file comment): `load`
 * is called once, and a failure to load is the refresh's error.
 */
export class LazyDiscoverer implements Discoverer {
  private discoverer: Promise<Discoverer> | undefined;

  constructor(
    readonly refreshIntervalMs: number,
    private readonly load: () => Promise<Discoverer>,
  ) {}

  async refresh(): Promise<DiscoveryRefresh> {
    this.discoverer ??= this.load();
    return (await this.discoverer).refresh();
  }

  async close(): Promise<void> {
    // Nothing to close before the first refresh loaded the discoverer.
    await (await this.discoverer?.catch(() => undefined))?.close?.();
  }
}

function discoverer(config: AwsSdConfig, deps: AwsSdDeps): Discoverer {
  switch (config.role) {
    case 'ecs': {
      const c = config.ecs;
      return new LazyDiscoverer(c.refreshIntervalMs, async () => {
        const { EcsDiscoverer } = await loadEcs();
        return new EcsDiscoverer(c, deps.ecs);
      });
    }
    case 'elasticache': {
      const c = config.elasticache;
      return new LazyDiscoverer(c.refreshIntervalMs, async () => {
        const { ElastiCacheDiscoverer } = await loadElastiCache();
        return new ElastiCacheDiscoverer(c, deps.elasticache);
      });
    }
    case 'lightsail': {
      const c = config.lightsail;
      return new LazyDiscoverer(c.refreshIntervalMs, async () => {
        const { LightsailDiscoverer } = await loadLightsail();
        return new LightsailDiscoverer(c, deps.lightsail);
      });
    }
    case 'msk': {
      const c = config.msk;
      return new LazyDiscoverer(c.refreshIntervalMs, async () => {
        const { MskDiscoverer } = await loadMsk();
        return new MskDiscoverer(c, deps.msk);
      });
    }
    case 'rds': {
      const c = config.rds;
      return new LazyDiscoverer(c.refreshIntervalMs, async () => {
        const { RdsDiscoverer } = await loadRds();
        return new RdsDiscoverer(c, deps.rds);
      });
    }
    case 'ec2':
      return new Ec2Discoverer(config.ec2, deps.ec2);
  }
}

type AwsMechanism = DiscoveryMechanism<AwsSdConfig, { readonly aws?: AwsSdDeps }>;

const create: AwsMechanism['create'] = (configs, deps) =>
  configs.map((config) => discoverer(config, deps.aws ?? {}));

export const awsMechanism: AwsMechanism = {
  name: 'aws_sd_configs',
  parse: parseAwsSdConfig,
  lacking,
  validateLacking: validateLackingAwsSdConfig,
  create,
};

/** The per-service keys: their entries read into the role's config, run as aws_sd_configs runs it. */
export const awsServiceMechanisms: readonly AwsMechanism[] = AWS_SERVICE_SD_READERS.map(
  (reader) => ({ name: reader.name, parse: reader.parse, create }),
);

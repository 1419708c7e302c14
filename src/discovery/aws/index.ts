/**
 * AWS discovery (`aws_sd_configs`, Prometheus's unified AWS mechanism): each entry becomes one
 * discoverer of its `role`: the ECS discoverer (`ecs.ts`) for `ecs`, the {@link Ec2Discoverer} of
 * ec2_sd_configs for `ec2` (same labels, `__meta_ec2_*`). The other roles are refused when the
 * config is read (src/config/unsupported.ts).
 *
 * Only the config reading is loaded with this module: the ECS discoverer and its SDK clients
 * are imported on the first refresh of an `ecs` entry, so they cost nothing at a cold start
 * (the discovery function's INIT budget, test/infra/bundle.test.ts) and fold away from the
 * bundles built with `process.env.LAMBDASCRAPE_BUNDLE_EC2` defined as "false" (infra/bundle.ts).
 */
import { type Ec2Deps, Ec2Discoverer } from '../ec2/index.js';
import type { Discoverer, DiscoveryMechanism, DiscoveryRefresh } from '../types.js';
import type { EcsDeps } from './clients.js';
import { type AwsSdConfig, type EcsSdConfig, parseAwsSdConfig } from './config.js';

export type { EcsDeps } from './clients.js';
export {
  AWS_SD_ROLES,
  type AwsSdConfig,
  type AwsSdRole,
  DEFAULT_AWS_SD_PORT,
  DEFAULT_AWS_SD_REFRESH_INTERVAL,
  type EcsSdConfig,
  parseAwsSdConfig,
  RUNNING_AWS_SD_ROLES,
} from './config.js';
export { AwsSdError, AwsSdErrorCode } from './error.js';

/** What aws_sd needs from the outside world: the clients of each role. */
export interface AwsSdDeps {
  /** Clients of the ecs role. @default the SDK's ECSClient and EC2Client */
  readonly ecs?: EcsDeps;
  /** Client of the ec2 role. @default the SDK's EC2Client */
  readonly ec2?: Ec2Deps;
}

type EcsModule = typeof import('./ecs.js');
let ecsModule: Promise<EcsModule> | undefined;

function loadEcs(): Promise<EcsModule> {
  ecsModule ??=
    process.env.LAMBDASCRAPE_BUNDLE_EC2 === 'false'
      ? Promise.reject(new Error('this function was bundled without AWS discovery'))
      : import('./ecs.js');
  return ecsModule;
}

/** The `ecs` role's discoverer, its code loaded on the first refresh (see the file comment). */
export class LazyEcsDiscoverer implements Discoverer {
  readonly refreshIntervalMs: number;
  private discoverer: Promise<Discoverer> | undefined;

  constructor(
    readonly config: EcsSdConfig,
    private readonly deps: EcsDeps = {},
  ) {
    this.refreshIntervalMs = config.refreshIntervalMs;
  }

  async refresh(): Promise<DiscoveryRefresh> {
    this.discoverer ??= loadEcs().then((m) => new m.EcsDiscoverer(this.config, this.deps));
    return (await this.discoverer).refresh();
  }

  async close(): Promise<void> {
    // Nothing to close before the first refresh loaded the discoverer.
    await (await this.discoverer?.catch(() => undefined))?.close?.();
  }
}

export const awsMechanism: DiscoveryMechanism<AwsSdConfig, { readonly aws?: AwsSdDeps }> = {
  name: 'aws_sd_configs',
  parse: parseAwsSdConfig,
  create: (configs, deps) =>
    configs.map(
      (config): Discoverer =>
        config.role === 'ecs'
          ? new LazyEcsDiscoverer(config.ecs, deps.aws?.ecs)
          : new Ec2Discoverer(config.ec2, deps.aws?.ec2),
    ),
};

/**
 * Lightsail discovery (`aws_sd_configs` with `role: lightsail`, and `lightsail_sd_configs`):
 * every instance GetInstances returns, paged to the end, is one target (`lightsail-target.ts`).
 * Client, group, timeout and failures as every one-client role's (`role-discoverer.ts`), with
 * `endpoint` as the Lightsail endpoint.
 */
import type { LightsailClient, LightsailClientConfig } from '@aws-sdk/client-lightsail';
import { sdkLoader } from './clients.js';
import type { AwsCommonConfig } from './config.js';
import { AwsSdErrorCode } from './error.js';
import { lightsailTarget } from './lightsail-target.js';
import { allPages, list } from './read.js';
import { AwsRoleDiscoverer, type RoleRefresh } from './role-discoverer.js';

type LightsailSdk = typeof import('./lightsail-sdk.js');
const loadLightsailSdk = sdkLoader(() => import('./lightsail-sdk.js'));

export interface LightsailDeps {
  /** Builds the Lightsail client. @default `new LightsailClient(opts)` */
  readonly createClient?: (opts: LightsailClientConfig) => LightsailClient;
}

export class LightsailDiscoverer extends AwsRoleDiscoverer<
  AwsCommonConfig,
  LightsailSdk,
  LightsailClient
> {
  constructor(config: AwsCommonConfig, deps: LightsailDeps = {}) {
    super(config, {
      code: AwsSdErrorCode.lightsail,
      what: 'cannot get Lightsail instances',
      loadSdk: loadLightsailSdk,
      newClient: (sdk, options) =>
        (deps.createClient ?? ((o) => new sdk.LightsailClient(o)))(options),
    });
  }

  protected async targets({
    sdk,
    client,
    region,
    abortSignal,
  }: RoleRefresh<LightsailSdk, LightsailClient>): Promise<Record<string, string>[]> {
    const instances = await allPages(
      'GetInstances',
      (pageToken) =>
        client.send(new sdk.GetInstancesCommand(pageToken === undefined ? {} : { pageToken }), {
          abortSignal,
        }),
      (page) => list(page.instances),
      'nextPageToken',
    );
    const targets: Record<string, string>[] = [];
    for (const instance of instances) {
      const target = lightsailTarget(instance, region, this.config.port);
      if (target !== undefined) targets.push(target);
    }
    return targets;
  }
}

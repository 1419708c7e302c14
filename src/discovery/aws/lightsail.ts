/**
 * Lightsail discovery (`aws_sd_configs` with `role: lightsail`): every instance GetInstances
 * returns, paged to the end, is one target (`lightsail-target.ts`). ONE target group per entry,
 * source = the region. A refresh that fails throws; `JobDiscovery` keeps the previous targets.
 * The client is built as the ECS role's are (`clients.ts`: credentials, retries with back-off,
 * responses capped), with `endpoint` as the Lightsail endpoint.
 */
import type { LightsailClient, LightsailClientConfig } from '@aws-sdk/client-lightsail';
import { errorText } from '../ec2/index.js';
import type { Discoverer, DiscoveryRefresh, TargetGroup } from '../types.js';
import { capResponses, sharedOptions } from './clients.js';
import type { AwsCommonConfig } from './config.js';
import { AwsSdError, AwsSdErrorCode } from './error.js';
import { lightsailTarget } from './lightsail-target.js';
import { allPages, list } from './read.js';

type LightsailSdk = typeof import('./lightsail-sdk.js');
let sdk: Promise<LightsailSdk> | undefined;

function loadLightsailSdk(): Promise<LightsailSdk> {
  sdk ??=
    process.env.LAMBDASCRAPE_BUNDLE_EC2 === 'false'
      ? Promise.reject(new Error('this function was bundled without the AWS discovery clients'))
      : import('./lightsail-sdk.js');
  return sdk;
}

export interface LightsailDeps {
  /** Builds the Lightsail client. @default `new LightsailClient(opts)` */
  readonly createClient?: (opts: LightsailClientConfig) => LightsailClient;
}

export function lightsailClientOptions(config: AwsCommonConfig): LightsailClientConfig {
  return {
    ...sharedOptions(config),
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
  };
}

export class LightsailDiscoverer implements Discoverer {
  readonly refreshIntervalMs: number;
  private readonly timeoutMs: number;
  private client: LightsailClient | undefined;

  constructor(
    readonly config: AwsCommonConfig,
    private readonly deps: LightsailDeps = {},
  ) {
    this.refreshIntervalMs = config.refreshIntervalMs;
    this.timeoutMs = Math.max(config.refreshIntervalMs, 10_000);
  }

  async refresh(): Promise<DiscoveryRefresh> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let region = this.config.region ?? '<default>';
    try {
      const loaded = await loadLightsailSdk();
      if (this.client === undefined) {
        const options = lightsailClientOptions(this.config);
        this.client = (this.deps.createClient ?? ((o) => new loaded.LightsailClient(o)))(options);
        capResponses(this.client);
      }
      const client = this.client;
      region = this.config.region ?? (await client.config.region());
      const instances = await allPages(
        'GetInstances',
        (pageToken) =>
          client.send(
            new loaded.GetInstancesCommand(pageToken === undefined ? {} : { pageToken }),
            { abortSignal: signal },
          ),
        (page) => list(page.instances),
        'nextPageToken',
      );
      const targets: Record<string, string>[] = [];
      for (const instance of instances) {
        const target = lightsailTarget(instance, region, this.config.port);
        if (target !== undefined) targets.push(target);
      }
      const group: TargetGroup = { source: region, targets, labels: {} };
      return { groups: [group], errors: [] };
    } catch (err) {
      throw new AwsSdError(
        AwsSdErrorCode.lightsail,
        `cannot get Lightsail instances in region ${region}: ${errorText(err)}`,
        { cause: err },
      );
    }
  }

  async close(): Promise<void> {
    this.client?.destroy();
    this.client = undefined;
  }
}

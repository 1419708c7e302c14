/**
 * What the discoverers of the roles with one AWS SDK client (elasticache, lightsail, msk, rds)
 * share, written once, so that a role writes only how it lists its targets
 * ({@link AwsRoleDiscoverer.targets}):
 *
 * - the client is built on the first refresh from the config as every role's is (`clients.ts`:
 *   credentials, region, standard retries with back-off, capped responses), with the config's
 *   `endpoint` as the service's, and kept until {@link AwsRoleDiscoverer.close};
 * - each refresh is aborted after {@link refreshTimeoutMs};
 * - ONE target group per entry, source = the region (the configured one, else the SDK's);
 * - a refresh that fails throws an {@link AwsSdError} `<what> in region <region>: <cause>`, and
 *   `JobDiscovery` keeps the previous targets.
 */
import { errorText } from '../ec2/index.js';
import type { Discoverer, DiscoveryRefresh, TargetGroup } from '../types.js';
import { capResponses, type ServiceClientOptions, serviceClientOptions } from './clients.js';
import type { AwsCommonConfig } from './config.js';
import { AwsSdError, type AwsSdErrorCode } from './error.js';

/** The part of an AWS SDK client the scaffolding uses. */
export interface RoleClient {
  readonly config: { region(): Promise<string> };
  readonly middlewareStack: object;
  destroy(): void;
}

/** A refresh's calls are aborted after the refresh interval, and never before 10 s. */
export function refreshTimeoutMs(config: AwsCommonConfig): number {
  return Math.max(config.refreshIntervalMs, 10_000);
}

/** What one refresh of a role works with. */
export interface RoleRefresh<Sdk, Client> {
  readonly sdk: Sdk;
  readonly client: Client;
  readonly region: string;
  /** Passed to every call: aborts them at the refresh's timeout. */
  readonly abortSignal: AbortSignal;
}

/** How a role's client is made, and how its failures read. */
export interface RoleSpec<Sdk, Client> {
  readonly code: AwsSdErrorCode;
  /** The failure message's start, e.g. `cannot discover MSK clusters`. */
  readonly what: string;
  /** The role's SDK module (see `sdkLoader` in clients.ts). */
  readonly loadSdk: () => Promise<Sdk>;
  /** Builds the client from the options the config asks for (a test's factory, else the SDK's). */
  readonly newClient: (sdk: Sdk, options: ServiceClientOptions) => Client;
}

export abstract class AwsRoleDiscoverer<
  Config extends AwsCommonConfig,
  Sdk,
  Client extends RoleClient,
> implements Discoverer
{
  readonly refreshIntervalMs: number;
  private readonly timeoutMs: number;
  /** Built on the first refresh and reused: credentials, connections and retry state are kept. */
  private client: Client | undefined;

  constructor(
    readonly config: Config,
    private readonly spec: RoleSpec<Sdk, Client>,
  ) {
    this.refreshIntervalMs = config.refreshIntervalMs;
    this.timeoutMs = refreshTimeoutMs(config);
  }

  /** Every target of the entry, in a stable order; throws when any call fails. */
  protected abstract targets(refresh: RoleRefresh<Sdk, Client>): Promise<Record<string, string>[]>;

  async refresh(): Promise<DiscoveryRefresh> {
    const abortSignal = AbortSignal.timeout(this.timeoutMs);
    let region = this.config.region ?? '<default>';
    try {
      const sdk = await this.spec.loadSdk();
      if (this.client === undefined) {
        this.client = this.spec.newClient(sdk, serviceClientOptions(this.config));
        capResponses(this.client);
      }
      const client = this.client;
      region = this.config.region ?? (await client.config.region());
      const targets = await this.targets({ sdk, client, region, abortSignal });
      const group: TargetGroup = { source: region, targets, labels: {} };
      return { groups: [group], errors: [] };
    } catch (err) {
      throw new AwsSdError(
        this.spec.code,
        `${this.spec.what} in region ${region}: ${errorText(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Closes the client's connections; the next refresh builds a new client. */
  async close(): Promise<void> {
    this.client?.destroy();
    this.client = undefined;
  }
}

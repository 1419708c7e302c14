/**
 * MSK discovery (`aws_sd_configs` with `role: msk`): the provisioned clusters (ListClustersV2
 * filtered to PROVISIONED, or DescribeClusterV2 of each configured ARN, serverless ones
 * skipped), and the nodes of each (ListNodes), every broker and KRaft controller endpoint one
 * target (`msk-target.ts`). ONE target group per entry, source = the region. A refresh that
 * fails throws; `JobDiscovery` keeps the previous targets. The client is built as the other
 * roles' are (`clients.ts`), with `endpoint` as the Kafka endpoint.
 */
import type { KafkaClient, KafkaClientConfig } from '@aws-sdk/client-kafka';
import { errorText } from '../ec2/index.js';
import type { Discoverer, DiscoveryRefresh, TargetGroup } from '../types.js';
import { capResponses, sharedOptions } from './clients.js';
import type { EcsSdConfig } from './config.js';
import { AwsSdError, AwsSdErrorCode } from './error.js';
import { limiter } from './limit.js';
import { mskNodeTargets } from './msk-target.js';
import { allPages, list, record, str } from './read.js';

type MskSdk = typeof import('./msk-sdk.js');
let sdk: Promise<MskSdk> | undefined;

function loadMskSdk(): Promise<MskSdk> {
  sdk ??=
    process.env.LAMBDASCRAPE_BUNDLE_EC2 === 'false'
      ? Promise.reject(new Error('this function was bundled without the AWS discovery clients'))
      : import('./msk-sdk.js');
  return sdk;
}

/** Requests in flight per refresh: Prometheus's `request_concurrency` default for MSK. */
export const MSK_REQUEST_CONCURRENCY = 10;

export interface MskDeps {
  /** Builds the Kafka client. @default `new KafkaClient(opts)` */
  readonly createClient?: (opts: KafkaClientConfig) => KafkaClient;
}

export function mskClientOptions(config: EcsSdConfig): KafkaClientConfig {
  return {
    ...sharedOptions(config),
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
  };
}

/** Every page of a listing of `field` entries (see `allPages`). */
const paged = (
  what: string,
  call: (token: string | undefined) => Promise<unknown>,
  field: string,
): Promise<unknown[]> => allPages(what, call, (page) => list(page[field]), 'NextToken');

export class MskDiscoverer implements Discoverer {
  readonly refreshIntervalMs: number;
  private readonly timeoutMs: number;
  private client: KafkaClient | undefined;

  constructor(
    readonly config: EcsSdConfig,
    private readonly deps: MskDeps = {},
  ) {
    this.refreshIntervalMs = config.refreshIntervalMs;
    this.timeoutMs = Math.max(config.refreshIntervalMs, 10_000);
  }

  async refresh(): Promise<DiscoveryRefresh> {
    const abortSignal = AbortSignal.timeout(this.timeoutMs);
    let region = this.config.region ?? '<default>';
    try {
      const loaded = await loadMskSdk();
      if (this.client === undefined) {
        const options = mskClientOptions(this.config);
        this.client = (this.deps.createClient ?? ((o) => new loaded.KafkaClient(o)))(options);
        capResponses(this.client);
      }
      const client = this.client;
      region = this.config.region ?? (await client.config.region());
      const limit = limiter(MSK_REQUEST_CONCURRENCY);
      const clusters =
        this.config.clusters.length > 0
          ? (
              await Promise.all(
                this.config.clusters.map(
                  async (clusterArn) =>
                    record(
                      await limit(() =>
                        client.send(
                          new loaded.DescribeClusterV2Command({ ClusterArn: clusterArn }),
                          {
                            abortSignal,
                          },
                        ),
                      ),
                    ).ClusterInfo,
                ),
              )
            ).filter((c) => record(c).ClusterType === 'PROVISIONED')
          : await paged(
              'ListClustersV2',
              (nextToken) =>
                limit(() =>
                  client.send(
                    new loaded.ListClustersV2Command({
                      ClusterTypeFilter: 'PROVISIONED',
                      MaxResults: 100,
                      ...(nextToken === undefined ? {} : { NextToken: nextToken }),
                    }),
                    { abortSignal },
                  ),
                ),
              'ClusterInfoList',
            );
      const perCluster = await Promise.all(
        clusters.map(async (cluster) => {
          const clusterArn = str(record(cluster).ClusterArn);
          if (clusterArn === undefined) return [];
          const nodes = await paged(
            `ListNodes of cluster ${clusterArn}`,
            (nextToken) =>
              limit(() =>
                client.send(
                  new loaded.ListNodesCommand({
                    ClusterArn: clusterArn,
                    MaxResults: 100,
                    ...(nextToken === undefined ? {} : { NextToken: nextToken }),
                  }),
                  { abortSignal },
                ),
              ),
            'NodeInfoList',
          );
          return nodes.flatMap((node) => mskNodeTargets(cluster, node, this.config.port));
        }),
      );
      const group: TargetGroup = { source: region, targets: perCluster.flat(), labels: {} };
      return { groups: [group], errors: [] };
    } catch (err) {
      throw new AwsSdError(
        AwsSdErrorCode.msk,
        `cannot discover MSK clusters in region ${region}: ${errorText(err)}`,
        { cause: err },
      );
    }
  }

  async close(): Promise<void> {
    this.client?.destroy();
    this.client = undefined;
  }
}

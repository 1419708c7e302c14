/**
 * MSK discovery (`aws_sd_configs` with `role: msk`, and `msk_sd_configs`): the provisioned
 * clusters (ListClustersV2 filtered to PROVISIONED, or DescribeClusterV2 of each configured ARN,
 * serverless ones skipped), and the nodes of each (ListNodes), every broker and KRaft controller
 * endpoint one target (`msk-target.ts`), at most `request_concurrency` calls in flight. Client,
 * group, timeout and failures as every one-client role's (`role-discoverer.ts`), with
 * `endpoint` as the Kafka endpoint.
 */
import type { KafkaClient, KafkaClientConfig } from '@aws-sdk/client-kafka';
import { sdkLoader } from './clients.js';
import type { EcsSdConfig } from './config.js';
import { AwsSdErrorCode } from './error.js';
import { limiter } from './limit.js';
import { mskNodeTargets } from './msk-target.js';
import { allPages, list, record, str } from './read.js';
import { AwsRoleDiscoverer, type RoleRefresh } from './role-discoverer.js';

type MskSdk = typeof import('./msk-sdk.js');
const loadMskSdk = sdkLoader(() => import('./msk-sdk.js'));

export interface MskDeps {
  /** Builds the Kafka client. @default `new KafkaClient(opts)` */
  readonly createClient?: (opts: KafkaClientConfig) => KafkaClient;
}

/** Every page of a listing of `field` entries (see `allPages`). */
const paged = (
  what: string,
  call: (token: string | undefined) => Promise<unknown>,
  field: string,
): Promise<unknown[]> => allPages(what, call, (page) => list(page[field]), 'NextToken');

export class MskDiscoverer extends AwsRoleDiscoverer<EcsSdConfig, MskSdk, KafkaClient> {
  constructor(config: EcsSdConfig, deps: MskDeps = {}) {
    super(config, {
      code: AwsSdErrorCode.msk,
      what: 'cannot discover MSK clusters',
      loadSdk: loadMskSdk,
      newClient: (sdk, options) => (deps.createClient ?? ((o) => new sdk.KafkaClient(o)))(options),
    });
  }

  protected async targets({
    sdk: loaded,
    client,
    abortSignal,
  }: RoleRefresh<MskSdk, KafkaClient>): Promise<Record<string, string>[]> {
    const limit = limiter(this.config.requestConcurrency);
    const clusters =
      this.config.clusters.length > 0
        ? (
            await Promise.all(
              this.config.clusters.map(
                async (clusterArn) =>
                  record(
                    await limit(() =>
                      client.send(new loaded.DescribeClusterV2Command({ ClusterArn: clusterArn }), {
                        abortSignal,
                      }),
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
    return perCluster.flat();
  }
}

/**
 * RDS discovery (`aws_sd_configs` with `role: rds`), as Prometheus's discovery/aws/rds.go: the
 * DB clusters (DescribeDBClusters, every page, or one call per configured cluster identifier /
 * ARN), then the instances of each (DescribeDBInstances filtered by `db-cluster-id` and the
 * configured `filters`), every instance one target (`rds-target.ts`). Instances outside a
 * cluster are not discovered, as in Prometheus. ONE target group per entry, source = the
 * region. A refresh that fails throws; `JobDiscovery` keeps the previous targets. The client is
 * built as the other roles' are (`clients.ts`: standard retries with back-off on throttling,
 * capped responses), with `endpoint` as the RDS endpoint.
 */
import type { RDSClient, RDSClientConfig } from '@aws-sdk/client-rds';
import { errorText } from '../ec2/index.js';
import type { Discoverer, DiscoveryRefresh, TargetGroup } from '../types.js';
import { capResponses, sharedOptions } from './clients.js';
import type { AwsCommonConfig, RdsSdConfig } from './config.js';
import { AwsSdError, AwsSdErrorCode } from './error.js';
import { limiter } from './limit.js';
import { rdsClusterLabels, rdsInstanceTarget, rdsWriters } from './rds-target.js';
import { allPages, list, record, str } from './read.js';

type RdsSdk = typeof import('./rds-sdk.js');
let sdk: Promise<RdsSdk> | undefined;

function loadRdsSdk(): Promise<RdsSdk> {
  sdk ??=
    process.env.LAMBDASCRAPE_BUNDLE_EC2 === 'false'
      ? Promise.reject(new Error('this function was bundled without the AWS discovery clients'))
      : import('./rds-sdk.js');
  return sdk;
}

/** Requests in flight per refresh: Prometheus's `request_concurrency` default for RDS. */
export const RDS_REQUEST_CONCURRENCY = 10;

/** Records per page asked for (Prometheus's `MaxRecords`, the API's maximum). */
const PAGE_SIZE = 100;

export interface RdsDeps {
  /** Builds the RDS client. @default `new RDSClient(opts)` */
  readonly createClient?: (opts: RDSClientConfig) => RDSClient;
}

export function rdsClientOptions(config: AwsCommonConfig): RDSClientConfig {
  return {
    ...sharedOptions(config),
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
  };
}

/** Every page of a listing of `field` entries (see `allPages`). */
const paged = (
  what: string,
  call: (marker: string | undefined) => Promise<unknown>,
  field: string,
): Promise<unknown[]> => allPages(what, call, (page) => list(page[field]), 'Marker', 'marker');

export class RdsDiscoverer implements Discoverer {
  readonly refreshIntervalMs: number;
  private readonly timeoutMs: number;
  private client: RDSClient | undefined;

  constructor(
    readonly config: RdsSdConfig,
    private readonly deps: RdsDeps = {},
  ) {
    this.refreshIntervalMs = config.refreshIntervalMs;
    this.timeoutMs = Math.max(config.refreshIntervalMs, 10_000);
  }

  async refresh(): Promise<DiscoveryRefresh> {
    const abortSignal = AbortSignal.timeout(this.timeoutMs);
    let region = this.config.region ?? '<default>';
    try {
      const loaded = await loadRdsSdk();
      if (this.client === undefined) {
        const options = rdsClientOptions(this.config);
        this.client = (this.deps.createClient ?? ((o) => new loaded.RDSClient(o)))(options);
        capResponses(this.client);
      }
      const client = this.client;
      region = this.config.region ?? (await client.config.region());
      const limit = limiter(RDS_REQUEST_CONCURRENCY);
      const describeClusters = (identifier: string | undefined) =>
        paged(
          identifier === undefined ? 'DescribeDBClusters' : `DescribeDBClusters of ${identifier}`,
          (marker) =>
            limit(() =>
              client.send(
                new loaded.DescribeDBClustersCommand({
                  MaxRecords: PAGE_SIZE,
                  ...(identifier === undefined ? {} : { DBClusterIdentifier: identifier }),
                  ...(marker === undefined ? {} : { Marker: marker }),
                }),
                { abortSignal },
              ),
            ),
          'DBClusters',
        );
      let clusters: unknown[];
      if (this.config.clusters.length === 0) {
        clusters = await describeClusters(undefined);
      } else {
        // One entry per configured identifier, as Prometheus's map keyed by it.
        const identifiers = [...new Set(this.config.clusters)];
        clusters = await Promise.all(
          identifiers.map(async (identifier) => {
            const found = await describeClusters(identifier);
            if (found.length === 0) throw new Error(`no DB cluster found for ARN ${identifier}`);
            return found.at(-1);
          }),
        );
      }
      // A cluster without an ARN has no instances to ask for (Prometheus keys clusters by it).
      const seen = new Set<string>();
      clusters = clusters.filter((c) => {
        const arn = str(record(c).DBClusterArn);
        if (arn === undefined || seen.has(arn)) return false;
        seen.add(arn);
        return true;
      });
      const extra = this.config.filters.map((f) => ({ Name: f.name, Values: [...f.values] }));
      const perCluster = await Promise.all(
        clusters.map(async (cluster) => {
          const arn = str(record(cluster).DBClusterArn)!;
          const instances = await paged(
            `DescribeDBInstances of cluster ${arn}`,
            (marker) =>
              limit(() =>
                client.send(
                  new loaded.DescribeDBInstancesCommand({
                    Filters: [{ Name: 'db-cluster-id', Values: [arn] }, ...extra],
                    MaxRecords: PAGE_SIZE,
                    ...(marker === undefined ? {} : { Marker: marker }),
                  }),
                  { abortSignal },
                ),
              ),
            'DBInstances',
          );
          const labels = rdsClusterLabels(cluster);
          const writers = rdsWriters(cluster);
          return instances.map((instance) =>
            rdsInstanceTarget(labels, writers, instance, this.config.port),
          );
        }),
      );
      const group: TargetGroup = { source: region, targets: perCluster.flat(), labels: {} };
      return { groups: [group], errors: [] };
    } catch (err) {
      throw new AwsSdError(
        AwsSdErrorCode.rds,
        `cannot discover RDS instances in region ${region}: ${errorText(err)}`,
        { cause: err },
      );
    }
  }

  async close(): Promise<void> {
    this.client?.destroy();
    this.client = undefined;
  }
}

/**
 * RDS discovery (`aws_sd_configs` with `role: rds`, and `rds_sd_configs`), as Prometheus's
 * discovery/aws/rds.go: the DB clusters (DescribeDBClusters, every page, or one call per
 * configured cluster identifier / ARN), then the instances of each (DescribeDBInstances filtered
 * by `db-cluster-id` and the configured `filters`), every instance one target (`rds-target.ts`).
 * Instances outside a cluster are not discovered, as in Prometheus. At most `request_concurrency` calls in flight.
 * Client, group, timeout and failures as every one-client role's (`role-discoverer.ts`), with
 * `endpoint` as the RDS endpoint.
 */
import type { RDSClient, RDSClientConfig } from '@aws-sdk/client-rds';
import { sdkLoader } from './clients.js';
import type { RdsSdConfig } from './config.js';
import { AwsSdErrorCode } from './error.js';
import { limiter } from './limit.js';
import { rdsClusterLabels, rdsInstanceTarget, rdsWriters } from './rds-target.js';
import { allPages, list, record, str } from './read.js';
import { AwsRoleDiscoverer, type RoleRefresh } from './role-discoverer.js';

type RdsSdk = typeof import('./rds-sdk.js');
const loadRdsSdk = sdkLoader(() => import('./rds-sdk.js'));

/** Records per page asked for (Prometheus's `MaxRecords`, the API's maximum). */
const PAGE_SIZE = 100;

export interface RdsDeps {
  /** Builds the RDS client. @default `new RDSClient(opts)` */
  readonly createClient?: (opts: RDSClientConfig) => RDSClient;
}

/** Every page of a listing of `field` entries (see `allPages`). */
const paged = (
  what: string,
  call: (marker: string | undefined) => Promise<unknown>,
  field: string,
): Promise<unknown[]> => allPages(what, call, (page) => list(page[field]), 'Marker', 'marker');

export class RdsDiscoverer extends AwsRoleDiscoverer<RdsSdConfig, RdsSdk, RDSClient> {
  constructor(config: RdsSdConfig, deps: RdsDeps = {}) {
    super(config, {
      code: AwsSdErrorCode.rds,
      what: 'cannot discover RDS instances',
      loadSdk: loadRdsSdk,
      newClient: (sdk, options) => (deps.createClient ?? ((o) => new sdk.RDSClient(o)))(options),
    });
  }

  protected async targets({
    sdk: loaded,
    client,
    abortSignal,
  }: RoleRefresh<RdsSdk, RDSClient>): Promise<Record<string, string>[]> {
    const limit = limiter(this.config.requestConcurrency);
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
    return perCluster.flat();
  }
}

/**
 * ElastiCache discovery (`aws_sd_configs` with `role: elasticache`, and
 * `elasticache_sd_configs`), as Prometheus's discovery/aws/elasticache.go: the serverless caches (DescribeServerlessCaches, every page by
 * NextToken) and the cache clusters with their nodes (DescribeCacheClusters with
 * ShowCacheNodeInfo, every page by Marker, once with ShowCacheClustersNotInReplicationGroups
 * false and once true), then the tags of each (ListTagsForResource by ARN); a serverless cache is
 * one target, every node of a cluster one (`elasticache-target.ts`). ONE target group per entry,
 * source = the region; at most `request_concurrency` calls in flight. A refresh that fails
 * throws; `JobDiscovery` keeps the previous targets.
 *
 * `clusters` holds ARNs, read as Prometheus's `splitCacheDeploymentOptions` reads them: the
 * sixth `:`-separated part `serverlesscache` names a serverless cache (one
 * DescribeServerlessCaches by ServerlessCacheName), `replicationgroup` an id asked for as a
 * CacheClusterId (two DescribeCacheClusters, not paged); other ARNs, and ARNs of fewer than seven
 * parts, are skipped (Prometheus logs a warning). When no ARN is left of a kind, that kind is
 * listed whole, as in Prometheus.
 *
 * Differences, none changing the targets: each listing is asked once per refresh (Prometheus
 * asks twice: once for the ARNs to tag, once for the targets), there is no separate credential
 * test call, and a cluster both listings return (one in no replication group) is kept once
 * (Prometheus emits it twice and its scrape layer drops the duplicate).
 * Client, group, timeout and failures as every one-client role's (`role-discoverer.ts`), with
 * `endpoint` as the ElastiCache endpoint.
 */
import type { ElastiCacheClient, ElastiCacheClientConfig } from '@aws-sdk/client-elasticache';
import { sdkLoader } from './clients.js';
import type { EcsSdConfig } from './config.js';
import {
  cacheClusterLabels,
  cacheNodeTargets,
  serverlessCacheTarget,
} from './elasticache-target.js';
import { AwsSdErrorCode } from './error.js';
import { limiter } from './limit.js';
import { allPages, list, record, str } from './read.js';
import { AwsRoleDiscoverer, type RoleRefresh } from './role-discoverer.js';

type ElastiCacheSdk = typeof import('./elasticache-sdk.js');
const loadElastiCacheSdk = sdkLoader(() => import('./elasticache-sdk.js'));

export interface ElastiCacheDeps {
  /** Builds the ElastiCache client. @default `new ElastiCacheClient(opts)` */
  readonly createClient?: (opts: ElastiCacheClientConfig) => ElastiCacheClient;
}

/** The serverless cache names and cache cluster ids of `clusters` (ARNs), as Prometheus splits them. */
export function splitCacheArns(clusters: readonly string[]): {
  serverless: string[];
  clusters: string[];
} {
  const serverless: string[] = [];
  const ids: string[] = [];
  for (const arn of clusters) {
    if (arn === '') continue;
    const parts = arn.split(':');
    if (parts.length < 7) continue;
    if (parts[5] === 'serverlesscache') serverless.push(parts[6]!);
    else if (parts[5] === 'replicationgroup') ids.push(parts[6]!);
  }
  return { serverless, clusters: ids };
}

/** Every page of a listing of `field` entries (see `allPages`). */
const paged = (
  what: string,
  call: (token: string | undefined) => Promise<unknown>,
  field: string,
  tokenField: string,
): Promise<unknown[]> => allPages(what, call, (page) => list(page[field]), tokenField);

export class ElastiCacheDiscoverer extends AwsRoleDiscoverer<
  EcsSdConfig,
  ElastiCacheSdk,
  ElastiCacheClient
> {
  constructor(config: EcsSdConfig, deps: ElastiCacheDeps = {}) {
    super(config, {
      code: AwsSdErrorCode.elasticache,
      what: 'cannot discover ElastiCache caches',
      loadSdk: loadElastiCacheSdk,
      newClient: (sdk, options) =>
        (deps.createClient ?? ((o) => new sdk.ElastiCacheClient(o)))(options),
    });
  }

  protected async targets({
    sdk: loaded,
    client,
    abortSignal,
  }: RoleRefresh<ElastiCacheSdk, ElastiCacheClient>): Promise<Record<string, string>[]> {
    // As Prometheus's errgroups: after the first failure no call starts, and the refresh
    // returns once every call under way has ended, with that first failure.
    let first: { error: unknown } | undefined;
    const all = async <T>(tasks: readonly Promise<T>[]): Promise<T[]> => {
      const settled = await Promise.allSettled(
        tasks.map((task) =>
          task.catch((error: unknown) => {
            first ??= { error };
            throw error;
          }),
        ),
      );
      if (first !== undefined) throw first.error;
      return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
    };
    try {
      const limited = limiter(this.config.requestConcurrency);
      const limit = <T>(call: () => Promise<T>): Promise<T> =>
        limited(() => {
          if (first !== undefined) throw new Error('cancelled after an earlier failure');
          return call();
        });
      const wanted = splitCacheArns(this.config.clusters);

      const serverlessCaches = async (): Promise<unknown[]> => {
        if (wanted.serverless.length === 0) {
          return paged(
            'DescribeServerlessCaches',
            (token) =>
              limit(() =>
                client.send(
                  new loaded.DescribeServerlessCachesCommand({
                    MaxResults: 50,
                    ...(token === undefined ? {} : { NextToken: token }),
                  }),
                  { abortSignal },
                ),
              ),
            'ServerlessCaches',
            'NextToken',
          );
        }
        const found = await all(
          wanted.serverless.map(async (name) =>
            list(
              record(
                await limit(() =>
                  client.send(
                    new loaded.DescribeServerlessCachesCommand({
                      MaxResults: 50,
                      ServerlessCacheName: name,
                    }),
                    { abortSignal },
                  ),
                ),
              ).ServerlessCaches,
            ),
          ),
        );
        return found.flat();
      };

      const describe = (notInGroups: boolean, id: string | undefined, token?: string) =>
        limit(() =>
          client.send(
            new loaded.DescribeCacheClustersCommand({
              MaxRecords: 100,
              ShowCacheNodeInfo: true,
              ShowCacheClustersNotInReplicationGroups: notInGroups,
              ...(id === undefined ? {} : { CacheClusterId: id }),
              ...(token === undefined ? {} : { Marker: token }),
            }),
            { abortSignal },
          ),
        );
      const cacheClusters = async (): Promise<unknown[]> => {
        const found =
          wanted.clusters.length === 0
            ? await all(
                [false, true].map((notInGroups) =>
                  paged(
                    'DescribeCacheClusters',
                    (token) => describe(notInGroups, undefined, token),
                    'CacheClusters',
                    'Marker',
                  ),
                ),
              )
            : await all(
                wanted.clusters.flatMap((id) =>
                  [false, true].map(async (notInGroups) =>
                    list(record(await describe(notInGroups, id)).CacheClusters),
                  ),
                ),
              );
        // A cluster in no replication group is in both answers: kept once (see the file comment).
        const seen = new Set<string>();
        return found.flat().filter((c) => {
          const arn = str(record(c).ARN);
          if (arn === undefined) return true;
          if (seen.has(arn)) return false;
          seen.add(arn);
          return true;
        });
      };

      const [caches, clusters] = (await all<unknown[]>([serverlessCaches(), cacheClusters()])) as [
        unknown[],
        unknown[],
      ];
      const arns = [
        ...new Set(
          [...caches, ...clusters]
            .map((c) => str(record(c).ARN))
            .filter((arn): arn is string => arn !== undefined),
        ),
      ];
      const tagLists = await all(
        arns.map(async (arn) => {
          const out = await limit(() =>
            client.send(new loaded.ListTagsForResourceCommand({ ResourceName: arn }), {
              abortSignal,
            }),
          );
          return [arn, record(out).TagList] as const;
        }),
      );
      const tags = new Map<string, unknown>(tagLists);
      const tagsOf = (c: unknown) => {
        const arn = str(record(c).ARN);
        return arn === undefined ? undefined : tags.get(arn);
      };
      const targets = [
        ...caches.map((cache) => serverlessCacheTarget(cache, tagsOf(cache))),
        ...clusters.flatMap((cluster) =>
          cacheNodeTargets(cluster, cacheClusterLabels(cluster, tagsOf(cluster))),
        ),
      ];
      return targets;
    } catch (err) {
      throw first?.error ?? err;
    }
  }
}

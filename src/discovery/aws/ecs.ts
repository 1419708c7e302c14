/**
 * ECS discovery (`aws_sd_configs` with `role: ecs`, and `ecs_sd_configs`): every task of the
 * configured clusters (or of every cluster of the region) is one target, labelled as
 * Prometheus's ECS role labels it (`ecs-target.ts`). ONE target group per entry, source = the
 * region; at most `request_concurrency` calls in flight (`EcsApi`).
 *
 * A refresh lists the clusters (unless configured) and describes them; a failure there throws,
 * and `JobDiscovery` keeps the previous targets. Then each cluster is read on its own (tasks,
 * then the services, container instances and ENIs they name, then the EC2 hosts): a cluster
 * that fails keeps its own previous targets and is reported in `errors`, the others are fresh.
 * (Prometheus leaves such a cluster's targets out until it succeeds again.)
 *
 * Which container instance runs on which EC2 instance never changes, so that map is kept
 * between refreshes (for the container instances still in use) and only new ones are described.
 */
import { errorText } from '../ec2/index.js';
import type { Discoverer, DiscoveryRefresh, TargetGroup } from '../types.js';
import { createEcsClients, type EcsClients, type EcsDeps, loadAwsSdk } from './clients.js';
import type { EcsSdConfig } from './config.js';
import { EcsApi, uniqueStrings } from './ecs-api.js';
import { attachmentDetail, ecsTaskTarget, eniAttachment } from './ecs-target.js';
import { AwsSdError, AwsSdErrorCode } from './error.js';
import { limiter } from './limit.js';
import { record, str } from './read.js';
import { refreshTimeoutMs } from './role-discoverer.js';

export interface EcsDiscovererOptions {
  /** Abort a refresh (all its calls) after this long. @default the refresh interval, at least 10 s */
  readonly timeoutMs?: number;
}

type Target = Record<string, string>;

export class EcsDiscoverer implements Discoverer {
  readonly refreshIntervalMs: number;
  private readonly timeoutMs: number;
  /** Built on the first refresh and reused: credentials, connections and retry state are kept. */
  private clients: EcsClients | undefined;
  /** Each cluster's targets of its last successful read, by the cluster as listed. */
  private lastByCluster = new Map<string, readonly Target[]>();
  /** Container instance ARN → EC2 instance ID, for those in use at the last refresh. */
  private hosts = new Map<string, string>();

  constructor(
    readonly config: EcsSdConfig,
    private readonly deps: EcsDeps = {},
    options: EcsDiscovererOptions = {},
  ) {
    this.refreshIntervalMs = config.refreshIntervalMs;
    this.timeoutMs = options.timeoutMs ?? refreshTimeoutMs(config);
  }

  async refresh(): Promise<DiscoveryRefresh> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let region = this.config.region ?? '<default>';
    let api: EcsApi;
    let clusters: string[];
    let described: Awaited<ReturnType<EcsApi['describeClusters']>>;
    try {
      const sdk = await loadAwsSdk();
      this.clients ??= createEcsClients(sdk, this.config, this.deps);
      region = this.config.region ?? (await this.clients.ecs.config.region());
      api = new EcsApi(sdk, this.clients, signal, limiter(this.config.requestConcurrency));
      clusters =
        this.config.clusters.length > 0
          ? uniqueStrings(this.config.clusters)
          : await api.listClusters();
      described =
        clusters.length === 0
          ? { found: new Map(), failures: new Map() }
          : await api.describeClusters(clusters);
    } catch (err) {
      throw new AwsSdError(
        AwsSdErrorCode.ecsClusters,
        `cannot list ECS clusters in region ${region}: ${errorText(err)}`,
        { cause: err },
      );
    }

    // By cluster index, so the errors come in cluster order whatever finishes first.
    const failed: (Error | undefined)[] = [];
    const inUse = new Set<string>();
    const last = new Map<string, readonly Target[]>();
    const perCluster = await Promise.all(
      clusters.map(async (key, index) => {
        try {
          const targets = await this.clusterTargets(api, key, described, region, inUse);
          last.set(key, targets);
          return targets;
        } catch (err) {
          failed[index] = new AwsSdError(
            AwsSdErrorCode.ecsCluster,
            `cannot discover ECS cluster ${key} in region ${region}: ${errorText(err)}`,
            { cause: err },
          );
          const kept = this.lastByCluster.get(key) ?? [];
          last.set(key, kept);
          for (const t of kept) {
            const arn = t.__meta_ecs_container_instance_arn;
            if (arn !== undefined) inUse.add(arn);
          }
          return kept;
        }
      }),
    );
    this.lastByCluster = last;
    for (const arn of this.hosts.keys()) if (!inUse.has(arn)) this.hosts.delete(arn);
    const group: TargetGroup = { source: region, targets: perCluster.flat(), labels: {} };
    const errors = failed.filter((e): e is Error => e !== undefined);
    return { groups: [group], errors };
  }

  /** Closes the clients' connections; the next refresh builds new clients. */
  async close(): Promise<void> {
    this.clients?.ecs.destroy();
    this.clients?.ec2.destroy();
    this.clients = undefined;
  }

  /** The targets of one cluster; throws when any of its calls fails. */
  private async clusterTargets(
    api: EcsApi,
    key: string,
    described: Awaited<ReturnType<EcsApi['describeClusters']>>,
    region: string,
    inUse: Set<string>,
  ): Promise<Target[]> {
    const cluster = described.found.get(key);
    if (cluster === undefined) {
      const failure = [...described.failures].find(
        ([arn]) => arn === key || arn.endsWith(`/${key}`),
      );
      throw new Error(`DescribeClusters: ${failure?.[1] ?? 'cluster not returned'}`);
    }
    const taskArns = await api.listTasks(key);
    if (taskArns.length === 0) return [];
    const tasks = await api.describeTasks(key, taskArns);

    const serviceNames: string[] = [];
    const instanceArns: string[] = [];
    const eniIds: string[] = [];
    for (const task of tasks) {
      const t = record(task);
      const group = str(t.group);
      if (group?.startsWith('service:')) serviceNames.push(group.slice('service:'.length));
      const arn = str(t.containerInstanceArn);
      if (arn !== undefined) {
        instanceArns.push(arn);
        inUse.add(arn);
      }
      const eni = eniAttachment(task);
      const eniId = eni === undefined ? undefined : attachmentDetail(eni, 'networkInterfaceId');
      if (eniId !== undefined && eniId !== '') eniIds.push(eniId);
    }
    const unknownHosts = uniqueStrings(instanceArns).filter((arn) => !this.hosts.has(arn));
    const [services, newHosts, eniPublicIps] = await Promise.all([
      api.describeServices(key, uniqueStrings(serviceNames)),
      unknownHosts.length === 0
        ? new Map<string, string>()
        : api.describeContainerInstances(key, unknownHosts),
      eniIds.length === 0
        ? new Map<string, string>()
        : api.describeEniPublicIps(uniqueStrings(eniIds)),
    ]);
    for (const [arn, id] of newHosts) this.hosts.set(arn, id);
    const instanceIds = uniqueStrings(instanceArns.map((arn) => this.hosts.get(arn)));
    const instances =
      instanceIds.length === 0 ? new Map() : await api.describeInstances(instanceIds);

    const ctx = {
      region,
      port: this.config.port,
      cluster,
      services,
      hosts: this.hosts,
      instances,
      eniPublicIps,
    };
    const targets: Target[] = [];
    for (const task of tasks) {
      const target = ecsTaskTarget(task, ctx);
      if (target !== undefined) targets.push(target);
    }
    return targets;
  }
}

/**
 * The ECS and EC2 calls of one ECS refresh, each paged to the end or batched to the API's
 * maximum, all through one concurrency {@link Limiter}:
 *
 * | call                               | batch / page                                   |
 * | ---------------------------------- | ---------------------------------------------- |
 * | ecs:ListClusters                   | pages of 100                                   |
 * | ecs:DescribeClusters (TAGS)        | 100 clusters                                   |
 * | ecs:ListTasks                      | pages of 100, per cluster                      |
 * | ecs:DescribeTasks (TAGS)           | 100 tasks                                      |
 * | ecs:DescribeServices (TAGS)        | 10 services, only those the tasks belong to    |
 * | ecs:DescribeContainerInstances     | 100 instances, only those not known yet        |
 * | ec2:DescribeInstances              | 100 IDs as an `instance-id` filter, paged      |
 * | ec2:DescribeNetworkInterfaces      | 100 IDs as a `network-interface-id` filter     |
 *
 * The EC2 calls filter by ID instead of listing IDs, so an instance or ENI deleted since the
 * task was described is simply absent rather than failing the whole call (NotFound). Answers
 * are untrusted: read through `read.ts`, pages capped and repeated page tokens refused.
 */

import type { AwsSdk, EcsClients } from './clients.js';
import { type Ec2HostInfo, ec2HostInfo } from './ecs-target.js';
import { chunks, type Limiter } from './limit.js';
import { allPages, list, record, str } from './read.js';

/** Cap on the pages of one listing: a server repeating fresh tokens cannot loop us. */

/** API maxima per call. */
const DESCRIBE_CLUSTERS_MAX = 100;
const DESCRIBE_TASKS_MAX = 100;
const DESCRIBE_SERVICES_MAX = 10;
const DESCRIBE_CONTAINER_INSTANCES_MAX = 100;
const EC2_IDS_PER_CALL = 100;

/** An ECS `failures` entry as text (`arn: REASON (detail)`). */
function failureText(failure: unknown): string {
  const f = record(failure);
  const detail = str(f.detail);
  return `${str(f.arn) ?? '?'}: ${str(f.reason) ?? 'failed'}${detail === undefined ? '' : ` (${detail})`}`;
}

export class EcsApi {
  constructor(
    private readonly sdk: AwsSdk,
    private readonly clients: EcsClients,
    private readonly signal: AbortSignal,
    private readonly limit: Limiter,
  ) {}

  /** One call through the limit; the answer is unknown (untrusted). */
  private call(
    send: (options: { abortSignal: AbortSignal }) => Promise<unknown>,
  ): Promise<unknown> {
    return this.limit(() => send({ abortSignal: this.signal }));
  }

  /** Every cluster ARN of the region. */
  async listClusters(): Promise<string[]> {
    const arns = await allPages(
      'ListClusters',
      (nextToken) =>
        this.call((o) =>
          this.clients.ecs.send(
            new this.sdk.ListClustersCommand({ maxResults: 100, ...token(nextToken) }),
            o,
          ),
        ),
      (page) => list(page.clusterArns),
      'nextToken',
    );
    return uniqueStrings(arns);
  }

  /**
   * The clusters (with tags) by the names or ARNs asked for: each found one under both its ARN
   * and its name. `failures` (a cluster that does not exist) are returned as text by key.
   */
  async describeClusters(
    keys: readonly string[],
  ): Promise<{ found: Map<string, unknown>; failures: Map<string, string> }> {
    const found = new Map<string, unknown>();
    const failures = new Map<string, string>();
    await Promise.all(
      chunks(keys, DESCRIBE_CLUSTERS_MAX).map(async (batch) => {
        const out = record(
          await this.call((o) =>
            this.clients.ecs.send(
              new this.sdk.DescribeClustersCommand({ clusters: batch, include: ['TAGS'] }),
              o,
            ),
          ),
        );
        for (const cluster of list(out.clusters)) {
          const c = record(cluster);
          for (const key of [str(c.clusterArn), str(c.clusterName)]) {
            if (key !== undefined) found.set(key, cluster);
          }
        }
        for (const failure of list(out.failures)) {
          const arn = str(record(failure).arn);
          if (arn !== undefined) failures.set(arn, failureText(failure));
        }
      }),
    );
    return { found, failures };
  }

  /** The ARNs of the cluster's tasks (ListTasks' default: those whose desired status is RUNNING). */
  async listTasks(cluster: string): Promise<string[]> {
    const arns = await allPages(
      `ListTasks of cluster ${cluster}`,
      (nextToken) =>
        this.call((o) =>
          this.clients.ecs.send(
            new this.sdk.ListTasksCommand({ cluster, maxResults: 100, ...token(nextToken) }),
            o,
          ),
        ),
      (page) => list(page.taskArns),
      'nextToken',
    );
    return uniqueStrings(arns);
  }

  /** The tasks (with tags), in the order asked; tasks gone since the listing are left out. */
  async describeTasks(cluster: string, arns: readonly string[]): Promise<unknown[]> {
    const batches = await Promise.all(
      chunks(arns, DESCRIBE_TASKS_MAX).map(async (batch) =>
        list(
          record(
            await this.call((o) =>
              this.clients.ecs.send(
                new this.sdk.DescribeTasksCommand({ cluster, tasks: batch, include: ['TAGS'] }),
                o,
              ),
            ),
          ).tasks,
        ),
      ),
    );
    return batches.flat();
  }

  /** The services (with tags) by name. */
  async describeServices(cluster: string, names: readonly string[]): Promise<Map<string, unknown>> {
    const services = new Map<string, unknown>();
    await Promise.all(
      chunks(names, DESCRIBE_SERVICES_MAX).map(async (batch) => {
        const out = record(
          await this.call((o) =>
            this.clients.ecs.send(
              new this.sdk.DescribeServicesCommand({ cluster, services: batch, include: ['TAGS'] }),
              o,
            ),
          ),
        );
        for (const service of list(out.services)) {
          const s = record(service);
          const name = str(s.serviceName);
          if (name !== undefined && str(s.serviceArn) !== undefined) services.set(name, service);
        }
      }),
    );
    return services;
  }

  /** Container instance ARN → EC2 instance ID. */
  async describeContainerInstances(
    cluster: string,
    arns: readonly string[],
  ): Promise<Map<string, string>> {
    const hosts = new Map<string, string>();
    await Promise.all(
      chunks(arns, DESCRIBE_CONTAINER_INSTANCES_MAX).map(async (batch) => {
        const out = record(
          await this.call((o) =>
            this.clients.ecs.send(
              new this.sdk.DescribeContainerInstancesCommand({
                cluster,
                containerInstances: batch,
              }),
              o,
            ),
          ),
        );
        for (const instance of list(out.containerInstances)) {
          const ci = record(instance);
          const arn = str(ci.containerInstanceArn);
          const id = str(ci.ec2InstanceId);
          if (arn !== undefined && id !== undefined) hosts.set(arn, id);
        }
      }),
    );
    return hosts;
  }

  /** EC2 instance ID → what ECS discovery reads of it. */
  async describeInstances(ids: readonly string[]): Promise<Map<string, Ec2HostInfo>> {
    const instances = new Map<string, Ec2HostInfo>();
    await Promise.all(
      chunks(ids, EC2_IDS_PER_CALL).map(async (batch) => {
        const reservations = await allPages(
          'DescribeInstances',
          (NextToken) =>
            this.call((o) =>
              this.clients.ec2.send(
                new this.sdk.DescribeInstancesCommand({
                  Filters: [{ Name: 'instance-id', Values: batch }],
                  MaxResults: 1000,
                  ...(NextToken === undefined ? {} : { NextToken }),
                }),
                o,
              ),
            ),
          (page) => list(page.Reservations),
          'NextToken',
        );
        for (const reservation of reservations) {
          for (const instance of list(record(reservation).Instances)) {
            const info = ec2HostInfo(instance);
            if (info !== undefined) instances.set(info[0], info[1]);
          }
        }
      }),
    );
    return instances;
  }

  /** ENI ID → public IP, for the ENIs that have one. */
  async describeEniPublicIps(ids: readonly string[]): Promise<Map<string, string>> {
    const ips = new Map<string, string>();
    await Promise.all(
      chunks(ids, EC2_IDS_PER_CALL).map(async (batch) => {
        const enis = await allPages(
          'DescribeNetworkInterfaces',
          (NextToken) =>
            this.call((o) =>
              this.clients.ec2.send(
                new this.sdk.DescribeNetworkInterfacesCommand({
                  Filters: [{ Name: 'network-interface-id', Values: batch }],
                  MaxResults: 1000,
                  ...(NextToken === undefined ? {} : { NextToken }),
                }),
                o,
              ),
            ),
          (page) => list(page.NetworkInterfaces),
          'NextToken',
        );
        for (const eni of enis) {
          const e = record(eni);
          const id = str(e.NetworkInterfaceId);
          const ip = str(record(e.Association).PublicIp);
          if (id !== undefined && ip !== undefined) ips.set(id, ip);
        }
      }),
    );
    return ips;
  }
}

function token(nextToken: string | undefined): { nextToken?: string } {
  return nextToken === undefined ? {} : { nextToken };
}

/** The strings of a list, each once, in first-seen order. */
export function uniqueStrings(values: readonly unknown[]): string[] {
  const set = new Set<string>();
  for (const v of values) {
    const s = str(v);
    if (s !== undefined) set.add(s);
  }
  return [...set];
}

/**
 * The label set of one ECS task: the `__meta_ecs_*` labels of Prometheus's ECS role
 * (discovery/aws/ecs.go, `ECSDiscovery.refresh`), with its address rule:
 *
 * - a task with an `ElasticNetworkInterface` attachment is `awsvpc` (Fargate, or EC2 with
 *   awsvpc): its address is the ENI's `privateIPv4Address`, its subnet the ENI's, its public IP
 *   the ENI's association (DescribeNetworkInterfaces); on EC2 the host's type and IPs are added;
 * - any other task on a container instance is `bridge` (host networking included: ECS's
 *   answer does not tell them apart, and Prometheus labels both `bridge`): its address, subnet
 *   and public IP are its EC2 host's;
 * - a task with no address (not yet placed, ENI gone, host unknown) is no target.
 *
 * `__address__` is `<address>:<port>` with the configured port for every task: container ports
 * and host ports are not read (as in Prometheus; a relabel rule can set another port from a tag).
 * One target per task, however many containers it has. Every input is untrusted (`read.ts`).
 */
import { sanitizeTagName } from '../ec2/index.js';
import { ec2Tags, joinHostPort, keyValueTags, list, record, str } from './read.js';

/** Meta label prefix of the ecs role. */
export const ECS_LABEL = '__meta_ecs_';

/** What ECS discovery reads of a container host (EC2 DescribeInstances). */
export interface Ec2HostInfo {
  readonly privateIp: string;
  readonly publicIp: string | undefined;
  readonly subnetId: string | undefined;
  readonly instanceType: string | undefined;
  readonly tags: readonly (readonly [string, string])[];
}

/** The host information of one EC2 instance, or undefined without an ID or private IP. */
export function ec2HostInfo(instance: unknown): [id: string, info: Ec2HostInfo] | undefined {
  const i = record(instance);
  const id = str(i.InstanceId);
  const privateIp = typeof i.PrivateIpAddress === 'string' ? i.PrivateIpAddress : undefined;
  if (id === undefined || privateIp === undefined) return undefined;
  return [
    id,
    {
      privateIp,
      publicIp: str(i.PublicIpAddress),
      subnetId: str(i.SubnetId),
      instanceType: str(i.InstanceType),
      tags: ec2Tags(i.Tags),
    },
  ];
}

/** What a task's target is built from, besides the task. */
export interface EcsTaskContext {
  readonly region: string;
  readonly port: number;
  /** The DescribeClusters entry of the task's cluster (may be empty). */
  readonly cluster: unknown;
  /** DescribeServices entries by service name. */
  readonly services: ReadonlyMap<string, unknown>;
  /** Container instance ARN → EC2 instance ID. */
  readonly hosts: ReadonlyMap<string, string>;
  /** EC2 instance ID → host information. */
  readonly instances: ReadonlyMap<string, Ec2HostInfo>;
  /** ENI ID → public IP. */
  readonly eniPublicIps: ReadonlyMap<string, string>;
}

const ENI_ATTACHMENT = 'ElasticNetworkInterface';

/** The first ENI attachment of a task, as Prometheus picks it. */
export function eniAttachment(task: unknown): Readonly<Record<string, unknown>> | undefined {
  for (const attachment of list(record(task).attachments)) {
    const a = record(attachment);
    if (a.type === ENI_ATTACHMENT) return a;
  }
  return undefined;
}

/** The value of the first detail named `name` of an attachment (`networkInterfaceId`, …). */
export function attachmentDetail(
  attachment: Readonly<Record<string, unknown>>,
  name: string,
): string | undefined {
  let found: string | undefined;
  for (const detail of list(attachment.details)) {
    const d = record(detail);
    // The last one wins, as in Prometheus's loop over the details.
    if (d.name === name && typeof d.value === 'string') found = d.value;
  }
  return found;
}

/** The target of one task, or undefined when it has no address. */
export function ecsTaskTarget(
  task: unknown,
  ctx: EcsTaskContext,
): Record<string, string> | undefined {
  const t = record(task);
  const containerInstanceArn = str(t.containerInstanceArn);
  const hostId =
    containerInstanceArn === undefined ? undefined : ctx.hosts.get(containerInstanceArn);
  const host = hostId === undefined ? undefined : ctx.instances.get(hostId);

  let networkMode: string | undefined;
  let address: string | undefined;
  let subnetId: string | undefined;
  let publicIp: string | undefined;
  const eni = eniAttachment(task);
  if (eni !== undefined) {
    networkMode = 'awsvpc';
    address = attachmentDetail(eni, 'privateIPv4Address');
    subnetId = attachmentDetail(eni, 'subnetId');
    const eniId = attachmentDetail(eni, 'networkInterfaceId');
    publicIp = eniId === undefined ? undefined : ctx.eniPublicIps.get(eniId);
  } else if (containerInstanceArn !== undefined) {
    networkMode = 'bridge';
    address = host?.privateIp;
    subnetId = host?.subnetId;
    publicIp = host?.publicIp;
  }
  if (address === undefined || address === '') return undefined;

  const labels: Record<string, string> = { __address__: joinHostPort(address, ctx.port) };
  const set = (name: string, value: string | undefined): void => {
    // Empty means absent (§10).
    if (value !== undefined && value !== '') labels[`${ECS_LABEL}${name}`] = value;
  };
  const tags = (prefix: string, pairs: readonly (readonly [string, string])[]): void => {
    for (const [key, value] of pairs) set(`tag_${prefix}_${sanitizeTagName(key)}`, value);
  };
  const cluster = record(ctx.cluster);
  set('ip_address', address);
  set('region', ctx.region);
  set('launch_type', str(t.launchType));
  set('health_status', str(t.healthStatus));
  set('network_mode', networkMode);
  set('cluster_arn', str(cluster.clusterArn));
  set('cluster', str(cluster.clusterName));
  set('task_group', str(t.group));
  set('task_arn', str(t.taskArn));
  set('task_definition', str(t.taskDefinitionArn));
  set('availability_zone', str(t.availabilityZone));
  set('desired_status', str(t.desiredStatus));
  set('last_status', str(t.lastStatus));
  set('subnet_id', subnetId);
  set('container_instance_arn', containerInstanceArn);
  set('ec2_instance_id', hostId);
  set('ec2_instance_type', host?.instanceType);
  set('ec2_instance_private_ip', host?.privateIp);
  set('ec2_instance_public_ip', host?.publicIp);
  set('public_ip', publicIp);
  set('platform_family', str(t.platformFamily));
  set('platform_version', str(t.platformVersion));
  tags('cluster', keyValueTags(cluster.tags));
  const group = str(t.group);
  if (group?.startsWith('service:')) {
    const service = record(ctx.services.get(group.slice('service:'.length)));
    set('service', str(service.serviceName));
    set('service_arn', str(service.serviceArn));
    set('service_status', str(service.status));
    tags('service', keyValueTags(service.tags));
  }
  tags('task', keyValueTags(t.tags));
  if (host !== undefined) tags('ec2', host.tags);
  return labels;
}

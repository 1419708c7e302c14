/**
 * The ECS world most tests of the `ecs` role run against (aws-fixture.ts serves it), and the
 * complete label sets Prometheus's ECS role gives for it (discovery/aws/ecs.go and the cases
 * of its ecs_test.go: Fargate awsvpc, EC2 bridge, EC2 awsvpc, a standalone task, tags).
 *
 * Cluster `web`: a Fargate awsvpc task of service `api` with two containers; an EC2 bridge task
 * of service `worker` with a dynamic host port; an EC2 task in host networking mode; an EC2
 * awsvpc task; a task being stopped (its ENI already gone from EC2); a stopped task whose ENI
 * has no address any more. Cluster `batch`: one standalone Fargate task.
 */
import { arn, cluster, type EcsWorld, eni, REGION, service, tags } from './aws-fixture.js';

export const WEB = arn('cluster', 'web');
export const BATCH = arn('cluster', 'batch');
const CI1 = arn('container-instance', 'web/ci-1');
const CI2 = arn('container-instance', 'web/ci-2');
const taskArn = (c: string, id: string) => arn('task', `${c}/${id}`);
const taskDef = (family: string) => arn('task-definition', `${family}:3`);
const container = (name: string, extra: Record<string, unknown> = {}) => ({
  containerArn: arn('container', `web/${name}`),
  name,
  lastStatus: 'RUNNING',
  ...extra,
});

export function ecsWorld(): EcsWorld {
  return {
    clusters: [cluster('web', { Environment: 'prod', 'team:owner': 'platform' }), cluster('batch')],
    services: {
      [WEB]: [service('web', 'api', { App: 'api' }), service('web', 'worker')],
    },
    tasks: {
      [WEB]: [
        {
          taskArn: taskArn('web', 'fargate-1'),
          clusterArn: WEB,
          taskDefinitionArn: taskDef('api'),
          group: 'service:api',
          launchType: 'FARGATE',
          lastStatus: 'RUNNING',
          desiredStatus: 'RUNNING',
          healthStatus: 'HEALTHY',
          availabilityZone: 'us-east-1a',
          platformFamily: 'Linux',
          platformVersion: '1.4.0',
          attachments: [
            eni({
              subnetId: 'subnet-a',
              networkInterfaceId: 'eni-fargate-1',
              macAddress: '0a:00:00:00:00:01',
              privateIPv4Address: '10.0.1.10',
            }),
          ],
          containers: [container('app'), container('log-router')],
          tags: tags({ Version: '1.2', 'metrics-port': '9102' }),
        },
        {
          taskArn: taskArn('web', 'bridge-1'),
          clusterArn: WEB,
          taskDefinitionArn: taskDef('worker'),
          group: 'service:worker',
          launchType: 'EC2',
          lastStatus: 'RUNNING',
          desiredStatus: 'RUNNING',
          healthStatus: 'UNHEALTHY',
          availabilityZone: 'us-east-1b',
          containerInstanceArn: CI1,
          attachments: [],
          containers: [
            container('worker', {
              networkBindings: [
                { bindIP: '0.0.0.0', containerPort: 8080, hostPort: 32768, protocol: 'tcp' },
              ],
            }),
          ],
        },
        {
          taskArn: taskArn('web', 'host-1'),
          clusterArn: WEB,
          taskDefinitionArn: taskDef('node-exporter'),
          group: 'family:node-exporter',
          launchType: 'EC2',
          lastStatus: 'RUNNING',
          desiredStatus: 'RUNNING',
          healthStatus: 'UNKNOWN',
          availabilityZone: 'us-east-1c',
          containerInstanceArn: CI2,
          containers: [
            container('node-exporter', {
              networkBindings: [{ containerPort: 9100, hostPort: 9100, protocol: 'tcp' }],
            }),
          ],
        },
        {
          taskArn: taskArn('web', 'ec2-awsvpc-1'),
          clusterArn: WEB,
          taskDefinitionArn: taskDef('api'),
          group: 'service:api',
          launchType: 'EC2',
          lastStatus: 'RUNNING',
          desiredStatus: 'RUNNING',
          healthStatus: 'HEALTHY',
          availabilityZone: 'us-east-1b',
          containerInstanceArn: CI1,
          attachments: [
            eni({
              subnetId: 'subnet-d',
              networkInterfaceId: 'eni-ec2-1',
              privateIPv4Address: '10.0.4.40',
            }),
          ],
          containers: [container('app')],
        },
        {
          taskArn: taskArn('web', 'stopping-1'),
          clusterArn: WEB,
          taskDefinitionArn: taskDef('api'),
          group: 'service:api',
          launchType: 'FARGATE',
          lastStatus: 'DEACTIVATING',
          desiredStatus: 'STOPPED',
          healthStatus: 'UNKNOWN',
          availabilityZone: 'us-east-1a',
          stopCode: 'ServiceSchedulerInitiated',
          attachments: [
            eni({
              subnetId: 'subnet-a',
              networkInterfaceId: 'eni-deleted',
              privateIPv4Address: '10.0.1.50',
            }),
          ],
          containers: [container('app', { lastStatus: 'STOPPED', exitCode: 0 })],
        },
        {
          taskArn: taskArn('web', 'stopped-1'),
          clusterArn: WEB,
          taskDefinitionArn: taskDef('api'),
          group: 'service:api',
          launchType: 'FARGATE',
          lastStatus: 'STOPPED',
          desiredStatus: 'STOPPED',
          healthStatus: 'UNKNOWN',
          attachments: [{ ...eni({ subnetId: 'subnet-a' }), status: 'DELETED' }],
          containers: [container('app', { lastStatus: 'STOPPED', exitCode: 137 })],
        },
      ],
      [BATCH]: [
        {
          taskArn: taskArn('batch', 'job-1'),
          clusterArn: BATCH,
          taskDefinitionArn: taskDef('job'),
          group: 'family:job',
          launchType: 'FARGATE',
          lastStatus: 'RUNNING',
          desiredStatus: 'RUNNING',
          healthStatus: 'UNKNOWN',
          availabilityZone: 'us-east-1c',
          platformFamily: 'Linux',
          platformVersion: '1.4.0',
          attachments: [
            eni({
              subnetId: 'subnet-z',
              networkInterfaceId: 'eni-batch-1',
              privateIPv4Address: '10.9.0.1',
            }),
          ],
          tags: tags({ Role: 'batch' }),
        },
      ],
    },
    containerInstances: {
      [WEB]: [
        { containerInstanceArn: CI1, ec2InstanceId: 'i-host1', status: 'ACTIVE' },
        { containerInstanceArn: CI2, ec2InstanceId: 'i-host2', status: 'ACTIVE' },
      ],
    },
    instances: [
      {
        id: 'i-host1',
        privateIp: '10.0.2.20',
        publicIp: '54.2.2.2',
        subnetId: 'subnet-b',
        type: 'm5.large',
        tags: { Name: 'ecs-host-1', 'aws:autoscaling:groupName': 'web-asg' },
      },
      { id: 'i-host2', privateIp: '10.0.3.30', subnetId: 'subnet-c', type: 't3.small' },
    ],
    enis: { 'eni-fargate-1': '52.1.1.1', 'eni-ec2-1': undefined, 'eni-batch-1': undefined },
  };
}

const region = { __meta_ecs_region: REGION };
const webCluster = {
  __meta_ecs_cluster: 'web',
  __meta_ecs_cluster_arn: WEB,
  __meta_ecs_tag_cluster_Environment: 'prod',
  __meta_ecs_tag_cluster_team_owner: 'platform',
};
const apiService = {
  __meta_ecs_service: 'api',
  __meta_ecs_service_arn: arn('service', 'web/api'),
  __meta_ecs_service_status: 'ACTIVE',
  __meta_ecs_tag_service_App: 'api',
};
const host1 = {
  __meta_ecs_container_instance_arn: CI1,
  __meta_ecs_ec2_instance_id: 'i-host1',
  __meta_ecs_ec2_instance_type: 'm5.large',
  __meta_ecs_ec2_instance_private_ip: '10.0.2.20',
  __meta_ecs_ec2_instance_public_ip: '54.2.2.2',
  __meta_ecs_tag_ec2_Name: 'ecs-host-1',
  __meta_ecs_tag_ec2_aws_autoscaling_groupName: 'web-asg',
};

/** The targets of {@link ecsWorld} with port `port`, in cluster and task order. */
export function expectedTargets(port: number): Record<string, string>[] {
  return [
    {
      ...region,
      __address__: `10.0.1.10:${port}`,
      ...webCluster,
      ...apiService,
      __meta_ecs_task_group: 'service:api',
      __meta_ecs_task_arn: taskArn('web', 'fargate-1'),
      __meta_ecs_task_definition: taskDef('api'),
      __meta_ecs_availability_zone: 'us-east-1a',
      __meta_ecs_subnet_id: 'subnet-a',
      __meta_ecs_ip_address: '10.0.1.10',
      __meta_ecs_launch_type: 'FARGATE',
      __meta_ecs_desired_status: 'RUNNING',
      __meta_ecs_last_status: 'RUNNING',
      __meta_ecs_health_status: 'HEALTHY',
      __meta_ecs_platform_family: 'Linux',
      __meta_ecs_platform_version: '1.4.0',
      __meta_ecs_network_mode: 'awsvpc',
      __meta_ecs_public_ip: '52.1.1.1',
      __meta_ecs_tag_task_Version: '1.2',
      __meta_ecs_tag_task_metrics_port: '9102',
    },
    {
      // Bridge: the host's address and the configured port; the host port is not read.
      ...region,
      __address__: `10.0.2.20:${port}`,
      ...webCluster,
      __meta_ecs_service: 'worker',
      __meta_ecs_service_arn: arn('service', 'web/worker'),
      __meta_ecs_service_status: 'ACTIVE',
      __meta_ecs_task_group: 'service:worker',
      __meta_ecs_task_arn: taskArn('web', 'bridge-1'),
      __meta_ecs_task_definition: taskDef('worker'),
      __meta_ecs_availability_zone: 'us-east-1b',
      __meta_ecs_subnet_id: 'subnet-b',
      __meta_ecs_ip_address: '10.0.2.20',
      __meta_ecs_launch_type: 'EC2',
      __meta_ecs_desired_status: 'RUNNING',
      __meta_ecs_last_status: 'RUNNING',
      __meta_ecs_health_status: 'UNHEALTHY',
      __meta_ecs_network_mode: 'bridge',
      __meta_ecs_public_ip: '54.2.2.2',
      ...host1,
    },
    {
      // Host networking reads as bridge, as in Prometheus; no public IP on this host.
      ...region,
      __address__: `10.0.3.30:${port}`,
      ...webCluster,
      __meta_ecs_task_group: 'family:node-exporter',
      __meta_ecs_task_arn: taskArn('web', 'host-1'),
      __meta_ecs_task_definition: taskDef('node-exporter'),
      __meta_ecs_availability_zone: 'us-east-1c',
      __meta_ecs_subnet_id: 'subnet-c',
      __meta_ecs_ip_address: '10.0.3.30',
      __meta_ecs_launch_type: 'EC2',
      __meta_ecs_desired_status: 'RUNNING',
      __meta_ecs_last_status: 'RUNNING',
      __meta_ecs_health_status: 'UNKNOWN',
      __meta_ecs_network_mode: 'bridge',
      __meta_ecs_container_instance_arn: CI2,
      __meta_ecs_ec2_instance_id: 'i-host2',
      __meta_ecs_ec2_instance_type: 't3.small',
      __meta_ecs_ec2_instance_private_ip: '10.0.3.30',
    },
    {
      // awsvpc on EC2: the ENI's address and subnet, the host's type and IPs; the ENI has no
      // public IP, so none (the host's is not used).
      ...region,
      __address__: `10.0.4.40:${port}`,
      ...webCluster,
      ...apiService,
      __meta_ecs_task_group: 'service:api',
      __meta_ecs_task_arn: taskArn('web', 'ec2-awsvpc-1'),
      __meta_ecs_task_definition: taskDef('api'),
      __meta_ecs_availability_zone: 'us-east-1b',
      __meta_ecs_subnet_id: 'subnet-d',
      __meta_ecs_ip_address: '10.0.4.40',
      __meta_ecs_launch_type: 'EC2',
      __meta_ecs_desired_status: 'RUNNING',
      __meta_ecs_last_status: 'RUNNING',
      __meta_ecs_health_status: 'HEALTHY',
      __meta_ecs_network_mode: 'awsvpc',
      ...host1,
    },
    {
      // Being stopped: still listed with its address; its ENI is gone from EC2.
      ...region,
      __address__: `10.0.1.50:${port}`,
      ...webCluster,
      ...apiService,
      __meta_ecs_task_group: 'service:api',
      __meta_ecs_task_arn: taskArn('web', 'stopping-1'),
      __meta_ecs_task_definition: taskDef('api'),
      __meta_ecs_availability_zone: 'us-east-1a',
      __meta_ecs_subnet_id: 'subnet-a',
      __meta_ecs_ip_address: '10.0.1.50',
      __meta_ecs_launch_type: 'FARGATE',
      __meta_ecs_desired_status: 'STOPPED',
      __meta_ecs_last_status: 'DEACTIVATING',
      __meta_ecs_health_status: 'UNKNOWN',
      __meta_ecs_network_mode: 'awsvpc',
    },
    // stopped-1 has no address: no target.
    {
      ...region,
      __address__: `10.9.0.1:${port}`,
      __meta_ecs_cluster: 'batch',
      __meta_ecs_cluster_arn: BATCH,
      __meta_ecs_task_group: 'family:job',
      __meta_ecs_task_arn: taskArn('batch', 'job-1'),
      __meta_ecs_task_definition: taskDef('job'),
      __meta_ecs_availability_zone: 'us-east-1c',
      __meta_ecs_subnet_id: 'subnet-z',
      __meta_ecs_ip_address: '10.9.0.1',
      __meta_ecs_launch_type: 'FARGATE',
      __meta_ecs_desired_status: 'RUNNING',
      __meta_ecs_last_status: 'RUNNING',
      __meta_ecs_health_status: 'UNKNOWN',
      __meta_ecs_platform_family: 'Linux',
      __meta_ecs_platform_version: '1.4.0',
      __meta_ecs_network_mode: 'awsvpc',
      __meta_ecs_tag_task_Role: 'batch',
    },
  ];
}

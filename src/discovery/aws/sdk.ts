/**
 * The parts of `@aws-sdk/client-ecs` and `@aws-sdk/client-ec2` ECS discovery uses, imported by
 * name so a bundler keeps only these. The discoverer loads this module on its first refresh
 * (`clients.ts`), so a process that never runs an `ecs` role never loads the ECS client.
 */
export {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
export {
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';

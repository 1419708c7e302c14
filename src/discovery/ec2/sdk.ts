/**
 * The parts of `@aws-sdk/client-ec2` EC2 discovery uses, imported by name so a bundler keeps
 * only these. The discoverer loads this module on its first refresh (`discoverer.ts`).
 */
export {
  DescribeAvailabilityZonesCommand,
  DescribeInstancesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';

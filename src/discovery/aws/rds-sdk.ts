/**
 * The parts of `@aws-sdk/client-rds` RDS discovery uses, imported by name so a bundler keeps
 * only these; loaded on the first refresh of an `rds` entry (`rds.ts`).
 */
export {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';

/**
 * The parts of `@aws-sdk/client-kafka` MSK discovery uses, imported by name so a bundler keeps
 * only these; loaded on the first refresh of an `msk` entry (`msk.ts`).
 */
export {
  DescribeClusterV2Command,
  KafkaClient,
  ListClustersV2Command,
  ListNodesCommand,
} from '@aws-sdk/client-kafka';

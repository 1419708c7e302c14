/**
 * The parts of `@aws-sdk/client-elasticache` ElastiCache discovery uses, imported by name so a
 * bundler keeps only these; loaded on the first refresh of an `elasticache` entry
 * (`elasticache.ts`).
 */
export {
  DescribeCacheClustersCommand,
  DescribeServerlessCachesCommand,
  ElastiCacheClient,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-elasticache';

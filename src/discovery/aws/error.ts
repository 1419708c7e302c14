/** Errors of AWS discovery (aws_sd_configs). Messages never contain the secret key. */

export const AwsSdErrorCode = {
  /** Listing or describing the clusters failed: the whole refresh failed. */
  ecsClusters: 'AWS_SD_ECS_CLUSTERS_FAILED',
  /** One cluster's tasks, services, hosts or interfaces could not be read; it kept its targets. */
  ecsCluster: 'AWS_SD_ECS_CLUSTER_FAILED',
  /** GetInstances failed: the whole refresh failed. */
  lightsail: 'AWS_SD_LIGHTSAIL_FAILED',
  /** Listing or describing the MSK clusters or their nodes failed: the whole refresh failed. */
  msk: 'AWS_SD_MSK_FAILED',
  /** Describing the RDS clusters or their instances failed: the whole refresh failed. */
  rds: 'AWS_SD_RDS_FAILED',
  /** Describing the ElastiCache caches or listing their tags failed: the whole refresh failed. */
  elasticache: 'AWS_SD_ELASTICACHE_FAILED',
} as const;
export type AwsSdErrorCode = (typeof AwsSdErrorCode)[keyof typeof AwsSdErrorCode];

export class AwsSdError extends Error {
  override readonly name = 'AwsSdError';
  constructor(
    readonly code: AwsSdErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A small ElastiCache world for the elasticache role's tests, in the SDK's shape (aws-fixture.ts
 * writes it out as ElastiCache's Query API XML): a serverless cache with every field; a Redis
 * cluster in a replication group (one node) with tags, log delivery, pending changes and
 * security groups; a Memcached cluster in no replication group with two nodes, the second
 * without an endpoint.
 */
import { ACCOUNT as A, type Json, REGION } from './aws-fixture.js';

export { A };
export const T0 = new Date('2026-01-02T03:04:05Z');
export const SERVERLESS = `arn:aws:elasticache:${REGION}:${A}:serverlesscache:sessions`;
export const REDIS = `arn:aws:elasticache:${REGION}:${A}:cluster:redis-rg-001`;
export const MEMCACHED = `arn:aws:elasticache:${REGION}:${A}:cluster:memcached-1`;

export const SERVERLESS_CACHES: Json[] = [
  {
    ServerlessCacheName: 'sessions',
    Description: 'user sessions',
    CreateTime: T0,
    Status: 'available',
    Engine: 'valkey',
    MajorEngineVersion: '8',
    FullEngineVersion: '8.0',
    CacheUsageLimits: {
      DataStorage: { Maximum: 10, Minimum: 1, Unit: 'GB' },
      ECPUPerSecond: { Maximum: 5000, Minimum: 1000 },
    },
    KmsKeyId: 'kms-1',
    SecurityGroupIds: ['sg-1', 'sg-2'],
    Endpoint: { Address: 'sessions-abc.serverless.use1.cache.amazonaws.com', Port: 6379 },
    ReaderEndpoint: { Address: 'sessions-abc.serverless.use1.cache.amazonaws.com', Port: 6380 },
    ARN: SERVERLESS,
    UserGroupId: 'users-1',
    SubnetIds: ['subnet-a', 'subnet-b'],
    SnapshotRetentionLimit: 3,
    DailySnapshotTime: '05:00',
  },
];

export const CACHE_CLUSTERS: Json[] = [
  {
    CacheClusterId: 'redis-rg-001',
    ClientDownloadLandingPage: 'https://console.aws.amazon.com/elasticache/home#client-download:',
    CacheNodeType: 'cache.r7g.large',
    Engine: 'redis',
    EngineVersion: '7.1.0',
    CacheClusterStatus: 'available',
    NumCacheNodes: 1,
    PreferredAvailabilityZone: 'us-east-1a',
    CacheClusterCreateTime: T0,
    PreferredMaintenanceWindow: 'sun:05:00-sun:06:00',
    PendingModifiedValues: {
      NumCacheNodes: 2,
      CacheNodeIdsToRemove: ['0002', '0003'],
      EngineVersion: '7.2.0',
      CacheNodeType: 'cache.r7g.xlarge',
      AuthTokenStatus: 'ROTATING',
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
    },
    NotificationConfiguration: {
      TopicArn: `arn:aws:sns:${REGION}:${A}:cache`,
      TopicStatus: 'active',
    },
    CacheParameterGroup: {
      CacheParameterGroupName: 'default.redis7',
      ParameterApplyStatus: 'in-sync',
    },
    CacheSubnetGroupName: 'cache-subnets',
    CacheNodes: [
      {
        CacheNodeId: '0001',
        CacheNodeStatus: 'available',
        CacheNodeCreateTime: T0,
        Endpoint: { Address: 'redis-rg-001.abc.0001.use1.cache.amazonaws.com', Port: 6379 },
        ParameterGroupStatus: 'in-sync',
        CustomerAvailabilityZone: 'us-east-1a',
      },
    ],
    AutoMinorVersionUpgrade: true,
    SecurityGroups: [{ SecurityGroupId: 'sg-9', Status: 'active' }],
    ReplicationGroupId: 'redis-rg',
    SnapshotRetentionLimit: 0,
    SnapshotWindow: '03:00-04:00',
    AuthTokenEnabled: true,
    AuthTokenLastModifiedDate: T0,
    TransitEncryptionEnabled: false,
    AtRestEncryptionEnabled: true,
    ARN: REDIS,
    ReplicationGroupLogDeliveryEnabled: true,
    LogDeliveryConfigurations: [
      {
        LogType: 'slow-log',
        DestinationType: 'cloudwatch-logs',
        DestinationDetails: { CloudWatchLogsDetails: { LogGroup: 'redis-slow' } },
        LogFormat: 'json',
        Status: 'active',
      },
      {
        LogType: 'engine-log',
        DestinationType: 'kinesis-firehose',
        DestinationDetails: { KinesisFirehoseDetails: { DeliveryStream: 'redis-engine' } },
        LogFormat: 'text',
        Status: 'error',
        Message: 'no access',
      },
    ],
    NetworkType: 'ipv4',
    IpDiscovery: 'ipv4',
    TransitEncryptionMode: 'preferred',
  },
  {
    CacheClusterId: 'memcached-1',
    ConfigurationEndpoint: { Address: 'memcached-1.abc.cfg.use1.cache.amazonaws.com', Port: 11211 },
    CacheNodeType: 'cache.t4g.micro',
    Engine: 'memcached',
    EngineVersion: '1.6.22',
    CacheClusterStatus: 'available',
    NumCacheNodes: 2,
    CacheNodes: [
      {
        CacheNodeId: '0001',
        CacheNodeStatus: 'available',
        Endpoint: { Address: 'memcached-1.abc.0001.use1.cache.amazonaws.com', Port: 11211 },
        CustomerAvailabilityZone: 'us-east-1b',
      },
      { CacheNodeId: '0002', CacheNodeStatus: 'creating' },
    ],
    ARN: MEMCACHED,
  },
];

export const TAGS: Record<string, Json[]> = {
  [SERVERLESS]: [
    { Key: 'Env', Value: 'prod' },
    { Key: 'team:owner', Value: 'web' },
  ],
  [REDIS]: [{ Key: 'Env', Value: 'prod' }],
  [MEMCACHED]: [
    { Key: 'Env', Value: 'dev' },
    { Key: 'empty', Value: '' },
  ],
};

/**
 * A small RDS world for the fixture (aws-fixture.ts, `world.rds`): two Aurora clusters, one
 * tagged with a writer and a reader, one still creating with an instance without an endpoint,
 * and an instance outside every cluster.
 */
import { type Json, REGION } from './aws-fixture.js';

export const A = '123456789012';
export const PROD = `arn:aws:rds:${REGION}:${A}:cluster:aurora-prod`;
export const DEV = `arn:aws:rds:${REGION}:${A}:cluster:aurora-dev`;
export const T0 = new Date('2026-01-02T03:04:05.678Z');

export const RDS_CLUSTERS: Json[] = [
  {
    DBClusterArn: PROD,
    DBClusterIdentifier: 'aurora-prod',
    AllocatedStorage: 1,
    AvailabilityZones: ['us-east-1a', 'us-east-1b'],
    BackupRetentionPeriod: 7,
    ClusterCreateTime: T0,
    CopyTagsToSnapshot: true,
    CrossAccountClone: false,
    DBClusterParameterGroup: 'default.aurora-postgresql15',
    DBSubnetGroup: 'db-subnets',
    DbClusterResourceId: 'cluster-ABCDEF',
    DeletionProtection: true,
    Endpoint: 'aurora-prod.cluster-abc.us-east-1.rds.amazonaws.com',
    ReaderEndpoint: 'aurora-prod.cluster-ro-abc.us-east-1.rds.amazonaws.com',
    Engine: 'aurora-postgresql',
    EngineMode: 'provisioned',
    EngineVersion: '15.4',
    HostedZoneId: 'Z2R2ITUGPM61AM',
    HttpEndpointEnabled: false,
    IAMDatabaseAuthenticationEnabled: false,
    MasterUsername: 'postgres',
    MultiAZ: true,
    NetworkType: 'IPV4',
    Port: 5432,
    PreferredBackupWindow: '07:00-07:30',
    PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
    Status: 'available',
    StorageEncrypted: true,
    StorageType: 'aurora',
    DBClusterMembers: [
      { DBInstanceIdentifier: 'prod-1', IsClusterWriter: true, PromotionTier: 1 },
      { DBInstanceIdentifier: 'prod-2', IsClusterWriter: false, PromotionTier: 1 },
    ],
    TagList: [
      { Key: 'Env', Value: 'prod' },
      { Key: 'team:owner', Value: 'data' },
    ],
  },
  {
    DBClusterArn: DEV,
    DBClusterIdentifier: 'aurora-dev',
    Engine: 'aurora-mysql',
    EngineVersion: '8.0.mysql_aurora.3.05.2',
    Status: 'creating',
    Port: 3306,
    DBClusterMembers: [{ DBInstanceIdentifier: 'dev-1', IsClusterWriter: true }],
  },
];

export const instance = (id: string, cluster: string, extra: Json = {}): Json => ({
  DBInstanceIdentifier: id,
  DBInstanceArn: `arn:aws:rds:${REGION}:${A}:db:${id}`,
  DBClusterIdentifier: cluster,
  DBInstanceClass: 'db.r6g.large',
  Engine: cluster === 'aurora-prod' ? 'aurora-postgresql' : 'aurora-mysql',
  ...extra,
});

export const RDS_INSTANCES: Json[] = [
  instance('prod-1', 'aurora-prod', {
    DBInstanceStatus: 'available',
    Endpoint: {
      Address: 'prod-1.abc.us-east-1.rds.amazonaws.com',
      Port: 5432,
      HostedZoneId: 'Z2R2ITUGPM61AM',
    },
    AvailabilityZone: 'us-east-1a',
    AutoMinorVersionUpgrade: true,
    DbInstancePort: 0,
    DbiResourceId: 'db-PROD1',
    InstanceCreateTime: T0,
    MonitoringInterval: 60,
    PerformanceInsightsEnabled: true,
    PerformanceInsightsRetentionPeriod: 7,
    PromotionTier: 1,
    PubliclyAccessible: false,
    StorageEncrypted: true,
    DBSubnetGroup: { DBSubnetGroupName: 'db-subnets', VpcId: 'vpc-1' },
    TagList: [
      { Key: 'Env', Value: 'prod' },
      { Key: 'scrape', Value: 'yes' },
    ],
  }),
  instance('prod-2', 'aurora-prod', {
    DBInstanceStatus: 'available',
    Endpoint: { Address: 'prod-2.abc.us-east-1.rds.amazonaws.com', Port: 5432 },
    AvailabilityZone: 'us-east-1b',
  }),
  // Not yet reachable: no endpoint, so no address.
  instance('dev-1', 'aurora-dev', { DBInstanceStatus: 'creating' }),
  // Outside every cluster: Prometheus's RDS role does not discover it.
  { DBInstanceIdentifier: 'standalone', Engine: 'postgres', DBInstanceStatus: 'available' },
];

/**
 * aws_sd_configs `role: rds` with the real RDS SDK client against a local server speaking its
 * Query (XML) protocol (aws-fixture.ts): complete label sets (Prometheus's discovery/aws/rds.go)
 * for cluster instances with tags, writers and readers, the address rule (endpoint address with
 * the configured port, none without an endpoint), configured clusters, filters, Marker paging,
 * throttling, failures, and the label builder fuzzed.
 */
import { RDSClient } from '@aws-sdk/client-rds';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rfc3339 } from '../../src/discovery/aws/field-labels.js';
import { type AwsSdConfig, type AwsSdError, awsMechanism } from '../../src/discovery/aws/index.js';
import { RdsDiscoverer } from '../../src/discovery/aws/rds.js';
import {
  RDS_LABEL,
  rdsClusterLabels,
  rdsInstanceTarget,
  rdsWriters,
} from '../../src/discovery/aws/rds-target.js';
import { type DiscoveryMechanism, JobDiscovery } from '../../src/discovery/registry.js';
import { fuzzParams } from '../support/fuzz.js';
import { AwsFixture, REGION } from './aws-fixture.js';
import { A, DEV, PROD, RDS_CLUSTERS, RDS_INSTANCES, T0 } from './aws-rds-world.js';
import { anyJson, expectBounded, oddString } from './fuzz-inputs.js';
import { parseEntry, sdJob } from './sd-config.js';

const fixture = new AwsFixture();
beforeAll(() => fixture.start());
afterAll(() => fixture.stop());

const prodCluster = {
  __meta_rds_cluster_arn: PROD,
  __meta_rds_cluster_identifier: 'aurora-prod',
  __meta_rds_cluster_allocated_storage: '1',
  __meta_rds_cluster_backup_retention_period: '7',
  __meta_rds_cluster_cluster_create_time: '2026-01-02T03:04:05Z',
  __meta_rds_cluster_copy_tags_to_snapshot: 'true',
  __meta_rds_cluster_cross_account_clone: 'false',
  __meta_rds_cluster_parameter_group: 'default.aurora-postgresql15',
  __meta_rds_cluster_subnet_group: 'db-subnets',
  __meta_rds_cluster_resource_id: 'cluster-ABCDEF',
  __meta_rds_cluster_deletion_protection: 'true',
  __meta_rds_cluster_endpoint: 'aurora-prod.cluster-abc.us-east-1.rds.amazonaws.com',
  __meta_rds_cluster_reader_endpoint: 'aurora-prod.cluster-ro-abc.us-east-1.rds.amazonaws.com',
  __meta_rds_cluster_engine: 'aurora-postgresql',
  __meta_rds_cluster_engine_mode: 'provisioned',
  __meta_rds_cluster_engine_version: '15.4',
  __meta_rds_cluster_hosted_zone_id: 'Z2R2ITUGPM61AM',
  __meta_rds_cluster_http_endpoint_enabled: 'false',
  __meta_rds_cluster_iam_database_authentication_enabled: 'false',
  __meta_rds_cluster_master_username: 'postgres',
  __meta_rds_cluster_multi_az: 'true',
  __meta_rds_cluster_network_type: 'IPV4',
  __meta_rds_cluster_port: '5432',
  __meta_rds_cluster_preferred_backup_window: '07:00-07:30',
  __meta_rds_cluster_preferred_maintenance_window: 'sun:05:00-sun:05:30',
  __meta_rds_cluster_status: 'available',
  __meta_rds_cluster_storage_encrypted: 'true',
  __meta_rds_cluster_storage_type: 'aurora',
  __meta_rds_cluster_tag_Env: 'prod',
  __meta_rds_cluster_tag_team_owner: 'data',
};

const EXPECTED = (port: number) => [
  {
    ...prodCluster,
    __address__: `prod-1.abc.us-east-1.rds.amazonaws.com:${port}`,
    __meta_rds_instance_arn: `arn:aws:rds:${REGION}:${A}:db:prod-1`,
    __meta_rds_instance_identifier: 'prod-1',
    __meta_rds_instance_is_cluster_writer: 'true',
    __meta_rds_instance_db_cluster_identifier: 'aurora-prod',
    __meta_rds_instance_class: 'db.r6g.large',
    __meta_rds_instance_engine: 'aurora-postgresql',
    __meta_rds_instance_status: 'available',
    __meta_rds_instance_endpoint_address: 'prod-1.abc.us-east-1.rds.amazonaws.com',
    __meta_rds_instance_endpoint_port: '5432',
    __meta_rds_instance_endpoint_hosted_zone_id: 'Z2R2ITUGPM61AM',
    __meta_rds_instance_availability_zone: 'us-east-1a',
    __meta_rds_instance_auto_minor_version_upgrade: 'true',
    __meta_rds_instance_port: '0',
    __meta_rds_instance_resource_id: 'db-PROD1',
    __meta_rds_instance_instance_create_time: '2026-01-02T03:04:05Z',
    __meta_rds_instance_monitoring_interval: '60',
    __meta_rds_instance_performance_insights_enabled: 'true',
    __meta_rds_instance_performance_insights_retention_period: '7',
    __meta_rds_instance_promotion_tier: '1',
    __meta_rds_instance_publicly_accessible: 'false',
    __meta_rds_instance_storage_encrypted: 'true',
    __meta_rds_instance_subnet_group: 'db-subnets',
    __meta_rds_instance_tag_Env: 'prod',
    __meta_rds_instance_tag_scrape: 'yes',
  },
  {
    ...prodCluster,
    __address__: `prod-2.abc.us-east-1.rds.amazonaws.com:${port}`,
    __meta_rds_instance_arn: `arn:aws:rds:${REGION}:${A}:db:prod-2`,
    __meta_rds_instance_identifier: 'prod-2',
    __meta_rds_instance_is_cluster_writer: 'false',
    __meta_rds_instance_db_cluster_identifier: 'aurora-prod',
    __meta_rds_instance_class: 'db.r6g.large',
    __meta_rds_instance_engine: 'aurora-postgresql',
    __meta_rds_instance_status: 'available',
    __meta_rds_instance_endpoint_address: 'prod-2.abc.us-east-1.rds.amazonaws.com',
    __meta_rds_instance_endpoint_port: '5432',
    __meta_rds_instance_availability_zone: 'us-east-1b',
  },
  {
    __meta_rds_cluster_arn: DEV,
    __meta_rds_cluster_identifier: 'aurora-dev',
    __meta_rds_cluster_engine: 'aurora-mysql',
    __meta_rds_cluster_engine_version: '8.0.mysql_aurora.3.05.2',
    __meta_rds_cluster_status: 'creating',
    __meta_rds_cluster_port: '3306',
    __meta_rds_instance_arn: `arn:aws:rds:${REGION}:${A}:db:dev-1`,
    __meta_rds_instance_identifier: 'dev-1',
    __meta_rds_instance_is_cluster_writer: 'true',
    __meta_rds_instance_db_cluster_identifier: 'aurora-dev',
    __meta_rds_instance_class: 'db.r6g.large',
    __meta_rds_instance_engine: 'aurora-mysql',
    __meta_rds_instance_status: 'creating',
  },
];

const rawConfig = (extra: Record<string, unknown> = {}) =>
  fixture.entry({ role: 'rds', port: 9187, ...extra });
const config = (extra: Record<string, unknown> = {}) =>
  (parseEntry(awsMechanism, rawConfig(extra)) as Extract<AwsSdConfig, { role: 'rds' }>).rds;
const noRetry = { createClient: (o: object) => new RDSClient({ ...o, maxAttempts: 1 }) };

beforeEach(() => {
  fixture.reset();
  fixture.world.rds = { clusters: RDS_CLUSTERS, instances: RDS_INSTANCES };
});

describe('RdsDiscoverer against a local RDS Query API', () => {
  it('gives one group, source = region, a target per cluster instance', async () => {
    const { groups, errors } = await new RdsDiscoverer(config(), noRetry).refresh();
    expect(errors).toEqual([]);
    expect(groups).toEqual([{ source: REGION, labels: {}, targets: EXPECTED(9187) }]);
    groups[0]!.targets.forEach((t, i) => {
      expect(Object.keys(t).sort()).toEqual(Object.keys(EXPECTED(9187)[i]!).sort());
    });
    expect(fixture.calls('DescribeDBClusters').map((r) => r.body)).toEqual([
      { Action: 'DescribeDBClusters', Version: '2014-10-31', MaxRecords: '100' },
    ]);
    expect(fixture.calls('DescribeDBInstances').map((r) => r.body)).toEqual(
      [PROD, DEV].map((arn) => ({
        Action: 'DescribeDBInstances',
        Version: '2014-10-31',
        MaxRecords: '100',
        'Filters.Filter.1.Name': 'db-cluster-id',
        'Filters.Filter.1.Values.Value.1': arn,
      })),
    );
    expect(fixture.requests[0]!.service).toBe('rds');
    expect(fixture.requests[0]!.authorization).toMatch(
      new RegExp(`Credential=AKIDTESTKEY/\\d{8}/${REGION}/rds/aws4_request,`),
    );
  });

  it('uses port 80 by default; the endpoint port is a label only', async () => {
    const { port: _port, ...noPort } = rawConfig();
    const c = (parseEntry(awsMechanism, noPort) as Extract<AwsSdConfig, { role: 'rds' }>).rds;
    const { groups } = await new RdsDiscoverer(c, noRetry).refresh();
    expect(groups[0]!.targets.map((t) => t.__address__)).toEqual([
      'prod-1.abc.us-east-1.rds.amazonaws.com:80',
      'prod-2.abc.us-east-1.rds.amazonaws.com:80',
      undefined,
    ]);
  });

  it('describes the configured clusters by identifier or ARN, once each', async () => {
    const d = new RdsDiscoverer(config({ clusters: ['aurora-dev', PROD, 'aurora-dev'] }), noRetry);
    const { groups } = await d.refresh();
    expect(groups[0]!.targets).toEqual([EXPECTED(9187)[2], ...EXPECTED(9187).slice(0, 2)]);
    expect(fixture.calls('DescribeDBClusters').map((r) => r.body.DBClusterIdentifier)).toEqual([
      'aurora-dev',
      PROD,
    ]);
  });

  it('a configured cluster that does not exist fails the refresh', async () => {
    const d = new RdsDiscoverer(config({ clusters: ['gone'] }), noRetry);
    await expect(d.refresh()).rejects.toThrow(
      `cannot discover RDS instances in region ${REGION}: DBClusterNotFoundFault: DBCluster gone not found.`,
    );
  });

  it('adds the configured filters to DescribeDBInstances', async () => {
    const d = new RdsDiscoverer(
      config({ filters: [{ name: 'engine', values: ['aurora-mysql'] }] }),
      noRetry,
    );
    const { groups } = await d.refresh();
    expect(groups[0]!.targets).toEqual([EXPECTED(9187)[2]]);
    expect(fixture.calls('DescribeDBInstances')[0]!.body).toMatchObject({
      'Filters.Filter.1.Name': 'db-cluster-id',
      'Filters.Filter.2.Name': 'engine',
      'Filters.Filter.2.Values.Value.1': 'aurora-mysql',
    });
  });

  it('pages DescribeDBClusters and DescribeDBInstances by Marker', async () => {
    fixture.world.pageSize = 1;
    const { groups } = await new RdsDiscoverer(config(), noRetry).refresh();
    expect(groups[0]!.targets).toEqual(EXPECTED(9187));
    expect(fixture.calls('DescribeDBClusters').map((r) => r.body.Marker ?? null)).toEqual([
      null,
      '1',
    ]);
    expect(
      fixture
        .calls('DescribeDBInstances')
        .filter((r) => r.body['Filters.Filter.1.Values.Value.1'] === PROD)
        .map((r) => r.body.Marker ?? null),
    ).toEqual([null, '1']);
  });

  it('refuses a Marker the API repeats', async () => {
    fixture.raw.set('DescribeDBClusters', {
      status: 200,
      body: `<DescribeDBClustersResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBClustersResult><DBClusters/><Marker>same</Marker></DescribeDBClustersResult></DescribeDBClustersResponse>`,
    });
    await expect(new RdsDiscoverer(config(), noRetry).refresh()).rejects.toThrow(
      'DescribeDBClusters repeated page marker',
    );
  });

  it('reads wrongly typed fields as absent', async () => {
    fixture.raw.set('DescribeDBClusters', {
      status: 200,
      body: `<DescribeDBClustersResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBClustersResult><DBClusters><DBCluster><DBClusterArn>${PROD}</DBClusterArn><Port>not-a-number</Port></DBCluster></DBClusters></DescribeDBClustersResult></DescribeDBClustersResponse>`,
    });
    // The SDK reads a port that is no number as NaN: no integer, so no label; the rest stays.
    const { groups } = await new RdsDiscoverer(config(), noRetry).refresh();
    expect(groups[0]!.targets).toHaveLength(2);
    for (const t of groups[0]!.targets) {
      expect(t.__meta_rds_cluster_arn).toBe(PROD);
      expect(t).not.toHaveProperty('__meta_rds_cluster_port');
    }
  });

  it('backs off and retries a throttled call', async () => {
    fixture.faults.set('DescribeDBInstances', {
      status: 400,
      type: 'Throttling',
      message: 'Rate exceeded',
      times: 2,
    });
    const d = new RdsDiscoverer(config());
    try {
      const { groups } = await d.refresh();
      expect(groups[0]!.targets).toEqual(EXPECTED(9187));
      // Two clusters: the first calls were throttled twice, then answered.
      expect(fixture.calls('DescribeDBInstances')).toHaveLength(4);
    } finally {
      await d.close();
    }
  });

  it('throws on an error; JobDiscovery keeps the previous targets', async () => {
    const job = sdJob('aws_sd_configs', [rawConfig()], { jobName: 'db' });
    const mechanism: DiscoveryMechanism<AwsSdConfig> = {
      ...awsMechanism,
      create: (configs) => awsMechanism.create(configs, { aws: { rds: noRetry } }),
    };
    const discovery = new JobDiscovery(job, {}, [mechanism as DiscoveryMechanism<unknown>]);
    try {
      const first = await discovery.refresh();
      expect(first.errors).toEqual([]);
      expect(first.groups[0]!.targets).toHaveLength(3);
      fixture.faults.set('DescribeDBInstances', {
        status: 403,
        type: 'AccessDenied',
        message: 'not allowed',
      });
      const second = await discovery.refresh({ force: true });
      expect(second.groups).toEqual(first.groups);
      expect(second.errors.map((e) => e.message)).toEqual([
        `discovery aws_sd_configs/0 of job "db" failed: cannot discover RDS instances in region ${REGION}: AccessDenied: not allowed`,
      ]);
      expect((second.errors[0]!.cause as AwsSdError).code).toBe('AWS_SD_RDS_FAILED');
    } finally {
      await discovery.close();
    }
  });
});

describe('rds targets: arbitrary answers', () => {
  it('formats times as Go RFC3339 in UTC', () => {
    expect(
      [T0, new Date(Number.NaN), '2026-01-01T00:00:00Z', new Date('+010000-01-01T00:00:00Z')].map(
        rfc3339,
      ),
    ).toEqual(['2026-01-02T03:04:05Z', undefined, undefined, undefined]);
  });

  const anything = fc.oneof({ weight: 3, arbitrary: oddString }, anyJson);
  const tagList = fc.oneof(
    fc.array(fc.record({ Key: anything, Value: anything }, { requiredKeys: [] }), {
      maxLength: 5,
    }),
    anything,
  );
  const clusterArb = fc.oneof(
    fc.record(
      {
        DBClusterArn: anything,
        Port: fc.oneof(fc.integer(), fc.double(), anything),
        MultiAZ: fc.oneof(fc.boolean(), anything),
        ClusterCreateTime: fc.oneof(fc.date(), anything),
        TagList: tagList,
        DBClusterMembers: fc.oneof(
          fc.array(
            fc.record(
              { DBInstanceIdentifier: anything, IsClusterWriter: fc.oneof(fc.boolean(), anything) },
              { requiredKeys: [] },
            ),
            { maxLength: 3 },
          ),
          anything,
        ),
      },
      { requiredKeys: [] },
    ),
    anything,
  );
  const instanceArb = fc.oneof(
    fc.record(
      {
        DBInstanceIdentifier: anything,
        Endpoint: fc.oneof(
          fc.record(
            { Address: anything, Port: fc.oneof(fc.integer(), anything) },
            { requiredKeys: [] },
          ),
          anything,
        ),
        DBSubnetGroup: anything,
        TagList: tagList,
        InstanceCreateTime: fc.oneof(fc.date(), anything),
      },
      { requiredKeys: [] },
    ),
    anything,
  );
  it('never throws; bounded string labels with valid names', () => {
    fc.assert(
      fc.property(clusterArb, instanceArb, (c, i) => {
        const target = rdsInstanceTarget(rdsClusterLabels(c), rdsWriters(c), i, 9187);
        const size = JSON.stringify([c, i]).length + 400;
        // As in Prometheus an instance without an endpoint is a target without __address__
        // (relabelling may set one); the bounds are checked on the rest.
        const { __address__: address, ...rest } = target;
        expectBounded(
          [{ source: 'r', targets: [{ ...rest, __address__: address ?? '' }], labels: {} }],
          10_000,
          size,
        );
        for (const [name, value] of Object.entries(target)) {
          expect(typeof value).toBe('string');
          expect(name).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
          if (name !== '__address__') expect(name.startsWith(RDS_LABEL)).toBe(true);
        }
        if (target.__address__ !== undefined) {
          expect(target.__address__.endsWith(':9187')).toBe(true);
        }
      }),
      fuzzParams(500),
    );
  });
});

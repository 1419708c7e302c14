/**
 * aws_sd_configs `role: elasticache` with the real ElastiCache SDK client against a local server
 * speaking its Query (XML) protocol (aws-fixture.ts): complete label sets (Prometheus's
 * discovery/aws/elasticache.go) for a serverless cache and the nodes of two cache clusters with
 * tags, the address rule (each endpoint's own address and port; none without an endpoint),
 * configured ARNs, paging by NextToken and Marker, throttling, failures, and the label builders
 * fuzzed.
 */
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ElastiCacheDiscoverer, splitCacheArns } from '../../src/discovery/aws/elasticache.js';
import {
  cacheClusterLabels,
  cacheNodeTargets,
  ELASTICACHE_LABEL,
  serverlessCacheTarget,
} from '../../src/discovery/aws/elasticache-target.js';
import { type AwsSdConfig, type AwsSdError, awsMechanism } from '../../src/discovery/aws/index.js';
import { type DiscoveryMechanism, JobDiscovery } from '../../src/discovery/registry.js';
import { fuzzParams } from '../support/fuzz.js';
import {
  A,
  CACHE_CLUSTERS,
  MEMCACHED,
  REDIS,
  SERVERLESS,
  SERVERLESS_CACHES,
  TAGS,
} from './aws-elasticache-world.js';
import { AwsFixture, REGION } from './aws-fixture.js';
import { anyJson, expectBounded, oddString } from './fuzz-inputs.js';
import { parseEntry, sdJob } from './sd-config.js';

const fixture = new AwsFixture();
beforeAll(() => fixture.start());
afterAll(() => fixture.stop());

const S = '__meta_elasticache_serverless_cache_';
const C = '__meta_elasticache_cache_cluster_';

const SERVERLESS_TARGET = {
  __address__: 'sessions-abc.serverless.use1.cache.amazonaws.com:6379',
  __meta_elasticache_deployment_option: 'serverless',
  [`${S}arn`]: SERVERLESS,
  [`${S}name`]: 'sessions',
  [`${S}status`]: 'available',
  [`${S}engine`]: 'valkey',
  [`${S}full_engine_version`]: '8.0',
  [`${S}major_engine_version`]: '8',
  [`${S}description`]: 'user sessions',
  [`${S}create_time`]: '2026-01-02T03:04:05Z',
  [`${S}kms_key_id`]: 'kms-1',
  [`${S}user_group_id`]: 'users-1',
  [`${S}daily_snapshot_time`]: '05:00',
  [`${S}snapshot_retention_limit`]: '3',
  [`${S}endpoint_address`]: 'sessions-abc.serverless.use1.cache.amazonaws.com',
  [`${S}endpoint_port`]: '6379',
  [`${S}endpoint_reader_address`]: 'sessions-abc.serverless.use1.cache.amazonaws.com',
  [`${S}endpoint_reader_port`]: '6380',
  [`${S}security_group_id_0`]: 'sg-1',
  [`${S}security_group_id_1`]: 'sg-2',
  [`${S}subnet_id_0`]: 'subnet-a',
  [`${S}subnet_id_1`]: 'subnet-b',
  // Prometheus's constants concatenate these without an underscore.
  [`${S}cache_usage_limit_data_storagemaximum`]: '10',
  [`${S}cache_usage_limit_data_storageminimum`]: '1',
  [`${S}cache_usage_limit_data_storageunit`]: 'GB',
  [`${S}cache_usage_limit_ecpu_per_secondmaximum`]: '5000',
  [`${S}cache_usage_limit_ecpu_per_secondminimum`]: '1000',
  [`${S}tag_Env`]: 'prod',
  [`${S}tag_team_owner`]: 'web',
};

const REDIS_NODE = {
  __address__: 'redis-rg-001.abc.0001.use1.cache.amazonaws.com:6379',
  __meta_elasticache_deployment_option: 'node',
  [`${C}arn`]: REDIS,
  [`${C}cache_cluster_id`]: 'redis-rg-001',
  [`${C}cache_cluster_status`]: 'available',
  [`${C}at_rest_encryption_enabled`]: 'true',
  [`${C}auth_token_enabled`]: 'true',
  [`${C}auth_token_last_modified`]: '2026-01-02T03:04:05Z',
  [`${C}auto_minor_version_upgrade`]: 'true',
  [`${C}cache_cluster_create_time`]: '2026-01-02T03:04:05Z',
  [`${C}cache_node_type`]: 'cache.r7g.large',
  [`${C}cache_parameter_group`]: 'default.redis7',
  [`${C}cache_subnet_group_name`]: 'cache-subnets',
  [`${C}client_download_landing_page`]:
    'https://console.aws.amazon.com/elasticache/home#client-download:',
  [`${C}engine`]: 'redis',
  [`${C}engine_version`]: '7.1.0',
  [`${C}ip_discovery`]: 'ipv4',
  [`${C}network_type`]: 'ipv4',
  [`${C}notification_topic_arn`]: `arn:aws:sns:${REGION}:${A}:cache`,
  [`${C}notification_topic_status`]: 'active',
  [`${C}num_cache_nodes`]: '1',
  [`${C}preferred_availability_zone`]: 'us-east-1a',
  [`${C}preferred_maintenance_window`]: 'sun:05:00-sun:06:00',
  [`${C}replication_group_id`]: 'redis-rg',
  [`${C}replication_group_log_delivery_enabled`]: 'true',
  [`${C}snapshot_retention_limit`]: '0',
  [`${C}snapshot_window`]: '03:00-04:00',
  [`${C}transit_encryption_enabled`]: 'false',
  [`${C}transit_encryption_mode`]: 'preferred',
  [`${C}log_delivery_configuration_destination_type_0`]: 'cloudwatch-logs',
  [`${C}log_delivery_configuration_log_format_0`]: 'json',
  [`${C}log_delivery_configuration_log_type_0`]: 'slow-log',
  [`${C}log_delivery_configuration_status_0`]: 'active',
  [`${C}log_delivery_configuration_log_group_0`]: 'redis-slow',
  [`${C}log_delivery_configuration_destination_type_1`]: 'kinesis-firehose',
  [`${C}log_delivery_configuration_log_format_1`]: 'text',
  [`${C}log_delivery_configuration_log_type_1`]: 'engine-log',
  [`${C}log_delivery_configuration_status_1`]: 'error',
  [`${C}log_delivery_configuration_message_1`]: 'no access',
  [`${C}log_delivery_configuration_delivery_stream_1`]: 'redis-engine',
  [`${C}pending_modified_values_auth_token_status`]: 'ROTATING',
  [`${C}pending_modified_values_cache_node_type`]: 'cache.r7g.xlarge',
  [`${C}pending_modified_values_engine_version`]: '7.2.0',
  [`${C}pending_modified_values_num_cache_nodes`]: '2',
  [`${C}pending_modified_values_transit_encryption_enabled`]: 'true',
  [`${C}pending_modified_values_transit_encryption_mode`]: 'required',
  [`${C}pending_modified_values_cache_node_ids_to_remove`]: '0002,0003',
  [`${C}security_group_membership_id_0`]: 'sg-9',
  [`${C}security_group_membership_status_0`]: 'active',
  [`${C}tag_Env`]: 'prod',
  [`${C}node_id`]: '0001',
  [`${C}node_status`]: 'available',
  [`${C}node_create_time`]: '2026-01-02T03:04:05Z',
  [`${C}node_availability_zone`]: 'us-east-1a',
  [`${C}node_parameter_group_status`]: 'in-sync',
  [`${C}node_endpoint_address`]: 'redis-rg-001.abc.0001.use1.cache.amazonaws.com',
  [`${C}node_endpoint_port`]: '6379',
};

const MEMCACHED_CLUSTER = {
  __meta_elasticache_deployment_option: 'node',
  [`${C}arn`]: MEMCACHED,
  [`${C}cache_cluster_id`]: 'memcached-1',
  [`${C}cache_cluster_status`]: 'available',
  [`${C}cache_node_type`]: 'cache.t4g.micro',
  [`${C}configuration_endpoint_address`]: 'memcached-1.abc.cfg.use1.cache.amazonaws.com',
  [`${C}configuration_endpoint_port`]: '11211',
  [`${C}engine`]: 'memcached',
  [`${C}engine_version`]: '1.6.22',
  [`${C}num_cache_nodes`]: '2',
  [`${C}tag_Env`]: 'dev',
};

const MEMCACHED_NODES = [
  {
    ...MEMCACHED_CLUSTER,
    __address__: 'memcached-1.abc.0001.use1.cache.amazonaws.com:11211',
    [`${C}node_id`]: '0001',
    [`${C}node_status`]: 'available',
    [`${C}node_availability_zone`]: 'us-east-1b',
    [`${C}node_endpoint_address`]: 'memcached-1.abc.0001.use1.cache.amazonaws.com',
    [`${C}node_endpoint_port`]: '11211',
  },
  { ...MEMCACHED_CLUSTER, [`${C}node_id`]: '0002', [`${C}node_status`]: 'creating' },
];

const EXPECTED = [SERVERLESS_TARGET, REDIS_NODE, ...MEMCACHED_NODES];

const rawConfig = (extra: Record<string, unknown> = {}) =>
  fixture.entry({ role: 'elasticache', port: 9121, ...extra });
const config = (extra: Record<string, unknown> = {}) =>
  (parseEntry(awsMechanism, rawConfig(extra)) as Extract<AwsSdConfig, { role: 'elasticache' }>)
    .elasticache;
const noRetry = { createClient: (o: object) => new ElastiCacheClient({ ...o, maxAttempts: 1 }) };

beforeEach(() => {
  fixture.reset();
  fixture.world.elasticache = {
    serverless: SERVERLESS_CACHES,
    clusters: CACHE_CLUSTERS,
    tags: TAGS,
  };
});

describe('ElastiCacheDiscoverer against a local ElastiCache Query API', () => {
  it('gives one group, source = region: the serverless cache and every cluster node', async () => {
    const { groups, errors } = await new ElastiCacheDiscoverer(config(), noRetry).refresh();
    expect(errors).toEqual([]);
    expect(groups).toEqual([{ source: REGION, labels: {}, targets: EXPECTED }]);
    groups[0]!.targets.forEach((t, i) => {
      expect(Object.keys(t).sort()).toEqual(Object.keys(EXPECTED[i]!).sort());
    });
    expect(fixture.calls('DescribeServerlessCaches').map((r) => r.body)).toEqual([
      { Action: 'DescribeServerlessCaches', Version: '2015-02-02', MaxResults: '50' },
    ]);
    expect(fixture.calls('DescribeCacheClusters').map((r) => r.body)).toEqual(
      ['false', 'true'].map((notInGroups) => ({
        Action: 'DescribeCacheClusters',
        Version: '2015-02-02',
        MaxRecords: '100',
        ShowCacheNodeInfo: 'true',
        ShowCacheClustersNotInReplicationGroups: notInGroups,
      })),
    );
    expect(
      fixture
        .calls('ListTagsForResource')
        .map((r) => r.body.ResourceName)
        .sort(),
    ).toEqual([MEMCACHED, REDIS, SERVERLESS].sort());
    expect(fixture.requests[0]!.authorization).toMatch(
      new RegExp(`Credential=AKIDTESTKEY/\\d{8}/${REGION}/elasticache/aws4_request,`),
    );
  });

  it('reads the configured ARNs as Prometheus splits them', async () => {
    expect(
      splitCacheArns([
        '',
        'not-an-arn',
        `arn:aws:elasticache:${REGION}:${A}:serverlesscache:sessions`,
        `arn:aws:elasticache:${REGION}:${A}:replicationgroup:memcached-1`,
        `arn:aws:elasticache:${REGION}:${A}:cluster:redis-rg-001`,
      ]),
    ).toEqual({ serverless: ['sessions'], clusters: ['memcached-1'] });
    const d = new ElastiCacheDiscoverer(
      config({
        clusters: [
          `arn:aws:elasticache:${REGION}:${A}:serverlesscache:sessions`,
          `arn:aws:elasticache:${REGION}:${A}:replicationgroup:memcached-1`,
        ],
      }),
      noRetry,
    );
    const { groups } = await d.refresh();
    expect(groups[0]!.targets).toEqual([SERVERLESS_TARGET, ...MEMCACHED_NODES]);
    expect(
      fixture.calls('DescribeServerlessCaches').map((r) => r.body.ServerlessCacheName),
    ).toEqual(['sessions']);
    expect(
      fixture
        .calls('DescribeCacheClusters')
        .map((r) => [r.body.CacheClusterId, r.body.ShowCacheClustersNotInReplicationGroups]),
    ).toEqual([
      ['memcached-1', 'false'],
      ['memcached-1', 'true'],
    ]);
  });

  it('a configured cache that does not exist fails the refresh', async () => {
    const d = new ElastiCacheDiscoverer(
      config({ clusters: [`arn:aws:elasticache:${REGION}:${A}:serverlesscache:gone`] }),
      noRetry,
    );
    await expect(d.refresh()).rejects.toThrow(
      `cannot discover ElastiCache caches in region ${REGION}: ServerlessCacheNotFoundFault: Serverless cache gone not found`,
    );
  });

  it('pages DescribeServerlessCaches by NextToken and DescribeCacheClusters by Marker', async () => {
    fixture.world.pageSize = 1;
    fixture.world.elasticache!.serverless = [
      ...SERVERLESS_CACHES,
      { ServerlessCacheName: 'other', Status: 'creating' },
    ];
    const { groups } = await new ElastiCacheDiscoverer(config(), noRetry).refresh();
    expect(groups[0]!.targets).toEqual([
      SERVERLESS_TARGET,
      {
        __meta_elasticache_deployment_option: 'serverless',
        [`${S}name`]: 'other',
        [`${S}status`]: 'creating',
      },
      REDIS_NODE,
      ...MEMCACHED_NODES,
    ]);
    expect(fixture.calls('DescribeServerlessCaches').map((r) => r.body.NextToken ?? null)).toEqual([
      null,
      '1',
    ]);
    expect(
      fixture
        .calls('DescribeCacheClusters')
        .map((r) => [r.body.ShowCacheClustersNotInReplicationGroups, r.body.Marker ?? null]),
    ).toEqual([
      ['false', null],
      ['true', null],
      ['false', '1'],
    ]);
  });

  it('refuses a Marker the API repeats', async () => {
    fixture.raw.set('DescribeCacheClusters', {
      status: 200,
      body: `<DescribeCacheClustersResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/"><DescribeCacheClustersResult><CacheClusters/><Marker>same</Marker></DescribeCacheClustersResult></DescribeCacheClustersResponse>`,
    });
    await expect(new ElastiCacheDiscoverer(config(), noRetry).refresh()).rejects.toThrow(
      'DescribeCacheClusters repeated page token',
    );
  });

  it('backs off and retries a throttled call', async () => {
    fixture.faults.set('ListTagsForResource', {
      status: 400,
      type: 'Throttling',
      message: 'Rate exceeded',
      times: 2,
    });
    const d = new ElastiCacheDiscoverer(config());
    try {
      const { groups } = await d.refresh();
      expect(groups[0]!.targets).toEqual(EXPECTED);
      expect(fixture.calls('ListTagsForResource')).toHaveLength(5);
    } finally {
      await d.close();
    }
  });

  it('throws on an error; JobDiscovery keeps the previous targets', async () => {
    const job = sdJob('aws_sd_configs', [rawConfig()], { jobName: 'cache' });
    const mechanism: DiscoveryMechanism<AwsSdConfig> = {
      ...awsMechanism,
      create: (configs) => awsMechanism.create(configs, { aws: { elasticache: noRetry } }),
    };
    const discovery = new JobDiscovery(job, {}, [mechanism as DiscoveryMechanism<unknown>]);
    try {
      const first = await discovery.refresh();
      expect(first.errors).toEqual([]);
      expect(first.groups[0]!.targets).toHaveLength(4);
      fixture.faults.set('ListTagsForResource', {
        status: 403,
        type: 'AccessDenied',
        message: 'not allowed',
      });
      const second = await discovery.refresh({ force: true });
      expect(second.groups).toEqual(first.groups);
      expect(second.errors.map((e) => e.message)).toEqual([
        `discovery aws_sd_configs/0 of job "cache" failed: cannot discover ElastiCache caches in region ${REGION}: AccessDenied: not allowed`,
      ]);
      expect((second.errors[0]!.cause as AwsSdError).code).toBe('AWS_SD_ELASTICACHE_FAILED');
    } finally {
      await discovery.close();
    }
  });
});

describe('elasticache targets: arbitrary answers', () => {
  const anything = fc.oneof({ weight: 3, arbitrary: oddString }, anyJson);
  const tagList = fc.oneof(
    fc.array(fc.record({ Key: anything, Value: anything }, { requiredKeys: [] }), {
      maxLength: 5,
    }),
    anything,
  );
  const endpoint = fc.oneof(
    fc.record(
      { Address: anything, Port: fc.oneof(fc.integer(), fc.double(), anything) },
      { requiredKeys: [] },
    ),
    anything,
  );
  const serverlessArb = fc.oneof(
    fc.record(
      {
        ARN: anything,
        CreateTime: fc.oneof(fc.date(), anything),
        Endpoint: endpoint,
        ReaderEndpoint: endpoint,
        SecurityGroupIds: fc.oneof(fc.array(anything, { maxLength: 3 }), anything),
        CacheUsageLimits: fc.oneof(
          fc.record(
            {
              DataStorage: fc.oneof(
                fc.record({ Maximum: fc.integer(), Unit: anything }, { requiredKeys: [] }),
                anything,
              ),
              ECPUPerSecond: anything,
            },
            { requiredKeys: [] },
          ),
          anything,
        ),
      },
      { requiredKeys: [] },
    ),
    anything,
  );
  const clusterArb = fc.oneof(
    fc.record(
      {
        ARN: anything,
        NumCacheNodes: fc.oneof(fc.integer(), anything),
        AtRestEncryptionEnabled: fc.oneof(fc.boolean(), anything),
        PendingModifiedValues: fc.oneof(
          fc.record(
            { CacheNodeIdsToRemove: fc.oneof(fc.array(anything, { maxLength: 3 }), anything) },
            { requiredKeys: [] },
          ),
          anything,
        ),
        LogDeliveryConfigurations: fc.oneof(
          fc.array(
            fc.record({ LogType: anything, DestinationDetails: anything }, { requiredKeys: [] }),
            { maxLength: 3 },
          ),
          anything,
        ),
        SecurityGroups: fc.oneof(fc.array(anything, { maxLength: 3 }), anything),
        CacheNodes: fc.oneof(
          fc.array(
            fc.record(
              { CacheNodeId: anything, Endpoint: endpoint, CacheNodeCreateTime: anything },
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
  const check = (targets: Record<string, string>[], size: number) => {
    expectBounded(
      [
        {
          source: 'r',
          targets: targets.map((t) => ({ ...t, __address__: t.__address__ ?? '' })),
          labels: {},
        },
      ],
      10_000,
      size,
    );
    for (const target of targets) {
      for (const [name, value] of Object.entries(target)) {
        expect(typeof value).toBe('string');
        expect(name).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
        if (name !== '__address__') expect(name.startsWith(ELASTICACHE_LABEL)).toBe(true);
      }
      if (target.__address__ !== undefined) expect(target.__address__).toMatch(/:-?\d+$/);
    }
  };
  it('never throws; bounded string labels with valid names', () => {
    fc.assert(
      fc.property(serverlessArb, clusterArb, tagList, (s, c, tags) => {
        const size = JSON.stringify([s, c, tags]).length + 400;
        check([serverlessCacheTarget(s, tags)], size);
        check(cacheNodeTargets(c, cacheClusterLabels(c, tags)), size * 4);
      }),
      fuzzParams(500),
    );
  });
});

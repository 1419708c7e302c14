/**
 * The per-service AWS keys (`ecs_sd_configs`, `elasticache_sd_configs`, `lightsail_sd_configs`,
 * `msk_sd_configs`, `rds_sd_configs`): each reads exactly its Go struct's fields with
 * Prometheus's defaults into the config its aws_sd_configs role gives, `check config` accepts a
 * job with only these keys, each yields what the matching role yields against the local fixture
 * server (the real SDK clients), and `request_concurrency` bounds the requests in flight there.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { KafkaClient } from '@aws-sdk/client-kafka';
import { LightsailClient } from '@aws-sdk/client-lightsail';
import { RDSClient } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import {
  type AwsSdConfig,
  type AwsSdDeps,
  awsMechanism,
  awsServiceMechanisms,
  DEFAULT_REQUEST_CONCURRENCY,
} from '../../src/discovery/aws/index.js';
import { checkDiscovery } from '../../src/discovery/check.js';
import {
  DISCOVERY_MECHANISMS,
  type DiscoveryMechanism,
  JobDiscovery,
} from '../../src/discovery/registry.js';
import { runCliCaptured } from '../support/captured-cli.js';
import { ecsWorld, expectedTargets } from './aws-ecs-world.js';
import { CACHE_CLUSTERS, SERVERLESS_CACHES, TAGS } from './aws-elasticache-world.js';
import { AwsFixture, type EcsWorld, type Json, REGION } from './aws-fixture.js';
import { RDS_CLUSTERS, RDS_INSTANCES } from './aws-rds-world.js';
import { parseEntry, sdConfigText, sdJob } from './sd-config.js';

type Role = 'ecs' | 'elasticache' | 'lightsail' | 'msk' | 'rds';

/** Each key, its Go type, its role and its own fields besides the shared ones. */
const KEYS: readonly {
  key: string;
  goType: string;
  role: Role;
  clusters: boolean;
  filters: boolean;
}[] = [
  { key: 'ecs_sd_configs', goType: 'aws.ECSSDConfig', role: 'ecs', clusters: true, filters: false },
  {
    key: 'elasticache_sd_configs',
    goType: 'aws.ElasticacheSDConfig',
    role: 'elasticache',
    clusters: true,
    filters: false,
  },
  {
    key: 'lightsail_sd_configs',
    goType: 'aws.LightsailSDConfig',
    role: 'lightsail',
    clusters: false,
    filters: false,
  },
  { key: 'msk_sd_configs', goType: 'aws.MSKSDConfig', role: 'msk', clusters: true, filters: false },
  { key: 'rds_sd_configs', goType: 'aws.RDSSDConfig', role: 'rds', clusters: true, filters: true },
];
const WITH_CONCURRENCY = KEYS.filter((k) => k.role !== 'lightsail');

const mechanismOf = (key: string): DiscoveryMechanism<AwsSdConfig, never> => {
  const m = awsServiceMechanisms.find((x) => x.name === key);
  if (m === undefined) throw new Error(`no mechanism ${key}`);
  return m;
};

/** The role's config object of an entry, read under `key`. */
const parse = (key: string, raw: Record<string, unknown>) => parseEntry(mechanismOf(key), raw);
const roleConfig = (c: AwsSdConfig) => (c as unknown as Record<string, unknown>)[c.role];

/** The first message of a refused entry, `file:line:col` included. */
function errorOf(key: string, raw: Record<string, unknown>): string {
  try {
    parse(key, raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).errors[0]!;
  }
  throw new Error('accepted');
}

describe('reading the per-service keys', () => {
  it.each(KEYS)('$key: every field, into the config its role gives', ({ key, role, ...k }) => {
    const raw: Record<string, unknown> = {
      region: 'eu-central-1',
      endpoint: 'https://aws.example.test',
      access_key: 'AK',
      secret_key: 'SK',
      profile: 'prof',
      role_arn: 'arn:aws:iam::1:role/r',
      external_id: 'ext',
      refresh_interval: '2m',
      port: 9100,
      follow_redirects: true,
      enable_http2: false,
      ...(k.clusters ? { clusters: ['a', 'arn:aws:x:eu-central-1:1:cluster/b'] } : {}),
      ...(k.filters ? { filters: [{ name: 'engine', values: ['postgres'] }] } : {}),
    };
    const byKey = parse(key, raw);
    // The same entry under aws_sd_configs, where request_concurrency is no field.
    expect(byKey).toEqual(parseEntry(awsMechanism, { role, ...raw }));
    expect(byKey.role).toBe(role);
    const withConcurrency = WITH_CONCURRENCY.some((w) => w.key === key);
    if (withConcurrency) {
      expect(roleConfig(parse(key, { ...raw, request_concurrency: 3 }))).toMatchObject({
        requestConcurrency: 3,
      });
    }
  });

  it.each(KEYS)("$key: Prometheus's defaults", ({ key, role }) => {
    const c = roleConfig(parse(key, {}));
    expect(c).toMatchObject({
      region: undefined,
      endpoint: undefined,
      accessKey: undefined,
      secretKey: undefined,
      port: 80,
      refreshIntervalMs: 60_000,
    });
    if (role !== 'lightsail') {
      expect(c).toMatchObject({
        clusters: [],
        requestConcurrency: DEFAULT_REQUEST_CONCURRENCY[role],
      });
    }
  });

  it("request_concurrency defaults to Prometheus's: 20 for ECS, 10 for the others", () => {
    expect(DEFAULT_REQUEST_CONCURRENCY).toEqual({ ecs: 20, elasticache: 10, msk: 10, rds: 10 });
  });

  it.each(KEYS)(
    '$key: port 0 is port 0, as in Prometheus (aws_sd_configs: the default)',
    ({ key, role }) => {
      expect(roleConfig(parse(key, { port: 0 }))).toMatchObject({ port: 0 });
      expect(roleConfig(parseEntry(awsMechanism, { role, port: 0 }))).toMatchObject({ port: 80 });
    },
  );

  /** Each message as the loader gives it, at the field's line and column. */
  const refusals = KEYS.flatMap(({ key, goType, role, clusters, filters }) => [
    { key, raw: { role }, error: `<config>:4:9: field role not found in type ${goType}` },
    {
      key,
      raw: { region: 'r', cluster: 'x' },
      error: `<config>:5:9: field cluster not found in type ${goType}`,
    },
    ...(filters
      ? []
      : [
          {
            key,
            raw: { filters: [{ name: 'a', values: ['b'] }] },
            error: `<config>:4:9: field filters not found in type ${goType}`,
          },
        ]),
    ...(clusters
      ? [
          {
            key,
            raw: { request_concurrency: 0 },
            error:
              '<config>:4:30: request_concurrency must not be 0 (at least 1, or negative for no limit)',
          },
          {
            key,
            raw: { request_concurrency: 'many' },
            error: '<config>:4:30: cannot unmarshal !!str `many` into int',
          },
        ]
      : [
          {
            key,
            raw: { clusters: ['a'] },
            error: `<config>:4:9: field clusters not found in type ${goType}`,
          },
          {
            key,
            raw: { request_concurrency: 5 },
            error: `<config>:4:9: field request_concurrency not found in type ${goType}`,
          },
        ]),
    {
      key,
      raw: { refresh_interval: '0s' },
      error: '<config>:4:27: refresh_interval must be greater than 0',
    },
    {
      key,
      raw: { access_key: 'AK' },
      error: '<config>:4:21: access_key and secret_key must be set together',
    },
    {
      key,
      raw: { tls_config: { insecure_skip_verify: true } },
      error: `<config>:5:11: tls_config in ${key} is not supported by lambdascrape: it calls the AWS APIs through the AWS SDK's HTTP client, which this cannot configure (only follow_redirects and enable_http2 are accepted, and ignored)`,
    },
  ]);
  it.each(refusals)('$key refuses $raw', ({ key, raw, error }) => {
    expect(errorOf(key, raw)).toBe(error);
  });

  it('a negative request_concurrency means no limit, as in Prometheus', () => {
    for (const { key } of WITH_CONCURRENCY) {
      expect(roleConfig(parse(key, { request_concurrency: -1 }))).toMatchObject({
        requestConcurrency: Number.POSITIVE_INFINITY,
      });
    }
  });

  it('aws_sd_configs has no request_concurrency: the role default applies', () => {
    expect(() => parseEntry(awsMechanism, { role: 'msk', request_concurrency: 5 })).toThrow(
      'field request_concurrency not found in type aws.SDConfig',
    );
    expect(roleConfig(parseEntry(awsMechanism, { role: 'ecs' }))).toMatchObject({
      requestConcurrency: 20,
    });
  });
});

describe('checking a config with only the per-service keys', () => {
  const entries: Record<string, unknown[]> = {
    ecs_sd_configs: [{ region: 'r', clusters: ['web'], request_concurrency: 5 }],
    elasticache_sd_configs: [{ region: 'r' }],
    lightsail_sd_configs: [{ region: 'r', port: 9100 }],
    msk_sd_configs: [{ region: 'r', port: 11001 }],
    rds_sd_configs: [{ region: 'r', filters: [{ name: 'engine', values: ['postgres'] }] }],
  };
  const text = Object.entries(entries)
    .map(([key, list]) => sdConfigText(key, list, key.replace('_sd_configs', '')))
    .map((t) => t.replace(/^scrape_configs:\n/, ''))
    .join('');

  it('the discovery check keeps every job, with no error or warning', () => {
    const config = loadConfig(`scrape_configs:\n${text}`, { env: {} });
    const result = checkDiscovery(config);
    expect(result.errors).toEqual([]);
    expect(result.config.warnings).toEqual([]);
    expect(result.config.scrapeConfigs.map((j) => j.jobName)).toEqual([
      'ecs',
      'elasticache',
      'lightsail',
      'msk',
      'rds',
    ]);
  });

  it('`lambdascrape check config` accepts the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lambdascrape-aws-keys-'));
    const path = join(dir, 'prometheus.yml');
    writeFileSync(path, `scrape_configs:\n${text}`);
    const r = await runCliCaptured(['check', 'config', path]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
  });
});

const fixture = new AwsFixture();
beforeAll(() => fixture.start());
afterAll(() => fixture.stop());

/** Every client at the fixture, without retries. */
const deps = (): AwsSdDeps => ({
  ecs: {
    createEcsClient: (o) => new ECSClient({ ...o, maxAttempts: 1 }),
    createEc2Client: (o) => new EC2Client({ ...o, endpoint: fixture.endpoint, maxAttempts: 1 }),
  },
  elasticache: { createClient: (o) => new ElastiCacheClient({ ...o, maxAttempts: 1 }) },
  lightsail: { createClient: (o) => new LightsailClient({ ...o, maxAttempts: 1 }) },
  msk: { createClient: (o) => new KafkaClient({ ...o, maxAttempts: 1 }) },
  rds: { createClient: (o) => new RDSClient({ ...o, maxAttempts: 1 }) },
});

const MSK_ARN = (n: number) => `arn:aws:kafka:${REGION}:123456789012:cluster/c${n}/uuid-${n}`;
/** Four provisioned clusters of one broker each, so that their ListNodes can overlap. */
const MSK_WORLD = {
  clusters: [1, 2, 3, 4].map((n) => ({
    clusterArn: MSK_ARN(n),
    clusterName: `c${n}`,
    clusterType: 'PROVISIONED',
    state: 'ACTIVE',
    tags: { Env: 'prod' },
  })),
  nodes: Object.fromEntries(
    [1, 2, 3, 4].map((n) => [
      MSK_ARN(n),
      [
        {
          nodeARN: `${MSK_ARN(n)}/broker-1`,
          nodeType: 'BROKER',
          instanceType: 'kafka.m5.large',
          brokerNodeInfo: { brokerId: 1, endpoints: [`b-1.c${n}.kafka.example`] },
        },
      ],
    ]),
  ),
};

/** The RDS world with two more clusters, so that four DescribeDBInstances can overlap. */
const RDS_MORE: Json[] = ['a', 'b'].map((id) => ({
  ...RDS_CLUSTERS[0]!,
  DBClusterArn: `arn:aws:rds:${REGION}:123456789012:cluster:extra-${id}`,
  DBClusterIdentifier: `extra-${id}`,
}));

const LIGHTSAIL: Json[] = [
  {
    name: 'web-1',
    location: { availabilityZone: 'us-east-1a', regionName: REGION },
    blueprintId: 'ubuntu_22_04',
    bundleId: 'nano_3_0',
    state: { code: 16, name: 'running' },
    privateIpAddress: '172.26.0.10',
    publicIpAddress: '3.3.3.3',
    tags: [{ key: 'Env', value: 'prod' }],
  },
  { name: 'db-1', state: { code: 80, name: 'stopped' }, privateIpAddress: '172.26.0.11' },
];

function world(): EcsWorld {
  return {
    ...ecsWorld(),
    lightsail: LIGHTSAIL,
    msk: MSK_WORLD,
    rds: { clusters: [...RDS_CLUSTERS, ...RDS_MORE], instances: RDS_INSTANCES },
    elasticache: { serverless: SERVERLESS_CACHES, clusters: CACHE_CLUSTERS, tags: TAGS },
  };
}

beforeEach(() => {
  fixture.reset();
  fixture.world = world();
});

/** An entry at the fixture, as either key takes it. */
const entry = (extra: Record<string, unknown> = {}) => fixture.entry({ port: 9100, ...extra });

/** The targets and labels of one refresh of a job with `entries` under `key` (full registry). */
async function discover(key: string, entries: unknown[]) {
  const discovery = new JobDiscovery(sdJob(key, entries), { aws: deps() }, DISCOVERY_MECHANISMS);
  try {
    const { groups, errors } = await discovery.refresh();
    expect(errors).toEqual([]);
    expect(groups.map((g) => g.source)).toEqual([`${key}/0/${REGION}`]);
    return groups.map(({ targets, labels }) => ({ targets, labels }));
  } finally {
    await discovery.close();
  }
}

describe('each key against the local AWS APIs', () => {
  it.each(KEYS)(
    '$key yields exactly what aws_sd_configs role $role yields',
    async ({ key, role }) => {
      const byKey = await discover(key, [entry()]);
      const byRole = await discover('aws_sd_configs', [entry({ role })]);
      expect(byKey).toEqual(byRole);
      const targets = byKey[0]!.targets;
      expect(targets.length).toBeGreaterThan(1);
      // Complete label sets, key for key (toEqual above ignores no key either way).
      targets.forEach((t, i) => {
        expect(Object.keys(t).sort()).toEqual(Object.keys(byRole[0]!.targets[i]!).sort());
      });
      if (role === 'ecs') expect(targets).toEqual(expectedTargets(9100));
    },
  );

  it.each(WITH_CONCURRENCY)(
    '$key: request_concurrency bounds the requests in flight',
    async ({ key }) => {
      // Answers held back, so that every request the discoverer sends together is in flight here.
      const inFlight = async (concurrency: number) => {
        fixture.reset();
        fixture.world = world();
        fixture.delayMs = 25;
        const [group] = await discover(key, [entry({ request_concurrency: concurrency })]);
        expect(group!.targets.length).toBeGreaterThan(1);
        return fixture.maxInFlight;
      };
      expect(await inFlight(1)).toBe(1);
      expect(await inFlight(2)).toBe(2);
      // No limit: as many as the refresh sends at once (more than two for each of these worlds).
      expect(await inFlight(-1)).toBeGreaterThan(2);
    },
  );
});

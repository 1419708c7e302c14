/**
 * Reading aws_sd_configs entries (Prometheus's aws.SDConfig), `check config` with every role
 * running (a role that does not run: aws-lacking-role.test.ts), and `role: ec2` running the ec2_sd_configs discoverer.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import {
  type AwsSdConfig,
  awsMechanism,
  DEFAULT_AWS_SD_PORT,
  DEFAULT_AWS_SD_REFRESH_INTERVAL,
  LACKING_AWS_SD_ROLES,
  LazyDiscoverer,
  RUNNING_AWS_SD_ROLES,
} from '../../src/discovery/aws/index.js';
import { checkDiscovery } from '../../src/discovery/check.js';
import { Ec2Discoverer } from '../../src/discovery/ec2/index.js';
import { validMechanismConfigs } from '../../src/discovery/registry.js';
import { AwsFixture } from './aws-fixture.js';
import { parseEntry, sdConfigText, sdJob } from './sd-config.js';

const parse = (raw: unknown) => parseEntry(awsMechanism, raw);

function errorOf(raw: unknown): string {
  try {
    parse(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const first = (e as ConfigError).errors[0]!;
    expect(first).toMatch(/^<config>:\d+:\d+: /);
    return first.replace(/^<config>:\d+:\d+: /, '');
  }
  throw new Error('accepted');
}

describe('parseAwsSdConfig', () => {
  it('reads role ecs with every field; the secret key is a Secret', () => {
    const c = parse({
      role: 'ecs',
      region: 'eu-central-1',
      endpoint: 'https://ecs.example.test',
      access_key: 'AK',
      secret_key: 'SK',
      profile: 'prof',
      role_arn: 'arn:aws:iam::1:role/r',
      external_id: 'ext',
      refresh_interval: '2m',
      port: 9100,
      clusters: ['web', 'arn:aws:ecs:eu-central-1:1:cluster/batch'],
      filters: [{ name: 'ignored-by-ecs', values: ['x'] }],
      follow_redirects: true,
      enable_http2: false,
    });
    expect(c.role).toBe('ecs');
    const ecs = (c as Extract<AwsSdConfig, { role: 'ecs' }>).ecs;
    expect({ ...ecs, secretKey: ecs.secretKey?.reveal() }).toEqual({
      region: 'eu-central-1',
      endpoint: 'https://ecs.example.test',
      accessKey: 'AK',
      secretKey: 'SK',
      profile: 'prof',
      roleArn: 'arn:aws:iam::1:role/r',
      externalId: 'ext',
      refreshIntervalMs: 120_000,
      port: 9100,
      clusters: ['web', 'arn:aws:ecs:eu-central-1:1:cluster/batch'],
      // No field of aws.SDConfig: Prometheus's DefaultECSSDConfig.
      requestConcurrency: 20,
    });
    expect(JSON.stringify(c)).not.toContain('SK"');
  });

  it('applies the defaults; port 0 and refresh_interval 0 mean the defaults, as in Prometheus', () => {
    for (const raw of [{ role: 'ecs' }, { role: 'ecs', port: 0, refresh_interval: '0s' }]) {
      const { ecs } = parse(raw) as Extract<AwsSdConfig, { role: 'ecs' }>;
      expect(ecs).toMatchObject({
        region: undefined,
        endpoint: undefined,
        port: DEFAULT_AWS_SD_PORT,
        refreshIntervalMs: DEFAULT_AWS_SD_REFRESH_INTERVAL,
        clusters: [],
      });
    }
    expect(DEFAULT_AWS_SD_PORT).toBe(80);
    expect(DEFAULT_AWS_SD_REFRESH_INTERVAL).toBe(60_000);
  });

  it('reads role ec2 into an ec2_sd_configs entry, filters included, clusters ignored', () => {
    const c = parse({
      role: 'ec2',
      region: 'us-east-1',
      port: 9100,
      filters: [{ name: 'tag:Env', values: ['prod'] }],
      clusters: ['ignored'],
    });
    expect(c).toEqual({
      role: 'ec2',
      ec2: {
        region: 'us-east-1',
        endpoint: undefined,
        accessKey: undefined,
        secretKey: undefined,
        profile: undefined,
        roleArn: undefined,
        externalId: undefined,
        refreshIntervalMs: 60_000,
        port: 9100,
        filters: [{ name: 'tag:Env', values: ['prod'] }],
      },
    });
  });

  it.each<[string, unknown, string]>([
    ['a missing role', {}, 'unknown AWS SD role ""'],
    ['an unknown role', { role: 'ecs2' }, 'unknown AWS SD role "ecs2"'],
    [
      'a field of ecs_sd_configs only',
      { role: 'ecs', request_concurrency: 5 },
      'field request_concurrency not found in type aws.SDConfig',
    ],
    [
      'an unknown field',
      { role: 'ecs', cluster: 'x' },
      'field cluster not found in type aws.SDConfig',
    ],
    [
      'clusters not a list',
      { role: 'ecs', clusters: { a: 1 } },
      'cannot unmarshal !!map into []string',
    ],
    ['port out of range', { role: 'ecs', port: -1 }, 'port -1 is out of range 0-65535'],
    ['bad duration', { role: 'ecs', refresh_interval: '1x' }, 'not a valid duration string: "1x"'],
    [
      'access key alone',
      { role: 'ecs', access_key: 'AK' },
      'access_key and secret_key must be set together',
    ],
    [
      'bad endpoint',
      { role: 'ecs', endpoint: 'ecs.local' },
      'endpoint "ecs.local" is not an http or https URL',
    ],
    ['external_id alone', { role: 'ecs', external_id: 'e' }, 'external_id requires role_arn'],
    [
      'a filter without values',
      { role: 'ec2', filters: [{ name: 'tag:a' }] },
      'ec2 SD configuration filter values cannot be empty',
    ],
    [
      'tls_config',
      { role: 'ecs', tls_config: { insecure_skip_verify: true } },
      "tls_config in aws_sd_configs is not supported by lambdascrape: it calls the AWS APIs through the AWS SDK's HTTP client",
    ],
    [
      'proxy_url',
      { role: 'ecs', proxy_url: 'http://proxy:3128' },
      'proxy_url in aws_sd_configs is not supported by lambdascrape',
    ],
  ])('refuses %s', (_name, raw, message) => {
    expect(errorOf(raw).startsWith(message)).toBe(true);
  });

  it('parses role elasticache (every role runs: none is lacking)', () => {
    const arn = 'arn:aws:elasticache:us-east-1:123456789012:serverlesscache:c';
    expect(parse({ role: 'elasticache', clusters: [arn], port: 0 })).toMatchObject({
      role: 'elasticache',
      elasticache: { clusters: [arn], port: DEFAULT_AWS_SD_PORT },
    });
    expect(LACKING_AWS_SD_ROLES).toEqual([]);
    for (const role of RUNNING_AWS_SD_ROLES) {
      const job = sdJob('aws_sd_configs', [{ role }]);
      expect(awsMechanism.lacking?.(job.sdConfigNodes.aws_sd_configs![0]!.node)).toBeUndefined();
    }
  });

  it('never puts the secret key into a message', () => {
    expect(errorOf({ role: 'ecs', secret_key: 'TOPSECRET' })).toBe(
      'access_key and secret_key must be set together',
    );
  });

  it('makes one discoverer per entry, by role', () => {
    const job = sdJob('aws_sd_configs', [
      { role: 'ecs', refresh_interval: '30s' },
      { role: 'ec2', refresh_interval: '5m' },
    ]);
    const ds = awsMechanism.create(validMechanismConfigs(job, awsMechanism), {});
    expect(ds[0]).toBeInstanceOf(LazyDiscoverer);
    expect(ds[1]).toBeInstanceOf(Ec2Discoverer);
    expect(ds.map((d) => d.refreshIntervalMs)).toEqual([30_000, 300_000]);
  });
});

describe('check config with aws_sd_configs', () => {
  const check = (entries: unknown[], extra: Record<string, unknown> = {}) => {
    const text = sdConfigText('aws_sd_configs', entries);
    const config = loadConfig(
      extra.static === true
        ? text.replace(
            'aws_sd_configs:',
            "static_configs: [{targets: ['a:1']}]\n    aws_sd_configs:",
          )
        : text,
      { env: {} },
    );
    return checkDiscovery(config, { skipUnsupportedDiscovery: extra.skip === true });
  };

  it('accepts the roles that run, with no warning', () => {
    const r = check([{ role: 'ecs' }, { role: 'ec2' }]);
    expect(r.errors).toEqual([]);
    expect(r.config.warnings).toEqual([]);
    expect(r.config.scrapeConfigs.map((j) => j.jobName)).toEqual(['job1']);
  });

  it('accepts role elasticache beside the others, with no warning', () => {
    const r = check([{ role: 'ecs' }, { role: 'elasticache', clusters: ['a'] }]);
    expect(r.errors).toEqual([]);
    expect(r.config.warnings).toEqual([]);
    expect(r.config.scrapeConfigs[0]!.sdConfigNodes.aws_sd_configs).toHaveLength(2);
  });

  it('accepts role rds, with no warning', () => {
    const r = check([
      { role: 'rds', clusters: ['a'], filters: [{ name: 'engine', values: ['x'] }] },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.config.warnings).toEqual([]);
  });
});

describe('role ec2 against a local EC2', () => {
  const fixture = new AwsFixture();
  beforeAll(() => fixture.start());
  afterAll(() => fixture.stop());

  it('gives the __meta_ec2_* labels of ec2_sd_configs, with its filters sent', async () => {
    fixture.world.instances = [
      { id: 'i-1', privateIp: '10.0.0.1', type: 't3.micro', tags: { Name: 'web' } },
    ];
    const job = sdJob('aws_sd_configs', [
      {
        role: 'ec2',
        region: 'us-east-1',
        endpoint: fixture.endpoint,
        access_key: 'AKID',
        secret_key: 'secret',
        port: 9100,
        filters: [{ name: 'instance-id', values: ['i-1'] }],
      },
    ]);
    const [d] = awsMechanism.create(validMechanismConfigs(job, awsMechanism), {
      aws: { ec2: { createClient: (opts) => new EC2Client({ ...opts, maxAttempts: 1 }) } },
    });
    const { groups, errors } = await d!.refresh();
    expect(errors).toEqual([]);
    expect(groups).toEqual([
      {
        source: 'us-east-1',
        labels: {},
        targets: [
          {
            __address__: '10.0.0.1:9100',
            __meta_ec2_instance_id: 'i-1',
            __meta_ec2_instance_type: 't3.micro',
            __meta_ec2_owner_id: '123456789012',
            __meta_ec2_private_ip: '10.0.0.1',
            __meta_ec2_region: 'us-east-1',
            __meta_ec2_tag_Name: 'web',
          },
        ],
      },
    ]);
    expect(fixture.calls('DescribeInstances')[0]!.body).toMatchObject({
      'Filter.1.Name': 'instance-id',
      'Filter.1.Value.1': 'i-1',
    });
  });
});

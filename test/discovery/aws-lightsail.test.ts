/**
 * aws_sd_configs `role: lightsail` with the real Lightsail SDK client against a local server
 * speaking its JSON 1.1 protocol (aws-fixture.ts): complete label sets (Prometheus's
 * discovery/aws/lightsail.go), paging, failures, and the label builder fuzzed.
 */
import { LightsailClient } from '@aws-sdk/client-lightsail';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsSdConfig, AwsSdError, awsMechanism } from '../../src/discovery/aws/index.js';
import { LightsailDiscoverer } from '../../src/discovery/aws/lightsail.js';
import { LIGHTSAIL_LABEL, lightsailTarget } from '../../src/discovery/aws/lightsail-target.js';
import { type DiscoveryMechanism, JobDiscovery } from '../../src/discovery/registry.js';
import { fuzzParams } from '../support/fuzz.js';
import { AwsFixture, REGION } from './aws-fixture.js';
import { anyJson, expectBounded, oddString } from './fuzz-inputs.js';
import { parseEntry, sdJob } from './sd-config.js';

const fixture = new AwsFixture();
beforeAll(() => fixture.start());
afterAll(() => fixture.stop());

const INSTANCES = [
  {
    name: 'web-1',
    arn: 'arn:aws:lightsail:us-east-1:123456789012:Instance/1',
    supportCode: '123456789012/i-0abc',
    location: { availabilityZone: 'us-east-1a', regionName: 'us-east-1' },
    blueprintId: 'ubuntu_22_04',
    bundleId: 'nano_3_0',
    state: { code: 16, name: 'running' },
    privateIpAddress: '172.26.0.10',
    publicIpAddress: '3.3.3.3',
    ipv6Addresses: ['2600:1f18::1', '2600:1f18::2'],
    isStaticIp: false,
    tags: [{ key: 'Env', value: 'prod' }, { key: 'team:owner', value: 'web' }, { key: 'no-value' }],
  },
  {
    name: 'db-1',
    blueprintId: 'debian_12',
    bundleId: 'small_3_0',
    state: { code: 80, name: 'stopped' },
    privateIpAddress: '172.26.0.11',
    location: { availabilityZone: 'us-east-1b' },
  },
  // Not placed yet: no private IP, no target.
  { name: 'new-1', state: { code: 0, name: 'pending' } },
];

const EXPECTED = [
  {
    __address__: '172.26.0.10:9100',
    __meta_lightsail_private_ip: '172.26.0.10',
    __meta_lightsail_region: REGION,
    __meta_lightsail_availability_zone: 'us-east-1a',
    __meta_lightsail_blueprint_id: 'ubuntu_22_04',
    __meta_lightsail_bundle_id: 'nano_3_0',
    __meta_lightsail_instance_name: 'web-1',
    __meta_lightsail_instance_state: 'running',
    __meta_lightsail_instance_support_code: '123456789012/i-0abc',
    __meta_lightsail_public_ip: '3.3.3.3',
    __meta_lightsail_ipv6_addresses: ',2600:1f18::1,2600:1f18::2,',
    __meta_lightsail_tag_Env: 'prod',
    __meta_lightsail_tag_team_owner: 'web',
  },
  {
    __address__: '172.26.0.11:9100',
    __meta_lightsail_private_ip: '172.26.0.11',
    __meta_lightsail_region: REGION,
    __meta_lightsail_availability_zone: 'us-east-1b',
    __meta_lightsail_blueprint_id: 'debian_12',
    __meta_lightsail_bundle_id: 'small_3_0',
    __meta_lightsail_instance_name: 'db-1',
    __meta_lightsail_instance_state: 'stopped',
  },
];

const rawConfig = () => fixture.entry({ role: 'lightsail', port: 9100 });
const config = () =>
  (parseEntry(awsMechanism, rawConfig()) as Extract<AwsSdConfig, { role: 'lightsail' }>).lightsail;
const noRetry = { createClient: (o: object) => new LightsailClient({ ...o, maxAttempts: 1 }) };

beforeEach(() => {
  fixture.reset();
  fixture.world.lightsail = INSTANCES;
});

describe('LightsailDiscoverer against a local Lightsail', () => {
  it('gives one group, source = region, with the complete label set of every instance', async () => {
    const { groups, errors } = await new LightsailDiscoverer(config(), noRetry).refresh();
    expect(errors).toEqual([]);
    expect(groups).toEqual([{ source: REGION, labels: {}, targets: EXPECTED }]);
    groups[0]!.targets.forEach((t, i) => {
      expect(Object.keys(t).sort()).toEqual(Object.keys(EXPECTED[i]!).sort());
    });
    const [call] = fixture.calls('GetInstances');
    expect(call!.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=AKIDTESTKEY/\\d{8}/${REGION}/lightsail/aws4_request,`,
      ),
    );
  });

  it('pages with pageToken to the end (Prometheus reads the first page only)', async () => {
    fixture.world.pageSize = 1;
    const { groups } = await new LightsailDiscoverer(config(), noRetry).refresh();
    expect(groups[0]!.targets).toEqual(EXPECTED);
    expect(fixture.calls('GetInstances').map((r) => r.body.pageToken ?? null)).toEqual([
      null,
      '1',
      '2',
    ]);
  });

  it('throws on an error; JobDiscovery keeps the previous targets', async () => {
    const job = sdJob('aws_sd_configs', [rawConfig()], { jobName: 'ls' });
    const mechanism: DiscoveryMechanism<AwsSdConfig> = {
      ...awsMechanism,
      create: (configs) => awsMechanism.create(configs, { aws: { lightsail: noRetry } }),
    };
    const discovery = new JobDiscovery(job, {}, [mechanism as DiscoveryMechanism<unknown>]);
    try {
      const first = await discovery.refresh();
      expect(first.errors).toEqual([]);
      fixture.faults.set('GetInstances', {
        status: 400,
        type: 'AccessDeniedException',
        message: 'not allowed',
      });
      const second = await discovery.refresh({ force: true });
      expect(second.groups).toEqual(first.groups);
      expect(second.errors.map((e) => e.message)).toEqual([
        `discovery aws_sd_configs/0 of job "ls" failed: cannot get Lightsail instances in region ${REGION}: AccessDeniedException: not allowed`,
      ]);
      expect((second.errors[0]!.cause as AwsSdError).code).toBe('AWS_SD_LIGHTSAIL_FAILED');
    } finally {
      await discovery.close();
    }
  });

  it('a garbage answer is an AwsSdError', async () => {
    fixture.raw.set('GetInstances', { status: 200, body: '{"instances": [' });
    await expect(new LightsailDiscoverer(config(), noRetry).refresh()).rejects.toBeInstanceOf(
      AwsSdError,
    );
  });
});

describe('lightsailTarget: arbitrary answers', () => {
  const anything = fc.oneof({ weight: 3, arbitrary: oddString }, anyJson);
  const instance = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record(
        {
          name: anything,
          privateIpAddress: fc.oneof(fc.ipV4(), anything),
          publicIpAddress: anything,
          location: fc.oneof(fc.record({ availabilityZone: anything }), anything),
          state: fc.oneof(fc.record({ name: anything }), anything),
          blueprintId: anything,
          bundleId: anything,
          supportCode: anything,
          ipv6Addresses: fc.oneof(fc.array(anything, { maxLength: 4 }), anything),
          tags: fc.oneof(
            fc.array(fc.record({ key: anything, value: anything }), { maxLength: 5 }),
            anything,
          ),
        },
        { requiredKeys: [] },
      ),
    },
    anything,
  );
  it('never throws; bounded string labels with valid names and an address', () => {
    fc.assert(
      fc.property(instance, oddString, (inst, region) => {
        const labels = lightsailTarget(inst, region, 9100);
        if (labels === undefined) return;
        const size = JSON.stringify(inst).length + region.length + 64;
        expectBounded([{ source: 'r', targets: [labels], labels: {} }], 1, size);
        for (const name of Object.keys(labels)) {
          expect(name).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
          if (name !== '__address__') expect(name.startsWith(LIGHTSAIL_LABEL)).toBe(true);
        }
        expect(labels.__address__?.endsWith(':9100')).toBe(true);
      }),
      fuzzParams(500),
    );
  });
});

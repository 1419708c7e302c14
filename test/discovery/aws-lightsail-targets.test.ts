/**
 * `lambdascrape targets` end to end with aws_sd_configs `role: lightsail`: the command loads and
 * checks the config, the real Lightsail client reads the local JSON 1.1 stand-in
 * (aws-fixture.ts) page by page, and the relabel rules an operator writes for Lightsail pick the
 * targets: keep on an Env tag and on the running state, the port from a `prometheus:port` tag
 * (`__meta_lightsail_private_ip` + `__meta_lightsail_tag_prometheus_port` to `__address__`, the
 * configured port otherwise), instance from the instance name, the tags mapped by labelmap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdLabels, targetRows } from '../support/captured-cli.js';
import { AwsFixture, type Json, REGION, tags } from './aws-fixture.js';

const fixture = new AwsFixture();

beforeAll(() => fixture.start());
afterAll(() => fixture.stop());

function instance(
  name: string,
  ip: string | undefined,
  state: string,
  tagPairs: Record<string, string>,
): Json {
  return {
    name,
    arn: `arn:aws:lightsail:${REGION}:123456789012:Instance/${name}`,
    supportCode: `123456789012/i-${name}`,
    location: { availabilityZone: 'us-east-1a', regionName: REGION },
    blueprintId: 'ubuntu_22_04',
    bundleId: 'small_3_0',
    state: { code: state === 'running' ? 16 : 80, name: state },
    ...(ip === undefined ? {} : { privateIpAddress: ip }),
    tags: tags(tagPairs),
  };
}

const INSTANCES: Json[] = [
  {
    ...instance('web-1', '172.26.0.10', 'running', { Env: 'prod', 'prometheus:port': '9113' }),
    publicIpAddress: '3.3.3.3',
    ipv6Addresses: ['2600:1f18::1'],
  },
  // No port tag: the configured port stays.
  instance('web-2', '172.26.0.11', 'running', { Env: 'prod' }),
  instance('web-3', '172.26.0.12', 'stopped', { Env: 'prod' }),
  instance('dev-1', '172.26.0.13', 'running', { Env: 'dev' }),
  // Not placed yet: no private IP, so no target at all.
  instance('new-1', undefined, 'pending', { Env: 'prod' }),
];

describe('lambdascrape targets with aws_sd_configs role lightsail', () => {
  it('keeps the running prod instances, at their prometheus:port tag or the configured port', async () => {
    fixture.reset();
    fixture.world.lightsail = INSTANCES;
    fixture.world.pageSize = 2;
    const rows = await targetRows(`
scrape_configs:
  - job_name: lightsail
    aws_sd_configs:
      - role: lightsail
        region: ${REGION}
        endpoint: ${fixture.endpoint}
        access_key: AKIDTESTKEY
        secret_key: not-a-real-secret
        port: 9100
    relabel_configs:
      - source_labels: [__meta_lightsail_tag_Env]
        regex: prod
        action: keep
      - source_labels: [__meta_lightsail_instance_state]
        regex: running
        action: keep
      - source_labels: [__meta_lightsail_private_ip, __meta_lightsail_tag_prometheus_port]
        regex: '(.+);(\\d+)'
        replacement: '$1:$2'
        target_label: __address__
      - source_labels: [__meta_lightsail_instance_name]
        target_label: instance
      - source_labels: [__meta_lightsail_availability_zone]
        target_label: zone
      - action: labelmap
        regex: __meta_lightsail_tag_(.+)
`);
    const active = rows.filter((row) => row.state === 'active');
    expect(active.map((row) => [row.url, row.labels])).toEqual([
      [
        'http://172.26.0.10:9113/metrics',
        {
          Env: 'prod',
          instance: 'web-1',
          job: 'lightsail',
          prometheus_port: '9113',
          zone: 'us-east-1a',
        },
      ],
      [
        'http://172.26.0.11:9100/metrics',
        { Env: 'prod', instance: 'web-2', job: 'lightsail', zone: 'us-east-1a' },
      ],
    ]);
    expect(sdLabels(active[0]!)).toEqual({
      __address__: '172.26.0.10:9100',
      __meta_lightsail_availability_zone: 'us-east-1a',
      __meta_lightsail_blueprint_id: 'ubuntu_22_04',
      __meta_lightsail_bundle_id: 'small_3_0',
      __meta_lightsail_instance_name: 'web-1',
      __meta_lightsail_instance_state: 'running',
      __meta_lightsail_instance_support_code: '123456789012/i-web-1',
      __meta_lightsail_ipv6_addresses: ',2600:1f18::1,',
      __meta_lightsail_private_ip: '172.26.0.10',
      __meta_lightsail_public_ip: '3.3.3.3',
      __meta_lightsail_region: REGION,
      __meta_lightsail_tag_Env: 'prod',
      __meta_lightsail_tag_prometheus_port: '9113',
    });
    // Dropped: the stopped prod instance and the dev one; new-1 has no address, no target.
    const dropped = rows.filter((row) => row.state === 'dropped');
    expect(dropped.map((row) => [row.url, row.labels, row.discoveredLabels.__address__])).toEqual([
      [null, {}, '172.26.0.12:9100'],
      [null, {}, '172.26.0.13:9100'],
    ]);
    expect(dropped.map((row) => row.discoveredLabels.__meta_lightsail_instance_name)).toEqual([
      'web-3',
      'dev-1',
    ]);
    // Every page was read (two instances a page).
    expect(fixture.calls('GetInstances').map((c) => c.body.pageToken ?? null)).toEqual([
      null,
      '2',
      '4',
    ]);
  });
});

/**
 * `lambdascrape targets` end to end with aws_sd_configs `role: ec2` (the ec2_sd_configs
 * discoverer behind Prometheus's unified AWS key): the command loads and checks the config, the
 * real EC2 client reads the local Query API stand-in (test/support/ec2-query-api.ts) with the
 * entry's `filters` sent to EC2, and the relabel rules an operator writes for node_exporter on
 * EC2 pick the targets: keep on a Monitoring tag, the port from a `metrics-port` tag
 * (`__meta_ec2_private_ip` + `__meta_ec2_tag_metrics_port` to `__address__`, the configured
 * port otherwise), instance from the Name tag, the tags mapped to `tag_*`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdLabels, targetRows } from '../support/captured-cli.js';
import {
  type Ec2QueryApi,
  type Ec2QueryInstance,
  startEc2QueryApi,
} from '../support/ec2-query-api.js';

const INSTANCES: Ec2QueryInstance[] = [
  {
    id: 'i-api1',
    privateIp: '10.0.1.1',
    publicIp: '54.0.0.1',
    az: 'us-east-1a',
    tags: { Name: 'api-1', Monitoring: 'enabled', 'metrics-port': '9102', Team: 'payments' },
  },
  {
    // No port tag: the configured port stays.
    id: 'i-api2',
    privateIp: '10.0.1.2',
    az: 'us-east-1b',
    tags: { Name: 'api-2', Monitoring: 'enabled', Team: 'payments' },
  },
  {
    id: 'i-build',
    privateIp: '10.0.1.3',
    az: 'us-east-1c',
    tags: { Name: 'build-1', Monitoring: 'disabled' },
  },
  {
    // Left out by EC2 itself (the instance-state-name filter): neither active nor dropped.
    id: 'i-old',
    privateIp: '10.0.1.4',
    az: 'us-east-1a',
    state: 'stopped',
    tags: { Name: 'old-1', Monitoring: 'enabled' },
  },
];

let ec2: Ec2QueryApi;

beforeAll(async () => {
  ec2 = await startEc2QueryApi(INSTANCES);
});
afterAll(() => ec2?.stop());

describe('lambdascrape targets with aws_sd_configs role ec2', () => {
  it('keeps the monitored instances, at their metrics-port tag or the configured port', async () => {
    const rows = await targetRows(`
scrape_configs:
  - job_name: node
    aws_sd_configs:
      - role: ec2
        region: us-east-1
        endpoint: ${ec2.endpoint}
        access_key: AKIDTESTKEY
        secret_key: not-a-real-secret
        port: 9100
        filters:
          - name: instance-state-name
            values: [running]
    relabel_configs:
      - source_labels: [__meta_ec2_tag_Monitoring]
        regex: enabled
        action: keep
      - source_labels: [__meta_ec2_private_ip, __meta_ec2_tag_metrics_port]
        regex: '(.+);(\\d+)'
        replacement: '$1:$2'
        target_label: __address__
      - source_labels: [__meta_ec2_tag_Name]
        target_label: instance
      - source_labels: [__meta_ec2_availability_zone_id]
        target_label: zone_id
      - action: labelmap
        regex: __meta_ec2_tag_(.+)
        replacement: tag_$1
`);
    const active = rows.filter((row) => row.state === 'active');
    expect(active.map((row) => [row.url, row.labels])).toEqual([
      [
        'http://10.0.1.1:9102/metrics',
        {
          instance: 'api-1',
          job: 'node',
          tag_Monitoring: 'enabled',
          tag_Name: 'api-1',
          tag_Team: 'payments',
          tag_metrics_port: '9102',
          zone_id: 'use1-az1',
        },
      ],
      [
        'http://10.0.1.2:9100/metrics',
        {
          instance: 'api-2',
          job: 'node',
          tag_Monitoring: 'enabled',
          tag_Name: 'api-2',
          tag_Team: 'payments',
          zone_id: 'use1-az2',
        },
      ],
    ]);
    // The role's labels are ec2_sd_configs' own, the public IP and AZ ID included.
    expect(sdLabels(active[0]!)).toEqual({
      __address__: '10.0.1.1:9100',
      __meta_ec2_ami: 'ami-0001',
      __meta_ec2_architecture: 'x86_64',
      __meta_ec2_availability_zone: 'us-east-1a',
      __meta_ec2_availability_zone_id: 'use1-az1',
      __meta_ec2_instance_id: 'i-api1',
      __meta_ec2_instance_state: 'running',
      __meta_ec2_instance_type: 't3.micro',
      __meta_ec2_owner_id: '111122223333',
      __meta_ec2_primary_subnet_id: 'subnet-a',
      __meta_ec2_private_dns_name: 'ip-10-0-1-1.ec2.internal',
      __meta_ec2_private_ip: '10.0.1.1',
      __meta_ec2_public_ip: '54.0.0.1',
      __meta_ec2_region: 'us-east-1',
      __meta_ec2_tag_Monitoring: 'enabled',
      __meta_ec2_tag_Name: 'api-1',
      __meta_ec2_tag_Team: 'payments',
      __meta_ec2_tag_metrics_port: '9102',
      __meta_ec2_vpc_id: 'vpc-1',
    });
    expect(rows.filter((row) => row.state === 'dropped')).toEqual([
      {
        job: 'node',
        url: null,
        labels: {},
        discoveredLabels: expect.objectContaining({
          __address__: '10.0.1.3:9100',
          __meta_ec2_instance_id: 'i-build',
          __meta_ec2_tag_Monitoring: 'disabled',
        }),
        state: 'dropped',
      },
    ]);
    // The filter went to EC2, which left the stopped instance out.
    expect(ec2.requests.filter((p) => p.Action === 'DescribeInstances')).toEqual([
      expect.objectContaining({
        'Filter.1.Name': 'instance-state-name',
        'Filter.1.Value.1': 'running',
      }),
    ]);
  });
});

/**
 * `lambdascrape targets` end to end with aws_sd_configs `role: ecs`: the command loads and
 * checks the config, the real SDK clients read the local ECS/EC2 stand-in (aws-fixture.ts; the
 * EC2 client through the SDK's own `AWS_ENDPOINT_URL_EC2`, since `endpoint` names ECS only, as
 * in Prometheus), and typical relabel rules pick the targets: keep on a cluster tag and on the
 * task status, the port from a task tag (`__meta_ecs_ip_address` + `__meta_ecs_tag_task_*` to
 * `__address__`: ECS discovery has no port label), labels from the service and network mode.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { targetRows } from '../support/captured-cli.js';
import { ecsWorld } from './aws-ecs-world.js';
import { AwsFixture, arn, REGION } from './aws-fixture.js';

const fixture = new AwsFixture();

beforeAll(() => fixture.start());
afterAll(() => fixture.stop());
afterEach(() => vi.unstubAllEnvs());

const config = () => `
scrape_configs:
  - job_name: ecs-tasks
    aws_sd_configs:
      - role: ecs
        region: ${REGION}
        endpoint: ${fixture.endpoint}
        access_key: AKIDTESTKEY
        secret_key: not-a-real-secret
        port: 8080
    relabel_configs:
      - source_labels: [__meta_ecs_tag_cluster_Environment]
        regex: prod
        action: keep
      - source_labels: [__meta_ecs_last_status]
        regex: RUNNING
        action: keep
      - source_labels: [__meta_ecs_ip_address, __meta_ecs_tag_task_metrics_port]
        regex: '(.+);(\\d+)'
        replacement: '$1:$2'
        target_label: __address__
      - source_labels: [__meta_ecs_service]
        target_label: service
      - source_labels: [__meta_ecs_network_mode]
        target_label: network_mode
      - source_labels: [__meta_ecs_task_arn]
        regex: '.*/([^/]+)'
        target_label: task
`;

describe('lambdascrape targets with aws_sd_configs role ecs', () => {
  it('lists the kept tasks with their relabelled addresses and labels', async () => {
    fixture.reset();
    fixture.world = ecsWorld();
    vi.stubEnv('AWS_ENDPOINT_URL_EC2', fixture.endpoint);
    vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
    const rows = await targetRows(config());
    const active = rows.filter((row) => row.state === 'active');
    expect(active.map((row) => [row.url, row.labels])).toEqual([
      [
        'http://10.0.1.10:9102/metrics',
        {
          instance: '10.0.1.10:9102',
          job: 'ecs-tasks',
          network_mode: 'awsvpc',
          service: 'api',
          task: 'fargate-1',
        },
      ],
      [
        'http://10.0.2.20:8080/metrics',
        {
          instance: '10.0.2.20:8080',
          job: 'ecs-tasks',
          network_mode: 'bridge',
          service: 'worker',
          task: 'bridge-1',
        },
      ],
      [
        'http://10.0.3.30:8080/metrics',
        { instance: '10.0.3.30:8080', job: 'ecs-tasks', network_mode: 'bridge', task: 'host-1' },
      ],
      [
        'http://10.0.4.40:8080/metrics',
        {
          instance: '10.0.4.40:8080',
          job: 'ecs-tasks',
          network_mode: 'awsvpc',
          service: 'api',
          task: 'ec2-awsvpc-1',
        },
      ],
    ]);
    // The discovered labels are the discovery's own, host tags and public IPs included.
    expect(active[1]!.discoveredLabels).toMatchObject({
      __address__: '10.0.2.20:8080',
      __meta_ecs_ec2_instance_id: 'i-host1',
      __meta_ecs_public_ip: '54.2.2.2',
      __meta_ecs_tag_ec2_Name: 'ecs-host-1',
      __meta_ecs_container_instance_arn: arn('container-instance', 'web/ci-1'),
    });
    // The task being stopped (not RUNNING) and the batch cluster's (no Environment tag).
    const dropped = rows.filter((row) => row.state === 'dropped');
    expect(dropped.map((row) => row.discoveredLabels.__meta_ecs_task_arn)).toEqual([
      arn('task', 'web/stopping-1'),
      arn('task', 'batch/job-1'),
    ]);
    // The EC2 calls went to the stand-in through the SDK's own endpoint variable.
    expect(fixture.calls('DescribeInstances')).toHaveLength(1);
    expect(fixture.calls('DescribeNetworkInterfaces')).toHaveLength(2);
  });
});

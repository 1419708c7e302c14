/**
 * The discovery function end to end with aws_sd_configs `role: ecs` and kubernetes_sd_configs:
 * `handleDiscovery` on the discovery function's runtime, `createDiscoveryRuntime` (dynalite for
 * the tables, fauxqs for the queues), runs the real ECS and EC2 SDK clients against the ECS stand-in
 * (test/discovery/aws-fixture.ts; the EC2 calls through the SDK's own `AWS_ENDPOINT_URL_EC2`)
 * and the Kubernetes API stand-in, applies each job's relabel rules, and writes the targets to
 * the targets table and each job's dropped targets to the state table. Read back with stores
 * of their own, the stored targets carry the relabelled labels and URLs; a second run of the
 * warm container finds every stored target unchanged (what was written decodes to what is
 * discovered, so nothing is written again).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDbDroppedTargetsStore } from '../../src/aws/dynamodb-health-store.js';
import { DynamoDbTargetStore } from '../../src/aws/dynamodb-target-store.js';
import type { Labels } from '../../src/model/labels.js';
import {
  createDiscoveryRuntime,
  type DiscoveryRuntime,
  handleDiscovery,
} from '../../src/serverless/discovery.js';
import { ecsWorld } from '../discovery/aws-ecs-world.js';
import { AwsFixture, arn, REGION } from '../discovery/aws-fixture.js';
import { FakeKubeApi } from '../discovery/kubernetes-fixture.js';
import { appPod } from '../discovery/kubernetes-objects.js';
import { createTable, type Dynalite, KEY_SCHEMAS, startDynalite } from '../support/dynalite.js';
import { createQueue, type LocalSqs, startLocalSqs } from '../support/fauxqs.js';
import {
  type LogLine,
  localRuntimeOptions,
  localServerlessEnv,
} from '../support/serverless-env.js';

const config = (ecs: string, kubernetes: string) => `
scrape_configs:
  - job_name: ecs-tasks
    aws_sd_configs:
      - role: ecs
        region: ${REGION}
        endpoint: ${ecs}
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
      - source_labels: [__meta_ecs_task_arn]
        regex: '.*/([^/]+)'
        target_label: task
  - job_name: kubernetes-pods
    kubernetes_sd_configs:
      - role: pod
        api_server: ${kubernetes}
        namespaces: {names: [shop]}
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        regex: 'true'
        action: keep
      - source_labels: [__meta_kubernetes_pod_container_port_name]
        regex: metrics
        action: keep
      - source_labels: [__meta_kubernetes_pod_ip, __meta_kubernetes_pod_container_port_number]
        regex: '(.+);(\\d+)'
        replacement: '$1:$2'
        target_label: __address__
      - action: labelmap
        regex: __meta_kubernetes_pod_label_(.+)
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
`;

const aws = new AwsFixture();
const kube = new FakeKubeApi();
let dir: string;
let dynamo: Dynalite;
let sqs: LocalSqs;
let runtime: DiscoveryRuntime;
const lines: LogLine[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ls-discovery-sd-'));
  await aws.start();
  aws.world = ecsWorld();
  const apiServer = await kube.start();
  kube.objects.set('pods', [
    appPod('web-1', '10.1.0.1', { 'prometheus.io/scrape': 'true' }, [
      { name: 'http', containerPort: 8080 },
      { name: 'metrics', containerPort: 9102 },
    ]),
    appPod('web-2', '10.1.0.2', {}, [{ name: 'metrics', containerPort: 9102 }]),
  ]);
  vi.stubEnv('AWS_ENDPOINT_URL_EC2', aws.endpoint);
  const configPath = join(dir, 'prometheus.yml');
  await writeFile(configPath, config(aws.endpoint, apiServer));
  dynamo = await startDynalite();
  sqs = await startLocalSqs();
  await createTable(dynamo.client(), 'targets', KEY_SCHEMAS.targets);
  await createTable(dynamo.client(), 'state', KEY_SCHEMAS.state);
  const scrape = await createQueue(sqs.client);
  const outbox = await createQueue(sqs.client);
  const env = localServerlessEnv(
    { dynamo, sqs },
    {
      LAMBDASCRAPE_CONFIG: configPath,
      SCRAPE_QUEUE_URL: scrape.url,
      OUTBOX_QUEUE_URL: outbox.url,
    },
  );
  runtime = await createDiscoveryRuntime(env, localRuntimeOptions(lines));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await runtime?.close();
  await sqs?.stop();
  await dynamo?.stop();
  await aws.stop();
  await kube.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const record = (labels: Labels) => Object.fromEntries(labels.map((l) => [l.name, l.value]));

describe('handleDiscovery with aws_sd_configs role ecs and kubernetes_sd_configs', () => {
  it('writes the relabelled targets and the dropped ones to the tables', async () => {
    const summary = await handleDiscovery(runtime);
    expect(summary).toEqual({
      added: 5,
      changed: 0,
      removed: 0,
      unchanged: 0,
      kept: 0,
      errors: [],
    });
    expect(lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);

    const stored = await new DynamoDbTargetStore(dynamo.client(), 'targets').list();
    const rows = stored
      .map((t) => ({
        job: t.job,
        url: t.url,
        labels: record(t.publicLabels),
        intervalMs: t.intervalMs,
      }))
      .sort((a, b) => `${a.job} ${a.url}`.localeCompare(`${b.job} ${b.url}`));
    const ecs = (url: string, labels: Record<string, string>) => ({
      job: 'ecs-tasks',
      url,
      labels: { ...labels, instance: new URL(url).host, job: 'ecs-tasks' },
      intervalMs: 60_000,
    });
    expect(rows).toEqual([
      ecs('http://10.0.1.10:9102/metrics', { service: 'api', task: 'fargate-1' }),
      ecs('http://10.0.2.20:8080/metrics', { service: 'worker', task: 'bridge-1' }),
      ecs('http://10.0.3.30:8080/metrics', { task: 'host-1' }),
      ecs('http://10.0.4.40:8080/metrics', { service: 'api', task: 'ec2-awsvpc-1' }),
      {
        job: 'kubernetes-pods',
        url: 'http://10.1.0.1:9102/metrics',
        labels: {
          app: 'web',
          app_kubernetes_io_part_of: 'shop',
          instance: '10.1.0.1:9102',
          job: 'kubernetes-pods',
          pod: 'web-1',
        },
        intervalMs: 60_000,
      },
    ]);
    // The discovered labels are stored too (the targets page shows them).
    const bridge = stored.find((t) => t.url === 'http://10.0.2.20:8080/metrics')!;
    expect(record(bridge.discoveredLabels)).toMatchObject({
      __address__: '10.0.2.20:8080',
      __meta_ecs_ec2_instance_id: 'i-host1',
      __meta_ecs_tag_ec2_Name: 'ecs-host-1',
      __meta_ecs_public_ip: '54.2.2.2',
    });

    // Dropped: ECS's stopping task and the batch cluster's; web-1's http port and web-2.
    const dropped = await new DynamoDbDroppedTargetsStore(dynamo.client(), 'state').list();
    const byJob = Object.fromEntries(
      dropped.map((s) => [s.job, { count: s.count, sets: s.discoveredLabels.map(record) }]),
    );
    expect(Object.keys(byJob).sort()).toEqual(['ecs-tasks', 'kubernetes-pods']);
    expect(byJob['ecs-tasks']!.count).toBe(2);
    expect(byJob['ecs-tasks']!.sets.map((l) => l.__meta_ecs_task_arn)).toEqual([
      arn('task', 'web/stopping-1'),
      arn('task', 'batch/job-1'),
    ]);
    expect(byJob['kubernetes-pods']!.count).toBe(2);
    expect(byJob['kubernetes-pods']!.sets.map((l) => l.__address__).sort()).toEqual([
      '10.1.0.1:8080',
      '10.1.0.2:9102',
    ]);
    // The EC2 calls of the ecs role reached the stand-in through the SDK's endpoint variable.
    expect(aws.calls('DescribeInstances')).toHaveLength(1);
  });

  it('a second run of the warm container finds every stored target unchanged', async () => {
    const summary = await handleDiscovery(runtime);
    expect(summary).toEqual({
      added: 0,
      changed: 0,
      removed: 0,
      unchanged: 5,
      kept: 0,
      errors: [],
    });
  });
});

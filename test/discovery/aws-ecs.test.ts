/**
 * aws_sd_configs `role: ecs` with the real ECS and EC2 SDK clients against a local server that
 * speaks ECS's JSON 1.1 protocol and EC2's Query protocol (aws-fixture.ts): complete label sets
 * for every networking mode, paging, batching, throttling, partial failures.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EcsDiscoverer } from '../../src/discovery/aws/ecs.js';
import {
  type AwsSdConfig,
  AwsSdError,
  awsMechanism,
  type EcsDeps,
  type EcsSdConfig,
} from '../../src/discovery/aws/index.js';
import { type DiscoveryMechanism, JobDiscovery } from '../../src/discovery/registry.js';
import { BATCH, ecsWorld, expectedTargets, WEB } from './aws-ecs-world.js';
import { AwsFixture, arn, cluster, eni, REGION } from './aws-fixture.js';
import { parseEntry, sdJob } from './sd-config.js';

const fixture = new AwsFixture();

beforeAll(() => fixture.start());
afterAll(() => fixture.stop());
beforeEach(() => {
  fixture.reset();
  fixture.world = ecsWorld();
});

function rawConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return fixture.entry({ role: 'ecs', port: 9100, ...extra });
}

function ecsConfig(extra: Record<string, unknown> = {}): EcsSdConfig {
  const config = parseEntry(awsMechanism, rawConfig(extra)) as AwsSdConfig;
  if (config.role !== 'ecs') throw new Error('not ecs');
  return config.ecs;
}

/** Both clients at the fixture; `maxAttempts` as the case needs (1: no retries). */
function clients(maxAttempts = 1): EcsDeps {
  return {
    createEcsClient: (opts) => new ECSClient({ ...opts, maxAttempts }),
    createEc2Client: (opts) => new EC2Client({ ...opts, endpoint: fixture.endpoint, maxAttempts }),
  };
}

const targetsOf = async (d: EcsDiscoverer) => {
  const { groups, errors } = await d.refresh();
  expect(errors).toEqual([]);
  expect(groups).toHaveLength(1);
  return groups[0]!;
};

describe('EcsDiscoverer against a local ECS and EC2', () => {
  it('gives one group, source = region, with the complete label set of every task', async () => {
    const group = await targetsOf(new EcsDiscoverer(ecsConfig(), clients()));
    expect(group.source).toBe(REGION);
    expect(group.labels).toEqual({});
    const expected = expectedTargets(9100);
    expect(group.targets).toEqual(expected);
    // toEqual ignores key order but not extra keys; compare the key sets exactly as well.
    group.targets.forEach((t, i) => {
      expect(Object.keys(t).sort()).toEqual(Object.keys(expected[i]!).sort());
    });
  });

  it('makes the calls Prometheus makes, batched, with tags, signed with the static key', async () => {
    await new EcsDiscoverer(ecsConfig(), clients()).refresh();
    expect(fixture.calls('ListClusters')).toHaveLength(1);
    const describeClusters = fixture.calls('DescribeClusters');
    expect(describeClusters.map((r) => r.body)).toEqual([
      { clusters: [WEB, BATCH], include: ['TAGS'] },
    ]);
    expect(fixture.calls('ListTasks').map((r) => r.body.cluster)).toEqual([WEB, BATCH]);
    for (const r of fixture.calls('DescribeTasks')) expect(r.body.include).toEqual(['TAGS']);
    // Only the services the tasks belong to, by name.
    expect(fixture.calls('DescribeServices').map((r) => r.body)).toEqual([
      { cluster: WEB, services: ['api', 'worker'], include: ['TAGS'] },
    ]);
    expect(fixture.calls('DescribeContainerInstances').map((r) => r.body)).toEqual([
      {
        cluster: WEB,
        containerInstances: [
          arn('container-instance', 'web/ci-1'),
          arn('container-instance', 'web/ci-2'),
        ],
      },
    ]);
    const instances = fixture.calls('DescribeInstances');
    expect(instances).toHaveLength(1);
    expect(instances[0]!.body).toMatchObject({
      'Filter.1.Name': 'instance-id',
      'Filter.1.Value.1': 'i-host1',
      'Filter.1.Value.2': 'i-host2',
    });
    const enis = fixture.calls('DescribeNetworkInterfaces');
    expect(enis).toHaveLength(2);
    for (const r of fixture.requests) {
      expect(r.authorization).toMatch(
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=AKIDTESTKEY/\\d{8}/${REGION}/${r.service}/aws4_request,`,
        ),
      );
      expect(r.authorization).not.toContain('not-a-real-secret');
    }
  });

  it('reads only the configured clusters, by name or ARN, without ListClusters', async () => {
    const d = new EcsDiscoverer(ecsConfig({ clusters: ['batch'] }), clients());
    const group = await targetsOf(d);
    expect(group.targets).toEqual(expectedTargets(9100).slice(-1));
    expect(fixture.calls('ListClusters')).toEqual([]);
    expect(fixture.calls('DescribeClusters')[0]!.body.clusters).toEqual(['batch']);
    const byArn = await targetsOf(new EcsDiscoverer(ecsConfig({ clusters: [WEB] }), clients()));
    expect(byArn.targets).toEqual(expectedTargets(9100).slice(0, -1));
  });

  it('uses port 80 by default, and for port: 0 as Prometheus does', async () => {
    for (const extra of [{ port: undefined }, { port: 0 }]) {
      const raw = rawConfig(extra);
      if (extra.port === undefined) delete raw.port;
      const config = parseEntry(awsMechanism, raw) as AwsSdConfig;
      const d = new EcsDiscoverer((config as { ecs: EcsSdConfig }).ecs, clients());
      const group = await targetsOf(d);
      expect(group.targets.map((t) => t.__address__)).toEqual(
        expectedTargets(80).map((t) => t.__address__),
      );
    }
  });

  it('pages ListClusters and ListTasks, and batches DescribeTasks by 100 and services by 10', async () => {
    const world = fixture.world;
    world.pageSize = 40;
    world.clusters = [cluster('big'), ...Array.from({ length: 3 }, (_, i) => cluster(`c${i}`))];
    const big = arn('cluster', 'big');
    world.services = {
      [big]: Array.from({ length: 23 }, (_, i) => ({
        serviceArn: arn('service', `big/s${i}`),
        serviceName: `s${i}`,
        status: 'ACTIVE',
      })),
    };
    world.tasks = {
      [big]: Array.from({ length: 230 }, (_, i) => ({
        taskArn: arn('task', `big/t${i}`),
        group: `service:s${i % 23}`,
        launchType: 'FARGATE',
        attachments: [eni({ privateIPv4Address: `10.1.${i >> 8}.${i & 255}` })],
      })),
    };
    const d = new EcsDiscoverer(ecsConfig(), clients());
    const group = await targetsOf(d);
    expect(group.targets).toHaveLength(230);
    expect(group.targets[229]).toMatchObject({
      __address__: '10.1.0.229:9100',
      __meta_ecs_service: 's22',
      __meta_ecs_cluster: 'big',
    });
    expect(fixture.calls('ListClusters')).toHaveLength(1);
    const listTasks = fixture.calls('ListTasks');
    expect(
      listTasks.filter((r) => r.body.cluster === big).map((r) => r.body.nextToken ?? null),
    ).toEqual([null, '40', '80', '120', '160', '200']);
    expect(listTasks).toHaveLength(6 + 3);
    const sizes = (action: string, field: string) =>
      fixture
        .calls(action)
        .map((r) => (r.body[field] as string[]).length)
        .sort((a, b) => b - a);
    expect(sizes('DescribeTasks', 'tasks')).toEqual([100, 100, 30]);
    expect(sizes('DescribeServices', 'services')).toEqual([10, 10, 3]);
  });

  it('pages ListClusters with nextToken', async () => {
    fixture.world.pageSize = 1;
    const group = await targetsOf(new EcsDiscoverer(ecsConfig(), clients()));
    expect(group.targets).toEqual(expectedTargets(9100));
    expect(fixture.calls('ListClusters').map((r) => r.body.nextToken ?? null)).toEqual([null, '1']);
  });

  it('backs off and retries a throttled call', async () => {
    fixture.faults.set('DescribeTasks', {
      status: 400,
      type: 'ThrottlingException',
      message: 'Rate exceeded',
      times: 2,
    });
    fixture.faults.set('ListTasks', {
      status: 400,
      type: 'ThrottlingException',
      message: 'Rate exceeded',
      times: 1,
    });
    const d = new EcsDiscoverer(ecsConfig(), clients(5));
    const group = await targetsOf(d);
    expect(group.targets).toEqual(expectedTargets(9100));
    // 2 clusters: one ListTasks retried once; DescribeTasks retried twice.
    expect(fixture.calls('ListTasks')).toHaveLength(3);
    expect(fixture.calls('DescribeTasks')).toHaveLength(4);
  });

  it('keeps a failing cluster’s previous targets and reports it; the others are fresh', async () => {
    const d = new EcsDiscoverer(ecsConfig(), clients());
    const first = await targetsOf(d);
    // batch's task moves; web's tasks cannot be described.
    (
      fixture.world.tasks[BATCH]![0]!.attachments as {
        details: { name: string; value: string }[];
      }[]
    )[0]!.details.find((x) => x.name === 'privateIPv4Address')!.value = '10.9.0.2';
    fixture.faults.set('DescribeTasks', {
      status: 400,
      type: 'ThrottlingException',
      message: 'Rate exceeded',
      when: (body) => body.cluster === WEB,
    });
    const { groups, errors } = await d.refresh();
    expect(errors.map((e) => e.message)).toEqual([
      `cannot discover ECS cluster ${WEB} in region ${REGION}: ThrottlingException: Rate exceeded`,
    ]);
    expect(errors[0]).toBeInstanceOf(AwsSdError);
    expect((errors[0] as AwsSdError).code).toBe('AWS_SD_ECS_CLUSTER_FAILED');
    const targets = groups[0]!.targets;
    expect(targets.slice(0, -1)).toEqual(first.targets.slice(0, -1));
    expect(targets.at(-1)?.__address__).toBe('10.9.0.2:9100');
  });

  it('a failing EC2 call fails only its cluster', async () => {
    const d = new EcsDiscoverer(ecsConfig(), clients());
    fixture.faults.set('DescribeInstances', {
      status: 403,
      type: 'UnauthorizedOperation',
      message: 'You are not authorized to perform this operation.',
    });
    const { groups, errors } = await d.refresh();
    expect(errors.map((e) => e.message)).toEqual([
      `cannot discover ECS cluster ${WEB} in region ${REGION}: UnauthorizedOperation: You are not authorized to perform this operation.`,
    ]);
    // web had no earlier targets to keep; batch is there.
    expect(groups[0]!.targets).toEqual(expectedTargets(9100).slice(-1));
  });

  it('a configured cluster that does not exist is an error of that cluster', async () => {
    const d = new EcsDiscoverer(ecsConfig({ clusters: ['gone', 'batch'] }), clients());
    const { groups, errors } = await d.refresh();
    expect(errors.map((e) => e.message)).toEqual([
      `cannot discover ECS cluster gone in region ${REGION}: DescribeClusters: ${arn('cluster', 'gone')}: MISSING`,
    ]);
    expect(groups[0]!.targets).toEqual(expectedTargets(9100).slice(-1));
  });

  it('throws when the clusters cannot be listed; JobDiscovery keeps the previous targets', async () => {
    const job = sdJob('aws_sd_configs', [rawConfig()], { jobName: 'ecs' });
    const mechanism: DiscoveryMechanism<AwsSdConfig> = {
      ...awsMechanism,
      create: (configs) => awsMechanism.create(configs, { aws: { ecs: clients() } }),
    };
    const discovery = new JobDiscovery(job, {}, [mechanism as DiscoveryMechanism<unknown>]);
    const first = await discovery.refresh();
    expect(first.errors).toEqual([]);
    expect(first.groups.map((g) => g.source)).toEqual([`aws_sd_configs/0/${REGION}`]);
    fixture.faults.set('ListClusters', {
      status: 400,
      type: 'AccessDeniedException',
      message: 'not allowed',
    });
    const second = await discovery.refresh({ force: true });
    expect(second.groups).toEqual(first.groups);
    expect(second.errors.map((e) => e.message)).toEqual([
      `discovery aws_sd_configs/0 of job "ecs" failed: cannot list ECS clusters in region ${REGION}: AccessDeniedException: not allowed`,
    ]);
    expect((second.errors[0]!.cause as AwsSdError).code).toBe('AWS_SD_ECS_CLUSTERS_FAILED');
  });

  it('an account without clusters gives one empty group (clears the source)', async () => {
    fixture.world.clusters = [];
    const group = await targetsOf(new EcsDiscoverer(ecsConfig(), clients()));
    expect(group).toEqual({ source: REGION, targets: [], labels: {} });
    expect(fixture.calls('DescribeClusters')).toEqual([]);
  });

  it('describes each container instance once while it stays in use', async () => {
    const d = new EcsDiscoverer(ecsConfig(), clients());
    await d.refresh();
    await d.refresh();
    expect(fixture.calls('DescribeContainerInstances')).toHaveLength(1);
    // Hosts are read at every refresh (their IPs and tags may change).
    expect(fixture.calls('DescribeInstances')).toHaveLength(2);
  });

  it('builds the clients once and reuses them', async () => {
    let created = 0;
    const base = clients();
    const d = new EcsDiscoverer(ecsConfig(), {
      createEcsClient: (opts) => {
        created++;
        return base.createEcsClient!(opts);
      },
      createEc2Client: base.createEc2Client!,
    });
    await d.refresh();
    await d.refresh();
    expect(created).toBe(1);
    // close() releases them; a later refresh builds new ones.
    await d.close();
    await d.refresh();
    expect(created).toBe(2);
  });

  it('takes the region from the SDK when the config has none', async () => {
    const raw = rawConfig();
    delete raw.region;
    const config = (parseEntry(awsMechanism, raw) as { ecs: EcsSdConfig }).ecs;
    const d = new EcsDiscoverer(config, {
      createEcsClient: (opts) => new ECSClient({ ...opts, region: 'eu-west-1', maxAttempts: 1 }),
      createEc2Client: (opts) =>
        new EC2Client({ ...opts, region: 'eu-west-1', endpoint: fixture.endpoint, maxAttempts: 1 }),
    });
    const group = await targetsOf(d);
    expect(group.source).toBe('eu-west-1');
    expect(new Set(group.targets.map((t) => t.__meta_ecs_region))).toEqual(new Set(['eu-west-1']));
    expect(fixture.requests[0]!.authorization).toContain('/eu-west-1/ecs/aws4_request');
  });

  it('refuses an answer larger than the cap before parsing it', async () => {
    fixture.raw.set('ListClusters', {
      status: 200,
      body: `{"clusterArns":["${'x'.repeat(33 * 1024 * 1024)}"]}`,
    });
    const d = new EcsDiscoverer(ecsConfig(), clients());
    await expect(d.refresh()).rejects.toThrow(
      `cannot list ECS clusters in region ${REGION}: response larger than 33554432 bytes`,
    );
  });
});

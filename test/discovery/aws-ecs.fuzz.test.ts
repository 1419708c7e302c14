/**
 * Fuzzing of ECS answers (aws_sd_configs `role: ecs`): `ecsTaskTarget` fed arbitrary tasks,
 * clusters and services (wrong types anywhere, odd strings, huge tag lists) never throws and
 * gives bounded string labels with valid names; the real SDK clients answered with garbage or
 * mutated JSON by a local server give fresh targets or an AwsSdError, and the previous targets
 * are kept (by JobDiscovery for a whole refresh, by the discoverer for one cluster).
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ECS_LABEL,
  type EcsTaskContext,
  ecsTaskTarget,
} from '../../src/discovery/aws/ecs-target.js';
import {
  type AwsSdConfig,
  AwsSdError,
  awsMechanism,
  type EcsDeps,
} from '../../src/discovery/aws/index.js';
import { type DiscoveryMechanism, JobDiscovery } from '../../src/discovery/registry.js';
import type { TargetGroup } from '../../src/discovery/types.js';
import { fuzzParams } from '../support/fuzz.js';
import { ecsWorld } from './aws-ecs-world.js';
import { AwsFixture, REGION } from './aws-fixture.js';
import { anyJson, edits, expectBounded, JSON_PIECES, mutate, oddString } from './fuzz-inputs.js';
import { sdJob } from './sd-config.js';

const NETWORK_TIMEOUT_MS = 300_000;
const PORT = 9100;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

// -------------------------------------------------------------------------------------------
// The label builder on arbitrary input.

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 3 });
const anything = fc.oneof({ weight: 3, arbitrary: oddString }, anyJson);
const tagList = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.array(fc.record({ key: anything, value: anything }), { maxLength: 5 }),
  },
  anything,
);
const detail = fc.record({
  name: fc.oneof(fc.constantFrom('privateIPv4Address', 'subnetId', 'networkInterfaceId'), anything),
  value: fc.oneof(fc.ipV4(), oddString, anyJson),
});
const attachment = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        type: fc.oneof(fc.constant('ElasticNetworkInterface'), anything),
        details: fc.oneof({ weight: 4, arbitrary: fc.array(detail, { maxLength: 4 }) }, anything),
      },
      { requiredKeys: [] },
    ),
  },
  anything,
);
const task: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      {
        taskArn: anything,
        group: fc.oneof(fc.constantFrom('service:api', 'service:', 'family:x'), anything),
        launchType: anything,
        healthStatus: anything,
        lastStatus: anything,
        desiredStatus: anything,
        availabilityZone: anything,
        platformFamily: anything,
        platformVersion: anything,
        taskDefinitionArn: anything,
        containerInstanceArn: fc.oneof(fc.constantFrom('ci-1', 'ci-2'), anything),
        attachments: fc.oneof(
          { weight: 4, arbitrary: fc.array(attachment, { maxLength: 3 }) },
          anything,
        ),
        tags: tagList,
      },
      { requiredKeys: [] },
    ),
  },
  anything,
);
const context: fc.Arbitrary<EcsTaskContext> = fc.record({
  region: oddString,
  port: fc.constant(PORT),
  cluster: fc.oneof(
    fc.record({ clusterArn: anything, clusterName: anything, tags: tagList }, { requiredKeys: [] }),
    anything,
  ),
  services: fc
    .option(
      fc.record({ serviceName: anything, serviceArn: anything, status: anything, tags: tagList }),
      {
        nil: undefined,
      },
    )
    .map((s) => new Map<string, unknown>(s === undefined ? [] : [['api', s]])),
  hosts: fc.constant(new Map([['ci-1', 'i-1']])),
  instances: fc
    .record({
      privateIp: oddString,
      publicIp: maybe(oddString),
      subnetId: maybe(oddString),
      instanceType: maybe(oddString),
      tags: fc.array(fc.tuple(oddString, oddString), { maxLength: 4 }),
    })
    .map((info) => new Map([['i-1', info]])),
  eniPublicIps: fc.constant(new Map<string, string>()),
});

function checkTarget(t: unknown, ctx: EcsTaskContext): void {
  const labels = ecsTaskTarget(t, ctx);
  if (labels === undefined) return;
  const size = JSON.stringify([
    t,
    ctx.cluster,
    [...ctx.services.values()],
    [...ctx.instances.values()],
  ]).length;
  const group: TargetGroup = { source: 'r', targets: [labels], labels: {} };
  expectBounded([group], 1, size + ctx.region.length + 64);
  for (const name of Object.keys(labels)) {
    if (!LABEL_NAME.test(name)) expect(name).toMatch(LABEL_NAME);
    if (name !== '__address__') expect(name.startsWith(ECS_LABEL)).toBe(true);
  }
  expect(labels.__address__?.endsWith(`:${PORT}`)).toBe(true);
  expect(labels.__address__).toContain(labels.__meta_ecs_ip_address);
}

describe('ecsTaskTarget: arbitrary answers', () => {
  it('never throws; bounded string labels with valid names and an address', () => {
    fc.assert(
      fc.property(task, context, (t, ctx) => checkTarget(t, ctx)),
      fuzzParams(1000),
    );
  });

  it('a task with 100,000 tags and details is built in linear time', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => ({ key: `k-${i}`, value: 'v' }));
    const t = {
      tags: many,
      attachments: [
        {
          type: 'ElasticNetworkInterface',
          details: [
            ...Array.from({ length: 100_000 }, (_, i) => ({ name: `d${i}`, value: 'x' })),
            { name: 'privateIPv4Address', value: '10.0.0.1' },
          ],
        },
      ],
    };
    const start = Date.now();
    const labels = ecsTaskTarget(t, {
      region: 'r',
      port: PORT,
      cluster: { tags: many },
      services: new Map(),
      hosts: new Map(),
      instances: new Map(),
      eniPublicIps: new Map(),
    });
    expect(Object.keys(labels!).length).toBeGreaterThan(200_000);
    expect(Date.now() - start).toBeLessThan(5_000);
  });
});

// -------------------------------------------------------------------------------------------
// The real SDK clients against a local server answering what the case says.

const fixture = new AwsFixture();
beforeAll(() => fixture.start());
afterAll(() => fixture.stop());

const noRetry = (): EcsDeps => ({
  createEcsClient: (opts) => new ECSClient({ ...opts, maxAttempts: 1 }),
  createEc2Client: (opts) => new EC2Client({ ...opts, endpoint: fixture.endpoint, maxAttempts: 1 }),
});

/** Good answers of the fixture's world, as mutation seeds. */
const SEEDS = {
  ListClusters: JSON.stringify({ clusterArns: ecsWorld().clusters.map((c) => c.clusterArn) }),
  DescribeTasks: JSON.stringify({ tasks: Object.values(ecsWorld().tasks).flat(), failures: [] }),
  DescribeClusters: JSON.stringify({ clusters: ecsWorld().clusters, failures: [] }),
};
type Action = keyof typeof SEEDS | 'DescribeServices' | 'DescribeNetworkInterfaces';

const answers: fc.Arbitrary<{ action: Action; status: number; body: string }> = fc.oneof(
  fc.record({
    action: fc.constantFrom<Action>(
      'ListClusters',
      'DescribeTasks',
      'DescribeClusters',
      'DescribeServices',
    ),
    status: fc.constant(200),
    body: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      anyJson.map((j) => JSON.stringify(j)),
    ),
  }),
  fc
    .constantFrom<keyof typeof SEEDS>('ListClusters', 'DescribeTasks', 'DescribeClusters')
    .chain((action) =>
      fc.record({
        action: fc.constant(action),
        status: fc.constant(200),
        body: edits(JSON_PIECES, 6).map((l) => mutate(SEEDS[action], l)),
      }),
    ),
  fc.record({
    action: fc.constantFrom<Action>('ListClusters', 'DescribeTasks', 'DescribeNetworkInterfaces'),
    status: fc.constantFrom(200, 400, 403, 500, 503),
    body: fc.constantFrom(
      '',
      '{"__type":"ThrottlingException","message":"Rate exceeded"}',
      '{"clusterArns":["a"],"nextToken":"same"}',
      `{"tasks":${'['.repeat(50_000)}`,
      '<Response><Errors><Error><Code>Throttling</Code></Error></Errors></Response>',
    ),
  }),
);

describe('EcsDiscoverer with the real SDK: garbage answers', () => {
  it(
    'random and mutated answers: new targets or an AwsSdError, the last targets kept',
    async () => {
      fixture.reset();
      fixture.world = ecsWorld();
      const job = sdJob(
        'aws_sd_configs',
        [
          {
            role: 'ecs',
            region: REGION,
            endpoint: fixture.endpoint,
            access_key: 'AKID',
            secret_key: 'secret',
            port: PORT,
          },
        ],
        { jobName: 'ecs' },
      );
      const mechanism: DiscoveryMechanism<AwsSdConfig> = {
        ...awsMechanism,
        create: (configs) => awsMechanism.create(configs, { aws: { ecs: noRetry() } }),
      };
      const discovery = new JobDiscovery(job, {}, [mechanism as DiscoveryMechanism<unknown>]);
      try {
        const good = await discovery.refresh({ force: true });
        expect(good.errors).toEqual([]);
        expect(good.groups[0]!.targets).toHaveLength(6);
        await fc.assert(
          fc.asyncProperty(answers, async (a) => {
            fixture.raw.clear();
            await discovery.refresh({ force: true });
            fixture.raw.set(a.action, { status: a.status, body: a.body });
            const after = await discovery.refresh({ force: true });
            const size = a.body.length + SEEDS.DescribeTasks.length + 1024;
            expectBounded(after.groups, 1000, size);
            for (const err of after.errors) {
              const cause = err instanceof AwsSdError ? err : err.cause;
              expect(cause).toBeInstanceOf(AwsSdError);
            }
            if (after.errors.some((e) => !(e instanceof AwsSdError))) {
              // The whole refresh failed: JobDiscovery kept the last groups.
              expect(after.groups).toEqual(good.groups);
            }
          }),
          fuzzParams(40),
        );
      } finally {
        fixture.raw.clear();
        await discovery.close();
      }
    },
    NETWORK_TIMEOUT_MS,
  );
});

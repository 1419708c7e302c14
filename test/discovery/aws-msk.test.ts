/**
 * aws_sd_configs `role: msk` with the real Kafka SDK client against a local server speaking
 * its REST-JSON protocol (aws-fixture.ts): complete label sets (Prometheus's
 * discovery/aws/msk.go) for brokers with several endpoints and KRaft controllers, serverless
 * clusters skipped, paging, failures, and the label builder fuzzed.
 */
import { KafkaClient } from '@aws-sdk/client-kafka';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsSdConfig, type AwsSdError, awsMechanism } from '../../src/discovery/aws/index.js';
import { MskDiscoverer } from '../../src/discovery/aws/msk.js';
import { goFormatFloat0, MSK_LABEL, mskNodeTargets } from '../../src/discovery/aws/msk-target.js';
import { type DiscoveryMechanism, JobDiscovery } from '../../src/discovery/registry.js';
import { fuzzParams } from '../support/fuzz.js';
import { AwsFixture, REGION } from './aws-fixture.js';
import { anyJson, expectBounded, oddString } from './fuzz-inputs.js';
import { parseEntry, sdJob } from './sd-config.js';

const fixture = new AwsFixture();
beforeAll(() => fixture.start());
afterAll(() => fixture.stop());

const KAFKA = `arn:aws:kafka:${REGION}:123456789012:cluster/events/uuid-1`;
const SERVERLESS = `arn:aws:kafka:${REGION}:123456789012:cluster/sls/uuid-2`;
const CLUSTERS = [
  {
    clusterArn: KAFKA,
    clusterName: 'events',
    clusterType: 'PROVISIONED',
    state: 'ACTIVE',
    currentVersion: 'K3AEGXETSR30VB',
    tags: { Env: 'prod', 'team:owner': 'data' },
    provisioned: {
      currentBrokerSoftwareInfo: {
        kafkaVersion: '3.6.0',
        configurationArn: `arn:aws:kafka:${REGION}:123456789012:configuration/cfg/1`,
        configurationRevision: 3,
      },
      openMonitoring: {
        prometheus: {
          jmxExporter: { enabledInBroker: true },
          nodeExporter: { enabledInBroker: false },
        },
      },
      numberOfBrokerNodes: 1,
    },
  },
  { clusterArn: SERVERLESS, clusterName: 'sls', clusterType: 'SERVERLESS', state: 'ACTIVE' },
];
const NODES = {
  [KAFKA]: [
    {
      nodeARN: `${KAFKA}/broker-1`,
      nodeType: 'BROKER',
      addedToClusterTime: '2026-01-02T03:04:05.000Z',
      instanceType: 'kafka.m5.large',
      brokerNodeInfo: {
        attachedENIId: 'eni-1',
        brokerId: 1,
        clientSubnet: 'subnet-a',
        clientVpcIpAddress: '10.0.0.11',
        endpoints: ['b-1.events.kafka.us-east-1.amazonaws.com', 'b-1-alt.events.example'],
      },
    },
    {
      nodeARN: `${KAFKA}/controller-1`,
      nodeType: 'CONTROLLER',
      addedToClusterTime: '2026-01-02T03:04:05.000Z',
      instanceType: 'kafka.m5.large',
      controllerNodeInfo: { endpoints: ['c-1.events.kafka.us-east-1.amazonaws.com'] },
    },
  ],
};

const cluster = {
  __meta_msk_cluster_name: 'events',
  __meta_msk_cluster_arn: KAFKA,
  __meta_msk_cluster_state: 'ACTIVE',
  __meta_msk_cluster_type: 'PROVISIONED',
  __meta_msk_cluster_version: 'K3AEGXETSR30VB',
  __meta_msk_cluster_kafka_version: '3.6.0',
  __meta_msk_cluster_configuration_arn: `arn:aws:kafka:${REGION}:123456789012:configuration/cfg/1`,
  __meta_msk_cluster_configuration_revision: '3',
  __meta_msk_cluster_jmx_exporter_enabled: 'true',
  __meta_msk_cluster_tag_Env: 'prod',
  __meta_msk_cluster_tag_team_owner: 'data',
  __meta_msk_node_added_time: '2026-01-02T03:04:05.000Z',
  __meta_msk_node_instance_type: 'kafka.m5.large',
};
const broker = {
  ...cluster,
  __meta_msk_node_arn: `${KAFKA}/broker-1`,
  __meta_msk_node_type: 'BROKER',
  __meta_msk_node_attached_eni: 'eni-1',
  __meta_msk_broker_id: '1',
  __meta_msk_broker_client_subnet: 'subnet-a',
  __meta_msk_broker_client_vpc_ip: '10.0.0.11',
  __meta_msk_broker_node_exporter_enabled: 'false',
};
const EXPECTED = [
  {
    ...broker,
    __address__: 'b-1.events.kafka.us-east-1.amazonaws.com:11001',
    __meta_msk_broker_endpoint_index: '0',
  },
  {
    ...broker,
    __address__: 'b-1-alt.events.example:11001',
    __meta_msk_broker_endpoint_index: '1',
  },
  {
    ...cluster,
    __address__: 'c-1.events.kafka.us-east-1.amazonaws.com:11001',
    __meta_msk_node_arn: `${KAFKA}/controller-1`,
    __meta_msk_node_type: 'CONTROLLER',
    __meta_msk_controller_endpoint_index: '0',
  },
];

const rawConfig = (extra: Record<string, unknown> = {}) =>
  fixture.entry({ role: 'msk', port: 11001, ...extra });
const config = (extra: Record<string, unknown> = {}) =>
  (parseEntry(awsMechanism, rawConfig(extra)) as Extract<AwsSdConfig, { role: 'msk' }>).msk;
const noRetry = { createClient: (o: object) => new KafkaClient({ ...o, maxAttempts: 1 }) };

beforeEach(() => {
  fixture.reset();
  fixture.world.msk = { clusters: CLUSTERS, nodes: NODES };
});

describe('MskDiscoverer against a local Kafka API', () => {
  it('gives one group, source = region, a target per broker and controller endpoint', async () => {
    const { groups, errors } = await new MskDiscoverer(config(), noRetry).refresh();
    expect(errors).toEqual([]);
    expect(groups).toEqual([{ source: REGION, labels: {}, targets: EXPECTED }]);
    groups[0]!.targets.forEach((t, i) => {
      expect(Object.keys(t).sort()).toEqual(Object.keys(EXPECTED[i]!).sort());
    });
    expect(fixture.calls('ListClustersV2')[0]!.body).toMatchObject({
      clusterTypeFilter: 'PROVISIONED',
      maxResults: '100',
    });
    expect(fixture.calls('ListNodes').map((r) => r.body.clusterArn)).toEqual([KAFKA]);
    expect(fixture.requests[0]!.authorization).toMatch(
      new RegExp(`Credential=AKIDTESTKEY/\\d{8}/${REGION}/kafka/aws4_request,`),
    );
  });

  it('describes the configured clusters, skipping serverless ones', async () => {
    const d = new MskDiscoverer(config({ clusters: [KAFKA, SERVERLESS] }), noRetry);
    const { groups } = await d.refresh();
    expect(groups[0]!.targets).toEqual(EXPECTED);
    expect(fixture.calls('ListClustersV2')).toEqual([]);
    expect(fixture.calls('DescribeClusterV2')).toHaveLength(2);
  });

  it('pages ListClustersV2 and ListNodes', async () => {
    fixture.world.pageSize = 1;
    const { groups } = await new MskDiscoverer(config(), noRetry).refresh();
    expect(groups[0]!.targets).toEqual(EXPECTED);
    expect(fixture.calls('ListNodes').map((r) => r.body.nextToken ?? null)).toEqual([null, '1']);
  });

  it('throws on an error; JobDiscovery keeps the previous targets', async () => {
    const job = sdJob('aws_sd_configs', [rawConfig()], { jobName: 'kafka' });
    const mechanism: DiscoveryMechanism<AwsSdConfig> = {
      ...awsMechanism,
      create: (configs) => awsMechanism.create(configs, { aws: { msk: noRetry } }),
    };
    const discovery = new JobDiscovery(job, {}, [mechanism as DiscoveryMechanism<unknown>]);
    try {
      const first = await discovery.refresh();
      expect(first.errors).toEqual([]);
      fixture.faults.set('ListNodes', {
        status: 403,
        type: 'ForbiddenException',
        message: 'not allowed',
      });
      const second = await discovery.refresh({ force: true });
      expect(second.groups).toEqual(first.groups);
      expect(second.errors.map((e) => e.message)).toEqual([
        `discovery aws_sd_configs/0 of job "kafka" failed: cannot discover MSK clusters in region ${REGION}: ForbiddenException: not allowed`,
      ]);
      expect((second.errors[0]!.cause as AwsSdError).code).toBe('AWS_SD_MSK_FAILED');
    } finally {
      await discovery.close();
    }
  });
});

describe('mskNodeTargets: arbitrary answers', () => {
  it('formats a broker ID as Go formats %.0f', () => {
    expect([1, 2.5, 3.5, 1e21, undefined, 'x'].map(goFormatFloat0)).toEqual([
      '1',
      '2',
      '4',
      '1000000000000000000000',
      '0',
      '0',
    ]);
  });

  const anything = fc.oneof({ weight: 3, arbitrary: oddString }, anyJson);
  const node = fc.record(
    {
      NodeARN: anything,
      BrokerNodeInfo: fc.oneof(
        fc.record(
          {
            BrokerId: fc.oneof(fc.double(), anything),
            Endpoints: fc.oneof(fc.array(anything, { maxLength: 4 }), anything),
            ClientVpcIpAddress: anything,
          },
          { requiredKeys: [] },
        ),
        anything,
      ),
      ControllerNodeInfo: fc.oneof(
        fc.record({ Endpoints: fc.array(anything, { maxLength: 3 }) }),
        anything,
      ),
    },
    { requiredKeys: [] },
  );
  const clusterArb = fc.oneof(
    fc.record(
      {
        ClusterName: anything,
        Tags: fc.oneof(fc.dictionary(oddString, anything, { maxKeys: 5 }), anything),
        Provisioned: anything,
      },
      { requiredKeys: [] },
    ),
    anything,
  );
  it('never throws; bounded string labels with valid names and an address', () => {
    fc.assert(
      fc.property(clusterArb, node, (c, n) => {
        const targets = mskNodeTargets(c, n, 11001);
        const size = JSON.stringify([c, n]).length + 400;
        expectBounded([{ source: 'r', targets, labels: {} }], 10_000, size);
        for (const t of targets) {
          for (const name of Object.keys(t)) {
            expect(name).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
            if (name !== '__address__') expect(name.startsWith(MSK_LABEL)).toBe(true);
          }
          expect(t.__address__?.endsWith(':11001')).toBe(true);
        }
      }),
      fuzzParams(500),
    );
  });
});

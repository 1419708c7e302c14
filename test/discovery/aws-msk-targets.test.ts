/**
 * `lambdascrape targets` end to end with aws_sd_configs `role: msk`: the command loads and checks
 * the config, the real Kafka client reads the local REST-JSON stand-in (aws-fixture.ts), and the
 * relabel rules an operator writes to scrape MSK's Open Monitoring node exporter pick the
 * targets: keep on an Env cluster tag, one target per broker (its first endpoint; no KRaft
 * controllers), keep where the node exporter is enabled, `__address__` rebuilt from the
 * discovered endpoint at the node exporter's port 11002 (the configured port is the JMX
 * exporter's 11001), instance from the cluster name and broker ID, the cluster tags mapped.
 * Serverless clusters are no targets at all (Prometheus lists provisioned clusters only).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdLabels, targetRows } from '../support/captured-cli.js';
import { AwsFixture, type Json, REGION } from './aws-fixture.js';

const fixture = new AwsFixture();

beforeAll(() => fixture.start());
afterAll(() => fixture.stop());

const clusterArn = (name: string) => `arn:aws:kafka:${REGION}:123456789012:cluster/${name}/uuid`;

/** A provisioned cluster as ListClustersV2 answers it, with Open Monitoring on. */
function provisioned(name: string, env: string, nodeExporter: boolean): Json {
  return {
    clusterArn: clusterArn(name),
    clusterName: name,
    clusterType: 'PROVISIONED',
    state: 'ACTIVE',
    currentVersion: 'K3AEGXETSR30VB',
    tags: { Env: env, 'team:owner': 'data' },
    provisioned: {
      currentBrokerSoftwareInfo: { kafkaVersion: '3.6.0' },
      openMonitoring: {
        prometheus: {
          jmxExporter: { enabledInBroker: true },
          nodeExporter: { enabledInBroker: nodeExporter },
        },
      },
    },
  };
}

function broker(cluster: string, id: number, ip: string, endpoints: string[]): Json {
  return {
    nodeARN: `${clusterArn(cluster)}/broker-${id}`,
    nodeType: 'BROKER',
    instanceType: 'kafka.m5.large',
    brokerNodeInfo: {
      brokerId: id,
      clientSubnet: 'subnet-a',
      clientVpcIpAddress: ip,
      endpoints,
    },
  };
}

const host = (cluster: string, node: string) => `${node}.${cluster}.kafka.us-east-1.amazonaws.com`;

const MSK = {
  clusters: [
    provisioned('events', 'prod', true),
    // Node exporter off: dropped by the rule that asks for it.
    provisioned('logs', 'prod', false),
    provisioned('audit', 'staging', true),
    {
      clusterArn: clusterArn('sls'),
      clusterName: 'sls',
      clusterType: 'SERVERLESS',
      state: 'ACTIVE',
      tags: { Env: 'prod' },
    },
  ],
  nodes: {
    [clusterArn('events')]: [
      broker('events', 1, '10.0.0.11', [host('events', 'b-1'), 'b-1-alt.events.example']),
      broker('events', 2, '10.0.0.12', [host('events', 'b-2')]),
      {
        nodeARN: `${clusterArn('events')}/controller-1`,
        nodeType: 'CONTROLLER',
        controllerNodeInfo: { endpoints: [host('events', 'c-1')] },
      },
    ],
    [clusterArn('logs')]: [broker('logs', 1, '10.0.1.11', [host('logs', 'b-1')])],
    [clusterArn('audit')]: [broker('audit', 1, '10.0.2.11', [host('audit', 'b-1')])],
    [clusterArn('sls')]: [broker('sls', 1, '10.0.3.11', [host('sls', 'b-1')])],
  },
};

describe('lambdascrape targets with aws_sd_configs role msk', () => {
  it('keeps one node exporter target per broker of the prod clusters that run it', async () => {
    fixture.reset();
    fixture.world.msk = MSK;
    const rows = await targetRows(`
scrape_configs:
  - job_name: msk-node-exporter
    aws_sd_configs:
      - role: msk
        region: ${REGION}
        endpoint: ${fixture.endpoint}
        access_key: AKIDTESTKEY
        secret_key: not-a-real-secret
        port: 11001
    relabel_configs:
      - source_labels: [__meta_msk_cluster_tag_Env]
        regex: prod
        action: keep
      - source_labels: [__meta_msk_node_type, __meta_msk_broker_endpoint_index]
        regex: BROKER;0
        action: keep
      - source_labels: [__meta_msk_broker_node_exporter_enabled]
        regex: 'true'
        action: keep
      - source_labels: [__address__]
        regex: '(.+):\\d+'
        replacement: '$1:11002'
        target_label: __address__
      - source_labels: [__meta_msk_cluster_name, __meta_msk_broker_id]
        separator: '-b'
        target_label: instance
      - source_labels: [__meta_msk_cluster_name]
        target_label: cluster
      - action: labelmap
        regex: __meta_msk_cluster_tag_(.+)
        replacement: tag_$1
`);
    const labels = (instance: string) => ({
      cluster: 'events',
      instance,
      job: 'msk-node-exporter',
      tag_Env: 'prod',
      tag_team_owner: 'data',
    });
    const active = rows.filter((row) => row.state === 'active');
    expect(active.map((row) => [row.url, row.labels])).toEqual([
      [`http://${host('events', 'b-1')}:11002/metrics`, labels('events-b1')],
      [`http://${host('events', 'b-2')}:11002/metrics`, labels('events-b2')],
    ]);
    expect(sdLabels(active[0]!)).toEqual({
      __address__: `${host('events', 'b-1')}:11001`,
      __meta_msk_broker_client_subnet: 'subnet-a',
      __meta_msk_broker_client_vpc_ip: '10.0.0.11',
      __meta_msk_broker_endpoint_index: '0',
      __meta_msk_broker_id: '1',
      __meta_msk_broker_node_exporter_enabled: 'true',
      __meta_msk_cluster_arn: clusterArn('events'),
      __meta_msk_cluster_jmx_exporter_enabled: 'true',
      __meta_msk_cluster_kafka_version: '3.6.0',
      __meta_msk_cluster_name: 'events',
      __meta_msk_cluster_state: 'ACTIVE',
      __meta_msk_cluster_tag_Env: 'prod',
      __meta_msk_cluster_tag_team_owner: 'data',
      __meta_msk_cluster_type: 'PROVISIONED',
      __meta_msk_cluster_version: 'K3AEGXETSR30VB',
      __meta_msk_node_arn: `${clusterArn('events')}/broker-1`,
      __meta_msk_node_instance_type: 'kafka.m5.large',
      __meta_msk_node_type: 'BROKER',
    });
    // Dropped: broker 1's second endpoint, the controller, the broker without node exporter and
    // the staging one; the serverless cluster is not listed at all.
    const dropped = rows.filter((row) => row.state === 'dropped');
    expect(dropped.map((row) => [row.url, row.labels, row.discoveredLabels.__address__])).toEqual([
      [null, {}, 'b-1-alt.events.example:11001'],
      [null, {}, `${host('events', 'c-1')}:11001`],
      [null, {}, `${host('logs', 'b-1')}:11001`],
      [null, {}, `${host('audit', 'b-1')}:11001`],
    ]);
    expect(fixture.calls('ListClustersV2')[0]!.body).toMatchObject({
      clusterTypeFilter: 'PROVISIONED',
    });
    expect(fixture.calls('ListNodes').map((c) => c.body.clusterArn)).toEqual([
      clusterArn('events'),
      clusterArn('logs'),
      clusterArn('audit'),
    ]);
  });
});

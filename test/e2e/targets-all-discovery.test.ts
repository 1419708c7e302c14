/**
 * Acceptance: `lambdascrape targets --config FILE` shows the targets of every discovery
 * mechanism in one config (ec2, dns, http, consul, kubernetes, aws_sd_configs role ecs) and the
 * relabel rules of a typical prometheus.yml (keep on a tag or annotation, address rewrite to a
 * port from a label or annotation, labelmap of tags) give the expected final labels.
 *
 * Each mechanism talks to a local stand-in: EC2 to a node:http server answering the EC2 Query API
 * (test/support/ec2-query-api.ts, parsed by the real @aws-sdk/client-ec2), DNS to a real dnsmasq
 * (skipped only when it is not installed), HTTP SD and Consul to node:http servers, Kubernetes to
 * the API server stand-in (test/discovery/kubernetes-fixture.ts), ECS (and the EC2 calls of the
 * ecs role, through the SDK's own `AWS_ENDPOINT_URL_EC2`) to test/discovery/aws-fixture.ts, read
 * by the real ECS and EC2 clients. The CLI runs in process (test/support/captured-cli.ts).
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ecsWorld } from '../discovery/aws-ecs-world.js';
import { AwsFixture, arn, REGION } from '../discovery/aws-fixture.js';
import { FakeKubeApi, type KubeObject } from '../discovery/kubernetes-fixture.js';
import { appPod } from '../discovery/kubernetes-objects.js';
import { runTargets, type TargetRow, targetRows } from '../support/captured-cli.js';
import {
  DNSMASQ_PATH,
  dnsmasqAvailable,
  type RunningDnsmasq,
  startDnsmasq,
} from '../support/dnsmasq.js';
import {
  type Ec2QueryApi,
  type Ec2QueryInstance,
  startEc2QueryApi,
} from '../support/ec2-query-api.js';

const HAVE_DNSMASQ = dnsmasqAvailable();
const NO_DNSMASQ = `dns job skipped: dnsmasq is not installed at ${DNSMASQ_PATH} (CI installs it)`;

// ---------------------------------------------------------------------------------------------
// Local stand-ins

async function listen(handler: RequestListener): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

async function close(server: Server | undefined): Promise<void> {
  if (server === undefined) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** EC2: three instances, two of them with Monitoring=enabled. */
const EC2_INSTANCES: Ec2QueryInstance[] = [
  {
    id: 'i-web1',
    privateIp: '10.0.0.1',
    az: 'us-east-1a',
    tags: { Name: 'web-1', Monitoring: 'enabled', Team: 'ops' },
  },
  {
    id: 'i-web2',
    privateIp: '10.0.0.2',
    az: 'us-east-1b',
    tags: { Name: 'web-2', Monitoring: 'enabled', 'cost-center': 'cc42' },
  },
  {
    id: 'i-batch',
    privateIp: '10.0.0.3',
    az: 'us-east-1a',
    tags: { Name: 'batch-1', Monitoring: 'disabled' },
  },
];

/** HTTP SD: two groups, one prod, one staging. */
const HTTP_SD = [
  {
    targets: ['10.1.0.1:9100', '10.1.0.2:9100'],
    labels: { __meta_datacenter: 'london', env: 'prod' },
  },
  { targets: ['10.1.0.3:9100'], labels: { __meta_datacenter: 'paris', env: 'staging' } },
];

const httpSdHandler: RequestListener = (req, res) => {
  if (req.url !== '/sd') {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(HTTP_SD));
};

/** Consul: web (two prod instances), api (staging only), consul (none). */
const CONSUL_ROUTES: Record<string, unknown> = {
  '/v1/agent/self': { Config: { Datacenter: 'eu-west', NodeName: 'agent-1' } },
  '/v1/catalog/services': { web: ['prod', 'v1'], api: ['staging'], consul: [] },
  '/v1/health/service/web': [
    {
      Node: { Node: 'node-1', Address: '10.2.0.1', Meta: { rack: 'r1' } },
      Service: {
        ID: 'web-1',
        Service: 'web',
        Tags: ['prod', 'v1'],
        Address: '10.2.0.11',
        Meta: { version: '1.2', team: 'storefront' },
        Port: 8080,
      },
      Checks: [{ CheckID: 'service:web-1', Status: 'passing' }],
    },
    {
      Node: { Node: 'node-2', Address: '10.2.0.2', Meta: null },
      Service: {
        ID: 'web-2',
        Service: 'web',
        Tags: ['canary', 'prod'],
        Address: '',
        Meta: { version: '1.3' },
        Port: 8081,
      },
      Checks: [{ CheckID: 'service:web-2', Status: 'warning' }],
    },
  ],
  '/v1/health/service/api': [
    {
      Node: { Node: 'node-3', Address: '10.2.0.3' },
      Service: {
        ID: 'api-1',
        Service: 'api',
        Tags: ['staging'],
        Address: '10.2.0.13',
        Meta: { version: '0.9' },
        Port: 9000,
      },
      Checks: [],
    },
  ],
  '/v1/health/service/consul': [],
};

const consulHandler: RequestListener = (req, res) => {
  const body = CONSUL_ROUTES[new URL(req.url ?? '/', 'http://x').pathname];
  if (body === undefined) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  res
    .writeHead(200, { 'content-type': 'application/json', 'x-consul-index': '7' })
    .end(JSON.stringify(body));
};

/** DNS: three SRV records for _node._tcp.e2e.test. */
const DNS_ZONE = [
  '--local=/e2e.test/',
  '--srv-host=_node._tcp.e2e.test,node-a.e2e.test,19100,0,10',
  '--srv-host=_node._tcp.e2e.test,node-b.e2e.test,19200,0,10',
  '--srv-host=_node._tcp.e2e.test,node-c.e2e.test,19300,0,10',
  '--host-record=node-a.e2e.test,127.0.0.1',
];

/**
 * Kubernetes, namespace shop: service `web` annotated for scraping on port 9102, its endpoint
 * slice with the two pods behind it on 8080; service `db`, not annotated, with one endpoint.
 */
const K8S_SERVICES: KubeObject[] = [
  {
    metadata: {
      name: 'web',
      namespace: 'shop',
      labels: { app: 'web', tier: 'front' },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9102' },
    },
    spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80 }] },
  },
  {
    metadata: { name: 'db', namespace: 'shop', labels: { app: 'db' } },
    spec: { type: 'ClusterIP', clusterIP: '10.96.0.20', ports: [{ name: 'pg', port: 5432 }] },
  },
];

/** A ready endpoint of a slice; `pod` names the pod behind it. */
function endpoint(ip: string, pod?: string): Record<string, unknown> {
  return {
    addresses: [ip],
    conditions: { ready: true, serving: true, terminating: false },
    ...(pod === undefined
      ? {}
      : { nodeName: 'node-a', targetRef: { kind: 'Pod', name: pod, namespace: 'shop' } }),
  };
}

function slice(
  service: string,
  port: { name: string; port: number },
  endpoints: Record<string, unknown>[],
): KubeObject {
  return {
    metadata: {
      name: `${service}-abcde`,
      namespace: 'shop',
      labels: { 'kubernetes.io/service-name': service },
    },
    addressType: 'IPv4',
    ports: [{ ...port, protocol: 'TCP' }],
    endpoints,
  };
}

const K8S_SLICES: KubeObject[] = [
  slice('web', { name: 'http', port: 8080 }, [
    endpoint('10.1.0.1', 'web-1'),
    endpoint('10.1.0.2', 'web-2'),
  ]),
  slice('db', { name: 'pg', port: 5432 }, [endpoint('10.1.0.9')]),
];

const K8S_PODS: KubeObject[] = [
  appPod('web-1', '10.1.0.1', {}, [{ name: 'http', containerPort: 8080 }]),
  appPod('web-2', '10.1.0.2', {}, [{ name: 'http', containerPort: 8080 }]),
];

// ---------------------------------------------------------------------------------------------
// The user's prometheus.yml

function prometheusYml(p: {
  ec2: string;
  http: number;
  consul: number;
  kubernetes: string;
  ecs: string;
}): string {
  const ec2 = `
  - job_name: ec2
    ec2_sd_configs:
      - region: us-east-1
        endpoint: ${p.ec2}
        access_key: AKIDE2EKEY
        secret_key: not-a-real-secret
        port: 9100
    relabel_configs:
      # Only instances that opted in.
      - source_labels: [__meta_ec2_tag_Monitoring]
        regex: enabled
        action: keep
      - source_labels: [__meta_ec2_tag_Name]
        target_label: instance
      - source_labels: [__meta_ec2_availability_zone]
        target_label: az
      - action: labelmap
        regex: __meta_ec2_tag_(.+)
        replacement: tag_$1
`;
  const dns = `
  - job_name: dns
    dns_sd_configs:
      - names: [_node._tcp.e2e.test]
    relabel_configs:
      # Scrape node_exporter on 9100, whatever port the SRV record names.
      - source_labels: [__meta_dns_srv_record_target]
        regex: (.+)\\.
        target_label: __address__
        replacement: \${1}:9100
`;
  const http = `
  - job_name: http
    http_sd_configs:
      - url: http://127.0.0.1:${p.http}/sd
    relabel_configs:
      - source_labels: [env]
        regex: prod
        action: keep
      - source_labels: [__meta_datacenter]
        target_label: dc
`;
  const consul = `
  - job_name: consul
    consul_sd_configs:
      - server: 127.0.0.1:${p.consul}
    relabel_configs:
      - source_labels: [__meta_consul_tags]
        regex: .*,prod,.*
        action: keep
      - source_labels: [__meta_consul_service]
        target_label: service
      - source_labels: [__meta_consul_node]
        target_label: node
      - action: labelmap
        regex: __meta_consul_service_metadata_(.+)
`;
  const kubernetes = `
  - job_name: kubernetes-service-endpoints
    kubernetes_sd_configs:
      - role: endpointslice
        api_server: ${p.kubernetes}
        namespaces: {names: [shop]}
    relabel_configs:
      # Only services annotated for scraping, at the port their annotation names.
      - source_labels: [__meta_kubernetes_service_annotation_prometheus_io_scrape]
        regex: "true"
        action: keep
      - source_labels: [__address__, __meta_kubernetes_service_annotation_prometheus_io_port]
        regex: ([^:]+)(?::\\d+)?;(\\d+)
        replacement: $1:$2
        target_label: __address__
      - action: labelmap
        regex: __meta_kubernetes_service_label_(.+)
      - source_labels: [__meta_kubernetes_namespace]
        target_label: namespace
      - source_labels: [__meta_kubernetes_service_name]
        target_label: service
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
`;
  const ecs = `
  - job_name: ecs
    aws_sd_configs:
      - role: ecs
        region: ${REGION}
        endpoint: ${p.ecs}
        access_key: AKIDE2EKEY
        secret_key: not-a-real-secret
        port: 8080
    relabel_configs:
      # The running tasks of service api, at the port their metrics-port tag names.
      - source_labels: [__meta_ecs_service, __meta_ecs_last_status]
        regex: api;RUNNING
        action: keep
      - source_labels: [__meta_ecs_ip_address, __meta_ecs_tag_task_metrics_port]
        regex: (.+);(\\d+)
        replacement: $1:$2
        target_label: __address__
      - source_labels: [__meta_ecs_task_arn]
        regex: .*/([^/]+)
        target_label: instance
      - source_labels: [__meta_ecs_cluster]
        target_label: cluster
      - action: labelmap
        regex: __meta_ecs_tag_task_(.+)
        replacement: task_$1
`;
  return `global:
  scrape_interval: 30s
scrape_configs:${ec2}${HAVE_DNSMASQ ? dns : ''}${http}${consul}${kubernetes}${ecs}`;
}

// ---------------------------------------------------------------------------------------------

let config: string;
const servers: Server[] = [];
let dnsmasq: RunningDnsmasq | undefined;
let ec2: Ec2QueryApi | undefined;
const kube = new FakeKubeApi();
const aws = new AwsFixture();
let env: Record<string, string> = {};

let rows: TargetRow[];
const byUrl = (a: TargetRow, b: TargetRow) => String(a.url).localeCompare(String(b.url));
const active = (job: string) =>
  rows.filter((r) => r.job === job && r.state === 'active').sort(byUrl);
const dropped = (job: string) => rows.filter((r) => r.job === job && r.state === 'dropped');

beforeAll(async () => {
  ec2 = await startEc2QueryApi(EC2_INSTANCES);
  const http = await listen(httpSdHandler);
  const consul = await listen(consulHandler);
  servers.push(http.server, consul.server);
  const kubernetes = await kube.start();
  kube.objects.set('services', K8S_SERVICES);
  kube.objects.set('endpointslices', K8S_SLICES);
  kube.objects.set('pods', K8S_PODS);
  await aws.start();
  aws.world = ecsWorld();
  // The ecs role's EC2 calls (container instances, ENIs) take the SDK's own endpoint variable;
  // the ec2 job names its endpoint, which wins over the variable.
  vi.stubEnv('AWS_ENDPOINT_URL_EC2', aws.endpoint);
  if (HAVE_DNSMASQ) {
    dnsmasq = await startDnsmasq(DNS_ZONE, 'node-a.e2e.test');
    env = { LAMBDASCRAPE_DNS_SERVERS: dnsmasq.server };
  } else {
    console.warn(NO_DNSMASQ);
  }
  config = prometheusYml({
    ec2: ec2.endpoint,
    http: http.port,
    consul: consul.port,
    kubernetes,
    ecs: aws.endpoint,
  });
  rows = await targetRows(config, [], { env });
});

afterAll(async () => {
  await dnsmasq?.stop();
  await ec2?.stop();
  await kube.stop();
  await aws.stop();
  vi.unstubAllEnvs();
  await Promise.all(servers.map(close));
});

describe('lambdascrape targets --config prometheus.yml --json (all discovery mechanisms)', () => {
  it('lists the jobs in config order, each with targets', () => {
    const jobs = [...new Set(rows.map((r) => r.job))];
    expect(jobs).toEqual([
      'ec2',
      ...(HAVE_DNSMASQ ? ['dns'] : []),
      'http',
      'consul',
      'kubernetes-service-endpoints',
      'ecs',
    ]);
  });

  it('ec2: keeps Monitoring=enabled, instance from the Name tag, tags mapped to tag_*', () => {
    expect(active('ec2').map(({ url, labels }) => ({ url, labels }))).toEqual([
      {
        url: 'http://10.0.0.1:9100/metrics',
        labels: {
          az: 'us-east-1a',
          instance: 'web-1',
          job: 'ec2',
          tag_Monitoring: 'enabled',
          tag_Name: 'web-1',
          tag_Team: 'ops',
        },
      },
      {
        url: 'http://10.0.0.2:9100/metrics',
        labels: {
          az: 'us-east-1b',
          instance: 'web-2',
          job: 'ec2',
          tag_Monitoring: 'enabled',
          tag_Name: 'web-2',
          tag_cost_center: 'cc42',
        },
      },
    ]);
    // The discovered labels are the EC2 meta labels the rules started from.
    expect(active('ec2')[0]!.discoveredLabels).toEqual(
      expect.objectContaining({
        __address__: '10.0.0.1:9100',
        __meta_ec2_instance_id: 'i-web1',
        __meta_ec2_availability_zone_id: 'use1-az1',
        __meta_ec2_region: 'us-east-1',
        __meta_ec2_tag_Monitoring: 'enabled',
        job: 'ec2',
      }),
    );
    expect(dropped('ec2')).toEqual([
      {
        job: 'ec2',
        url: null,
        labels: {},
        discoveredLabels: expect.objectContaining({
          __address__: '10.0.0.3:9100',
          __meta_ec2_instance_id: 'i-batch',
          __meta_ec2_tag_Monitoring: 'disabled',
        }),
        state: 'dropped',
      },
    ]);
  });

  it.skipIf(!HAVE_DNSMASQ)(
    `dns: SRV targets rewritten to <target>:9100 (${HAVE_DNSMASQ ? 'dnsmasq' : NO_DNSMASQ})`,
    () => {
      expect(active('dns').map(({ url, labels }) => ({ url, labels }))).toEqual(
        ['a', 'b', 'c'].map((n) => ({
          url: `http://node-${n}.e2e.test:9100/metrics`,
          labels: { instance: `node-${n}.e2e.test:9100`, job: 'dns' },
        })),
      );
      for (const [i, r] of active('dns').entries()) {
        const n = ['a', 'b', 'c'][i]!;
        expect(r.discoveredLabels).toEqual(
          expect.objectContaining({
            __address__: `node-${n}.e2e.test:19${i + 1}00`,
            __meta_dns_name: '_node._tcp.e2e.test',
            __meta_dns_srv_record_target: `node-${n}.e2e.test.`,
            __meta_dns_srv_record_port: `19${i + 1}00`,
          }),
        );
      }
      expect(dropped('dns')).toEqual([]);
    },
  );

  it('http: keeps env=prod, the group labels stay, __meta_datacenter copied to dc', () => {
    expect(active('http').map(({ url, labels }) => ({ url, labels }))).toEqual(
      ['10.1.0.1:9100', '10.1.0.2:9100'].map((addr) => ({
        url: `http://${addr}/metrics`,
        labels: { dc: 'london', env: 'prod', instance: addr, job: 'http' },
      })),
    );
    expect(active('http')[0]!.discoveredLabels).toEqual(
      expect.objectContaining({ __meta_url: expect.stringMatching(/\/sd$/) }),
    );
    expect(dropped('http')).toEqual([
      expect.objectContaining({
        job: 'http',
        url: null,
        discoveredLabels: expect.objectContaining({
          __address__: '10.1.0.3:9100',
          __meta_datacenter: 'paris',
          env: 'staging',
        }),
        state: 'dropped',
      }),
    ]);
  });

  it('consul: keeps the prod tag, service metadata mapped by labelmap', () => {
    expect(active('consul').map(({ url, labels }) => ({ url, labels }))).toEqual([
      {
        url: 'http://10.2.0.11:8080/metrics',
        labels: {
          instance: '10.2.0.11:8080',
          job: 'consul',
          node: 'node-1',
          service: 'web',
          team: 'storefront',
          version: '1.2',
        },
      },
      {
        // No service address: the node address is used.
        url: 'http://10.2.0.2:8081/metrics',
        labels: {
          instance: '10.2.0.2:8081',
          job: 'consul',
          node: 'node-2',
          service: 'web',
          version: '1.3',
        },
      },
    ]);
    expect(active('consul')[1]!.discoveredLabels).toEqual(
      expect.objectContaining({
        __meta_consul_dc: 'eu-west',
        __meta_consul_tags: ',canary,prod,',
        __meta_consul_health: 'warning',
      }),
    );
    expect(dropped('consul')).toEqual([
      expect.objectContaining({
        job: 'consul',
        url: null,
        discoveredLabels: expect.objectContaining({
          __address__: '10.2.0.13:9000',
          __meta_consul_service: 'api',
          __meta_consul_tags: ',staging,',
        }),
        state: 'dropped',
      }),
    ]);
  });

  it('kubernetes: keeps the annotated service, at its annotated port, service labels mapped', () => {
    const job = 'kubernetes-service-endpoints';
    expect(active(job).map(({ url, labels }) => ({ url, labels }))).toEqual(
      ['1', '2'].map((n) => ({
        url: `http://10.1.0.${n}:9102/metrics`,
        labels: {
          app: 'web',
          instance: `10.1.0.${n}:9102`,
          job,
          namespace: 'shop',
          pod: `web-${n}`,
          service: 'web',
          tier: 'front',
        },
      })),
    );
    // The slice's port, the service's annotations and the pod behind the endpoint.
    expect(active(job)[0]!.discoveredLabels).toEqual(
      expect.objectContaining({
        __address__: '10.1.0.1:8080',
        __meta_kubernetes_endpointslice_name: 'web-abcde',
        __meta_kubernetes_endpointslice_port: '8080',
        __meta_kubernetes_endpointslice_port_name: 'http',
        __meta_kubernetes_service_annotation_prometheus_io_port: '9102',
        __meta_kubernetes_pod_name: 'web-1',
        __meta_kubernetes_pod_container_port_number: '8080',
      }),
    );
    expect(dropped(job)).toEqual([
      {
        job,
        url: null,
        labels: {},
        discoveredLabels: expect.objectContaining({
          __address__: '10.1.0.9:5432',
          __meta_kubernetes_service_name: 'db',
          __meta_kubernetes_endpointslice_port_name: 'pg',
        }),
        state: 'dropped',
      },
    ]);
    expect(kube.seen.map((r) => r.path).sort()).toEqual([
      '/api/v1/namespaces/shop/pods',
      '/api/v1/namespaces/shop/services',
      '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices',
    ]);
  });

  it('ecs: keeps the running tasks of service api, the port from a task tag, task tags mapped', () => {
    expect(active('ecs').map(({ url, labels }) => ({ url, labels }))).toEqual([
      {
        url: 'http://10.0.1.10:9102/metrics',
        labels: {
          cluster: 'web',
          instance: 'fargate-1',
          job: 'ecs',
          task_Version: '1.2',
          task_metrics_port: '9102',
        },
      },
      {
        // No metrics-port tag: the configured port.
        url: 'http://10.0.4.40:8080/metrics',
        labels: { cluster: 'web', instance: 'ec2-awsvpc-1', job: 'ecs' },
      },
    ]);
    expect(active('ecs')[1]!.discoveredLabels).toEqual(
      expect.objectContaining({
        __address__: '10.0.4.40:8080',
        __meta_ecs_network_mode: 'awsvpc',
        __meta_ecs_ec2_instance_id: 'i-host1',
        __meta_ecs_tag_ec2_Name: 'ecs-host-1',
      }),
    );
    // Another service, no service, being stopped, and the batch cluster's standalone task.
    expect(
      dropped('ecs').map((r) => [r.url, r.labels, r.discoveredLabels.__meta_ecs_task_arn]),
    ).toEqual([
      [null, {}, arn('task', 'web/bridge-1')],
      [null, {}, arn('task', 'web/host-1')],
      [null, {}, arn('task', 'web/stopping-1')],
      [null, {}, arn('task', 'batch/job-1')],
    ]);
    // The EC2 calls of the ecs role reached the ECS stand-in, not the ec2 job's server.
    expect(aws.calls('DescribeInstances')).toHaveLength(1);
    expect(ec2!.requests.filter((r) => r.Action === 'DescribeNetworkInterfaces')).toEqual([]);
  });

  it('prints each job with its counts and targets without --json', async () => {
    const r = await runTargets(config, [], { env });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const headers = r.out.split('\n').filter((l) => l.startsWith('job '));
    expect(headers).toEqual([
      'job ec2: 2 active, 1 dropped',
      ...(HAVE_DNSMASQ ? ['job dns: 3 active, 0 dropped'] : []),
      'job http: 2 active, 1 dropped',
      'job consul: 2 active, 1 dropped',
      'job kubernetes-service-endpoints: 2 active, 1 dropped',
      'job ecs: 2 active, 4 dropped',
    ]);
    const actives = r.out.split('\n').filter((l) => l.startsWith('  active '));
    expect(actives).toHaveLength(HAVE_DNSMASQ ? 13 : 10);
    expect(actives).toContainEqual(
      '  active  http://10.0.0.1:9100/metrics  {az="us-east-1a", instance="web-1", job="ec2", tag_Monitoring="enabled", tag_Name="web-1", tag_Team="ops"}',
    );
    expect(actives).toContainEqual(
      '  active  http://10.1.0.2:9102/metrics  {app="web", instance="10.1.0.2:9102", job="kubernetes-service-endpoints", namespace="shop", pod="web-2", service="web", tier="front"}',
    );
    expect(r.out.split('\n').filter((l) => l.startsWith('  dropped '))).toHaveLength(8);
  });
});

/**
 * kubernetes_sd_configs against a local API server stand-in (kubernetes-fixture.ts): config
 * checks with Prometheus's messages, complete label sets for every role (objects and expected
 * sets taken from Prometheus's discovery/kubernetes/*_test.go), namespaces, selectors, paging,
 * vanished objects, failures, and the connection settings (api_server, kubeconfig, in-cluster).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  KubernetesDiscoverer,
  type KubernetesSdConfig,
  KubernetesSdError,
  KubernetesSdErrorCode,
  type KubernetesSdOptions,
  kubernetesMechanism,
  resolveConnection,
} from '../../src/discovery/kubernetes/index.js';
import type { TargetGroup } from '../../src/discovery/types.js';
import { FakeKubeApi, type KubeObject } from './kubernetes-fixture.js';
import * as obj from './kubernetes-objects.js';
import { parseEntry } from './sd-config.js';

const parse = (raw: Record<string, unknown>) => parseEntry(kubernetesMechanism, raw);

const api = new FakeKubeApi();
let server = '';
beforeAll(async () => {
  server = await api.start();
});
afterAll(() => api.stop());

const discoverers: KubernetesDiscoverer[] = [];
afterEach(async () => {
  api.reset();
  await Promise.all(discoverers.splice(0).map((d) => d.close()));
});

function put(plural: string, ...objects: KubeObject[]): void {
  api.objects.set(plural, [...(api.objects.get(plural) ?? []), ...objects]);
}

function discoverer(raw: Record<string, unknown>, options: KubernetesSdOptions = {}) {
  const config = parse({ api_server: server, ...raw });
  const d = new KubernetesDiscoverer(config, options);
  discoverers.push(d);
  return d;
}

async function groups(raw: Record<string, unknown>, options: KubernetesSdOptions = {}) {
  const { groups, errors } = await discoverer(raw, options).refresh();
  expect(errors).toEqual([]);
  return groups;
}

function bySource(list: readonly TargetGroup[]): Record<string, TargetGroup> {
  return Object.fromEntries(list.map((g) => [g.source, g]));
}

function configError(raw: Record<string, unknown>): string {
  try {
    parse(raw);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('config accepted');
}

describe('kubernetes_sd_configs: config', () => {
  it('reads every field', () => {
    const c = parse({
      role: 'endpoints',
      api_server: 'https://k8s.example:6443/',
      bearer_token: 'secret-token',
      namespaces: { names: ['a', 'b'] },
      selectors: [
        { role: 'pod', label: 'app=web', field: 'spec.nodeName=n1' },
        { role: 'endpoints', label: 'tier in (front, back)' },
      ],
      attach_metadata: { node: true, namespace: true, deployment: true, job: true, cronjob: true },
    });
    expect(c).toMatchObject({
      role: 'endpoints',
      apiServer: 'https://k8s.example:6443/',
      kubeconfigFile: undefined,
      namespaces: ['a', 'b'],
      ownNamespace: false,
      selectors: {
        pod: { label: 'app=web', field: 'spec.nodeName=n1' },
        endpoints: { label: 'tier in (front, back)', field: '' },
      },
      attachMetadata: { node: true, namespace: true, deployment: true, job: true, cronjob: true },
    } satisfies Partial<KubernetesSdConfig>);
    expect(c.httpClient.authorization?.type).toBe('Bearer');
  });

  it.each([
    [{}, 'role missing (one of: pod, service, endpoints, endpointslice, node, ingress)'],
    [{ role: 'pods' }, 'unknown Kubernetes SD role "pods"'],
    [
      { role: 'pod', api_server: 'https://a', kubeconfig_file: '/k' },
      "cannot use 'kubeconfig_file' and 'api_server' simultaneously",
    ],
    [
      { role: 'pod', kubeconfig_file: '/k', bearer_token: 'x' },
      "cannot use a custom HTTP client configuration together with 'kubeconfig_file'",
    ],
    [
      { role: 'pod', tls_config: { insecure_skip_verify: true } },
      "to use custom HTTP client configuration please provide the 'api_server' URL explicitly",
    ],
    [
      { role: 'pod', api_server: 'https://a', namespaces: { own_namespace: true } },
      "cannot use 'api_server' and 'namespaces.own_namespace' simultaneously",
    ],
    [
      { role: 'pod', kubeconfig_file: '/k', namespaces: { own_namespace: true } },
      "cannot use 'kubeconfig_file' and 'namespaces.own_namespace' simultaneously",
    ],
    [
      { role: 'pod', selectors: [{ role: 'pod' }, { role: 'pod', label: 'a=b' }] },
      'duplicated selector role: pod',
    ],
    [
      { role: 'pod', selectors: [{ role: 'service' }] },
      'pod role supports only pod, node selectors',
    ],
    [
      { role: 'endpoints', selectors: [{ role: 'node' }] },
      'endpoints role supports only pod, service, endpoints selectors',
    ],
    [{ role: 'node', selectors: [{ role: 'nodes' }] }, 'unknown Kubernetes SD role "nodes"'],
    [{ role: 'pod', selectors: [{ role: 'pod', label: 'a in b' }] }, 'invalid label selector'],
    [{ role: 'pod', selectors: [{ role: 'pod', label: 'bad key!=x=y' }] }, 'invalid label'],
    [
      { role: 'pod', selectors: [{ role: 'pod', field: 'spec.nodeName' }] },
      'invalid field selector',
    ],
    [{ role: 'pod', selectors: [{ role: 'pod', field: 'a=b=c' }] }, 'must be escaped'],
    [{ role: 'pod', namespace: 'x' }, 'field namespace not found in type kubernetes.SDConfig'],
    [
      { role: 'pod', attach_metadata: { pods: true } },
      'field pods not found in type kubernetes.AttachMetadataConfig',
    ],
    [{ role: 'pod', api_server: 'ftp://a' }, 'not an http or https URL'],
  ])('refuses %j', (raw, message) => {
    expect(configError(raw)).toContain(message);
  });

  it('accepts valid selectors of every form', () => {
    const c = parse({
      role: 'pod',
      selectors: [
        { role: 'pod', label: 'a=b,c!=d,e,!f,g in (h, i),j notin (k),l==m,example.com/x=y' },
        { role: 'node', field: 'metadata.name=n\\,1,spec.unschedulable!=true' },
      ],
    });
    expect(Object.keys(c.selectors).sort()).toEqual(['node', 'pod']);
  });

  it('resolves kubeconfig_file against the config folder', () => {
    const c = parseEntry(
      kubernetesMechanism,
      { role: 'node', kubeconfig_file: 'kube.yml' },
      {
        sourcePath: '/etc/prom/prometheus.yml',
      },
    );
    expect(c.kubeconfigFile).toBe('/etc/prom/kube.yml');
  });
});

describe('kubernetes_sd_configs: pod role', () => {
  it('gives one target per container port and per portless container', async () => {
    put('pods', obj.multiPortPod());
    expect(await groups({ role: 'pod' })).toEqual([
      {
        source: 'pod/default/testpod',
        targets: [
          {
            __address__: '1.2.3.4:9000',
            __meta_kubernetes_pod_container_name: 'testcontainer0',
            __meta_kubernetes_pod_container_image: 'testcontainer0:latest',
            __meta_kubernetes_pod_container_port_name: 'testport0',
            __meta_kubernetes_pod_container_port_number: '9000',
            __meta_kubernetes_pod_container_port_protocol: 'TCP',
            __meta_kubernetes_pod_container_init: 'false',
            __meta_kubernetes_pod_container_id: 'docker://a1b2c3d4e5f6',
          },
          {
            __address__: '1.2.3.4:9001',
            __meta_kubernetes_pod_container_name: 'testcontainer0',
            __meta_kubernetes_pod_container_image: 'testcontainer0:latest',
            __meta_kubernetes_pod_container_port_name: 'testport1',
            __meta_kubernetes_pod_container_port_number: '9001',
            __meta_kubernetes_pod_container_port_protocol: 'UDP',
            __meta_kubernetes_pod_container_init: 'false',
            __meta_kubernetes_pod_container_id: 'docker://a1b2c3d4e5f6',
          },
          {
            __address__: '1.2.3.4',
            __meta_kubernetes_pod_container_name: 'testcontainer1',
            __meta_kubernetes_pod_container_image: 'testcontainer1:latest',
            __meta_kubernetes_pod_container_init: 'false',
            __meta_kubernetes_pod_container_id: 'containerd://6f5e4d3c2b1a',
          },
        ],
        labels: {
          __meta_kubernetes_pod_name: 'testpod',
          __meta_kubernetes_namespace: 'default',
          __meta_kubernetes_pod_label_test_label: 'testvalue',
          __meta_kubernetes_pod_labelpresent_test_label: 'true',
          __meta_kubernetes_pod_annotation_test_annotation: 'testannotationvalue',
          __meta_kubernetes_pod_annotationpresent_test_annotation: 'true',
          __meta_kubernetes_pod_node_name: 'testnode',
          __meta_kubernetes_pod_ip: '1.2.3.4',
          __meta_kubernetes_pod_host_ip: '2.3.4.5',
          __meta_kubernetes_pod_ready: 'true',
          __meta_kubernetes_pod_phase: 'Running',
          __meta_kubernetes_pod_uid: 'abc123',
          __meta_kubernetes_pod_controller_kind: 'testcontrollerkind',
          __meta_kubernetes_pod_controller_name: 'testcontrollername',
        },
      },
    ]);
    expect(api.seen.map((r) => r.path)).toEqual(['/api/v1/pods']);
    expect(api.seen[0]!.query).toEqual({ limit: '500' });
  });

  it('lists init containers after the others, and a pod without an IP has no targets', async () => {
    const noIp = obj.simplePod('default', 'starting');
    (noIp.status as Record<string, unknown>).podIP = '';
    put('pods', obj.initContainerPod(), noIp);
    expect(await groups({ role: 'pod' })).toEqual([
      { source: 'pod/default/starting', targets: [], labels: {} },
      {
        source: 'pod/default/testpod',
        targets: [
          {
            __address__: '1.2.3.4:9000',
            __meta_kubernetes_pod_container_name: 'testcontainer',
            __meta_kubernetes_pod_container_image: 'testcontainer:latest',
            __meta_kubernetes_pod_container_port_name: 'testport',
            __meta_kubernetes_pod_container_port_number: '9000',
            __meta_kubernetes_pod_container_port_protocol: 'TCP',
            __meta_kubernetes_pod_container_init: 'false',
            __meta_kubernetes_pod_container_id: 'docker://a1b2c3d4e5f6',
          },
          {
            __address__: '1.2.3.4',
            __meta_kubernetes_pod_container_name: 'initcontainer',
            __meta_kubernetes_pod_container_image: 'initcontainer:latest',
            __meta_kubernetes_pod_container_init: 'true',
            __meta_kubernetes_pod_container_id: 'containerd://6f5e4d3c2b1a',
          },
        ],
        labels: {
          __meta_kubernetes_pod_name: 'testpod',
          __meta_kubernetes_namespace: 'default',
          __meta_kubernetes_pod_node_name: 'testnode',
          __meta_kubernetes_pod_ip: '1.2.3.4',
          __meta_kubernetes_pod_host_ip: '2.3.4.5',
          __meta_kubernetes_pod_ready: 'false',
          __meta_kubernetes_pod_phase: 'Pending',
          __meta_kubernetes_pod_uid: 'abc123',
        },
      },
    ]);
  });

  it('attaches node and namespace metadata; pods on nodes the node selector leaves out have none', async () => {
    const other = obj.simplePod('default', 'elsewhere');
    (other.spec as Record<string, unknown>).nodeName = 'othernode';
    put('pods', obj.simplePod('default'), other);
    put(
      'nodes',
      obj.node('testnode', '10.0.0.1', '', { pool: 'a' }),
      obj.node('othernode', '10.0.0.2', '', { pool: 'b' }),
    );
    put('namespaces', obj.namespace('default', { team: 'x' }, { 'owner/mail': 'x@example' }));
    const list = bySource(
      await groups({
        role: 'pod',
        selectors: [{ role: 'node', label: 'pool=a' }],
        attach_metadata: { node: true, namespace: true },
      }),
    );
    expect(list['pod/default/elsewhere']).toEqual({
      source: 'pod/default/elsewhere',
      targets: [],
      labels: {},
    });
    expect(list['pod/default/testpod']!.labels).toEqual({
      __meta_kubernetes_pod_name: 'testpod',
      __meta_kubernetes_namespace: 'default',
      __meta_kubernetes_pod_node_name: 'testnode',
      __meta_kubernetes_pod_ip: '1.2.3.4',
      __meta_kubernetes_pod_host_ip: '2.3.4.5',
      __meta_kubernetes_pod_ready: 'true',
      __meta_kubernetes_pod_phase: 'Running',
      __meta_kubernetes_pod_uid: 'abc123',
      __meta_kubernetes_node_name: 'testnode',
      __meta_kubernetes_node_label_pool: 'a',
      __meta_kubernetes_node_labelpresent_pool: 'true',
      __meta_kubernetes_namespace_label_team: 'x',
      __meta_kubernetes_namespace_labelpresent_team: 'true',
      __meta_kubernetes_namespace_annotation_owner_mail: 'x@example',
      __meta_kubernetes_namespace_annotationpresent_owner_mail: 'true',
    });
    expect(api.requests('/api/v1/nodes')[0]!.query).toEqual({
      labelSelector: 'pool=a',
      limit: '500',
    });
  });

  it('attaches deployment, job and cronjob names through owner references', async () => {
    const owned = (name: string, kind: string, owner: string): KubeObject => {
      const pod = obj.simplePod('default', name);
      pod.metadata = {
        ...pod.metadata,
        ownerReferences: [{ kind, name: owner, controller: true }],
      } as KubeObject['metadata'];
      return pod;
    };
    put('pods', owned('web-abc', 'ReplicaSet', 'web-5d9'), owned('batch-x', 'Job', 'nightly-123'));
    put('replicasets', {
      metadata: {
        name: 'web-5d9',
        namespace: 'default',
        ownerReferences: [{ kind: 'Deployment', name: 'web', controller: true }],
      },
    });
    put('jobs', {
      metadata: {
        name: 'nightly-123',
        namespace: 'default',
        ownerReferences: [{ kind: 'CronJob', name: 'nightly', controller: true }],
      },
    });
    const list = bySource(
      await groups({
        role: 'pod',
        attach_metadata: { deployment: true, job: true, cronjob: true },
      }),
    );
    expect(list['pod/default/web-abc']!.labels).toMatchObject({
      __meta_kubernetes_pod_controller_kind: 'ReplicaSet',
      __meta_kubernetes_pod_controller_name: 'web-5d9',
      __meta_kubernetes_pod_deployment_name: 'web',
    });
    expect(list['pod/default/batch-x']!.labels).toMatchObject({
      __meta_kubernetes_pod_controller_kind: 'Job',
      __meta_kubernetes_pod_controller_name: 'nightly-123',
      __meta_kubernetes_pod_job_name: 'nightly-123',
      __meta_kubernetes_pod_cronjob_name: 'nightly',
    });
    expect(api.seen.map((r) => r.path).sort()).toEqual([
      '/api/v1/pods',
      '/apis/apps/v1/replicasets',
      '/apis/batch/v1/jobs',
    ]);
  });
});

describe('kubernetes_sd_configs: service role', () => {
  it('gives one target per port, with the type-specific labels', async () => {
    put('services', obj.multiPortService(), obj.externalNameService(), obj.loadBalancerService());
    expect(bySource(await groups({ role: 'service' }))).toEqual({
      'svc/default/testservice': {
        source: 'svc/default/testservice',
        targets: [
          {
            __meta_kubernetes_service_port_protocol: 'TCP',
            __address__: 'testservice.default.svc:30900',
            __meta_kubernetes_service_type: 'ClusterIP',
            __meta_kubernetes_service_cluster_ip: '10.0.0.1',
            __meta_kubernetes_service_port_name: 'testport0',
            __meta_kubernetes_service_port_number: '30900',
          },
          {
            __meta_kubernetes_service_port_protocol: 'UDP',
            __address__: 'testservice.default.svc:30901',
            __meta_kubernetes_service_type: 'ClusterIP',
            __meta_kubernetes_service_cluster_ip: '10.0.0.1',
            __meta_kubernetes_service_port_name: 'testport1',
            __meta_kubernetes_service_port_number: '30901',
          },
        ],
        labels: {
          __meta_kubernetes_service_label_test_label: 'testvalue',
          __meta_kubernetes_service_labelpresent_test_label: 'true',
          __meta_kubernetes_service_annotation_test_annotation: 'testannotationvalue',
          __meta_kubernetes_service_annotationpresent_test_annotation: 'true',
          __meta_kubernetes_namespace: 'default',
          __meta_kubernetes_service_name: 'testservice',
        },
      },
      'svc/default/testservice-external': {
        source: 'svc/default/testservice-external',
        targets: [
          {
            __meta_kubernetes_service_port_protocol: 'TCP',
            __address__: 'testservice-external.default.svc:31900',
            __meta_kubernetes_service_type: 'ExternalName',
            __meta_kubernetes_service_port_name: 'testport',
            __meta_kubernetes_service_port_number: '31900',
            __meta_kubernetes_service_external_name: 'FooExternalName',
          },
        ],
        labels: {
          __meta_kubernetes_namespace: 'default',
          __meta_kubernetes_service_name: 'testservice-external',
        },
      },
      'svc/default/testservice-lb': {
        source: 'svc/default/testservice-lb',
        targets: [
          {
            __meta_kubernetes_service_port_protocol: 'TCP',
            __address__: 'testservice-lb.default.svc:31900',
            __meta_kubernetes_service_type: 'LoadBalancer',
            __meta_kubernetes_service_port_name: 'testport',
            __meta_kubernetes_service_port_number: '31900',
            __meta_kubernetes_service_cluster_ip: '10.0.0.1',
            __meta_kubernetes_service_loadbalancer_ip: '127.0.0.3,127.0.0.4',
          },
        ],
        labels: {
          __meta_kubernetes_namespace: 'default',
          __meta_kubernetes_service_name: 'testservice-lb',
        },
      },
    });
  });
});

describe('kubernetes_sd_configs: node role', () => {
  it('gives the kubelet address, instance and every address type', async () => {
    const n = obj.node(
      'test',
      '1.2.3.4',
      'aws:///nl-north-7b/i-03149834983492827',
      { 'test-label': 'testvalue' },
      { 'test-annotation': 'testannotationvalue' },
    );
    const status = n.status as Record<string, unknown>;
    status.addresses = [
      { type: 'Hostname', address: 'ip-1-2-3-4' },
      { type: 'InternalIP', address: '1.2.3.4' },
      { type: 'InternalIP', address: '1.2.3.5' },
      { type: 'ExternalDNS', address: 'node.example' },
    ];
    status.conditions = [
      { type: 'Ready', status: 'True' },
      { type: 'MemoryPressure', status: 'False' },
    ];
    const noAddress = obj.node('bare', '1.1.1.1');
    (noAddress.status as Record<string, unknown>).addresses = [];
    put('nodes', n, noAddress);
    expect(await groups({ role: 'node' })).toEqual([
      {
        source: 'node/test',
        targets: [
          {
            __address__: '1.2.3.4:10250',
            instance: 'test',
            __meta_kubernetes_node_address_Hostname: 'ip-1-2-3-4',
            __meta_kubernetes_node_address_InternalIP: '1.2.3.4',
            __meta_kubernetes_node_address_ExternalDNS: 'node.example',
          },
        ],
        labels: {
          __meta_kubernetes_node_name: 'test',
          __meta_kubernetes_node_provider_id: 'aws:///nl-north-7b/i-03149834983492827',
          __meta_kubernetes_node_label_test_label: 'testvalue',
          __meta_kubernetes_node_labelpresent_test_label: 'true',
          __meta_kubernetes_node_annotation_test_annotation: 'testannotationvalue',
          __meta_kubernetes_node_annotationpresent_test_annotation: 'true',
          __meta_kubernetes_node_condition_ready: 'true',
          __meta_kubernetes_node_condition_memorypressure: 'false',
        },
      },
    ]);
  });

  it('ignores namespaces (nodes are cluster-wide) and sends the node selector', async () => {
    put(
      'nodes',
      obj.node('a', '10.0.0.1', '', { pool: 'x' }),
      obj.node('b', '10.0.0.2', '', { pool: 'y' }),
    );
    const list = await groups({
      role: 'node',
      namespaces: { names: ['ns1', 'ns2'] },
      selectors: [{ role: 'node', label: 'pool=x', field: 'metadata.name=a' }],
    });
    expect(list.map((g) => g.source)).toEqual(['node/a']);
    expect(api.seen).toHaveLength(1);
    expect(api.seen[0]!.query).toEqual({
      labelSelector: 'pool=x',
      fieldSelector: 'metadata.name=a',
      limit: '500',
    });
  });
});

describe('kubernetes_sd_configs: endpoints role', () => {
  it('gives ready and not-ready addresses per port, with service labels', async () => {
    put('endpoints', obj.endpoints('default'));
    put('services', {
      metadata: { name: 'testendpoints', namespace: 'default', labels: { 'app/name': 'test' } },
      spec: { ports: [] },
    });
    expect(await groups({ role: 'endpoints' })).toEqual([
      {
        source: 'endpoints/default/testendpoints',
        targets: [
          {
            __address__: '1.2.3.4:9000',
            __meta_kubernetes_endpoint_hostname: 'testendpoint1',
            __meta_kubernetes_endpoint_node_name: 'foobar',
            __meta_kubernetes_endpoint_port_name: 'testport',
            __meta_kubernetes_endpoint_port_protocol: 'TCP',
            __meta_kubernetes_endpoint_ready: 'true',
          },
          {
            __address__: '2.3.4.5:9001',
            __meta_kubernetes_endpoint_port_name: 'testport',
            __meta_kubernetes_endpoint_port_protocol: 'TCP',
            __meta_kubernetes_endpoint_ready: 'true',
          },
          {
            __address__: '2.3.4.5:9001',
            __meta_kubernetes_endpoint_port_name: 'testport',
            __meta_kubernetes_endpoint_port_protocol: 'TCP',
            __meta_kubernetes_endpoint_ready: 'false',
          },
          {
            __address__: '6.7.8.9:9002',
            __meta_kubernetes_endpoint_address_target_kind: 'Node',
            __meta_kubernetes_endpoint_address_target_name: 'barbaz',
            __meta_kubernetes_endpoint_port_name: 'testport',
            __meta_kubernetes_endpoint_port_protocol: 'TCP',
            __meta_kubernetes_endpoint_ready: 'true',
          },
        ],
        labels: {
          __meta_kubernetes_namespace: 'default',
          __meta_kubernetes_endpoints_name: 'testendpoints',
          __meta_kubernetes_endpoints_annotation_test_annotation: 'test',
          __meta_kubernetes_endpoints_annotationpresent_test_annotation: 'true',
          __meta_kubernetes_service_name: 'testendpoints',
          __meta_kubernetes_service_label_app_name: 'test',
          __meta_kubernetes_service_labelpresent_app_name: 'true',
        },
      },
    ]);
  });

  it("adds the pod's labels, and a target for each container port no endpoint covers", async () => {
    put('pods', obj.endpointsPod());
    put('endpoints', obj.podEndpoints());
    const pod = {
      __meta_kubernetes_pod_name: 'testpod',
      __meta_kubernetes_pod_ip: '1.2.3.4',
      __meta_kubernetes_pod_ready: 'unknown',
      __meta_kubernetes_pod_node_name: 'testnode',
      __meta_kubernetes_pod_host_ip: '2.3.4.5',
      __meta_kubernetes_pod_uid: 'deadbeef',
    };
    expect(await groups({ role: 'endpoints' })).toEqual([
      {
        source: 'endpoints/default/testendpoints',
        targets: [
          {
            __address__: '4.3.2.1:9000',
            __meta_kubernetes_endpoint_port_name: 'testport',
            __meta_kubernetes_endpoint_port_protocol: 'TCP',
            __meta_kubernetes_endpoint_ready: 'true',
            __meta_kubernetes_endpoint_address_target_kind: 'Pod',
            __meta_kubernetes_endpoint_address_target_name: 'testpod',
            ...pod,
            __meta_kubernetes_pod_container_name: 'c1',
            __meta_kubernetes_pod_container_image: 'c1:latest',
            __meta_kubernetes_pod_container_port_name: 'mainport',
            __meta_kubernetes_pod_container_port_number: '9000',
            __meta_kubernetes_pod_container_port_protocol: 'TCP',
            __meta_kubernetes_pod_container_init: 'false',
          },
          {
            __address__: '1.2.3.4:9001',
            ...pod,
            __meta_kubernetes_pod_container_name: 'c2',
            __meta_kubernetes_pod_container_image: 'c2:latest',
            __meta_kubernetes_pod_container_port_name: 'sideport',
            __meta_kubernetes_pod_container_port_number: '9001',
            __meta_kubernetes_pod_container_port_protocol: 'TCP',
            __meta_kubernetes_pod_container_init: 'false',
          },
        ],
        labels: {
          __meta_kubernetes_endpoints_name: 'testendpoints',
          __meta_kubernetes_namespace: 'default',
        },
      },
    ]);
  });

  it('sends each role its own selector', async () => {
    await groups({
      role: 'endpoints',
      namespaces: { names: ['ns1'] },
      selectors: [
        { role: 'endpoints', label: 'e=1' },
        { role: 'service', label: 's=1' },
        { role: 'pod', field: 'status.phase=Running' },
      ],
    });
    const q = (path: string) => api.requests(path)[0]!.query;
    expect(q('/api/v1/namespaces/ns1/endpoints')).toEqual({ labelSelector: 'e=1', limit: '500' });
    expect(q('/api/v1/namespaces/ns1/services')).toEqual({ labelSelector: 's=1', limit: '500' });
    expect(q('/api/v1/namespaces/ns1/pods')).toEqual({
      fieldSelector: 'status.phase=Running',
      limit: '500',
    });
  });
});

describe('kubernetes_sd_configs: endpointslice role', () => {
  it('gives one target per endpoint address and port, conditions and zones included', async () => {
    put('endpointslices', obj.endpointSlice('default'));
    expect(await groups({ role: 'endpointslice', namespaces: { names: ['default'] } })).toEqual([
      {
        source: 'endpointslice/default/testendpoints',
        targets: [
          {
            __address__: '1.2.3.4:9000',
            __meta_kubernetes_endpointslice_endpoint_conditions_ready: 'true',
            __meta_kubernetes_endpointslice_endpoint_conditions_serving: 'true',
            __meta_kubernetes_endpointslice_endpoint_conditions_terminating: 'false',
            __meta_kubernetes_endpointslice_endpoint_hostname: 'testendpoint1',
            __meta_kubernetes_endpointslice_endpoint_node_name: 'foobar',
            __meta_kubernetes_endpointslice_endpoint_topology_present_topology: 'true',
            __meta_kubernetes_endpointslice_endpoint_topology_topology: 'value',
            __meta_kubernetes_endpointslice_endpoint_zone: 'us-east-1a',
            __meta_kubernetes_endpointslice_port: '9000',
            __meta_kubernetes_endpointslice_port_app_protocol: 'http',
            __meta_kubernetes_endpointslice_port_name: 'testport',
            __meta_kubernetes_endpointslice_port_protocol: 'TCP',
          },
          {
            __address__: '2.3.4.5:9000',
            __meta_kubernetes_endpointslice_endpoint_conditions_ready: 'true',
            __meta_kubernetes_endpointslice_endpoint_conditions_serving: 'true',
            __meta_kubernetes_endpointslice_endpoint_conditions_terminating: 'false',
            __meta_kubernetes_endpointslice_endpoint_zone: 'us-east-1b',
            __meta_kubernetes_endpointslice_port: '9000',
            __meta_kubernetes_endpointslice_port_app_protocol: 'http',
            __meta_kubernetes_endpointslice_port_name: 'testport',
            __meta_kubernetes_endpointslice_port_protocol: 'TCP',
          },
          {
            __address__: '3.4.5.6:9000',
            __meta_kubernetes_endpointslice_endpoint_conditions_ready: 'false',
            __meta_kubernetes_endpointslice_endpoint_conditions_serving: 'true',
            __meta_kubernetes_endpointslice_endpoint_conditions_terminating: 'true',
            __meta_kubernetes_endpointslice_endpoint_zone: 'us-east-1c',
            __meta_kubernetes_endpointslice_port: '9000',
            __meta_kubernetes_endpointslice_port_app_protocol: 'http',
            __meta_kubernetes_endpointslice_port_name: 'testport',
            __meta_kubernetes_endpointslice_port_protocol: 'TCP',
          },
          {
            __address__: '4.5.6.7:9000',
            __meta_kubernetes_endpointslice_address_target_kind: 'Node',
            __meta_kubernetes_endpointslice_address_target_name: 'barbaz',
            __meta_kubernetes_endpointslice_endpoint_conditions_ready: 'true',
            __meta_kubernetes_endpointslice_endpoint_conditions_serving: 'true',
            __meta_kubernetes_endpointslice_endpoint_conditions_terminating: 'false',
            __meta_kubernetes_endpointslice_endpoint_zone: 'us-east-1a',
            __meta_kubernetes_endpointslice_port: '9000',
            __meta_kubernetes_endpointslice_port_app_protocol: 'http',
            __meta_kubernetes_endpointslice_port_name: 'testport',
            __meta_kubernetes_endpointslice_port_protocol: 'TCP',
          },
        ],
        labels: {
          __meta_kubernetes_endpointslice_address_type: 'IPv4',
          __meta_kubernetes_namespace: 'default',
          __meta_kubernetes_endpointslice_name: 'testendpoints',
          __meta_kubernetes_endpointslice_label_kubernetes_io_service_name: 'testendpoints',
          __meta_kubernetes_endpointslice_labelpresent_kubernetes_io_service_name: 'true',
          __meta_kubernetes_endpointslice_annotation_test_annotation: 'test',
          __meta_kubernetes_endpointslice_annotationpresent_test_annotation: 'true',
        },
      },
    ]);
    expect(api.seen.map((r) => r.path).sort()).toEqual([
      '/api/v1/namespaces/default/pods',
      '/api/v1/namespaces/default/services',
      '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
    ]);
  });

  it('adds pod labels (container protocol) and uncovered container ports; node metadata', async () => {
    put('pods', obj.endpointsPod());
    put('nodes', obj.node('testnode', '10.0.0.1', '', { zone: 'a' }));
    put('endpointslices', {
      metadata: { name: 'testendpoints', namespace: 'default' },
      addressType: 'IPv4',
      ports: [{ name: 'testport', port: 9000, protocol: 'UDP' }],
      endpoints: [
        {
          addresses: ['4.3.2.1'],
          nodeName: 'testnode',
          targetRef: { kind: 'Pod', name: 'testpod', namespace: 'default' },
          conditions: { ready: true },
        },
      ],
    });
    const node = {
      __meta_kubernetes_node_name: 'testnode',
      __meta_kubernetes_node_label_zone: 'a',
      __meta_kubernetes_node_labelpresent_zone: 'true',
    };
    const pod = {
      __meta_kubernetes_pod_name: 'testpod',
      __meta_kubernetes_pod_ip: '1.2.3.4',
      __meta_kubernetes_pod_ready: 'unknown',
      __meta_kubernetes_pod_node_name: 'testnode',
      __meta_kubernetes_pod_host_ip: '2.3.4.5',
      __meta_kubernetes_pod_uid: 'deadbeef',
    };
    const [group] = await groups({ role: 'endpointslice', attach_metadata: { node: true } });
    expect(group!.targets).toEqual([
      {
        __address__: '4.3.2.1:9000',
        __meta_kubernetes_endpointslice_address_target_kind: 'Pod',
        __meta_kubernetes_endpointslice_address_target_name: 'testpod',
        __meta_kubernetes_endpointslice_endpoint_conditions_ready: 'true',
        __meta_kubernetes_endpointslice_endpoint_node_name: 'testnode',
        __meta_kubernetes_endpointslice_port: '9000',
        __meta_kubernetes_endpointslice_port_name: 'testport',
        __meta_kubernetes_endpointslice_port_protocol: 'UDP',
        ...node,
        ...pod,
        __meta_kubernetes_pod_container_name: 'c1',
        __meta_kubernetes_pod_container_image: 'c1:latest',
        __meta_kubernetes_pod_container_port_name: 'mainport',
        __meta_kubernetes_pod_container_port_number: '9000',
        __meta_kubernetes_pod_container_port_protocol: 'TCP',
        __meta_kubernetes_pod_container_init: 'false',
      },
      {
        __address__: '1.2.3.4:9001',
        ...pod,
        __meta_kubernetes_pod_container_name: 'c2',
        __meta_kubernetes_pod_container_image: 'c2:latest',
        __meta_kubernetes_pod_container_port_name: 'sideport',
        __meta_kubernetes_pod_container_port_number: '9001',
        __meta_kubernetes_pod_container_port_protocol: 'TCP',
        __meta_kubernetes_pod_container_init: 'false',
      },
    ]);
  });

  it('gives no targets for the secondary slice of a dual-stack service', async () => {
    const v6 = obj.endpointSlice('default');
    v6.metadata = { ...v6.metadata, name: 'testendpoints-v6' };
    v6.addressType = 'IPv6';
    put('endpointslices', obj.endpointSlice('default'), v6);
    put('services', {
      metadata: { name: 'testendpoints', namespace: 'default' },
      spec: { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'], ports: [] },
    });
    const list = bySource(await groups({ role: 'endpointslice' }));
    expect(list['endpointslice/default/testendpoints']!.targets).toHaveLength(4);
    expect(list['endpointslice/default/testendpoints-v6']!.targets).toEqual([]);
    expect(list['endpointslice/default/testendpoints-v6']!.labels).toMatchObject({
      __meta_kubernetes_service_name: 'testendpoints',
      __meta_kubernetes_endpointslice_address_type: 'IPv6',
    });
  });
});

describe('kubernetes_sd_configs: ingress role', () => {
  const labels = {
    __meta_kubernetes_ingress_name: 'testingress',
    __meta_kubernetes_namespace: 'default',
    __meta_kubernetes_ingress_label_test_label: 'testvalue',
    __meta_kubernetes_ingress_labelpresent_test_label: 'true',
    __meta_kubernetes_ingress_annotation_test_annotation: 'testannotationvalue',
    __meta_kubernetes_ingress_annotationpresent_test_annotation: 'true',
    __meta_kubernetes_ingress_class_name: 'testclass',
  };
  const target = (host: string, path: string, scheme: string) => ({
    __address__: host,
    __meta_kubernetes_ingress_host: host,
    __meta_kubernetes_ingress_path: path,
    __meta_kubernetes_ingress_scheme: scheme,
  });
  it.each([
    ['no TLS', [], 'http', 'http', 'http'],
    ['TLS for both', ['example.com', 'test.example.com'], 'https', 'https', 'http'],
    ['TLS for one', ['example.com'], 'https', 'http', 'http'],
    ['a wildcard', ['*.example.com'], 'http', 'https', 'https'],
  ])('gives one target per rule and path (%s)', async (_name, tls, scheme1, scheme2, scheme3) => {
    put('ingresses', obj.ingress(tls));
    expect(await groups({ role: 'ingress' })).toEqual([
      {
        source: 'ingress/default/testingress',
        targets: [
          target('example.com', '/', scheme1),
          target('example.com', '/foo', scheme1),
          target('test.example.com', '/', scheme2),
          target('nopaths.example.com', '/', scheme3),
        ],
        labels,
      },
    ]);
  });
});

describe('kubernetes_sd_configs: namespaces, paging, changes, failures', () => {
  it('lists each named namespace once, and only those', async () => {
    put('pods', obj.simplePod('ns1'), obj.simplePod('ns2'), obj.simplePod('ns3'));
    const list = await groups({ role: 'pod', namespaces: { names: ['ns1', 'ns2', 'ns1'] } });
    expect(list.map((g) => g.source)).toEqual(['pod/ns1/testpod', 'pod/ns2/testpod']);
    expect(api.seen.map((r) => r.path).sort()).toEqual([
      '/api/v1/namespaces/ns1/pods',
      '/api/v1/namespaces/ns2/pods',
    ]);
  });

  it('follows continue tokens page by page', async () => {
    for (let i = 0; i < 5; i++) put('pods', obj.simplePod('default', `p${i}`));
    const list = await groups({ role: 'pod' }, { pageSize: 2 });
    expect(list.map((g) => g.source)).toEqual([0, 1, 2, 3, 4].map((i) => `pod/default/p${i}`));
    const queries = api.seen.map((r) => r.query);
    expect(queries).toHaveLength(3);
    expect(queries[0]).toEqual({ limit: '2' });
    expect(queries[1]!.limit).toBe('2');
    expect(queries[1]!.continue).toMatch(/\S/);
    expect(queries[2]!.continue).not.toBe(queries[1]!.continue);
  });

  it('lists again in one piece when a continue token has expired (410)', async () => {
    for (let i = 0; i < 3; i++) put('pods', obj.simplePod('default', `p${i}`));
    api.expireTokens = true;
    const list = await groups({ role: 'pod' }, { pageSize: 2 });
    expect(list.map((g) => g.source)).toEqual([
      'pod/default/p0',
      'pod/default/p1',
      'pod/default/p2',
    ]);
    expect(api.seen.map((r) => r.query)).toEqual([
      { limit: '2' },
      { limit: '2', continue: expect.any(String) },
      {},
    ]);
  });

  it('stops a server that hands back the same continue token, or pages without end', async () => {
    api.replies.set('/api/v1/pods', {
      body: JSON.stringify({ metadata: { continue: 'again' }, items: [] }),
    });
    await expect(discoverer({ role: 'pod' }).refresh()).rejects.toThrow(
      'unexpected response: a continue token came back',
    );
    expect(api.seen).toHaveLength(2);
    api.replies.clear();
    for (let i = 0; i < 5; i++) put('pods', obj.simplePod('default', `p${i}`));
    await expect(
      discoverer({ role: 'pod' }, { pageSize: 1, maxPages: 3 }).refresh(),
    ).rejects.toThrow('unexpected response: more than 3 pages');
  });

  it('clears the group of an object that is gone, once', async () => {
    put('pods', obj.simplePod('default', 'a'), obj.simplePod('default', 'b'));
    const d = discoverer({ role: 'pod' });
    expect((await d.refresh()).groups.map((g) => g.source)).toEqual([
      'pod/default/a',
      'pod/default/b',
    ]);
    api.objects.set('pods', [obj.simplePod('default', 'a')]);
    const second = (await d.refresh()).groups;
    expect(second.map((g) => [g.source, g.targets.length])).toEqual([
      ['pod/default/a', 1],
      ['pod/default/b', 0],
    ]);
    expect((await d.refresh()).groups.map((g) => g.source)).toEqual(['pod/default/a']);
  });

  it('refreshes every minute by default', () => {
    expect(discoverer({ role: 'pod' }).refreshIntervalMs).toBe(60_000);
  });

  it.each([
    [
      {
        status: 403,
        body: '{"kind":"Status","code":403,"message":"pods is forbidden: User \\"x\\" cannot list"}',
      },
      KubernetesSdErrorCode.status,
      'kubernetes http://127.0.0.1:PORT/api/v1/pods: unexpected status 403: pods is forbidden: User "x" cannot list',
    ],
    [{ body: '{"items": [' }, KubernetesSdErrorCode.response, 'invalid JSON'],
    [
      { body: '{"items": [{"metadata": {"name": 5}}]}' },
      KubernetesSdErrorCode.response,
      'unexpected response: items[0].metadata.name is not a string',
    ],
    [
      { body: '{"items": [{"spec": {"containers": [{"ports": [{"containerPort": 1e10}]}]}}]}' },
      KubernetesSdErrorCode.response,
      'items[0].spec.containers[0].ports[0].containerPort is not an int32',
    ],
    [{ body: '[]' }, KubernetesSdErrorCode.response, 'the response is not an object'],
  ])('fails the refresh on %j', async (reply, code, message) => {
    api.replies.set('/api/v1/pods', reply);
    const err = await discoverer({ role: 'pod' })
      .refresh()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubernetesSdError);
    expect((err as KubernetesSdError).code).toBe(code);
    expect((err as Error).message.replace(/:\d+\//, ':PORT/')).toContain(message);
  });

  it('refuses a body over the size limit', async () => {
    put('pods', obj.simplePod('default'));
    api.padding = 10_000;
    const err = await discoverer({ role: 'pod' }, { maxResponseBytes: 5_000 })
      .refresh()
      .catch((e: unknown) => e);
    expect((err as KubernetesSdError).code).toBe(KubernetesSdErrorCode.tooLarge);
  });

  it('sends the configured credentials and a JSON Accept header', async () => {
    await groups({ role: 'service', bearer_token: 'sekrit' });
    expect(api.seen[0]!.headers.authorization).toBe('Bearer sekrit');
    expect(api.seen[0]!.headers.accept).toBe('application/json');
    expect(api.seen[0]!.headers['user-agent']).toMatch(/^lambdascrape\//);
  });
});

describe('kubernetes_sd_configs: kubeconfig and in-cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-sd-'));

  it('reads server and token from the current context of a kubeconfig', async () => {
    const path = join(dir, 'kubeconfig.yml');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: test',
        'clusters:',
        '- name: other',
        '  cluster: {server: "http://127.0.0.1:1"}',
        `- name: local`,
        `  cluster: {server: "${server}"}`,
        'contexts:',
        '- name: test',
        '  context: {cluster: local, user: me}',
        'users:',
        '- name: me',
        '  user: {token: kube-token}',
      ].join('\n'),
    );
    put('services', obj.multiPortService());
    const d = new KubernetesDiscoverer(parse({ role: 'service', kubeconfig_file: path }));
    discoverers.push(d);
    const { groups: list } = await d.refresh();
    expect(list.map((g) => g.source)).toEqual(['svc/default/testservice']);
    expect(api.seen[0]!.headers.authorization).toBe('Bearer kube-token');
  });

  it('names what a kubeconfig lacks', async () => {
    const path = join(dir, 'bad.yml');
    writeFileSync(path, 'current-context: x\ncontexts: []\n');
    const d = new KubernetesDiscoverer(parse({ role: 'pod', kubeconfig_file: path }));
    await expect(d.refresh()).rejects.toThrow(`kubeconfig ${path}: no context named "x"`);
    const exec = join(dir, 'exec.yml');
    writeFileSync(
      exec,
      'current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: "https://k"}}]\nusers: [{name: u, user: {exec: {command: gke-gcloud-auth-plugin}}}]\n',
    );
    const e = new KubernetesDiscoverer(parse({ role: 'pod', kubeconfig_file: exec }));
    await expect(e.refresh()).rejects.toThrow(
      'the credential plugin "gke-gcloud-auth-plugin" is not supported',
    );
  });

  it('uses the service account in-cluster, and its namespace with own_namespace', async () => {
    writeFileSync(join(dir, 'namespace'), 'monitoring');
    const config = parse({ role: 'pod', namespaces: { names: ['extra'], own_namespace: true } });
    const connection = await resolveConnection(config, {
      inCluster: { host: '10.96.0.1', port: '443', namespaceFile: join(dir, 'namespace') },
    });
    expect(connection).toMatchObject({
      server: 'https://10.96.0.1:443',
      ownNamespace: 'monitoring',
      httpClient: {
        authorization: {
          type: 'Bearer',
          credentialsFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
        },
        tlsConfig: { caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt' },
      },
    });
    await expect(resolveConnection(parse({ role: 'pod' }), {})).rejects.toThrow(
      'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined',
    );
  });
});

/** A CA-signed certificate for 127.0.0.1, made with openssl (absent: the suite is skipped). */
function loopbackCertificate(dir: string): { ca: string; key: string; cert: string } | undefined {
  const run = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    run(
      'req',
      '-x509',
      ...ec,
      '-subj',
      '/CN=test-ca',
      '-days',
      '2',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    );
    run('req', ...ec, '-subj', '/CN=kubernetes', '-keyout', 'server.key', '-out', 'server.csr');
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    run(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
      '-out',
      'server.crt',
    );
  } catch {
    return undefined;
  }
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { ca: read('ca.crt'), key: read('server.key'), cert: read('server.crt') };
}

describe('kubernetes_sd_configs in-cluster, against an HTTPS API server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-sa-'));
  const pem = loopbackCertificate(dir);
  const https = new FakeKubeApi();
  let port = '';
  beforeAll(async () => {
    if (pem === undefined) return;
    port = new URL(await https.start(pem)).port;
    writeFileSync(join(dir, 'token'), 'sa-token-1\n');
    writeFileSync(join(dir, 'namespace'), 'monitoring');
  });
  afterAll(() => https.stop());

  it.skipIf(pem === undefined)(
    'uses the service account token and CA, and lists the own namespace',
    async () => {
      https.objects.set('pods', [
        obj.simplePod('monitoring'),
        obj.simplePod('other'),
        obj.simplePod('apps'),
      ]);
      const inCluster = {
        host: '127.0.0.1',
        port,
        tokenFile: join(dir, 'token'),
        caFile: join(dir, 'ca.crt'),
        namespaceFile: join(dir, 'namespace'),
      };
      const d = new KubernetesDiscoverer(
        parse({ role: 'pod', namespaces: { names: ['apps'], own_namespace: true } }),
        { inCluster },
      );
      discoverers.push(d);
      const first = await d.refresh();
      expect(first.groups.map((g) => g.source)).toEqual([
        'pod/apps/testpod',
        'pod/monitoring/testpod',
      ]);
      // The two lists run at once: their order of arrival varies.
      expect(https.seen.map((r) => [r.path, r.headers.authorization]).sort()).toEqual([
        ['/api/v1/namespaces/apps/pods', 'Bearer sa-token-1'],
        ['/api/v1/namespaces/monitoring/pods', 'Bearer sa-token-1'],
      ]);
      // The kubelet rotates the token: the next request reads the new one.
      writeFileSync(join(dir, 'token'), 'sa-token-2\n');
      await d.refresh();
      expect(https.seen.at(-1)!.headers.authorization).toBe('Bearer sa-token-2');
    },
  );
});

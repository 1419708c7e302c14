/**
 * Kubernetes objects as the API server returns them in list bodies (JSON, camelCase, defaults
 * filled in), modelled on the objects of Prometheus's discovery/kubernetes/*_test.go so the
 * expected label sets can be compared with theirs.
 */
import type { KubeObject } from './kubernetes-fixture.js';

/** pod_test.go `makeMultiPortPods`: two ports on one container, one container without. */
export function multiPortPod(): KubeObject {
  return {
    metadata: {
      name: 'testpod',
      namespace: 'default',
      labels: { 'test/label': 'testvalue' },
      annotations: { 'test/annotation': 'testannotationvalue' },
      uid: 'abc123',
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'testcontrollerkind',
          name: 'testcontrollername',
          uid: 'x',
          controller: true,
        },
      ],
    },
    spec: {
      nodeName: 'testnode',
      containers: [
        {
          name: 'testcontainer0',
          image: 'testcontainer0:latest',
          ports: [
            { name: 'testport0', protocol: 'TCP', containerPort: 9000 },
            { name: 'testport1', protocol: 'UDP', containerPort: 9001 },
          ],
        },
        { name: 'testcontainer1', image: 'testcontainer1:latest' },
      ],
    },
    status: {
      podIP: '1.2.3.4',
      hostIP: '2.3.4.5',
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        { name: 'testcontainer0', containerID: 'docker://a1b2c3d4e5f6' },
        { name: 'testcontainer1', containerID: 'containerd://6f5e4d3c2b1a' },
      ],
    },
  };
}

/** pod_test.go `makePods`: one port. */
export function simplePod(
  namespace: string,
  name = 'testpod',
  labels?: Record<string, string>,
): KubeObject {
  return {
    metadata: { name, namespace, uid: 'abc123', ...(labels === undefined ? {} : { labels }) },
    spec: {
      nodeName: 'testnode',
      containers: [
        {
          name: 'testcontainer',
          image: 'testcontainer:latest',
          ports: [{ name: 'testport', protocol: 'TCP', containerPort: 9000 }],
        },
      ],
    },
    status: {
      podIP: '1.2.3.4',
      hostIP: '2.3.4.5',
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'testcontainer', containerID: 'docker://a1b2c3d4e5f6' }],
    },
  };
}

/** pod_test.go `makeInitContainerPods`. */
export function initContainerPod(): KubeObject {
  return {
    metadata: { name: 'testpod', namespace: 'default', uid: 'abc123' },
    spec: {
      nodeName: 'testnode',
      containers: [
        {
          name: 'testcontainer',
          image: 'testcontainer:latest',
          ports: [{ name: 'testport', protocol: 'TCP', containerPort: 9000 }],
        },
      ],
      initContainers: [{ name: 'initcontainer', image: 'initcontainer:latest' }],
    },
    status: {
      podIP: '1.2.3.4',
      hostIP: '2.3.4.5',
      phase: 'Pending',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{ name: 'testcontainer', containerID: 'docker://a1b2c3d4e5f6' }],
      initContainerStatuses: [{ name: 'initcontainer', containerID: 'containerd://6f5e4d3c2b1a' }],
    },
  };
}

/** endpoints_test.go's pod of `TestEndpointsDiscoveryAdd`: two containers, one port each. */
export function endpointsPod(): KubeObject {
  return {
    metadata: { name: 'testpod', namespace: 'default', uid: 'deadbeef' },
    spec: {
      nodeName: 'testnode',
      containers: [
        {
          name: 'c1',
          image: 'c1:latest',
          ports: [{ name: 'mainport', containerPort: 9000, protocol: 'TCP' }],
        },
        {
          name: 'c2',
          image: 'c2:latest',
          ports: [{ name: 'sideport', containerPort: 9001, protocol: 'TCP' }],
        },
      ],
    },
    status: { hostIP: '2.3.4.5', podIP: '1.2.3.4' },
  };
}

/** endpoints_test.go `makeEndpoints`: ready, not-ready and node-targeted addresses. */
export function endpoints(namespace: string): KubeObject {
  return {
    metadata: {
      name: 'testendpoints',
      namespace,
      annotations: { 'test.annotation': 'test' },
    },
    subsets: [
      {
        addresses: [{ ip: '1.2.3.4', hostname: 'testendpoint1', nodeName: 'foobar' }],
        ports: [{ name: 'testport', port: 9000, protocol: 'TCP' }],
      },
      {
        addresses: [{ ip: '2.3.4.5' }],
        notReadyAddresses: [{ ip: '2.3.4.5' }],
        ports: [{ name: 'testport', port: 9001, protocol: 'TCP' }],
      },
      {
        addresses: [{ ip: '6.7.8.9', targetRef: { kind: 'Node', name: 'barbaz' } }],
        ports: [{ name: 'testport', port: 9002, protocol: 'TCP' }],
      },
    ],
  };
}

/** Endpoints whose one address is `testpod` of `default`. */
export function podEndpoints(): KubeObject {
  return {
    metadata: { name: 'testendpoints', namespace: 'default' },
    subsets: [
      {
        addresses: [
          { ip: '4.3.2.1', targetRef: { kind: 'Pod', name: 'testpod', namespace: 'default' } },
        ],
        ports: [{ name: 'testport', port: 9000, protocol: 'TCP' }],
      },
    ],
  };
}

/** endpointslice_test.go `makeEndpointSliceV1`. */
export function endpointSlice(namespace: string): KubeObject {
  return {
    metadata: {
      name: 'testendpoints',
      namespace,
      labels: { 'kubernetes.io/service-name': 'testendpoints' },
      annotations: { 'test.annotation': 'test' },
    },
    addressType: 'IPv4',
    ports: [{ name: 'testport', port: 9000, protocol: 'TCP', appProtocol: 'http' }],
    endpoints: [
      {
        addresses: ['1.2.3.4'],
        conditions: { ready: true, serving: true, terminating: false },
        hostname: 'testendpoint1',
        targetRef: {},
        nodeName: 'foobar',
        deprecatedTopology: { topology: 'value' },
        zone: 'us-east-1a',
      },
      {
        addresses: ['2.3.4.5'],
        conditions: { ready: true, serving: true, terminating: false },
        zone: 'us-east-1b',
      },
      {
        addresses: ['3.4.5.6'],
        conditions: { ready: false, serving: true, terminating: true },
        zone: 'us-east-1c',
      },
      {
        addresses: ['4.5.6.7'],
        conditions: { ready: true, serving: true, terminating: false },
        targetRef: { kind: 'Node', name: 'barbaz' },
        zone: 'us-east-1a',
      },
    ],
  };
}

/** service_test.go `makeMultiPortService` (ClusterIP, two ports). */
export function multiPortService(): KubeObject {
  return {
    metadata: {
      name: 'testservice',
      namespace: 'default',
      labels: { 'test-label': 'testvalue' },
      annotations: { 'test-annotation': 'testannotationvalue' },
    },
    spec: {
      ports: [
        { name: 'testport0', protocol: 'TCP', port: 30900 },
        { name: 'testport1', protocol: 'UDP', port: 30901 },
      ],
      type: 'ClusterIP',
      clusterIP: '10.0.0.1',
    },
  };
}

export function externalNameService(): KubeObject {
  return {
    metadata: { name: 'testservice-external', namespace: 'default' },
    spec: {
      ports: [{ name: 'testport', protocol: 'TCP', port: 31900 }],
      type: 'ExternalName',
      externalName: 'FooExternalName',
    },
  };
}

export function loadBalancerService(): KubeObject {
  return {
    metadata: { name: 'testservice-lb', namespace: 'default' },
    spec: {
      ports: [{ name: 'testport', protocol: 'TCP', port: 31900 }],
      type: 'LoadBalancer',
      clusterIP: '10.0.0.1',
      loadBalancerIP: '127.0.0.2',
    },
    status: {
      loadBalancer: {
        ingress: [{ ip: '127.0.0.3' }, { hostname: 'lb.example' }, { ip: '127.0.0.4' }],
      },
    },
  };
}

/** node_test.go `makeNode`. */
export function node(
  name: string,
  address: string,
  providerID = '',
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): KubeObject {
  return {
    metadata: { name, labels, annotations },
    spec: { providerID },
    status: {
      addresses: [{ type: 'InternalIP', address }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    },
  };
}

/** ingress_test.go `makeIngress`, plus a rule without an http block. */
export function ingress(tlsHosts: string[]): KubeObject {
  return {
    metadata: {
      name: 'testingress',
      namespace: 'default',
      labels: { 'test/label': 'testvalue' },
      annotations: { 'test/annotation': 'testannotationvalue' },
    },
    spec: {
      ingressClassName: 'testclass',
      tls: [{ hosts: tlsHosts }],
      rules: [
        { host: 'example.com', http: { paths: [{ path: '/' }, { path: '/foo' }] } },
        // An http block without paths: no target.
        { host: 'nobackend.example.com', http: {} },
        // A path without a path: the root path.
        { host: 'test.example.com', http: { paths: [{}] } },
        // No http block at all: the root path.
        { host: 'nopaths.example.com' },
      ],
    },
  };
}

export function namespace(
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): KubeObject {
  return { metadata: { name, labels, annotations } };
}

/**
 * A running, ready pod of namespace `shop` on `node-a` with the labels `app: web` and
 * `app.kubernetes.io/part-of: shop`: one container `app` with `ports` (TCP).
 */
export function appPod(
  name: string,
  ip: string,
  annotations: Record<string, string>,
  ports: { name: string; containerPort: number }[],
): KubeObject {
  return {
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      labels: { app: 'web', 'app.kubernetes.io/part-of': 'shop' },
      annotations,
    },
    spec: {
      nodeName: 'node-a',
      containers: [
        { name: 'app', image: 'shop/web:1', ports: ports.map((p) => ({ ...p, protocol: 'TCP' })) },
      ],
    },
    status: {
      podIP: ip,
      hostIP: '192.168.0.10',
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

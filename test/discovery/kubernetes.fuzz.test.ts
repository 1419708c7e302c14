/**
 * Fuzzing of Kubernetes API answers (every byte of a list body is untrusted): list bodies of
 * every role, edited at random or made of random JSON shaped like the objects, go through the
 * strict readers and the role builders and give bounded string labels or an ObjectShapeError;
 * through a real HTTP round trip every bad answer (status, JSON, shape, size, paging token) is a
 * KubernetesSdError and JobDiscovery keeps the last good groups.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KubernetesDiscoverer,
  KubernetesSdError,
  kubernetesMechanism,
} from '../../src/discovery/kubernetes/index.js';
import {
  ObjectShapeError,
  readEndpointSlice,
  readEndpoints,
  readIngress,
  readList,
  readNode,
  readPod,
  readService,
} from '../../src/discovery/kubernetes/objects.js';
import type { RoleContext } from '../../src/discovery/kubernetes/roles/context.js';
import { buildEndpointsGroup } from '../../src/discovery/kubernetes/roles/endpoints.js';
import { buildEndpointSliceGroup } from '../../src/discovery/kubernetes/roles/endpointslice.js';
import { buildIngressGroup } from '../../src/discovery/kubernetes/roles/ingress.js';
import { buildNodeGroup } from '../../src/discovery/kubernetes/roles/node.js';
import { buildPodGroup } from '../../src/discovery/kubernetes/roles/pod.js';
import { buildServiceGroup } from '../../src/discovery/kubernetes/roles/service.js';
import { JobDiscovery } from '../../src/discovery/registry.js';
import type { TargetGroup } from '../../src/discovery/types.js';
import { errorOf, fuzzParams } from '../support/fuzz.js';
import { anyJson, edits, expectBounded, JSON_PIECES, mutate, oddString } from './fuzz-inputs.js';
import { FakeKubeApi } from './kubernetes-fixture.js';
import * as obj from './kubernetes-objects.js';
import { parseEntry, sdJob } from './sd-config.js';

const NETWORK_TIMEOUT_MS = 300_000;
/** The longest label name the mechanism puts in front of a key from the body. */
const OVERHEAD = 80;

type Role = 'pod' | 'node' | 'service' | 'endpoints' | 'endpointslice' | 'ingress';
const ROLES: Role[] = ['pod', 'node', 'service', 'endpoints', 'endpointslice', 'ingress'];

const attachAll = { node: true, namespace: true, deployment: true, job: true, cronjob: true };

/**
 * Reads `text` as a list body of `role` and builds its groups, the body's objects also serving
 * as the pods, services and nodes looked up (so the cross-object paths are reached).
 */
function build(role: Role, text: string): TargetGroup[] {
  const body: unknown = JSON.parse(text);
  const key = (m: { metadata: { namespace: string; name: string } }) =>
    `${m.metadata.namespace}/${m.metadata.name}`;
  const loose = <T>(read: (b: unknown) => T[]) => {
    try {
      return read(body);
    } catch (err) {
      if (err instanceof ObjectShapeError) return [];
      throw err;
    }
  };
  const pods = loose((b) => readList(b, readPod).items);
  const services = loose((b) => readList(b, readService).items);
  const nodes = loose((b) => readList(b, readNode).items);
  const ctx: RoleContext = {
    attach: attachAll,
    pods: new Map(pods.map((p) => [key(p), p])),
    services: new Map(services.map((s) => [key(s), s])),
    nodes: new Map(nodes.map((n) => [n.metadata.name, n])),
    namespaces: new Map(),
    replicaSets: new Map(pods.map((p) => [key(p), p])),
    jobs: new Map(pods.map((p) => [key(p), p])),
  };
  switch (role) {
    case 'pod':
      return readList(body, readPod).items.map((p) => buildPodGroup(p, ctx));
    case 'node':
      return readList(body, readNode)
        .items.map(buildNodeGroup)
        .filter((g): g is TargetGroup => g !== undefined);
    case 'service':
      return readList(body, readService).items.map((s) => buildServiceGroup(s, ctx));
    case 'endpoints':
      return readList(body, readEndpoints).items.map((e) => buildEndpointsGroup(e, ctx));
    case 'endpointslice':
      return readList(body, readEndpointSlice).items.map((e) => buildEndpointSliceGroup(e, ctx));
    case 'ingress':
      return readList(body, readIngress).items.map((i) => buildIngressGroup(i, ctx));
  }
}

async function checked(role: Role, text: string): Promise<void> {
  try {
    JSON.parse(text);
  } catch {
    return; // Invalid JSON is the client's error (through the server below).
  }
  const err = await errorOf(ObjectShapeError, () => {
    const groups = build(role, text);
    // Targets: at most one per (address × port) pair of the body, plus container ports.
    expectBounded(groups, text.length ** 2, text.length + OVERHEAD);
    for (const g of groups) {
      for (const [name] of [...Object.entries(g.labels), ...g.targets.flatMap(Object.entries)]) {
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) expect(name).toMatch(/^[a-zA-Z_]\w*$/);
      }
    }
  });
  if (err !== undefined) expect(err.message).toMatch(/ is not (a|an) /);
}

const list = (...items: unknown[]) => JSON.stringify({ kind: 'List', metadata: {}, items });
const SEEDS: Record<Role, string> = {
  pod: list(obj.multiPortPod(), obj.initContainerPod(), obj.endpointsPod()),
  node: list(obj.node('a', '10.0.0.1', 'aws:///x', { 'k.io/x': 'y' }, { a: 'b' })),
  service: list(obj.multiPortService(), obj.externalNameService(), obj.loadBalancerService()),
  endpoints: list(obj.endpoints('default'), obj.podEndpoints(), obj.endpointsPod()),
  endpointslice: list(obj.endpointSlice('default'), obj.endpointsPod()),
  ingress: list(obj.ingress(['*.example.com'])),
};

const str = fc.oneof({ weight: 5, arbitrary: oddString }, fc.constant(null), anyJson);
const dict = fc.oneof(
  { weight: 5, arbitrary: fc.dictionary(oddString, str, { maxKeys: 4 }) },
  anyJson,
);
const port = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 + 5 }) },
  fc.constantFrom(1e300, 0.5, -0, null),
  anyJson,
);
const opt = { requiredKeys: [] as never[] };
const metaLike = fc.record(
  {
    name: str,
    namespace: fc.oneof(fc.constantFrom('default', 'ns'), str),
    uid: str,
    labels: dict,
    annotations: dict,
    ownerReferences: fc.oneof(
      fc.array(
        fc.record({ kind: str, name: str, controller: fc.oneof(fc.boolean(), anyJson) }, opt),
        {
          maxLength: 2,
        },
      ),
      anyJson,
    ),
  },
  opt,
);
const ref = fc.record(
  {
    kind: fc.oneof(fc.constantFrom('Pod', 'Node'), str),
    name: fc.oneof(fc.constant('testpod'), str),
    namespace: fc.oneof(fc.constant('default'), str),
  },
  opt,
);
const objectLike = fc.record(
  {
    metadata: fc.oneof({ weight: 5, arbitrary: metaLike }, anyJson),
    spec: fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record(
          {
            nodeName: str,
            containers: fc.array(
              fc.record(
                {
                  name: str,
                  image: str,
                  ports: fc.array(
                    fc.record({ name: str, containerPort: port, protocol: str }, opt),
                    { maxLength: 3 },
                  ),
                },
                opt,
              ),
              { maxLength: 3 },
            ),
            ports: fc.array(fc.record({ name: str, port, protocol: str }, opt), { maxLength: 3 }),
            type: fc.oneof(fc.constantFrom('ClusterIP', 'ExternalName', 'LoadBalancer'), str),
            rules: fc.array(
              fc.record(
                {
                  host: str,
                  http: fc.oneof(
                    fc.record(
                      { paths: fc.array(fc.record({ path: str }, opt), { maxLength: 3 }) },
                      opt,
                    ),
                    anyJson,
                  ),
                },
                opt,
              ),
              { maxLength: 3 },
            ),
            tls: fc.array(fc.record({ hosts: fc.array(str, { maxLength: 3 }) }, opt), {
              maxLength: 2,
            }),
            ipFamilyPolicy: str,
            ipFamilies: fc.array(str, { maxLength: 2 }),
          },
          opt,
        ),
      },
      anyJson,
    ),
    status: fc.oneof(
      fc.record(
        {
          podIP: str,
          hostIP: str,
          phase: str,
          conditions: fc.array(fc.record({ type: str, status: str }, opt), { maxLength: 2 }),
          addresses: fc.array(
            fc.record(
              { type: fc.oneof(fc.constantFrom('InternalIP', 'Hostname'), str), address: str },
              opt,
            ),
            { maxLength: 3 },
          ),
          daemonEndpoints: anyJson,
        },
        opt,
      ),
      anyJson,
    ),
    subsets: fc.array(
      fc.record(
        {
          addresses: fc.array(
            fc.record(
              { ip: str, hostname: str, nodeName: str, targetRef: fc.oneof(ref, anyJson) },
              opt,
            ),
            { maxLength: 3 },
          ),
          notReadyAddresses: fc.array(fc.record({ ip: str }, opt), { maxLength: 2 }),
          ports: fc.array(fc.record({ name: str, port, protocol: str }, opt), { maxLength: 3 }),
        },
        opt,
      ),
      { maxLength: 2 },
    ),
    addressType: fc.oneof(fc.constantFrom('IPv4', 'IPv6'), str),
    endpoints: fc.array(
      fc.record(
        {
          addresses: fc.array(str, { maxLength: 3 }),
          conditions: fc.oneof(fc.record({ ready: fc.oneof(fc.boolean(), anyJson) }, opt), anyJson),
          targetRef: fc.oneof(ref, anyJson),
          nodeName: str,
          zone: str,
          hostname: str,
          deprecatedTopology: dict,
        },
        opt,
      ),
      { maxLength: 3 },
    ),
    ports: fc.array(fc.record({ name: str, port, protocol: str, appProtocol: str }, opt), {
      maxLength: 3,
    }),
  },
  opt,
);
const listLike = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record(
      {
        items: fc.oneof({ weight: 5, arbitrary: fc.array(objectLike, { maxLength: 4 }) }, anyJson),
        metadata: fc.oneof(fc.record({ continue: str, resourceVersion: str }, opt), anyJson),
      },
      opt,
    ),
  },
  anyJson,
);

describe('Kubernetes list bodies through the readers and role builders', () => {
  it.each(ROLES)('edits of a valid %s list', async (role) => {
    await fc.assert(
      fc.asyncProperty(edits(JSON_PIECES), (e) => checked(role, mutate(SEEDS[role], e))),
      fuzzParams(150),
    );
  });

  it.each(ROLES)('random JSON shaped like %s objects', async (role) => {
    await fc.assert(
      fc.asyncProperty(listLike, (body) => checked(role, JSON.stringify(body))),
      fuzzParams(150),
    );
  });

  it('random JSON values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.json({ maxDepth: 5 }), fc.constantFrom(...ROLES), (t, role) =>
        checked(role, t),
      ),
      fuzzParams(200),
    );
  });
});

describe('Kubernetes answers through HTTP', () => {
  const api = new FakeKubeApi();
  let server = '';
  beforeAll(async () => {
    server = await api.start();
  });
  afterAll(() => api.stop());

  const answer = fc.oneof(
    fc.record({
      status: fc.constantFrom(200, 200, 200, 401, 403, 404, 410, 500),
      body: fc.oneof(
        fc.string({ unit: 'binary', maxLength: 200 }),
        listLike.map((b) => JSON.stringify(b)),
        edits(JSON_PIECES).map((e) => mutate(SEEDS.pod, e)),
      ),
      contentType: fc.constantFrom('application/json', 'text/plain'),
    }),
  );

  it(
    'every bad answer is a KubernetesSdError and the last good groups stay',
    async () => {
      api.reset();
      api.objects.set('pods', [obj.simplePod('default')]);
      const job = sdJob('kubernetes_sd_configs', [{ role: 'pod', api_server: server }]);
      const discovery = new JobDiscovery(job, {
        kubernetes: { maxResponseBytes: 4096, requestTimeoutMs: 2000 },
      });
      const good = await discovery.refresh({ force: true });
      expect(good.errors).toEqual([]);
      expect(good.groups).toHaveLength(1);
      let last = good.groups;
      try {
        await fc.assert(
          fc.asyncProperty(answer, async (reply) => {
            api.replies.set('/api/v1/pods', reply);
            const d = new KubernetesDiscoverer(
              parseEntry(kubernetesMechanism, { role: 'pod', api_server: server }),
              {
                maxResponseBytes: 4096,
                requestTimeoutMs: 2000,
              },
            );
            try {
              const err = await errorOf(KubernetesSdError, () => d.refresh());
              if (err !== undefined)
                expect(err.message).toMatch(
                  /^kubernetes http:\/\/127\.0\.0\.1:\d+\/api\/v1\/pods: /,
                );
            } finally {
              await d.close();
            }
            const r = await discovery.refresh({ force: true });
            if (r.errors.length > 0) expect(r.groups).toEqual(last);
            else last = r.groups;
            expectBounded(r.groups, reply.body.length ** 2 + 10, reply.body.length + OVERHEAD);
          }),
          fuzzParams(60),
        );
      } finally {
        await discovery.close();
      }
    },
    NETWORK_TIMEOUT_MS,
  );
});

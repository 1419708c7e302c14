/**
 * Strict reading of the Kubernetes API objects discovery uses, from the JSON of list responses
 * (untrusted input). Only the fields that become labels or decide targets are read; each must
 * have its API type when present (strings, int32 ports, booleans, string maps), absent and null
 * read as the Go zero value (or `undefined` where Prometheus tells an unset pointer apart).
 * A problem throws {@link ObjectShapeError} naming the path, e.g. `items[2].spec.ports[0].port`.
 */

export class ObjectShapeError extends Error {
  override readonly name = 'ObjectShapeError';
}

export interface OwnerReference {
  readonly kind: string;
  readonly name: string;
  readonly controller: boolean;
}

export interface ObjectMeta {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly ownerReferences: readonly OwnerReference[];
}

export interface ContainerPort {
  readonly name: string;
  readonly containerPort: number;
  readonly protocol: string;
}
export interface Container {
  readonly name: string;
  readonly image: string;
  readonly ports: readonly ContainerPort[];
}
export interface Condition {
  readonly type: string;
  readonly status: string;
}
export interface Pod {
  readonly metadata: ObjectMeta;
  readonly nodeName: string;
  readonly containers: readonly Container[];
  readonly initContainers: readonly Container[];
  readonly phase: string;
  readonly podIP: string;
  readonly hostIP: string;
  readonly conditions: readonly Condition[];
  /** Container name → ID, of `containerStatuses` and `initContainerStatuses`. */
  readonly containerIds: ReadonlyMap<string, string>;
  readonly initContainerIds: ReadonlyMap<string, string>;
}
export interface NodeAddress {
  readonly type: string;
  readonly address: string;
}
export interface KubeNode {
  readonly metadata: ObjectMeta;
  readonly providerID: string;
  readonly conditions: readonly Condition[];
  readonly addresses: readonly NodeAddress[];
  readonly kubeletPort: number;
}
export interface ServicePort {
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
}
export interface Service {
  readonly metadata: ObjectMeta;
  readonly ports: readonly ServicePort[];
  readonly type: string;
  readonly clusterIP: string;
  readonly externalName: string;
  readonly loadBalancerIP: string;
  readonly ipFamilyPolicy: string | undefined;
  readonly ipFamilies: readonly string[];
  readonly loadBalancerIngressIPs: readonly string[];
}
export interface ObjectReference {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
}
export interface EndpointAddress {
  readonly ip: string;
  readonly hostname: string;
  readonly nodeName: string | undefined;
  readonly targetRef: ObjectReference | undefined;
}
export interface EndpointSubset {
  readonly addresses: readonly EndpointAddress[];
  readonly notReadyAddresses: readonly EndpointAddress[];
  readonly ports: readonly ServicePort[];
}
export interface Endpoints {
  readonly metadata: ObjectMeta;
  readonly subsets: readonly EndpointSubset[];
}
export interface SliceEndpoint {
  readonly addresses: readonly string[];
  readonly ready: boolean | undefined;
  readonly serving: boolean | undefined;
  readonly terminating: boolean | undefined;
  readonly hostname: string | undefined;
  readonly nodeName: string | undefined;
  readonly zone: string | undefined;
  readonly targetRef: ObjectReference | undefined;
  readonly deprecatedTopology: Readonly<Record<string, string>>;
}
export interface SlicePort {
  readonly name: string | undefined;
  readonly port: number | undefined;
  readonly protocol: string | undefined;
  readonly appProtocol: string | undefined;
}
export interface EndpointSlice {
  readonly metadata: ObjectMeta;
  readonly addressType: string;
  readonly endpoints: readonly SliceEndpoint[];
  readonly ports: readonly SlicePort[];
}
export interface IngressRule {
  readonly host: string;
  /** undefined when the rule has no `http` block. */
  readonly paths: readonly string[] | undefined;
}
export interface Ingress {
  readonly metadata: ObjectMeta;
  readonly ingressClassName: string | undefined;
  readonly rules: readonly IngressRule[];
  readonly tlsHosts: readonly string[];
}
/** Namespaces, ReplicaSets and Jobs: only their metadata is used. */
export interface MetaOnly {
  readonly metadata: ObjectMeta;
}

type Obj = Record<string, unknown>;

/** Field access with the path of the value, for messages. */
class At {
  constructor(
    readonly value: unknown,
    readonly path: string,
  ) {}

  fail(what: string): never {
    throw new ObjectShapeError(`${this.path === '' ? 'the response' : this.path} is not ${what}`);
  }

  private get obj(): Obj | undefined {
    const v = this.value;
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) this.fail('an object');
    return v as Obj;
  }

  get(key: string): At {
    return new At(this.obj?.[key], this.path === '' ? key : `${this.path}.${key}`);
  }

  present(): boolean {
    return this.value !== undefined && this.value !== null;
  }

  optString(): string | undefined {
    if (!this.present()) return undefined;
    if (typeof this.value !== 'string') this.fail('a string');
    return this.value;
  }
  string(): string {
    return this.optString() ?? '';
  }
  optBool(): boolean | undefined {
    if (!this.present()) return undefined;
    if (typeof this.value !== 'boolean') this.fail('a boolean');
    return this.value;
  }
  /** An int32, as Kubernetes ports are. */
  optInt32(): number | undefined {
    if (!this.present()) return undefined;
    const v = this.value;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
      this.fail('an int32');
    }
    return v;
  }
  int32(): number {
    return this.optInt32() ?? 0;
  }
  list<T>(item: (at: At) => T): T[] {
    if (!this.present()) return [];
    if (!Array.isArray(this.value)) this.fail('a list');
    return this.value.map((v, i) => item(new At(v, `${this.path}[${i}]`)));
  }
  /** A `map[string]string`, with no prototype (a key `__proto__` is data). */
  stringMap(): Record<string, string> {
    const o = this.obj;
    const out: Record<string, string> = Object.create(null);
    if (o === undefined) return out;
    for (const [k, v] of Object.entries(o)) {
      out[k] = new At(v, `${this.path}.${k}`).string();
    }
    return out;
  }
  /** Checks it is an object (or absent). */
  object(): this {
    void this.obj;
    return this;
  }
}

function meta(at: At): ObjectMeta {
  const m = at.get('metadata').object();
  return {
    name: m.get('name').string(),
    namespace: m.get('namespace').string(),
    uid: m.get('uid').string(),
    labels: m.get('labels').stringMap(),
    annotations: m.get('annotations').stringMap(),
    ownerReferences: m.get('ownerReferences').list((r) => ({
      kind: r.get('kind').string(),
      name: r.get('name').string(),
      controller: r.get('controller').optBool() ?? false,
    })),
  };
}

const conditions = (at: At): Condition[] =>
  at.list((c) => ({ type: c.get('type').string(), status: c.get('status').string() }));

const containers = (at: At): Container[] =>
  at.list((c) => ({
    name: c.get('name').string(),
    image: c.get('image').string(),
    ports: c.get('ports').list((p) => ({
      name: p.get('name').string(),
      containerPort: p.get('containerPort').int32(),
      protocol: p.get('protocol').string(),
    })),
  }));

function containerIds(at: At): Map<string, string> {
  const ids = new Map<string, string>();
  for (const s of at.list((c) => [c.get('name').string(), c.get('containerID').string()])) {
    // Prometheus takes the first status of a name.
    if (!ids.has(s[0]!)) ids.set(s[0]!, s[1]!);
  }
  return ids;
}

const servicePorts = (at: At): ServicePort[] =>
  at.list((p) => ({
    name: p.get('name').string(),
    port: p.get('port').int32(),
    protocol: p.get('protocol').string(),
  }));

function objectRef(at: At): ObjectReference | undefined {
  if (!at.object().present()) return undefined;
  return {
    kind: at.get('kind').string(),
    name: at.get('name').string(),
    namespace: at.get('namespace').string(),
  };
}

export function readPod(at: At): Pod {
  const spec = at.get('spec').object();
  const status = at.get('status').object();
  return {
    metadata: meta(at),
    nodeName: spec.get('nodeName').string(),
    containers: containers(spec.get('containers')),
    initContainers: containers(spec.get('initContainers')),
    phase: status.get('phase').string(),
    podIP: status.get('podIP').string(),
    hostIP: status.get('hostIP').string(),
    conditions: conditions(status.get('conditions')),
    containerIds: containerIds(status.get('containerStatuses')),
    initContainerIds: containerIds(status.get('initContainerStatuses')),
  };
}

export function readNode(at: At): KubeNode {
  const status = at.get('status').object();
  return {
    metadata: meta(at),
    providerID: at.get('spec').object().get('providerID').string(),
    conditions: conditions(status.get('conditions')),
    addresses: status.get('addresses').list((a) => ({
      type: a.get('type').string(),
      address: a.get('address').string(),
    })),
    kubeletPort: status.get('daemonEndpoints').get('kubeletEndpoint').get('Port').int32(),
  };
}

export function readService(at: At): Service {
  const spec = at.get('spec').object();
  return {
    metadata: meta(at),
    ports: servicePorts(spec.get('ports')),
    type: spec.get('type').string(),
    clusterIP: spec.get('clusterIP').string(),
    externalName: spec.get('externalName').string(),
    loadBalancerIP: spec.get('loadBalancerIP').string(),
    ipFamilyPolicy: spec.get('ipFamilyPolicy').optString(),
    ipFamilies: spec.get('ipFamilies').list((f) => f.string()),
    loadBalancerIngressIPs: at
      .get('status')
      .get('loadBalancer')
      .get('ingress')
      .list((i) => i.get('ip').string()),
  };
}

function endpointAddress(a: At): EndpointAddress {
  return {
    ip: a.get('ip').string(),
    hostname: a.get('hostname').string(),
    nodeName: a.get('nodeName').optString(),
    targetRef: objectRef(a.get('targetRef')),
  };
}

export function readEndpoints(at: At): Endpoints {
  return {
    metadata: meta(at),
    subsets: at.get('subsets').list((s) => ({
      addresses: s.get('addresses').list(endpointAddress),
      notReadyAddresses: s.get('notReadyAddresses').list(endpointAddress),
      ports: servicePorts(s.get('ports')),
    })),
  };
}

export function readEndpointSlice(at: At): EndpointSlice {
  return {
    metadata: meta(at),
    addressType: at.get('addressType').string(),
    endpoints: at.get('endpoints').list((e) => {
      const c = e.get('conditions').object();
      return {
        addresses: e.get('addresses').list((a) => a.string()),
        ready: c.get('ready').optBool(),
        serving: c.get('serving').optBool(),
        terminating: c.get('terminating').optBool(),
        hostname: e.get('hostname').optString(),
        nodeName: e.get('nodeName').optString(),
        zone: e.get('zone').optString(),
        targetRef: objectRef(e.get('targetRef')),
        deprecatedTopology: e.get('deprecatedTopology').stringMap(),
      };
    }),
    ports: at.get('ports').list((p) => ({
      name: p.get('name').optString(),
      port: p.get('port').optInt32(),
      protocol: p.get('protocol').optString(),
      appProtocol: p.get('appProtocol').optString(),
    })),
  };
}

export function readIngress(at: At): Ingress {
  const spec = at.get('spec').object();
  return {
    metadata: meta(at),
    ingressClassName: spec.get('ingressClassName').optString(),
    rules: spec.get('rules').list((r) => {
      const http = r.get('http').object();
      return {
        host: r.get('host').string(),
        paths: http.present() ? http.get('paths').list((p) => p.get('path').string()) : undefined,
      };
    }),
    tlsHosts: spec
      .get('tls')
      .list((t) => t.get('hosts').list((h) => h.string()))
      .flat(),
  };
}

export function readMetaOnly(at: At): MetaOnly {
  return { metadata: meta(at) };
}

/** The kinds a list can hold, by the reader of one item. */
export type ItemReader<T> = (at: At) => T;

/** The items of a list response body (already JSON-parsed), plus its `continue` token. */
export function readList<T>(
  body: unknown,
  item: ItemReader<T>,
): { items: T[]; continueToken: string } {
  const at = new At(body, '');
  if (!at.present() || typeof body !== 'object' || Array.isArray(body)) at.fail('an object');
  const items = new At((body as Obj).items, 'items').list(item);
  const continueToken = at.get('metadata').object().get('continue').string();
  return { items, continueToken };
}

export type { At };

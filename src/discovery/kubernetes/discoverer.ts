/**
 * Kubernetes discovery by listing (no watch): every refresh LISTs, page by page, what the role
 * needs in each configured namespace (plus nodes, namespaces, ReplicaSets or Jobs when
 * `attach_metadata` asks for them) and builds every group from scratch, with the label sets of
 * Prometheus's informer-based roles. Prometheus watches and has no refresh interval; a Lambda
 * function runs for seconds, so here the caller refreshes every `refreshIntervalMs` (60 s).
 *
 * Failures: any list failing fails the whole refresh (it throws, and the registry keeps the
 * previous groups, §10). An object gone since the last refresh gets one empty group for its
 * source. The connection (kubeconfig, in-cluster files) is resolved on the first refresh and
 * kept once it succeeded.
 */
import type { Dispatcher } from 'undici';
import { mapLimit } from '../map-limit.js';
import type { Discoverer, DiscoveryRefresh, TargetGroup } from '../types.js';
import { KubeClient, type KubeClientOptions } from './client.js';
import {
  KUBERNETES_SD_REFRESH_INTERVAL_MS,
  type KubernetesRole,
  type KubernetesSdConfig,
} from './config.js';
import { type ConnectionDeps, type KubeConnection, resolveConnection } from './connection.js';
import { namespacedName } from './labels.js';
import {
  type ItemReader,
  type MetaOnly,
  readEndpointSlice,
  readEndpoints,
  readIngress,
  readMetaOnly,
  readNode,
  readPod,
  readService,
} from './objects.js';
import type { RoleContext } from './roles/context.js';
import { buildEndpointsGroup } from './roles/endpoints.js';
import { buildEndpointSliceGroup } from './roles/endpointslice.js';
import { buildIngressGroup } from './roles/ingress.js';
import { buildNodeGroup } from './roles/node.js';
import { buildPodGroup } from './roles/pod.js';
import { buildServiceGroup } from './roles/service.js';

/** How many list requests (namespaces × resources) run at once. */
export const DEFAULT_KUBERNETES_CONCURRENCY = 8;

export interface KubernetesSdOptions extends ConnectionDeps, Omit<KubeClientOptions, 'dispatcher'> {
  /** @default KUBERNETES_SD_REFRESH_INTERVAL_MS */
  readonly refreshIntervalMs?: number;
  /** @default DEFAULT_KUBERNETES_CONCURRENCY */
  readonly concurrency?: number;
  /** A dispatcher to use instead of one built from the connection (the caller closes it). */
  readonly dispatcher?: Dispatcher;
}

/** A resource's collection path under a namespace ('' = every namespace). */
type Resource = (namespace: string) => string;

const core =
  (plural: string): Resource =>
  (ns) =>
    ns === '' ? `/api/v1/${plural}` : `/api/v1/namespaces/${encodeURIComponent(ns)}/${plural}`;
const group =
  (prefix: string, plural: string): Resource =>
  (ns) =>
    ns === '' ? `${prefix}/${plural}` : `${prefix}/namespaces/${encodeURIComponent(ns)}/${plural}`;

export const RESOURCES = {
  nodes: () => '/api/v1/nodes',
  namespaces: () => '/api/v1/namespaces',
  pods: core('pods'),
  services: core('services'),
  endpoints: core('endpoints'),
  endpointslices: group('/apis/discovery.k8s.io/v1', 'endpointslices'),
  ingresses: group('/apis/networking.k8s.io/v1', 'ingresses'),
  replicasets: group('/apis/apps/v1', 'replicasets'),
  jobs: group('/apis/batch/v1', 'jobs'),
} as const satisfies Record<string, Resource>;

export class KubernetesDiscoverer implements Discoverer {
  readonly refreshIntervalMs: number;
  private connection: KubeConnection | undefined;
  private client: KubeClient | undefined;
  private lastSources = new Set<string>();
  private readonly concurrency: number;

  constructor(
    readonly config: KubernetesSdConfig,
    private readonly options: KubernetesSdOptions = {},
  ) {
    this.refreshIntervalMs = options.refreshIntervalMs ?? KUBERNETES_SD_REFRESH_INTERVAL_MS;
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_KUBERNETES_CONCURRENCY);
  }

  async refresh(): Promise<DiscoveryRefresh> {
    if (this.connection === undefined) {
      this.connection = await resolveConnection(this.config, this.options);
    }
    this.client ??= new KubeClient(this.connection, this.options);
    // One group per source: a list naming one object twice (never from a real API server)
    // keeps its last, as an informer's store would.
    const bySource = new Map<string, TargetGroup>();
    for (const g of await this.groups(this.client, this.namespaces(this.connection))) {
      bySource.set(g.source, g);
    }
    const groups = [...bySource.values()];
    const sources = new Set(bySource.keys());
    const cleared: TargetGroup[] = [];
    for (const source of this.lastSources) {
      if (!sources.has(source)) cleared.push({ source, targets: [], labels: {} });
    }
    this.lastSources = sources;
    return { groups: [...groups, ...cleared], errors: [] };
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.close();
  }

  /** The namespaces to list in, each once; `['']` = all (Prometheus `getNamespaces`). */
  private namespaces(connection: KubeConnection): string[] {
    const names = [...this.config.namespaces];
    if (names.length === 0 && !this.config.ownNamespace) return [''];
    if (this.config.ownNamespace && connection.ownNamespace !== undefined) {
      names.push(connection.ownNamespace);
    }
    return [...new Set(names)];
  }

  private async groups(client: KubeClient, namespaces: string[]): Promise<TargetGroup[]> {
    const { role, attachMetadata: attach } = this.config;
    const selector = (r: KubernetesRole) => this.config.selectors[r] ?? { label: '', field: '' };
    const list = <T>(
      resource: Resource,
      read: ItemReader<T>,
      sel?: KubernetesRole,
      nss = namespaces,
    ) =>
      mapLimit(nss, this.concurrency, (ns) =>
        client.list(
          {
            path: resource(ns),
            ...(sel === undefined
              ? {}
              : { labelSelector: selector(sel).label, fieldSelector: selector(sel).field }),
          },
          read,
        ),
      ).then((pages) => pages.flat());
    const byName = <T extends MetaOnly>(items: T[]) =>
      new Map(items.map((o) => [o.metadata.name, o]));
    const byKey = <T extends MetaOnly>(items: T[]) =>
      new Map(items.map((o) => [namespacedName(o.metadata.namespace, o.metadata.name), o]));
    const once = [''];

    if (role === 'node') {
      const nodes = await list(RESOURCES.nodes, readNode, 'node', once);
      return nodes.map(buildNodeGroup).filter((g): g is TargetGroup => g !== undefined);
    }

    const withPods = role === 'pod' || role === 'endpoints' || role === 'endpointslice';
    const [nodes, nsObjects, replicaSets, jobs] = await Promise.all([
      attach.node && withPods ? list(RESOURCES.nodes, readNode, 'node', once) : undefined,
      attach.namespace ? list(RESOURCES.namespaces, readMetaOnly, undefined, once) : undefined,
      attach.deployment && withPods ? list(RESOURCES.replicasets, readMetaOnly) : undefined,
      attach.cronjob && withPods ? list(RESOURCES.jobs, readMetaOnly) : undefined,
    ]);
    const base: RoleContext = {
      attach,
      ...(nodes === undefined ? {} : { nodes: byName(nodes) }),
      ...(nsObjects === undefined ? {} : { namespaces: byName(nsObjects) }),
      ...(replicaSets === undefined ? {} : { replicaSets: byKey(replicaSets) }),
      ...(jobs === undefined ? {} : { jobs: byKey(jobs) }),
    };

    /** The endpoints roles look up services and pods of the namespaces (their own selectors). */
    const withServicesAndPods = async (): Promise<RoleContext> => {
      const [services, pods] = await Promise.all([
        list(RESOURCES.services, readService, 'service'),
        list(RESOURCES.pods, readPod, 'pod'),
      ]);
      return { ...base, services: byKey(services), pods: byKey(pods) };
    };

    switch (role) {
      case 'pod': {
        const pods = await list(RESOURCES.pods, readPod, 'pod');
        return pods.map((p) => buildPodGroup(p, base));
      }
      case 'service': {
        const services = await list(RESOURCES.services, readService, 'service');
        return services.map((s) => buildServiceGroup(s, base));
      }
      case 'ingress': {
        const ingresses = await list(RESOURCES.ingresses, readIngress, 'ingress');
        return ingresses.map((i) => buildIngressGroup(i, base));
      }
      case 'endpoints': {
        const [endpoints, ctx] = await Promise.all([
          list(RESOURCES.endpoints, readEndpoints, 'endpoints'),
          withServicesAndPods(),
        ]);
        return endpoints.map((e) => buildEndpointsGroup(e, ctx));
      }
      case 'endpointslice': {
        const [slices, ctx] = await Promise.all([
          list(RESOURCES.endpointslices, readEndpointSlice, 'endpointslice'),
          withServicesAndPods(),
        ]);
        return slices.map((e) => buildEndpointSliceGroup(e, ctx));
      }
    }
  }
}

/**
 * Consul service discovery (§10.6) by periodic polling.
 *
 * Prometheus keeps long blocking queries open (`index=<X-Consul-Index>&wait=2m`) and gets
 * changes pushed. A Lambda function runs for seconds, so here every refresh is one round of
 * plain GETs with no `index`/`wait`: `/v1/agent/self` once (only when no datacenter is
 * configured), `/v1/catalog/services` when services must be discovered, then
 * `/v1/health/service/<name>` for each service. The caller schedules refreshes every
 * `refreshIntervalMs`.
 *
 * Failures: agent/self or the catalog failing fails the whole refresh (throws, so the registry
 * keeps the previous groups, §10); one service failing keeps that service's previous group and
 * is reported in `errors`. A service that left the catalog gets one empty group for its source.
 */
import type { Dispatcher } from 'undici';
import { createDispatcherSync, type HttpClientOptions, requestHeaders } from '../../http/client.js';
import { getJson } from '../../http/get-json.js';
import { mapLimit } from '../map-limit.js';
import type { Discoverer, DiscoveryRefresh, TargetGroup } from '../types.js';
import type { ConsulSdConfig } from './config.js';
import { ConsulSdError, ConsulSdErrorCode } from './error.js';

/** Default cap on one response body; Consul answers are untrusted input. */
export const DEFAULT_CONSUL_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Default limit for one request, response body included. */
export const DEFAULT_CONSUL_REQUEST_TIMEOUT_MS = 10_000;
/** How many `/v1/health/service/<name>` requests run at once. */
export const DEFAULT_CONSUL_CONCURRENCY = 8;

export interface ConsulSdOptions {
  /** @default DEFAULT_CONSUL_MAX_RESPONSE_BYTES */
  readonly maxResponseBytes?: number;
  /** @default DEFAULT_CONSUL_REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** @default DEFAULT_CONSUL_CONCURRENCY */
  readonly concurrency?: number;
  /** Folder relative `*_file` and TLS file paths resolve against. @default working directory */
  readonly baseDir?: string;
  /** A dispatcher to use instead of one built from the config (the caller then owns it). */
  readonly dispatcher?: Dispatcher;
}

export const CONSUL_LABEL = {
  address: '__meta_consul_address',
  node: '__meta_consul_node',
  namespace: '__meta_consul_namespace',
  partition: '__meta_consul_partition',
  tags: '__meta_consul_tags',
  serviceAddress: '__meta_consul_service_address',
  servicePort: '__meta_consul_service_port',
  serviceId: '__meta_consul_service_id',
  health: '__meta_consul_health',
  service: '__meta_consul_service',
  datacenter: '__meta_consul_dc',
  nodeMetaPrefix: '__meta_consul_metadata_',
  serviceMetaPrefix: '__meta_consul_service_metadata_',
  taggedAddressPrefix: '__meta_consul_tagged_address_',
} as const;

/** One entry of `/v1/health/service/<name>`, the fields discovery reads. */
export interface ConsulServiceEntry {
  readonly node: {
    readonly node: string;
    readonly address: string;
    readonly meta: Readonly<Record<string, string>>;
    readonly taggedAddresses: Readonly<Record<string, string>>;
  };
  readonly service: {
    readonly id: string;
    readonly address: string;
    readonly port: number;
    readonly tags: readonly string[];
    readonly meta: Readonly<Record<string, string>>;
    readonly namespace: string;
    readonly partition: string;
  };
  readonly checks: readonly { readonly checkId: string; readonly status: string }[];
}

/** Label-name characters only, one `_` per other character (Prometheus `SanitizeLabelName`). */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/gu, '_');
}

/** Go `net.JoinHostPort`: brackets a host containing `:` (IPv6). */
function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Consul's `HealthChecks.AggregatedStatus`: `maintenance` when any check is a maintenance
 * check (`_node_maintenance`, `_service_maintenance:<id>`), else the worst of critical >
 * warning > passing; no checks is `passing`; a status Consul does not define gives '' (the
 * label is then absent).
 */
export function aggregatedStatus(checks: ConsulServiceEntry['checks']): string {
  let passing = false;
  let warning = false;
  let critical = false;
  let maintenance = false;
  for (const check of checks) {
    if (
      check.checkId === '_node_maintenance' ||
      check.checkId.startsWith('_service_maintenance:')
    ) {
      maintenance = true;
      continue;
    }
    switch (check.status) {
      case 'passing':
        passing = true;
        break;
      case 'warning':
        warning = true;
        break;
      case 'critical':
        critical = true;
        break;
      default:
        return '';
    }
  }
  if (maintenance) return 'maintenance';
  if (critical) return 'critical';
  if (warning) return 'warning';
  if (passing) return 'passing';
  return 'passing';
}

/** The target labels of one instance (§10.6); empty values are left out (§10). */
export function consulTargetLabels(
  entry: ConsulServiceEntry,
  tagSeparator: string,
): Record<string, string> {
  const { node, service } = entry;
  const host = service.address !== '' ? service.address : node.address;
  const labels: Record<string, string> = {
    __address__: joinHostPort(host, service.port),
    [CONSUL_LABEL.address]: node.address,
    [CONSUL_LABEL.node]: node.node,
    [CONSUL_LABEL.namespace]: service.namespace,
    [CONSUL_LABEL.partition]: service.partition,
    // Separator on both ends, so relabel regexes need not care about position (`,,` if none).
    [CONSUL_LABEL.tags]: tagSeparator + service.tags.join(tagSeparator) + tagSeparator,
    [CONSUL_LABEL.serviceAddress]: service.address,
    [CONSUL_LABEL.servicePort]: String(service.port),
    [CONSUL_LABEL.serviceId]: service.id,
    [CONSUL_LABEL.health]: aggregatedStatus(entry.checks),
  };
  for (const [k, v] of Object.entries(node.meta)) {
    labels[CONSUL_LABEL.nodeMetaPrefix + sanitizeLabelName(k)] = v;
  }
  for (const [k, v] of Object.entries(service.meta)) {
    labels[CONSUL_LABEL.serviceMetaPrefix + sanitizeLabelName(k)] = v;
  }
  for (const [k, v] of Object.entries(node.taggedAddresses)) {
    labels[CONSUL_LABEL.taggedAddressPrefix + sanitizeLabelName(k)] = v;
  }
  for (const [k, v] of Object.entries(labels)) if (v === '') delete labels[k];
  return labels;
}

export class ConsulDiscoverer implements Discoverer {
  /** How often the caller should call {@link refresh} (config `refresh_interval`). */
  readonly refreshIntervalMs: number;
  private datacenter: string | undefined;
  /** The last good group of every service currently in the catalog. */
  private last = new Map<string, TargetGroup>();
  private dispatcher: Dispatcher | undefined;
  private readonly ownsDispatcher: boolean;
  private readonly maxResponseBytes: number;
  private readonly requestTimeoutMs: number;
  private readonly concurrency: number;
  private readonly clientOptions: HttpClientOptions;

  constructor(
    readonly config: ConsulSdConfig,
    options: ConsulSdOptions = {},
  ) {
    this.refreshIntervalMs = config.refreshInterval;
    this.datacenter = config.datacenter === '' ? undefined : config.datacenter;
    this.dispatcher = options.dispatcher;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_CONSUL_MAX_RESPONSE_BYTES;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_CONSUL_REQUEST_TIMEOUT_MS;
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONSUL_CONCURRENCY);
    this.clientOptions = options.baseDir === undefined ? {} : { baseDir: options.baseDir };
  }

  async refresh(): Promise<DiscoveryRefresh> {
    const dc = await this.resolveDatacenter();
    const names = await this.serviceNames();

    type Outcome = { name: string; group: TargetGroup } | { name: string; error: ConsulSdError };
    const results = await mapLimit(names, this.concurrency, async (name): Promise<Outcome> => {
      try {
        return { name, group: await this.serviceGroup(name, dc) };
      } catch (err) {
        return { name, error: asServiceError(err, name) };
      }
    });

    const next = new Map<string, TargetGroup>();
    const errors: ConsulSdError[] = [];
    for (const r of results) {
      if ('group' in r) {
        next.set(r.name, r.group);
      } else {
        errors.push(r.error);
        const previous = this.last.get(r.name);
        if (previous !== undefined) next.set(r.name, previous);
      }
    }
    const cleared: TargetGroup[] = [];
    for (const name of this.last.keys()) {
      if (!names.includes(name)) cleared.push({ source: name, targets: [], labels: {} });
    }
    this.last = next;
    return { groups: [...next.values(), ...cleared], errors };
  }

  /** Closes the dispatcher this discoverer built (not one passed in options). */
  async close(): Promise<void> {
    const d = this.dispatcher;
    this.dispatcher = undefined;
    if (d !== undefined && this.ownsDispatcher) await d.close();
  }

  /** The configured datacenter, else the agent's `Config.Datacenter`, asked once. */
  private async resolveDatacenter(): Promise<string> {
    if (this.datacenter !== undefined) return this.datacenter;
    const self = await this.getJson('/v1/agent/self', new URLSearchParams());
    const dc = isObject(self) && isObject(self.Config) ? self.Config.Datacenter : undefined;
    if (typeof dc !== 'string') {
      throw new ConsulSdError(
        ConsulSdErrorCode.response,
        `consul ${this.describe('/v1/agent/self')}: invalid value for Config.Datacenter`,
      );
    }
    this.datacenter = dc;
    return dc;
  }

  /** The services to watch: the configured list, or the catalog's names that match (§10.6). */
  private async serviceNames(): Promise<string[]> {
    const { services, tags, filter } = this.config;
    if (services.length > 0 && tags.length === 0 && filter === '') return [...new Set(services)];

    const params = this.queryParams();
    if (filter !== '') params.append('filter', filter);
    const path = '/v1/catalog/services';
    const body = await this.getJson(path, params);
    if (!isObject(body)) throw this.shapeError(path, 'not an object of service names');
    const names: string[] = [];
    for (const [name, serviceTags] of Object.entries(body)) {
      if (serviceTags !== null && !isStringArray(serviceTags)) {
        throw this.shapeError(
          path,
          `tags of service ${JSON.stringify(name)} are not a string list`,
        );
      }
      if (services.length > 0 && !services.includes(name)) continue;
      const have = serviceTags ?? [];
      if (!tags.every((t) => have.includes(t))) continue;
      names.push(name);
    }
    return names.sort();
  }

  private async serviceGroup(name: string, dc: string): Promise<TargetGroup> {
    const params = this.queryParams();
    for (const tag of this.config.tags) params.append('tag', tag);
    if (this.config.healthFilter !== '') params.append('filter', this.config.healthFilter);
    const path = `/v1/health/service/${encodeURIComponent(name)}`;
    const entries = parseHealthEntries(await this.getJson(path, params), (msg) =>
      this.shapeError(path, msg),
    );
    return {
      source: name,
      targets: entries.map((e) => consulTargetLabels(e, this.config.tagSeparator)),
      labels: {
        [CONSUL_LABEL.service]: name,
        ...(dc === '' ? {} : { [CONSUL_LABEL.datacenter]: dc }),
      },
    };
  }

  /** The query options of catalog and health requests: `stale`, `node-meta` (§10.6, §13). */
  private queryParams(): URLSearchParams {
    const params = new URLSearchParams();
    if (this.config.allowStale) params.append('stale', '');
    for (const [k, v] of Object.entries(this.config.nodeMeta))
      params.append('node-meta', `${k}:${v}`);
    return params;
  }

  /** What consul/api adds to every request from its client config. */
  private clientParams(): URLSearchParams {
    const params = new URLSearchParams();
    const { datacenter, namespace, partition } = this.config;
    if (datacenter !== '') params.set('dc', datacenter);
    if (namespace !== '') params.set('ns', namespace);
    if (partition !== '') params.set('partition', partition);
    return params;
  }

  private url(path: string, params: URLSearchParams): string {
    const { scheme, server, pathPrefix } = this.config;
    const query = params.toString();
    return `${scheme}://${server}${pathPrefix}${path}${query === '' ? '' : `?${query}`}`;
  }

  /** Endpoint as shown in messages: no query (filters can be long), never credentials. */
  private describe(path: string): string {
    return `${this.config.scheme}://${this.config.server}${this.config.pathPrefix}${path}`;
  }

  private shapeError(path: string, message: string): ConsulSdError {
    return new ConsulSdError(
      ConsulSdErrorCode.response,
      `consul ${this.describe(path)}: unexpected response: ${message}`,
    );
  }

  private async getJson(path: string, extra: URLSearchParams): Promise<unknown> {
    const params = this.clientParams();
    for (const [k, v] of extra) params.append(k, v);
    const where = `consul ${this.describe(path)}`;
    return getJson({
      maxBytes: this.maxResponseBytes,
      timeoutMs: this.requestTimeoutMs,
      prepare: async () => {
        const headers = await requestHeaders(this.config.httpClient, this.clientOptions);
        if (this.config.token !== undefined) {
          headers['X-Consul-Token'] = this.config.token.reveal();
        }
        this.dispatcher ??= createDispatcherSync(this.config.httpClient, this.clientOptions);
        return { url: this.url(path, params), headers, dispatcher: this.dispatcher };
      },
      statusDetail: (snippet) => (snippet === '' ? '' : `: ${snippet.trim().slice(0, 200)}`),
      error: (failure, message, { cause }) =>
        new ConsulSdError(
          ConsulSdErrorCode[failure],
          `${where}: ${message}`,
          cause === undefined ? undefined : { cause },
        ),
      isOwn: (err) => err instanceof ConsulSdError,
    });
  }
}

function asServiceError(err: unknown, service: string): ConsulSdError {
  if (err instanceof ConsulSdError) {
    return new ConsulSdError(err.code, `service ${JSON.stringify(service)}: ${err.message}`, {
      cause: err.cause,
      service,
    });
  }
  return new ConsulSdError(
    ConsulSdErrorCode.request,
    `service ${JSON.stringify(service)}: ${err instanceof Error ? err.message : String(err)}`,
    { cause: err, service },
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

/**
 * Strict reading of a `/v1/health/service/<name>` body: a list of `{Node, Service, Checks}`.
 * Optional maps and lists may be absent or null; present values must have the right type.
 */
export function parseHealthEntries(
  body: unknown,
  fail: (message: string) => Error,
): ConsulServiceEntry[] {
  if (!Array.isArray(body)) throw fail('not a list of service entries');
  return body.map((raw, i) => {
    const at = `entry ${i}`;
    if (!isObject(raw) || !isObject(raw.Node) || !isObject(raw.Service)) {
      throw fail(`${at}: Node and Service objects required`);
    }
    const n = raw.Node;
    const s = raw.Service;
    const str = (o: Record<string, unknown>, key: string, what: string): string => {
      const v = o[key];
      if (v === undefined || v === null) return '';
      if (typeof v !== 'string') throw fail(`${at}: ${what}.${key} is not a string`);
      return v;
    };
    const map = (o: Record<string, unknown>, key: string, what: string): Record<string, string> => {
      const v = o[key];
      if (v === undefined || v === null) return {};
      if (!isObject(v)) throw fail(`${at}: ${what}.${key} is not an object`);
      // No prototype: a key named `__proto__` is data (a label), not a prototype to set.
      const out: Record<string, string> = Object.create(null);
      for (const [k, val] of Object.entries(v)) {
        if (typeof val !== 'string') throw fail(`${at}: ${what}.${key}.${k} is not a string`);
        out[k] = val;
      }
      return out;
    };
    // Consul's Port is a Go int: 1e300 or 2^53+1 fail to decode there, and would print as
    // "1e+300" or a rounded number here. Safe integers are the ports JSON can carry exactly.
    const port = s.Port ?? 0;
    if (typeof port !== 'number' || !Number.isSafeInteger(port)) {
      throw fail(`${at}: Service.Port is not an integer`);
    }
    const tags = s.Tags ?? [];
    if (!isStringArray(tags)) throw fail(`${at}: Service.Tags is not a string list`);
    const rawChecks = raw.Checks ?? [];
    if (!Array.isArray(rawChecks)) throw fail(`${at}: Checks is not a list`);
    const checks = rawChecks.map((c, j) => {
      if (!isObject(c)) throw fail(`${at}: Checks[${j}] is not an object`);
      return {
        checkId: str(c, 'CheckID', `Checks[${j}]`),
        status: str(c, 'Status', `Checks[${j}]`),
      };
    });
    // Tagged addresses are strings on the node (the service's are objects and not used).
    return {
      node: {
        node: str(n, 'Node', 'Node'),
        address: str(n, 'Address', 'Node'),
        meta: map(n, 'Meta', 'Node'),
        taggedAddresses: map(n, 'TaggedAddresses', 'Node'),
      },
      service: {
        id: str(s, 'ID', 'Service'),
        address: str(s, 'Address', 'Service'),
        port,
        tags,
        meta: map(s, 'Meta', 'Service'),
        namespace: str(s, 'Namespace', 'Service'),
        partition: str(s, 'Partition', 'Service'),
      },
      checks,
    };
  });
}

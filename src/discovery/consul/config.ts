/**
 * `consul_sd_configs` entries (§10.6), read with the config loader's reader. Fields, defaults and
 * the Go type names in messages follow Prometheus's `consul.SDConfig`; the inline HTTP client
 * fields (§1.5), `oauth2` included, are read by the loader's HTTP client parser, as for scrape
 * configs. Secret values (token, passwords, credentials, keys) never appear in messages.
 */
import type { Node } from 'yaml';
import { HTTP_CLIENT_FIELDS, parseHttpClientConfig } from '../../config/http-client.js';
import type { HttpClientConfig, Secret } from '../../config/types.js';
import type { YamlReader } from '../../config/yaml-reader.js';

/** Defaults of Prometheus's `consul.DefaultSDConfig` (§10.6). */
export const CONSUL_SD_DEFAULTS = {
  server: 'localhost:8500',
  scheme: 'http',
  allowStale: true,
  /** ms */
  refreshInterval: 30_000,
  tagSeparator: ',',
} as const;

export interface ConsulSdConfig {
  /** `host:port` of the agent (a leading `http://`/`https://` is moved into `scheme`). */
  readonly server: string;
  /** Prepended to every API path, e.g. `/consul` → `/consul/v1/...`. */
  readonly pathPrefix: string;
  /** Sent as `X-Consul-Token`. */
  readonly token: Secret | undefined;
  /** '' = ask the agent (`/v1/agent/self`) and send no `dc`. */
  readonly datacenter: string;
  readonly namespace: string;
  readonly partition: string;
  readonly scheme: 'http' | 'https';
  readonly allowStale: boolean;
  /** ms */
  readonly refreshInterval: number;
  /** Empty = every service of the catalog. */
  readonly services: readonly string[];
  /** An instance must carry all of them. */
  readonly tags: readonly string[];
  /** Sorted by key. */
  readonly nodeMeta: Readonly<Record<string, string>>;
  /** Catalog API filter expression ('' = none). */
  readonly filter: string;
  /** Health API filter expression ('' = none). */
  readonly healthFilter: string;
  readonly tagSeparator: string;
  /** `username`/`password` are folded into `basicAuth` here, as Prometheus does. */
  readonly httpClient: HttpClientConfig;
}

export const SD_FIELDS: ReadonlySet<string> = new Set([
  'server',
  'path_prefix',
  'token',
  'datacenter',
  'namespace',
  'partition',
  'scheme',
  'username',
  'password',
  'allow_stale',
  'refresh_interval',
  'services',
  'tags',
  'node_meta',
  'filter',
  'health_filter',
  'tag_separator',
  ...HTTP_CLIENT_FIELDS,
]);

/**
 * Reads one `consul_sd_configs` entry and fills in the defaults of §10.6. Problems are recorded
 * on `reader` as `file:line:col: message` and give undefined.
 */
export function parseConsulSdConfig(reader: YamlReader, node: Node): ConsulSdConfig | undefined {
  const errorsBefore = reader.errors.length;
  const s = reader.struct(node, 'consul.SDConfig', SD_FIELDS);
  if (s === undefined) return undefined;
  const httpClient = parseHttpClientConfig(s, { enableHttp2: true });
  const text = (name: string, fallback = '') => (s.has(name) ? (s.string(name) ?? '') : fallback);
  let server = text('server', CONSUL_SD_DEFAULTS.server);
  let scheme = text('scheme', CONSUL_SD_DEFAULTS.scheme);
  const pathPrefix = text('path_prefix');
  const token = s.secret('token');
  const username = text('username');
  const password = s.secret('password');
  const datacenter = text('datacenter');
  const namespace = text('namespace');
  const partition = text('partition');
  const allowStale = s.bool('allow_stale') ?? CONSUL_SD_DEFAULTS.allowStale;
  const refreshInterval = s.duration('refresh_interval') || CONSUL_SD_DEFAULTS.refreshInterval;
  const services = s.stringList('services') ?? [];
  const tags = s.stringList('tags') ?? [];
  const nodeMeta = (reader.stringMap(s.value('node_meta')) ?? [])
    .map((e): [string, string] => [e.key, e.value])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const filter = text('filter');
  const healthFilter = text('health_filter');
  const tagSeparator = text('tag_separator', CONSUL_SD_DEFAULTS.tagSeparator);
  if (reader.errors.length > errorsBefore) return undefined;

  if (server.trim() === '') {
    s.fail(
      s.has('server') ? 'server' : undefined,
      'consul SD configuration requires a server address',
    );
    return undefined;
  }
  // consul/api moves a scheme written into the address into Scheme.
  const schemeInServer = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(server);
  if (schemeInServer !== null) {
    scheme = schemeInServer[1]!.toLowerCase();
    server = server.slice(schemeInServer[0].length);
  }
  if (scheme !== 'http' && scheme !== 'https') {
    s.fail(
      schemeInServer === null ? 'scheme' : 'server',
      `unsupported scheme ${JSON.stringify(scheme)} (http or https)`,
    );
    return undefined;
  }
  if (server === '' || /[/?#@\s]/.test(server)) {
    s.fail('server', `${JSON.stringify(server)} is not a host[:port] address`);
    return undefined;
  }
  let basicAuth = httpClient.basicAuth;
  if (username !== '' || password !== undefined) {
    if (basicAuth !== undefined) {
      s.fail(
        'basic_auth',
        'at most one of consul SD configuration username and password and basic auth can be configured',
      );
      return undefined;
    }
    if (httpClient.oauth2 !== undefined) {
      // Prometheus turns username/password into basic_auth, then validates the client config.
      s.fail('oauth2', 'at most one of basic_auth, oauth2 & authorization must be configured');
      return undefined;
    }
    basicAuth = { username, usernameFile: undefined, password, passwordFile: undefined };
  }
  if (
    token !== undefined &&
    (httpClient.authorization !== undefined || httpClient.oauth2 !== undefined)
  ) {
    s.fail('token', 'at most one of consul SD token, authorization, or oauth2 can be configured');
    return undefined;
  }

  let prefix = pathPrefix;
  if (prefix !== '' && !prefix.startsWith('/')) prefix = `/${prefix}`;
  return {
    server,
    pathPrefix: prefix.replace(/\/+$/, ''),
    token,
    datacenter,
    namespace,
    partition,
    scheme,
    allowStale,
    refreshInterval,
    services,
    tags,
    nodeMeta: Object.fromEntries(nodeMeta),
    filter,
    healthFilter,
    tagSeparator,
    httpClient: { ...httpClient, basicAuth },
  };
}

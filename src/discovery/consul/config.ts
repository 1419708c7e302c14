/**
 * `consul_sd_configs` entries (§10.6), validated from the plain data the config loader carries
 * in `ScrapeConfig.otherSdConfigs['consul_sd_configs']`. Fields, defaults and the Go type names
 * in messages follow Prometheus's `consul.SDConfig`; the HTTP client part is the subset of §1.5
 * lambdascrape supports for Consul (basic_auth, authorization, tls_config, follow_redirects,
 * enable_http2). Secret values (token, passwords, credentials, keys) never appear in messages.
 */
import { DurationError, parseDuration } from '../../config/duration.js';
import { DEFAULT_TLS_CONFIG } from '../../config/http-client.js';
import { createSecret } from '../../config/secret.js';
import type {
  Authorization,
  BasicAuth,
  HttpClientConfig,
  Secret,
  TlsConfig,
  TlsVersion,
} from '../../config/types.js';
import { ConsulSdError, ConsulSdErrorCode } from './error.js';

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

const SD_FIELDS = new Set([
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
  // The supported HTTP client subset (§1.5).
  'basic_auth',
  'authorization',
  'tls_config',
  'follow_redirects',
  'enable_http2',
]);

/** HTTP client fields Prometheus accepts here but lambdascrape's Consul SD does not (yet). */
const UNSUPPORTED_HTTP_FIELDS = new Set([
  'oauth2',
  'bearer_token',
  'bearer_token_file',
  'proxy_url',
  'no_proxy',
  'proxy_from_environment',
  'proxy_connect_header',
  'http_headers',
]);

const BASIC_AUTH_FIELDS = new Set(['username', 'username_file', 'password', 'password_file']);
const AUTHORIZATION_FIELDS = new Set(['type', 'credentials', 'credentials_file']);
const TLS_FIELDS = new Set([
  'ca',
  'ca_file',
  'cert',
  'cert_file',
  'key',
  'key_file',
  'server_name',
  'insecure_skip_verify',
  'min_version',
  'max_version',
]);
const TLS_VERSIONS = new Set<string>(['TLS10', 'TLS11', 'TLS12', 'TLS13']);

type Plain = Readonly<Record<string, unknown>>;

/** Reads one mapping of plain data, failing with `where` in front of every message. */
class Fields {
  constructor(
    private readonly where: string,
    private readonly map: Plain,
  ) {}

  static of(where: string, value: unknown, goType: string, known: ReadonlySet<string>): Fields {
    if (value === null || value === undefined) return new Fields(where, {});
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw configError(where, `cannot unmarshal ${yamlKind(value)} into ${goType}`);
    }
    for (const key of Object.keys(value)) {
      if (!known.has(key)) {
        if (goType === 'consul.SDConfig' && UNSUPPORTED_HTTP_FIELDS.has(key)) {
          throw configError(where, `field ${key} is not supported by consul_sd_configs here`);
        }
        throw configError(where, `field ${key} not found in type ${goType}`);
      }
    }
    return new Fields(where, value as Plain);
  }

  has(key: string): boolean {
    const v = this.map[key];
    return v !== undefined && v !== null;
  }

  raw(key: string): unknown {
    return this.map[key];
  }

  /** A Go string field: any scalar is accepted as its text (yaml.v2 does the same). */
  string(key: string, fallback = ''): string {
    const v = this.map[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw this.fail(key, `cannot unmarshal ${yamlKind(v)} into string`);
  }

  /** A secret string: a type error names the field only, never the value. */
  secret(key: string): Secret | undefined {
    const text = this.string(key);
    return text === '' ? undefined : createSecret(text);
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.map[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw this.fail(key, `cannot unmarshal ${yamlKind(v)} into bool`);
    return v;
  }

  stringList(key: string): string[] {
    const v = this.map[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw this.fail(key, `cannot unmarshal ${yamlKind(v)} into []string`);
    return v.map((item, i) => {
      if (typeof item === 'string') return item;
      if (typeof item === 'number' || typeof item === 'boolean') return String(item);
      if (item === null) return '';
      throw this.fail(`${key}[${i}]`, `cannot unmarshal ${yamlKind(item)} into string`);
    });
  }

  stringMap(key: string): Record<string, string> {
    const v = this.map[key];
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) {
      throw this.fail(key, `cannot unmarshal ${yamlKind(v)} into map[string]string`);
    }
    const out: [string, string][] = [];
    for (const [k, item] of Object.entries(v)) {
      if (typeof item === 'string') out.push([k, item]);
      else if (typeof item === 'number' || typeof item === 'boolean') out.push([k, String(item)]);
      else if (item === null) out.push([k, '']);
      else throw this.fail(`${key}.${k}`, `cannot unmarshal ${yamlKind(item)} into string`);
    }
    out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(out);
  }

  /** ms; an unset or zero duration gives `fallback`. */
  duration(key: string, fallback: number): number {
    const v = this.map[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' && typeof v !== 'number') {
      throw this.fail(key, `cannot unmarshal ${yamlKind(v)} into model.Duration`);
    }
    try {
      return parseDuration(String(v)) || fallback;
    } catch (err) {
      if (err instanceof DurationError) throw this.fail(key, err.message);
      throw err;
    }
  }

  fail(key: string, message: string): ConsulSdError {
    return configError(`${this.where}: ${key}`, message);
  }

  failWhole(message: string): ConsulSdError {
    return configError(this.where, message);
  }
}

function configError(where: string, message: string): ConsulSdError {
  return new ConsulSdError(ConsulSdErrorCode.config, `${where}: ${message}`);
}

function yamlKind(v: unknown): string {
  if (Array.isArray(v)) return '!!seq';
  if (v === null) return '!!null';
  switch (typeof v) {
    case 'object':
      return '!!map';
    case 'boolean':
      return '!!bool';
    case 'number':
      return Number.isInteger(v) ? '!!int' : '!!float';
    default:
      return '!!str';
  }
}

/**
 * Validates one `consul_sd_configs` entry (plain data) and fills in the defaults of §10.6.
 * `where` prefixes every message, e.g. `job "api" consul_sd_configs[0]`.
 * Throws {@link ConsulSdError} with code `CONSUL_SD_CONFIG`.
 */
export function parseConsulSdConfig(raw: unknown, where: string): ConsulSdConfig {
  const f = Fields.of(where, raw, 'consul.SDConfig', SD_FIELDS);

  let server = f.string('server', CONSUL_SD_DEFAULTS.server);
  if (server.trim() === '') throw f.failWhole('consul SD configuration requires a server address');

  let schemeText = f.string('scheme', CONSUL_SD_DEFAULTS.scheme);
  // consul/api moves a scheme written into the address into Scheme.
  const schemeInServer = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(server);
  if (schemeInServer !== null) {
    schemeText = schemeInServer[1]!.toLowerCase();
    server = server.slice(schemeInServer[0].length);
  }
  if (schemeText !== 'http' && schemeText !== 'https') {
    throw f.fail('scheme', `unsupported scheme ${JSON.stringify(schemeText)} (http or https)`);
  }
  if (server === '' || /[/?#@\s]/.test(server)) {
    throw f.fail('server', `${JSON.stringify(server)} is not a host[:port] address`);
  }

  let pathPrefix = f.string('path_prefix');
  if (pathPrefix !== '' && !pathPrefix.startsWith('/')) pathPrefix = `/${pathPrefix}`;
  pathPrefix = pathPrefix.replace(/\/+$/, '');

  const token = f.secret('token');
  const username = f.string('username');
  const password = f.secret('password');

  const httpClient = parseHttpClientSubset(f, where);
  let basicAuth = httpClient.basicAuth;
  if (username !== '' || password !== undefined) {
    if (basicAuth !== undefined) {
      throw f.failWhole(
        'at most one of consul SD configuration username and password and basic auth can be configured',
      );
    }
    basicAuth = { username, usernameFile: undefined, password, passwordFile: undefined };
  }
  if (token !== undefined && httpClient.authorization !== undefined) {
    throw f.failWhole('at most one of consul SD token, authorization, or oauth2 can be configured');
  }

  return {
    server,
    pathPrefix,
    token,
    datacenter: f.string('datacenter'),
    namespace: f.string('namespace'),
    partition: f.string('partition'),
    scheme: schemeText,
    allowStale: f.bool('allow_stale', CONSUL_SD_DEFAULTS.allowStale),
    refreshInterval: f.duration('refresh_interval', CONSUL_SD_DEFAULTS.refreshInterval),
    services: f.stringList('services'),
    tags: f.stringList('tags'),
    nodeMeta: f.stringMap('node_meta'),
    filter: f.string('filter'),
    healthFilter: f.string('health_filter'),
    tagSeparator: f.has('tag_separator')
      ? f.string('tag_separator')
      : CONSUL_SD_DEFAULTS.tagSeparator,
    httpClient: { ...httpClient, basicAuth },
  };
}

function parseHttpClientSubset(f: Fields, where: string): HttpClientConfig {
  let basicAuth: BasicAuth | undefined;
  if (f.has('basic_auth')) {
    const b = Fields.of(
      `${where}: basic_auth`,
      f.raw('basic_auth'),
      'config.BasicAuth',
      BASIC_AUTH_FIELDS,
    );
    const usernameFile = b.string('username_file');
    const passwordFile = b.string('password_file');
    if (b.string('username') !== '' && usernameFile !== '') {
      throw b.failWhole('at most one of basic_auth username & username_file must be configured');
    }
    if (b.has('password') && passwordFile !== '') {
      throw b.failWhole('at most one of basic_auth password & password_file must be configured');
    }
    basicAuth = {
      username: b.string('username'),
      usernameFile: usernameFile === '' ? undefined : usernameFile,
      password: b.secret('password'),
      passwordFile: passwordFile === '' ? undefined : passwordFile,
    };
  }

  let authorization: Authorization | undefined;
  if (f.has('authorization')) {
    const a = Fields.of(
      `${where}: authorization`,
      f.raw('authorization'),
      'config.Authorization',
      AUTHORIZATION_FIELDS,
    );
    const type = a.string('type', 'Bearer') || 'Bearer';
    if (type.toLowerCase() === 'basic') {
      throw a.failWhole(`authorization type cannot be set to "basic", use "basic_auth" instead`);
    }
    const credentialsFile = a.string('credentials_file');
    if (a.has('credentials') && credentialsFile !== '') {
      throw a.failWhole(
        'at most one of authorization credentials & credentials_file must be configured',
      );
    }
    authorization = {
      type,
      credentials: a.secret('credentials'),
      credentialsFile: credentialsFile === '' ? undefined : credentialsFile,
    };
    if (basicAuth !== undefined) {
      throw f.failWhole('at most one of basic_auth, oauth2 & authorization must be configured');
    }
  }

  let tlsConfig: TlsConfig = DEFAULT_TLS_CONFIG;
  if (f.has('tls_config')) {
    const t = Fields.of(
      `${where}: tls_config`,
      f.raw('tls_config'),
      'config.TLSConfig',
      TLS_FIELDS,
    );
    const pair = (inline: string, file: string) => {
      if (t.has(inline) && t.string(file) !== '') {
        throw t.failWhole(`at most one of ${inline} and ${file} must be configured`);
      }
    };
    pair('ca', 'ca_file');
    pair('cert', 'cert_file');
    pair('key', 'key_file');
    const version = (key: string): TlsVersion | undefined => {
      const v = t.string(key);
      if (v === '') return undefined;
      if (!TLS_VERSIONS.has(v)) throw t.fail(key, `unknown TLS version: ${v}`);
      return v as TlsVersion;
    };
    const orUndefined = (s: string) => (s === '' ? undefined : s);
    tlsConfig = {
      ca: orUndefined(t.string('ca')),
      caFile: orUndefined(t.string('ca_file')),
      cert: orUndefined(t.string('cert')),
      certFile: orUndefined(t.string('cert_file')),
      key: t.secret('key'),
      keyFile: orUndefined(t.string('key_file')),
      serverName: orUndefined(t.string('server_name')),
      insecureSkipVerify: t.bool('insecure_skip_verify', false),
      minVersion: version('min_version'),
      maxVersion: version('max_version'),
    };
  }

  return {
    basicAuth,
    authorization,
    oauth2: undefined,
    tlsConfig,
    // §1.5: defaults for SD clients.
    followRedirects: f.bool('follow_redirects', true),
    enableHttp2: f.bool('enable_http2', true),
    proxyUrl: undefined,
    noProxy: undefined,
    proxyFromEnvironment: false,
    proxyConnectHeader: {},
    httpHeaders: {},
  };
}

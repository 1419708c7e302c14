import type { Node } from 'yaml';
import type {
  Authorization,
  BasicAuth,
  HttpClientConfig,
  HttpHeaderConfig,
  OAuth2,
  Secret,
  TlsConfig,
  TlsVersion,
} from './types.js';
import type { Struct, YamlReader } from './yaml-reader.js';

/**
 * common:config HTTPClientConfig (§1.5): the fields scrape configs, remote write and several SDs
 * carry inline. Validation follows `HTTPClientConfig.Validate` in prometheus/common, with its
 * messages; only the first problem of one client config is reported, as there.
 *
 * `*_file` paths are resolved against the config folder and never read here: Prometheus reads
 * them on every request so that rotated credentials are picked up.
 *
 * `*_ref` fields (secrets from a secret manager) are rejected: Prometheus wires no secret manager
 * either, so such a config would fail at its first request there.
 */

/** The YAML keys of the inline HTTP client config. */
export const HTTP_CLIENT_FIELDS: ReadonlySet<string> = new Set([
  'basic_auth',
  'authorization',
  'oauth2',
  'bearer_token',
  'bearer_token_file',
  'tls_config',
  'follow_redirects',
  'enable_http2',
  'proxy_url',
  'no_proxy',
  'proxy_from_environment',
  'proxy_connect_header',
  'http_headers',
]);

const PROXY_FIELDS = ['proxy_url', 'no_proxy', 'proxy_from_environment', 'proxy_connect_header'];

export const BASIC_AUTH_FIELDS = new Set([
  'username',
  'username_file',
  'username_ref',
  'password',
  'password_file',
  'password_ref',
]);
export const AUTHORIZATION_FIELDS = new Set([
  'type',
  'credentials',
  'credentials_file',
  'credentials_ref',
]);
export const OAUTH2_FIELDS = new Set([
  'client_id',
  'client_secret',
  'client_secret_file',
  'client_secret_ref',
  'client_certificate_key_id',
  'client_certificate_key',
  'client_certificate_key_file',
  'client_certificate_key_ref',
  'grant_type',
  'signature_algorithm',
  'iss',
  'audience',
  'claims',
  'scopes',
  'token_url',
  'endpoint_params',
  'tls_config',
  ...PROXY_FIELDS,
]);
export const TLS_FIELDS = new Set([
  'ca',
  'ca_file',
  'ca_ref',
  'cert',
  'cert_file',
  'cert_ref',
  'key',
  'key_file',
  'key_ref',
  'server_name',
  'insecure_skip_verify',
  'min_version',
  'max_version',
]);
export const HEADER_FIELDS = new Set(['values', 'secrets', 'files']);

const TLS_VERSIONS: readonly TlsVersion[] = ['TLS10', 'TLS11', 'TLS12', 'TLS13'];

const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const SIGNATURE_ALGORITHMS = ['RS256', 'RS384', 'RS512'];

/**
 * Headers Prometheus sets itself; `http_headers` may not set them (common:config/headers.go),
 * compared after Go's canonicalisation.
 */
const RESERVED_HTTP_HEADERS = new Set([
  'Authorization',
  'Host',
  'Content-Encoding',
  'Content-Length',
  'Content-Type',
  'User-Agent',
  'Connection',
  'Keep-Alive',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Www-Authenticate',
  'Accept-Encoding',
  'X-Prometheus-Remote-Write-Version',
  'X-Prometheus-Remote-Read-Version',
  'X-Prometheus-Scrape-Timeout-Seconds',
  'X-Amz-Date',
  'X-Amz-Security-Token',
  'X-Amz-Content-Sha256',
]);

export const DEFAULT_TLS_CONFIG: TlsConfig = {
  ca: undefined,
  caFile: undefined,
  cert: undefined,
  certFile: undefined,
  key: undefined,
  keyFile: undefined,
  serverName: undefined,
  insecureSkipVerify: false,
  minVersion: undefined,
  maxVersion: undefined,
};

export interface HttpClientDefaults {
  /** true for scraping and SD, false for remote write (§1.5). */
  readonly enableHttp2: boolean;
}

/** Reads the inline HTTP client fields of `s` (a scrape or remote-write config). */
export function parseHttpClientConfig(s: Struct, defaults: HttpClientDefaults): HttpClientConfig {
  const reader = s.reader;
  const errorsBefore = reader.errors.length;
  const basicAuth = parseBasicAuth(reader, s.value('basic_auth'));
  const authorization = parseAuthorization(reader, s.value('authorization'));
  const oauth2 = parseOAuth2(reader, s.value('oauth2'));
  const tlsConfig = parseTlsConfig(reader, s.value('tls_config'));
  const bearerToken = s.secret('bearer_token');
  const bearerTokenFile = s.filePath('bearer_token_file');
  const proxy = parseProxy(s);
  const httpHeaders = parseHttpHeaders(reader, s.value('http_headers'));
  const config: HttpClientConfig = {
    basicAuth: basicAuth?.value,
    authorization: authorization?.value,
    oauth2: oauth2?.value,
    tlsConfig,
    followRedirects: s.bool('follow_redirects') ?? true,
    enableHttp2: s.bool('enable_http2') ?? defaults.enableHttp2,
    proxyUrl: proxy.proxyUrl,
    noProxy: proxy.noProxy,
    proxyFromEnvironment: proxy.proxyFromEnvironment,
    proxyConnectHeader: proxy.proxyConnectHeader,
    httpHeaders: httpHeaders.value,
  };
  if (reader.errors.length > errorsBefore) return config;

  // HTTPClientConfig.Validate, in its order; the first failing check is reported.
  const fail = (node: Node | null, message: string) => {
    reader.fail(node, message);
    return config;
  };
  if (bearerToken !== undefined && bearerTokenFile !== undefined) {
    return fail(
      s.at('bearer_token_file'),
      'at most one of bearer_token & bearer_token_file must be configured',
    );
  }
  const hasBearer = bearerToken !== undefined || bearerTokenFile !== undefined;
  if ((basicAuth || oauth2) && hasBearer) {
    return fail(
      s.at(bearerToken !== undefined ? 'bearer_token' : 'bearer_token_file'),
      'at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured',
    );
  }
  if (basicAuth?.problem) return fail(basicAuth.problem.node, basicAuth.problem.message);
  if (authorization) {
    if (hasBearer) {
      return fail(
        s.at('authorization'),
        'authorization is not compatible with bearer_token & bearer_token_file',
      );
    }
    if (authorization.problem)
      return fail(authorization.problem.node, authorization.problem.message);
    if (basicAuth || oauth2) {
      return fail(
        s.at('authorization'),
        'at most one of basic_auth, oauth2 & authorization must be configured',
      );
    }
  }
  if (oauth2) {
    if (basicAuth) {
      return fail(
        s.at('oauth2'),
        'at most one of basic_auth, oauth2 & authorization must be configured',
      );
    }
    if (oauth2.problem) return fail(oauth2.problem.node, oauth2.problem.message);
  }
  if (proxy.problem) return fail(proxy.problem.node, proxy.problem.message);
  if (httpHeaders.problem) return fail(httpHeaders.problem.node, httpHeaders.problem.message);
  if (tlsConfig.minVersion && tlsConfig.maxVersion) {
    if (TLS_VERSIONS.indexOf(tlsConfig.maxVersion) < TLS_VERSIONS.indexOf(tlsConfig.minVersion)) {
      // Prometheus finds this when it builds the client, not at load; same message.
      return fail(
        s.at('tls_config'),
        'tls_config.max_version must be greater than or equal to tls_config.min_version if both are specified',
      );
    }
  }

  // Legacy bearer_token / bearer_token_file become an `authorization` of type Bearer.
  if (!authorization && hasBearer) {
    return {
      ...config,
      authorization: { type: 'Bearer', credentials: bearerToken, credentialsFile: bearerTokenFile },
    };
  }
  return config;
}

interface Problem {
  readonly node: Node | null;
  readonly message: string;
}

/** A parsed block plus the first semantic problem found in it (reported in Validate's order). */
interface Checked<T> {
  readonly value: T;
  readonly problem?: Problem | undefined;
}

function rejectRefs(s: Struct, names: readonly string[]): void {
  for (const name of names) {
    if (s.has(name)) s.fail(name, `${name} cannot be used: no secret manager is configured`);
  }
}

function countSet(...values: unknown[]): number {
  return values.filter((v) => v !== undefined).length;
}

function parseBasicAuth(reader: YamlReader, node: Node | null): Checked<BasicAuth> | undefined {
  if (node === null) return undefined;
  const s = reader.struct(node, 'config.BasicAuth', BASIC_AUTH_FIELDS);
  if (s === undefined) return undefined;
  rejectRefs(s, ['username_ref', 'password_ref']);
  const username = s.string('username') ?? '';
  const usernameFile = s.filePath('username_file');
  const password = s.secret('password');
  const passwordFile = s.filePath('password_file');
  let problem: Problem | undefined;
  if (username !== '' && usernameFile !== undefined) {
    problem = {
      node: s.at('username_file'),
      message:
        'at most one of basic_auth username, username_file & username_ref must be configured',
    };
  } else if (password !== undefined && passwordFile !== undefined) {
    problem = {
      node: s.at('password_file'),
      message:
        'at most one of basic_auth password, password_file & password_ref must be configured',
    };
  }
  return { value: { username, usernameFile, password, passwordFile }, problem };
}

function parseAuthorization(
  reader: YamlReader,
  node: Node | null,
): Checked<Authorization> | undefined {
  if (node === null) return undefined;
  const s = reader.struct(node, 'config.Authorization', AUTHORIZATION_FIELDS);
  if (s === undefined) return undefined;
  rejectRefs(s, ['credentials_ref']);
  const type = (s.string('type') ?? '').trim() || 'Bearer';
  const credentials = s.secret('credentials');
  const credentialsFile = s.filePath('credentials_file');
  let problem: Problem | undefined;
  if (credentials !== undefined && credentialsFile !== undefined) {
    problem = {
      node: s.at('credentials_file'),
      message: 'at most one of authorization credentials & credentials_file must be configured',
    };
  } else if (type.toLowerCase() === 'basic') {
    problem = {
      node: s.at('type'),
      message: 'authorization type cannot be set to "basic", use "basic_auth" instead',
    };
  }
  return { value: { type, credentials, credentialsFile }, problem };
}

function parseOAuth2(reader: YamlReader, node: Node | null): Checked<OAuth2> | undefined {
  if (node === null) return undefined;
  const s = reader.struct(node, 'config.OAuth2', OAUTH2_FIELDS);
  if (s === undefined) return undefined;
  rejectRefs(s, ['client_secret_ref', 'client_certificate_key_ref']);
  const proxy = parseProxy(s);
  const claimsNode = s.value('claims');
  const claims = reader.entries(claimsNode, 'map[string]interface {}') ?? [];
  const value: OAuth2 = {
    clientId: s.string('client_id') ?? '',
    clientSecret: s.secret('client_secret'),
    clientSecretFile: s.filePath('client_secret_file'),
    tokenUrl: s.string('token_url') ?? '',
    scopes: s.stringList('scopes') ?? [],
    endpointParams: Object.fromEntries(
      (reader.stringMap(s.value('endpoint_params')) ?? []).map((e) => [e.key, e.value]),
    ),
    tlsConfig: parseTlsConfig(reader, s.value('tls_config')),
    proxyUrl: proxy.proxyUrl,
    grantType: s.string('grant_type') || 'client_credentials',
    clientCertificateKey: s.secret('client_certificate_key'),
    clientCertificateKeyFile: s.filePath('client_certificate_key_file'),
    clientCertificateKeyId: s.string('client_certificate_key_id'),
    signatureAlgorithm: s.string('signature_algorithm'),
    iss: s.string('iss'),
    audience: s.string('audience'),
    claims: Object.fromEntries(claims.map((e) => [e.key, reader.toPlain(e.value)])),
    noProxy: proxy.noProxy,
    proxyFromEnvironment: proxy.proxyFromEnvironment,
    proxyConnectHeader: proxy.proxyConnectHeader,
  };
  let problem: Problem | undefined;
  if (value.clientId === '') {
    problem = { node: s.at('client_id'), message: 'oauth2 client_id must be configured' };
  } else if (value.tokenUrl === '') {
    problem = { node: s.at('token_url'), message: 'oauth2 token_url must be configured' };
  } else if (value.grantType === JWT_BEARER_GRANT) {
    if (countSet(value.clientCertificateKey, value.clientCertificateKeyFile) > 1) {
      problem = {
        node: s.at('client_certificate_key_file'),
        message: `at most one of oauth2 client_certificate_key, client_certificate_key_file & client_certificate_key_ref must be configured using grant-type=${JWT_BEARER_GRANT}`,
      };
    } else if (
      value.signatureAlgorithm !== undefined &&
      value.signatureAlgorithm !== '' &&
      !SIGNATURE_ALGORITHMS.includes(value.signatureAlgorithm)
    ) {
      problem = {
        node: s.at('signature_algorithm'),
        message: 'valid signature algorithms are RS256, RS384 and RS512',
      };
    }
  } else if (countSet(value.clientSecret, value.clientSecretFile) > 1) {
    problem = {
      node: s.at('client_secret_file'),
      message:
        'at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be configured using grant-type=client_credentials',
    };
  }
  return { value, problem: problem ?? proxy.problem };
}

/** Reads and validates `tls_config`; its errors are reported at once (Prometheus checks it while decoding). */
export function parseTlsConfig(reader: YamlReader, node: Node | null): TlsConfig {
  if (node === null) return DEFAULT_TLS_CONFIG;
  const s = reader.struct(node, 'config.TLSConfig', TLS_FIELDS);
  if (s === undefined) return DEFAULT_TLS_CONFIG;
  rejectRefs(s, ['ca_ref', 'cert_ref', 'key_ref']);
  const tls: TlsConfig = {
    ca: s.string('ca') || undefined,
    caFile: s.filePath('ca_file'),
    cert: s.string('cert') || undefined,
    certFile: s.filePath('cert_file'),
    key: s.secret('key'),
    keyFile: s.filePath('key_file'),
    serverName: s.string('server_name') || undefined,
    insecureSkipVerify: s.bool('insecure_skip_verify') ?? false,
    minVersion: readTlsVersion(s, 'min_version'),
    maxVersion: readTlsVersion(s, 'max_version'),
  };
  const usingCert = tls.cert !== undefined || tls.certFile !== undefined;
  const usingKey = tls.key !== undefined || tls.keyFile !== undefined;
  if (tls.ca !== undefined && tls.caFile !== undefined) {
    s.fail('ca_file', 'at most one of ca, ca_file & ca_ref must be configured');
  } else if (tls.cert !== undefined && tls.certFile !== undefined) {
    s.fail('cert_file', 'at most one of cert, cert_file & cert_ref must be configured');
  } else if (tls.key !== undefined && tls.keyFile !== undefined) {
    s.fail('key_file', 'at most one of key and key_file must be configured');
  } else if (usingCert && !usingKey) {
    s.fail(
      undefined,
      'exactly one of key or key_file must be configured when a client certificate is configured',
    );
  } else if (usingKey && !usingCert) {
    s.fail(
      undefined,
      'exactly one of cert or cert_file must be configured when a client key is configured',
    );
  }
  return tls;
}

function readTlsVersion(s: Struct, name: string): TlsVersion | undefined {
  const text = s.reader.string(s.value(name), 'config.TLSVersion');
  if (text === undefined) return undefined;
  if ((TLS_VERSIONS as readonly string[]).includes(text)) return text as TlsVersion;
  s.fail(name, `unknown TLS version: ${text}`);
  return undefined;
}

interface Proxy {
  readonly proxyUrl: string | undefined;
  readonly noProxy: string | undefined;
  readonly proxyFromEnvironment: boolean;
  readonly proxyConnectHeader: Readonly<Record<string, readonly Secret[]>>;
  readonly problem: Problem | undefined;
}

/** ProxyConfig (inline in the HTTP client config and in oauth2). */
function parseProxy(s: Struct): Proxy {
  const reader = s.reader;
  let proxyUrl = s.string('proxy_url') || undefined;
  if (proxyUrl !== undefined && !URL.canParse(proxyUrl)) {
    s.fail('proxy_url', `parse ${JSON.stringify(redactUrl(proxyUrl))}: invalid URL`);
    proxyUrl = undefined;
  }
  const noProxy = s.string('no_proxy') || undefined;
  const proxyFromEnvironment = s.bool('proxy_from_environment') ?? false;
  const headerEntries = reader.entries(s.value('proxy_connect_header'), 'config.ProxyHeader') ?? [];
  const proxyConnectHeader: Readonly<Record<string, readonly Secret[]>> = Object.fromEntries(
    headerEntries.map((e) => [e.key, reader.secretList(e.value) ?? []]),
  );

  let problem: Problem | undefined;
  if (headerEntries.length > 0 && !proxyFromEnvironment && proxyUrl === undefined) {
    problem = {
      node: s.at('proxy_connect_header'),
      message:
        'if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured',
    };
  } else if (proxyFromEnvironment && proxyUrl !== undefined) {
    problem = {
      node: s.at('proxy_url'),
      message: 'if proxy_from_environment is configured, proxy_url must not be configured',
    };
  } else if (proxyFromEnvironment && noProxy !== undefined) {
    problem = {
      node: s.at('no_proxy'),
      message: 'if proxy_from_environment is configured, no_proxy must not be configured',
    };
  } else if (proxyUrl === undefined && noProxy !== undefined) {
    problem = {
      node: s.at('no_proxy'),
      message: 'if no_proxy is configured, proxy_url must also be configured',
    };
  }
  return { proxyUrl, noProxy, proxyFromEnvironment, proxyConnectHeader, problem };
}

function parseHttpHeaders(
  reader: YamlReader,
  node: Node | null,
): Checked<Readonly<Record<string, HttpHeaderConfig>>> {
  const headers: [string, HttpHeaderConfig][] = [];
  let problem: Problem | undefined;
  for (const e of reader.entries(node, 'config.Headers') ?? []) {
    const s = reader.struct(e.value, 'config.Header', HEADER_FIELDS);
    if (s === undefined) continue;
    const files = (s.stringList('files') ?? []).map((f) => reader.filePath(f));
    headers.push([
      e.key,
      {
        values: s.stringList('values') ?? [],
        secrets: reader.secretList(s.value('secrets')) ?? [],
        files,
      },
    ]);
    const canonical = canonicalHeaderKey(e.key);
    if (problem === undefined && RESERVED_HTTP_HEADERS.has(canonical)) {
      problem = {
        node: e.keyNode,
        message: `setting header ${JSON.stringify(canonical)} is not allowed`,
      };
    }
  }
  // fromEntries, not assignment: a header named `__proto__` must stay a plain key.
  return { value: Object.fromEntries(headers), problem };
}

/**
 * Go's `http.CanonicalHeaderKey`: the first letter and every letter after `-` upper-cased, the
 * rest lower-cased; keys with a space or a character that is not a token character stay as they are.
 */
export function canonicalHeaderKey(key: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(key)) return key;
  let upper = true;
  let out = '';
  for (const c of key) {
    out += upper ? c.toUpperCase() : c.toLowerCase();
    upper = c === '-';
  }
  return out;
}

/** Hides a password in a URL's user info the way Go's `URL.Redacted` does. */
export function redactUrl(text: string): string {
  return text.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/, '$1:xxxxx@');
}

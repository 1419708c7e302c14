/**
 * HTTP client settings of §1.5 turned into an undici dispatcher and per-request headers.
 * Shared by scraping, HTTP-based discovery and remote write, so the rules for auth, TLS,
 * redirects and proxies are written once. What a caller refuses or adds on top (remote write's
 * protocol headers and unsupported settings, say) stays with the caller.
 *
 * Contract: a dispatcher is built once per client config and reused (keep-alive); the caller
 * owns it and closes it when the config goes away. TLS files are read once, when the
 * dispatcher is built. Credential files (`*_file`) are read on every request, as Prometheus
 * does, so rotated secrets are picked up without a reload. Both first consult the in-memory
 * overlay of `credential-files.ts` (secrets installed at container start), then the file system.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Dispatcher, buildConnector as UndiciConnect } from 'undici';
import type { HttpClientConfig, TlsConfig, TlsVersion } from '../config/types.js';
import { lookupCredentialFile } from './credential-files.js';
import { type EgressScope, guardConnector } from './egress-guard.js';
import {
  Agent,
  buildConnector,
  EnvHttpProxyAgent,
  interceptors,
  Pool,
  ProxyAgent,
} from './undici.js';

/** Go's http.Client follows at most 10 redirects. */
export const MAX_REDIRECTS = 10;

const TLS_VERSIONS: Record<TlsVersion, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};

/** Codes: `TLS_FILE_UNREADABLE`, `CREDENTIAL_FILE_UNREADABLE`, `OAUTH2_UNSUPPORTED`. */
export class HttpClientError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface HttpClientOptions {
  /**
   * Folder that relative file paths (TLS files, `*_file` credentials, header files) resolve
   * against. Default: the working directory. A config loaded from a file already holds absolute
   * paths (the loader resolves them against the file's folder).
   */
  readonly baseDir?: string;
  /**
   * Which egress rules the dispatcher's connections obey (src/http/egress-guard.ts): `untrusted`
   * (scrapes, SD requests: the Runtime API guard and the denied ranges) or `backend` (remote
   * write: the Runtime API guard only). @default 'untrusted'
   */
  readonly egress?: EgressScope;
}

function resolvePath(path: string, options: HttpClientOptions): string {
  return options.baseDir === undefined || isAbsolute(path) ? path : resolve(options.baseDir, path);
}

function readTlsFile(
  inline: string | undefined,
  file: string | undefined,
  options: HttpClientOptions,
): string | undefined {
  if (inline !== undefined) return inline;
  if (file === undefined) return undefined;
  const path = resolvePath(file, options);
  try {
    return lookupCredentialFile(path) ?? readFileSync(path, 'utf8');
  } catch (err) {
    throw new HttpClientError('TLS_FILE_UNREADABLE', `unable to read file ${file}`, {
      cause: err,
    });
  }
}

/** {@link tlsConnectOptions}, synchronously (the files are small and read once). */
export function tlsConnectOptionsSync(
  tls: TlsConfig,
  allowH2: boolean,
  options: HttpClientOptions = {},
) {
  return {
    ca: readTlsFile(tls.ca, tls.caFile, options),
    cert: readTlsFile(tls.cert, tls.certFile, options),
    key: readTlsFile(tls.key?.reveal(), tls.keyFile, options),
    servername: tls.serverName,
    rejectUnauthorized: !tls.insecureSkipVerify,
    // Go's default minimum is TLS 1.2 (§1.5), as is Node's.
    minVersion: tls.minVersion ? TLS_VERSIONS[tls.minVersion] : 'TLSv1.2',
    maxVersion: tls.maxVersion ? TLS_VERSIONS[tls.maxVersion] : undefined,
    allowH2,
  } as const;
}

/**
 * TLS options for undici's connector (§1.5 tls_config). Throws (rejects) `TLS_FILE_UNREADABLE`.
 */
export async function tlsConnectOptions(
  tls: TlsConfig,
  allowH2: boolean,
  options: HttpClientOptions = {},
) {
  return tlsConnectOptionsSync(tls, allowH2, options);
}

/** `dispatcher` following redirects (up to 10, §4.2) when `follow_redirects`, else as is. */
export function withRedirects(dispatcher: Dispatcher, config: HttpClientConfig): Dispatcher {
  return config.followRedirects
    ? dispatcher.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTS }))
    : dispatcher;
}

/** The connector undici's ProxyAgent hands its proxy client (a function it built). */
function proxyConnector(opts: object): UndiciConnect.connector {
  const connect = (opts as { connect?: unknown }).connect;
  return typeof connect === 'function' ? (connect as UndiciConnect.connector) : buildConnector({});
}

/** {@link createDispatcher}, synchronously: throws `TLS_FILE_UNREADABLE` at once. */
export function createDispatcherSync(
  config: HttpClientConfig,
  options: HttpClientOptions = {},
): Dispatcher {
  const tls = tlsConnectOptionsSync(config.tlsConfig, config.enableHttp2, options);
  const scope = options.egress ?? 'untrusted';
  // Every connection goes through the egress guard; with a proxy, that is the connection to the
  // proxy (the proxy resolves and reaches the target; docs/security.md).
  const connect = guardConnector(buildConnector(tls), scope);
  const clientFactory = (origin: URL, opts: object) =>
    new Pool(origin, { ...opts, connect: guardConnector(proxyConnector(opts), scope) });
  let base: Dispatcher;
  if (config.proxyUrl !== undefined) {
    base = new ProxyAgent({
      uri: config.proxyUrl,
      requestTls: tls,
      allowH2: tls.allowH2,
      clientFactory,
    });
  } else if (config.proxyFromEnvironment) {
    base = new EnvHttpProxyAgent({ connect, allowH2: tls.allowH2, clientFactory });
  } else {
    base = new Agent({ connect, allowH2: tls.allowH2, keepAliveTimeout: 30_000 });
  }
  return withRedirects(base, config);
}

/**
 * Builds the dispatcher for one client config: keep-alive agent, TLS, proxy and redirects
 * (followed up to 10 times when follow_redirects, §4.2). Rejects with `TLS_FILE_UNREADABLE`.
 */
export async function createDispatcher(
  config: HttpClientConfig,
  options: HttpClientOptions = {},
): Promise<Dispatcher> {
  return createDispatcherSync(config, options);
}

/**
 * The auth and custom headers for one request (§1.5), names as configured. Each `http_headers`
 * entry is a list of its values (undici sends one header line per value, like Go's
 * `Header.Add`); `authorization` from basic_auth / authorization is one string and replaces an
 * `http_headers` entry of that exact name. Reads `*_file` credentials now; throws (rejects)
 * `CREDENTIAL_FILE_UNREADABLE`, or `OAUTH2_UNSUPPORTED` for oauth2.
 * Header values are secrets: callers must never log the returned object.
 */
export async function requestHeaderLines(
  config: HttpClientConfig,
  options: HttpClientOptions = {},
): Promise<Record<string, string | string[]>> {
  const read = async (file: string) => (await readCredential(file, options)).trim();
  const headers: Record<string, string | string[]> = {};
  for (const [name, h] of Object.entries(config.httpHeaders)) {
    const values = [...h.values, ...h.secrets.map((s) => s.reveal())];
    for (const f of h.files) values.push(await read(f));
    if (values.length > 0) headers[name] = values;
  }
  const basic = config.basicAuth;
  if (basic !== undefined) {
    const user = basic.usernameFile !== undefined ? await read(basic.usernameFile) : basic.username;
    const pass =
      basic.passwordFile !== undefined
        ? await read(basic.passwordFile)
        : (basic.password?.reveal() ?? '');
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }
  if (config.oauth2 !== undefined) {
    throw new HttpClientError('OAUTH2_UNSUPPORTED', 'oauth2 is not supported yet');
  }
  const auth = config.authorization;
  if (auth !== undefined) {
    const credentials =
      auth.credentialsFile !== undefined
        ? await read(auth.credentialsFile)
        : (auth.credentials?.reveal() ?? '');
    headers.authorization = `${auth.type} ${credentials}`;
  }
  return headers;
}

/**
 * {@link requestHeaderLines} with each header's values joined by ", " into one line (what the
 * scraper sends). Header values are secrets: callers must never log the returned object.
 */
export async function requestHeaders(
  config: HttpClientConfig,
  options: HttpClientOptions = {},
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(await requestHeaderLines(config, options))) {
    headers[name] = typeof value === 'string' ? value : value.join(', ');
  }
  return headers;
}

async function readCredential(file: string, options: HttpClientOptions): Promise<string> {
  const path = resolvePath(file, options);
  try {
    return lookupCredentialFile(path) ?? (await readFile(path, 'utf8'));
  } catch (err) {
    // The path is configuration, not a secret; the content is never part of the message.
    throw new HttpClientError('CREDENTIAL_FILE_UNREADABLE', `unable to read file ${file}`, {
      cause: err,
    });
  }
}

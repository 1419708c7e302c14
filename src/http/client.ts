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
 *
 * `oauth2` (oauth2.ts) adds its token as the `authorization` header of {@link requestHeaderLines},
 * from one token source per oauth2 block ({@link oauth2TokenSource}); a dispatcher built for a
 * config with `oauth2` drops that cached token when a server answers 401 to it.
 *
 * Redirects: undici's redirect interceptor drops `authorization` (so basic_auth, authorization,
 * bearer and oauth2 credentials), `cookie` and `proxy-authorization` as soon as a redirect leaves
 * the origin (scheme, host and port) and does not restore them if a later one comes back. Go
 * compares host names only and keeps them for a subdomain; this is stricter.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { isAbsolute, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Dispatcher, buildConnector as UndiciConnect } from 'undici';
import type { HttpClientConfig, OAuth2, TlsConfig, TlsVersion } from '../config/types.js';
import { lookupCredentialFile } from './credential-files.js';
import { type EgressScope, guardConnector } from './egress-guard.js';
import { OAuth2TokenSource } from './oauth2.js';
import {
  connectHeaders,
  type EnvironmentSource,
  ForwardProxy,
  ProxyRouter,
  processEnvironment,
  proxyAuthorization,
  proxyFuncFor,
  proxyUserinfo,
  withoutUserinfo,
} from './proxy.js';
import { Agent, buildConnector, interceptors, Pool, ProxyAgent } from './undici.js';

/** Go's http.Client follows at most 10 redirects. */
export const MAX_REDIRECTS = 10;

const TLS_VERSIONS: Record<TlsVersion, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};

/**
 * Codes: `TLS_FILE_UNREADABLE`, `CREDENTIAL_FILE_UNREADABLE`. (oauth2 failures are
 * `OAuth2Error`s, oauth2.ts.)
 */
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
  /**
   * Where `proxy_from_environment` reads HTTP_PROXY, HTTPS_PROXY, NO_PROXY (and REQUEST_METHOD),
   * once, when a dispatcher is built. @default the process environment
   */
  readonly env?: EnvironmentSource;
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
export function withRedirects(
  dispatcher: Dispatcher,
  config: Pick<HttpClientConfig, 'followRedirects'>,
): Dispatcher {
  return config.followRedirects
    ? dispatcher.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTS }))
    : dispatcher;
}

/** The connector undici's ProxyAgent hands its proxy client (a function it built). */
function proxyConnector(opts: object): UndiciConnect.connector {
  const connect = (opts as { connect?: unknown }).connect;
  return typeof connect === 'function' ? (connect as UndiciConnect.connector) : buildConnector({});
}

/** What a dispatcher is built from: the client config's transport settings. */
type TransportSettings = Pick<
  HttpClientConfig,
  | 'tlsConfig'
  | 'enableHttp2'
  | 'proxyUrl'
  | 'noProxy'
  | 'proxyFromEnvironment'
  | 'proxyConnectHeader'
  | 'followRedirects'
>;

/**
 * Keep-alive agent with TLS, the egress guard and redirects; behind a {@link ProxyRouter} when
 * a proxy is configured (src/http/proxy.ts says which requests go through it, and how).
 */
function buildDispatcher(
  settings: TransportSettings,
  options: HttpClientOptions,
  interceptors: readonly Dispatcher.DispatcherComposeInterceptor[] = [],
): Dispatcher {
  const tls = tlsConnectOptionsSync(settings.tlsConfig, settings.enableHttp2, options);
  const scope = options.egress ?? 'untrusted';
  // Every connection goes through the egress guard; with a proxy, that is the connection to the
  // proxy (the proxy resolves and reaches the target; docs/security.md).
  const connect = guardConnector(buildConnector(tls), scope);
  const clientFactory = (origin: URL, opts: object) =>
    new Pool(origin, { ...opts, connect: guardConnector(proxyConnector(opts), scope) });
  let base: Dispatcher = new Agent({ connect, allowH2: tls.allowH2, keepAliveTimeout: 30_000 });
  const route = proxyFuncFor(settings, options.env ?? processEnvironment);
  if (route !== undefined) {
    const viaProxy = (proxy: URL, targetProtocol: string): Dispatcher => {
      const authorization = proxyAuthorization(proxy);
      const uri = withoutUserinfo(proxy);
      if (targetProtocol === 'http:' && (uri.protocol === 'http:' || uri.protocol === 'https:')) {
        const toProxy = new Pool(uri.origin, {
          connect: guardConnector(buildConnector({}), scope),
          keepAliveTimeout: 30_000,
        });
        return new ForwardProxy(toProxy, authorization);
      }
      return new ProxyAgent({
        uri: uri.href,
        // undici reads a socks proxy's credentials from these, an HTTP proxy's from `token`.
        ...(uri.protocol.startsWith('socks') ? proxyUserinfo(proxy) : {}),
        headers: connectHeaders(settings.proxyConnectHeader, authorization),
        requestTls: tls,
        allowH2: tls.allowH2,
        clientFactory,
      });
    };
    base = new ProxyRouter(route, base, viaProxy);
  }
  // Below the redirect interceptor, so each one sees every hop as it is sent.
  if (interceptors.length > 0) base = base.compose(...interceptors);
  return withRedirects(base, settings);
}

/** {@link createDispatcher}, synchronously: throws `TLS_FILE_UNREADABLE` at once. */
export function createDispatcherSync(
  config: HttpClientConfig,
  options: HttpClientOptions = {},
): Dispatcher {
  const oauth2 = config.oauth2;
  return buildDispatcher(
    config,
    options,
    oauth2 === undefined ? [] : [dropRejectedTokens(oauth2, options)],
  );
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
 * `Header.Add`); `authorization` from basic_auth / authorization / oauth2 is one string and
 * replaces an `http_headers` entry of that exact name. Reads `*_file` credentials now and, for
 * oauth2, gets a token (cached, or fetched now); rejects with `CREDENTIAL_FILE_UNREADABLE` or an
 * `OAuth2Error`. `signal` stops the wait for a token (the shared token request goes on).
 * Header values are secrets: callers must never log the returned object.
 */
export async function requestHeaderLines(
  config: HttpClientConfig,
  options: HttpClientOptions = {},
  signal?: AbortSignal,
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
    headers.authorization = await oauth2TokenSource(config.oauth2, options).authorization(signal);
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
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(await requestHeaderLines(config, options, signal))) {
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

/** Token sources by oauth2 block, then by `baseDir` ('' for none). */
const tokenSources = new WeakMap<OAuth2, Map<string, OAuth2TokenSource>>();

/**
 * The token source of one oauth2 block: one token cache and one token request in flight per
 * block (and config folder), shared by every request made with that config. It lives as long
 * as the block does (a reloaded config gets new sources, so new tokens, as in Prometheus).
 * Token requests obey the block's own `tls_config` and proxy settings, with the egress rules of
 * the operator's endpoints (`backend`: the token URL is configuration, not a target).
 */
export function oauth2TokenSource(
  oauth2: OAuth2,
  options: HttpClientOptions = {},
): OAuth2TokenSource {
  let byDir = tokenSources.get(oauth2);
  if (byDir === undefined) {
    byDir = new Map();
    tokenSources.set(oauth2, byDir);
  }
  const key = options.baseDir ?? '';
  let source = byDir.get(key);
  if (source === undefined) {
    const fileOptions: HttpClientOptions = { ...options, egress: 'backend' };
    source = new OAuth2TokenSource(oauth2, {
      readFile: (file) => readCredential(file, fileOptions),
      dispatcher: () =>
        buildDispatcher(
          {
            tlsConfig: oauth2.tlsConfig,
            // Go's token transport speaks HTTP/1.1 (it enables no HTTP/2).
            enableHttp2: false,
            proxyUrl: oauth2.proxyUrl,
            noProxy: oauth2.noProxy,
            proxyFromEnvironment: oauth2.proxyFromEnvironment ?? false,
            proxyConnectHeader: oauth2.proxyConnectHeader ?? {},
            // Go's http.Client follows a token endpoint's redirects.
            followRedirects: true,
          },
          fileOptions,
        ),
    });
    byDir.set(key, source);
  }
  return source;
}

/**
 * An interceptor that tells the token source when a server answers 401 to the token a request
 * carried, so the next request fetches a new one. It sits below the redirect interceptor: a hop
 * to another origin carries no `authorization` (undici removed it) and so cannot drop the token.
 */
function dropRejectedTokens(
  oauth2: OAuth2,
  options: HttpClientOptions,
): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    const sent = headerValue(opts.headers, 'authorization');
    if (sent === undefined) return dispatch(opts, handler);
    const onUnauthorized = () => oauth2TokenSource(oauth2, options).invalidate(sent);
    return dispatch(opts, new UnauthorizedObserver(handler, onUnauthorized));
  };
}

/** Passes everything on to `handler`; calls `onUnauthorized` first when the status is 401. */
class UnauthorizedObserver implements Dispatcher.DispatchHandler {
  constructor(
    private readonly handler: Dispatcher.DispatchHandler,
    private readonly onUnauthorized: () => void,
  ) {}
  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.handler.onRequestStart?.(controller, context);
  }
  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    socket: Duplex,
  ): void {
    this.handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }
  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    if (statusCode === 401) this.onUnauthorized();
    this.handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.handler.onResponseData?.(controller, chunk);
  }
  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.handler.onResponseEnd?.(controller, trailers);
  }
  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.handler.onResponseError?.(controller, error);
  }
}

/**
 * The first value of header `name` (lower case) in any form undici accepts: a record, a flat
 * `[name, value, …]` list (what the redirect interceptor passes on) or `[name, value]` pairs.
 */
function headerValue(headers: unknown, name: string): string | undefined {
  const first = (v: unknown): string | undefined =>
    typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
  const matches = (key: unknown) => String(key).toLowerCase() === name;
  if (headers === null || typeof headers !== 'object') return undefined;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as unknown[][]) if (matches(pair[0])) return first(pair[1]);
      return undefined;
    }
    for (let i = 0; i + 1 < headers.length; i += 2) {
      if (matches(headers[i])) return first(headers[i + 1]);
    }
    return undefined;
  }
  if (Symbol.iterator in headers) {
    for (const [key, value] of headers as Iterable<[unknown, unknown]>) {
      if (matches(key)) return first(value);
    }
    return undefined;
  }
  for (const [key, value] of Object.entries(headers)) if (matches(key)) return first(value);
  return undefined;
}

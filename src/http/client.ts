/**
 * HTTP client settings of §1.5 turned into an undici dispatcher and per-request headers.
 * Shared by scraping, HTTP-based discovery and remote write, so the rules for auth, TLS,
 * redirects and proxies are written once.
 *
 * Contract: a dispatcher is built once per client config and reused (keep-alive); the caller
 * owns it and closes it when the config goes away. Credential files (`*_file`) are read on
 * every request, as Prometheus does, so rotated secrets are picked up without a reload.
 */
import { readFile } from 'node:fs/promises';
import { Agent, type Dispatcher, EnvHttpProxyAgent, interceptors, ProxyAgent } from 'undici';
import type { HttpClientConfig, TlsConfig, TlsVersion } from '../config/types.js';

/** Go's http.Client follows at most 10 redirects. */
const MAX_REDIRECTS = 10;

const TLS_VERSIONS: Record<TlsVersion, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};

export class HttpClientError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

async function readMaybe(inline: string | undefined, file: string | undefined) {
  if (inline !== undefined) return inline;
  if (file === undefined) return undefined;
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new HttpClientError('TLS_FILE_UNREADABLE', `unable to read file ${file}`, {
      cause: err,
    });
  }
}

/** TLS options for undici's connector (§1.5 tls_config). */
export async function tlsConnectOptions(tls: TlsConfig, allowH2: boolean) {
  return {
    ca: await readMaybe(tls.ca, tls.caFile),
    cert: await readMaybe(tls.cert, tls.certFile),
    key: await readMaybe(tls.key?.reveal(), tls.keyFile),
    servername: tls.serverName,
    rejectUnauthorized: !tls.insecureSkipVerify,
    minVersion: tls.minVersion ? TLS_VERSIONS[tls.minVersion] : 'TLSv1.2',
    maxVersion: tls.maxVersion ? TLS_VERSIONS[tls.maxVersion] : undefined,
    allowH2,
  } as const;
}

/**
 * Builds the dispatcher for one client config: keep-alive agent, TLS, proxy and redirects
 * (followed up to 10 times when follow_redirects, §4.2).
 */
export async function createDispatcher(config: HttpClientConfig): Promise<Dispatcher> {
  const connect = await tlsConnectOptions(config.tlsConfig, config.enableHttp2);
  let base: Dispatcher;
  if (config.proxyUrl !== undefined) {
    base = new ProxyAgent({ uri: config.proxyUrl, requestTls: connect, allowH2: connect.allowH2 });
  } else if (config.proxyFromEnvironment) {
    base = new EnvHttpProxyAgent({ connect, allowH2: connect.allowH2 });
  } else {
    base = new Agent({ connect, allowH2: connect.allowH2, keepAliveTimeout: 30_000 });
  }
  return config.followRedirects
    ? base.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTS }))
    : base;
}

/**
 * The auth and custom headers for one request (§1.5). Reads `*_file` credentials now.
 * Header values are secrets: callers must never log the returned object.
 */
export async function requestHeaders(config: HttpClientConfig): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  for (const [name, h] of Object.entries(config.httpHeaders)) {
    const values = [...h.values, ...h.secrets.map((s) => s.reveal())];
    for (const f of h.files) values.push((await readCredential(f)).trim());
    if (values.length > 0) headers[name] = values.join(', ');
  }
  const basic = config.basicAuth;
  if (basic !== undefined) {
    const user =
      basic.usernameFile !== undefined
        ? (await readCredential(basic.usernameFile)).trim()
        : basic.username;
    const pass =
      basic.passwordFile !== undefined
        ? (await readCredential(basic.passwordFile)).trim()
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
        ? (await readCredential(auth.credentialsFile)).trim()
        : (auth.credentials?.reveal() ?? '');
    headers.authorization = `${auth.type} ${credentials}`;
  }
  return headers;
}

async function readCredential(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    // The path is configuration, not a secret; the content is never part of the message.
    throw new HttpClientError('CREDENTIAL_FILE_UNREADABLE', `unable to read file ${file}`, {
      cause: err,
    });
  }
}

/**
 * The HTTP side of remote write 1.0 (§11.2): one POST of an already snappy-compressed
 * `WriteRequest`, with the protocol headers, configured headers and auth, over a keep-alive
 * undici Agent that lives as long as the client (create one client per remote_write config per
 * container, not per invocation).
 *
 * Per attempt the client reads `*_file` credentials afresh (they may be rotated), applies the
 * optional {@link RequestSigner} last, and classifies the outcome (§11.3). Retrying is the
 * caller's business (`send.ts`).
 */

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { Agent, type Dispatcher, interceptors, request } from 'undici';
import type {
  HttpClientConfig,
  RemoteWriteConfig,
  TlsConfig,
  TlsVersion,
} from '../config/types.js';
import { REMOTE_WRITE_ERROR_CODES, RemoteWriteError } from './errors.js';

/**
 * Sent as User-Agent. Prometheus sends `Prometheus/<version>`; we identify ourselves instead so a
 * receiver's logs tell the two apart. Kept equal to package.json's version (a test checks it).
 */
export const LAMBDASCRAPE_VERSION = '0.1.0';
export const DEFAULT_USER_AGENT = `lambdascrape/${LAMBDASCRAPE_VERSION}`;

/** Value of X-Prometheus-Remote-Write-Version for protocol 1.0 (§11.2). */
export const REMOTE_WRITE_VERSION_1 = '0.1.0';

/** Most of a non-2xx response body kept for the error (as Prometheus does, §11.3). */
export const MAX_ERROR_BODY_BYTES = 1024;

/** What a signer sees and may change: the final request, just before it is sent. */
export interface SignableRequest {
  readonly method: 'POST';
  readonly url: URL;
  /** Lower-case names. The signer may add or replace entries (e.g. authorization, x-amz-date). */
  readonly headers: Record<string, string | string[]>;
  /** The exact bytes sent (compressed body); do not modify. */
  readonly body: Uint8Array;
}

/**
 * Plug-in point for request signing (SigV4 for Amazon Managed Prometheus, a later step). Called
 * once per attempt after all other headers are set, so a signature covers them.
 */
export interface RequestSigner {
  sign(request: SignableRequest): Promise<void>;
}

export interface RemoteWriteClientOptions {
  /** Folder that relative `*_file` paths resolve against (the config file's folder). Default: cwd. */
  readonly configDir?: string;
  /** Default {@link DEFAULT_USER_AGENT}. */
  readonly userAgent?: string;
  /** Required when the config has `sigv4`. */
  readonly signer?: RequestSigner;
  /** Replaces the client's own Agent (tests, or sharing one Agent among clients). Not closed by `close()`. */
  readonly dispatcher?: Dispatcher;
}

/** Outcome of one attempt. `error.recoverable` says whether another attempt may succeed. */
export type AttemptOutcome =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly error: RemoteWriteError };

export interface RemoteWriteClient {
  readonly name: string;
  /** The URL as configured (may hold credentials; do not log it, use {@link safeUrl}). */
  readonly url: URL;
  /** URL without userinfo, query or fragment: safe for logs and error messages. */
  readonly safeUrl: string;
  readonly config: RemoteWriteConfig;
  /**
   * One POST of `body` (snappy-compressed WriteRequest). `attempt` is 0 for the first try; from
   * 1 on it is sent as `Retry-Attempt`. The attempt is abandoned after `timeoutMs` (recoverable
   * `RW_TIMEOUT`) or when `signal` aborts (`RW_DEADLINE`). Never throws.
   */
  post(
    body: Uint8Array,
    attempt: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<AttemptOutcome>;
  /** Closes the owned Agent (idle keep-alive sockets). */
  close(): Promise<void>;
}

const TLS_VERSIONS: Readonly<Record<TlsVersion, ConnectionOptions['minVersion']>> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};

/**
 * Builds a client for one remote_write config. Reads TLS files once, here (Prometheus re-reads
 * them when they change; a Lambda container is short-lived enough not to). Throws
 * {@link RemoteWriteError} `RW_UNSUPPORTED_CONFIG` for settings not implemented yet (oauth2,
 * proxies, sigv4 without a signer) rather than sending unauthenticated requests, and
 * `RW_CREDENTIALS` when a TLS file cannot be read.
 */
export function createRemoteWriteClient(
  config: RemoteWriteConfig,
  options: RemoteWriteClientOptions = {},
): RemoteWriteClient {
  const http = config.httpClient;
  const configDir = options.configDir ?? process.cwd();
  const unsupported = (what: string) =>
    new RemoteWriteError(
      REMOTE_WRITE_ERROR_CODES.unsupportedConfig,
      `remote_write ${config.name}: ${what} is not supported yet`,
      { recoverable: false },
    );
  if (http.oauth2 !== undefined) throw unsupported('oauth2');
  if (http.proxyUrl !== undefined || http.proxyFromEnvironment) throw unsupported('proxy');
  if (config.sigv4 !== undefined && options.signer === undefined) {
    throw unsupported('sigv4 without a RequestSigner');
  }
  if (config.protobufMessage !== 'prometheus.WriteRequest') {
    throw unsupported(`protobuf_message ${config.protobufMessage}`);
  }

  const url = new URL(config.url);
  const safeUrl = `${url.protocol}//${url.host}${url.pathname}`;
  let ownedAgent: Agent | undefined;
  let dispatcher: Dispatcher;
  if (options.dispatcher !== undefined) {
    dispatcher = options.dispatcher;
  } else {
    ownedAgent = new Agent({
      keepAliveTimeout: 30_000,
      allowH2: http.enableHttp2,
      connect: tlsOptions(http.tlsConfig, configDir, config.name),
    });
    dispatcher = ownedAgent;
  }
  if (http.followRedirects) {
    // 307/308 replay the POST; 301/302/303 turn it into a GET without body, like Go's client.
    dispatcher = dispatcher.compose(interceptors.redirect({ maxRedirections: 10 }));
  }

  const staticHeaders = buildStaticHeaders(config, options.userAgent ?? DEFAULT_USER_AGENT);
  const signer = options.signer;
  const label = `remote write to ${safeUrl}`;

  async function post(
    body: Uint8Array,
    attempt: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<AttemptOutcome> {
    if (signal?.aborted) return { ok: false, error: deadlineError(label, signal.reason) };
    let headers: Record<string, string | string[]>;
    try {
      headers = await buildRequestHeaders(staticHeaders, http, configDir);
      if (attempt > 0) headers['retry-attempt'] = String(attempt);
      if (signer !== undefined) await signer.sign({ method: 'POST', url, headers, body });
    } catch (cause) {
      return {
        ok: false,
        error: new RemoteWriteError(
          REMOTE_WRITE_ERROR_CODES.credentials,
          `${label}: cannot prepare credentials: ${errorText(cause)}`,
          { recoverable: true, cause },
        ),
      };
    }

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher,
        signal: controller.signal,
      });
      const status = res.statusCode;
      if (status >= 200 && status < 300) {
        await res.body.dump();
        return { ok: true, status };
      }
      const text = await readLimited(res.body, MAX_ERROR_BODY_BYTES);
      const retryAfterMs = parseRetryAfter(res.headers['retry-after'], Date.now());
      const message = `${label}: server returned HTTP status ${status}${text === '' ? '' : `: ${text}`}`;
      if (status >= 500) {
        return {
          ok: false,
          error: new RemoteWriteError(REMOTE_WRITE_ERROR_CODES.serverError, message, {
            recoverable: true,
            status,
            body: text,
            retryAfterMs,
          }),
        };
      }
      if (status === 429) {
        return {
          ok: false,
          error: new RemoteWriteError(REMOTE_WRITE_ERROR_CODES.tooManyRequests, message, {
            recoverable: config.queueConfig.retryOnHttp429,
            status,
            body: text,
            retryAfterMs,
          }),
        };
      }
      return {
        ok: false,
        error: new RemoteWriteError(REMOTE_WRITE_ERROR_CODES.rejected, message, {
          recoverable: false,
          status,
          body: text,
        }),
      };
    } catch (cause) {
      if (timedOut) {
        return {
          ok: false,
          error: new RemoteWriteError(
            REMOTE_WRITE_ERROR_CODES.timeout,
            `${label}: no response within ${timeoutMs}ms`,
            { recoverable: true, cause },
          ),
        };
      }
      if (signal?.aborted) return { ok: false, error: deadlineError(label, signal.reason) };
      // Any transport failure is worth another try, as in Prometheus (§11.3).
      return {
        ok: false,
        error: new RemoteWriteError(
          REMOTE_WRITE_ERROR_CODES.network,
          `${label}: ${errorText(cause)}`,
          { recoverable: true, cause },
        ),
      };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  return {
    name: config.name,
    url,
    safeUrl,
    config,
    post,
    close: async () => {
      await ownedAgent?.close();
    },
  };
}

function deadlineError(label: string, cause: unknown): RemoteWriteError {
  return new RemoteWriteError(REMOTE_WRITE_ERROR_CODES.deadline, `${label}: aborted`, {
    recoverable: true,
    cause,
  });
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? `${e.message} (${code})` : e.message;
  }
  return String(e);
}

/** Headers that do not change between requests, lower-case names. Configured ones first. */
function buildStaticHeaders(config: RemoteWriteConfig, userAgent: string): Record<string, string> {
  const h: Record<string, string> = {};
  // Config validation (§11.2) already refuses reserved names here; protocol headers are set
  // after them anyway so a configured header can never replace one.
  for (const [name, value] of Object.entries(config.headers)) h[name.toLowerCase()] = value;
  h['content-encoding'] = 'snappy';
  h['content-type'] = 'application/x-protobuf';
  h['user-agent'] = userAgent;
  h['x-prometheus-remote-write-version'] = REMOTE_WRITE_VERSION_1;
  return h;
}

function resolvePath(configDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(configDir, path);
}

/** Reads a credential file; surrounding whitespace (the usual trailing newline) is trimmed. */
async function readSecretFile(configDir: string, path: string): Promise<string> {
  return (await readFile(resolvePath(configDir, path), 'utf8')).trim();
}

/** Static headers plus `http_headers`, basic_auth and authorization, files read now. */
async function buildRequestHeaders(
  base: Readonly<Record<string, string>>,
  http: HttpClientConfig,
  configDir: string,
): Promise<Record<string, string | string[]>> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, cfg] of Object.entries(http.httpHeaders)) {
    const values = [...cfg.values, ...cfg.secrets.map((s) => s.reveal())];
    for (const f of cfg.files) values.push(await readSecretFile(configDir, f));
    if (values.length > 0) headers[name.toLowerCase()] = values;
  }
  Object.assign(headers, base);
  const basic = http.basicAuth;
  if (basic !== undefined) {
    const user =
      basic.usernameFile !== undefined
        ? await readSecretFile(configDir, basic.usernameFile)
        : basic.username;
    const password =
      basic.passwordFile !== undefined
        ? await readSecretFile(configDir, basic.passwordFile)
        : (basic.password?.reveal() ?? '');
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
  }
  const auth = http.authorization;
  if (auth !== undefined) {
    const credentials =
      auth.credentialsFile !== undefined
        ? await readSecretFile(configDir, auth.credentialsFile)
        : (auth.credentials?.reveal() ?? '');
    headers.authorization = `${auth.type} ${credentials}`;
  }
  return headers;
}

function tlsOptions(tls: TlsConfig, configDir: string, name: string): ConnectionOptions {
  const read = (inline: string | undefined, file: string | undefined): string | undefined => {
    if (inline !== undefined) return inline;
    if (file === undefined) return undefined;
    try {
      return readFileSync(resolvePath(configDir, file), 'utf8');
    } catch (cause) {
      throw new RemoteWriteError(
        REMOTE_WRITE_ERROR_CODES.credentials,
        `remote_write ${name}: cannot read TLS file ${file}: ${errorText(cause)}`,
        { recoverable: false, cause },
      );
    }
  };
  const out: ConnectionOptions = {
    rejectUnauthorized: !tls.insecureSkipVerify,
    // Go's default minimum is TLS 1.2 (§1.5), as is Node's.
    minVersion: TLS_VERSIONS[tls.minVersion ?? 'TLS12'],
  };
  const ca = read(tls.ca, tls.caFile);
  if (ca !== undefined) out.ca = ca;
  const cert = read(tls.cert, tls.certFile);
  if (cert !== undefined) out.cert = cert;
  const key = read(tls.key?.reveal(), tls.keyFile);
  if (key !== undefined) out.key = key;
  if (tls.serverName !== undefined) out.servername = tls.serverName;
  if (tls.maxVersion !== undefined) out.maxVersion = TLS_VERSIONS[tls.maxVersion];
  return out;
}

/** Reads at most `limit` bytes of a body as UTF-8, then discards the rest. */
async function readLimited(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    n += chunk.length;
    // Leaving the loop early destroys the stream (and that connection): fine on an error path.
    if (n >= limit) break;
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/**
 * Retry-After as ms from `nowMs`: integer seconds or an HTTP-date (§11.3). undefined when absent,
 * unparsable or not positive (the caller then uses its own backoff).
 */
export function parseRetryAfter(
  header: string | string[] | undefined,
  nowMs: number,
): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return seconds > 0 ? seconds * 1000 : undefined;
  }
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  const ms = date - nowMs;
  return ms > 0 ? ms : undefined;
}

/**
 * The HTTP side of remote write (§11.2, §11.4): one POST of an already snappy-compressed
 * 1.0 `WriteRequest` or 2.0 `Request`, with the protocol headers of its message, configured
 * headers and auth, over a keep-alive
 * undici dispatcher that lives as long as the client (create one client per remote_write config
 * per container, not per invocation).
 *
 * TLS, redirects, auth and `http_headers` follow the shared HTTP client settings
 * (`src/http/client.ts`); what is remote write's own stays here: the protocol headers (which
 * nothing configured may replace), the settings refused as unsupported, and the mapping of
 * failures to {@link RemoteWriteError} codes.
 *
 * Per attempt the client reads `*_file` credentials afresh (they may be rotated), gets the oauth2
 * token (cached per config, src/http/oauth2.ts), applies the optional {@link RequestSigner}
 * last, and classifies the outcome (§11.3). Retrying is the caller's business (`send.ts`), with
 * one exception: a 401 to an oauth2 token drops that token and the attempt is sent once more
 * with a new one (a revoked token would otherwise make the write a non-recoverable 401, where
 * Prometheus would keep the token until it expires).
 */

import type { Dispatcher } from 'undici';
import type { RemoteWriteConfig } from '../config/types.js';
import {
  createDispatcherSync,
  HttpClientError,
  type HttpClientOptions,
  MAX_REDIRECTS,
  oauth2TokenSource,
  requestHeaderLines,
  withRedirects,
} from '../http/client.js';
import { readLimited } from '../http/read-limited.js';
import { request } from '../http/undici.js';
import { redactSecretsInText, requestSecrets } from '../log/redact.js';
import { REMOTE_WRITE_ERROR_CODES, RemoteWriteError } from './errors.js';
import { PROTOBUF_MESSAGE_V1, PROTOBUF_MESSAGE_V2, type ProtobufMessage } from './transcode.js';

/**
 * Sent as User-Agent. Prometheus sends `Prometheus/<version>`; we identify ourselves instead so a
 * receiver's logs tell the two apart. Kept equal to package.json's version (a test checks it).
 */
export const LAMBDASCRAPE_VERSION = '0.1.0';
export const DEFAULT_USER_AGENT = `lambdascrape/${LAMBDASCRAPE_VERSION}`;

/** Value of X-Prometheus-Remote-Write-Version for protocol 1.0 (§11.2). */
export const REMOTE_WRITE_VERSION_1 = '0.1.0';
/** Value of X-Prometheus-Remote-Write-Version for protocol 2.0 (§11.4). */
export const REMOTE_WRITE_VERSION_2 = '2.0.0';

/** Content-Type of each message (§11.4): 1.0 keeps the plain form 1.x receivers expect. */
const CONTENT_TYPES: Readonly<Record<ProtobufMessage, string>> = {
  [PROTOBUF_MESSAGE_V1]: 'application/x-protobuf',
  [PROTOBUF_MESSAGE_V2]: `application/x-protobuf;proto=${PROTOBUF_MESSAGE_V2}`,
};
const VERSIONS: Readonly<Record<ProtobufMessage, string>> = {
  [PROTOBUF_MESSAGE_V1]: REMOTE_WRITE_VERSION_1,
  [PROTOBUF_MESSAGE_V2]: REMOTE_WRITE_VERSION_2,
};

/** The response headers in which a receiver says what it wrote (§11.4), lower-case. */
export const WRITTEN_HEADERS = {
  samples: 'x-prometheus-remote-write-samples-written',
  histograms: 'x-prometheus-remote-write-histograms-written',
  exemplars: 'x-prometheus-remote-write-exemplars-written',
} as const;

/**
 * What a receiver says it wrote: present only when the response had at least one of the
 * {@link WRITTEN_HEADERS} ("confirmed" in Prometheus's words); a missing one of them then counts
 * 0, as the 2.0 spec says, and so does a value that is not an integer (Prometheus likewise).
 */
export interface WrittenCounts {
  readonly samples: number;
  readonly histograms: number;
  readonly exemplars: number;
}

/** Most of a non-2xx response body kept for the error (as Prometheus does, §11.3). */
export const MAX_ERROR_BODY_BYTES = 1024;

/**
 * Longest Retry-After honoured: 12 h; a longer one is cut to it (the backend did ask for a long
 * pause). Prometheus has no bound — it sleeps whatever the header says — but here nothing waits
 * longer: the outbox keeps a message invisible 12 h at most (SQS's longest visibility timeout)
 * and dead-letters a write 2 h after its first park, and without a bound a bogus header (a
 * 400-digit number is Infinity) would stop a container's replays to that remote_write for good
 * and overflow a sender's timer (Node fires a sleep above 2^31 − 1 ms at once).
 */
export const MAX_RETRY_AFTER_MS = 12 * 60 * 60 * 1000;

/** What a signer sees and may change: the final request, just before it is sent. */
export interface SignableRequest {
  readonly method: 'POST';
  readonly url: URL;
  /** Lower-case names. The signer may add or replace entries (e.g. authorization, x-amz-date). */
  readonly headers: Record<string, string | string[]>;
  /** The exact bytes sent (compressed body); do not modify. */
  readonly body: Uint8Array;
  /**
   * Aborts when the attempt times out (`remote_timeout`) or the caller's deadline passes: a
   * signer that waits (for credentials, say) should stop waiting and reject then.
   */
  readonly signal?: AbortSignal;
}

/**
 * Plug-in point for request signing (`sigv4.ts` for Amazon Managed Prometheus). Called once per
 * attempt after all other headers are set, so a signature covers them; the attempt's timeout
 * runs from before the call. A rejection fails the attempt with `RW_CREDENTIALS`, recoverable
 * unless the error has `recoverable: false` (a signer's way of saying another attempt cannot
 * succeed, e.g. no AWS region).
 */
export interface RequestSigner {
  sign(request: SignableRequest): Promise<void>;
}

export interface RemoteWriteClientOptions {
  /** Folder that relative `*_file` paths resolve against (the config file's folder). Default: cwd. */
  readonly configDir?: string;
  /** Default {@link DEFAULT_USER_AGENT}. */
  readonly userAgent?: string;
  /** Required when the config has `sigv4` (`RemoteWriter` creates one with `createSigV4Signer`). */
  readonly signer?: RequestSigner;
  /** Replaces the client's own Agent (tests, or sharing one Agent among clients). Not closed by `close()`. */
  readonly dispatcher?: Dispatcher;
}

/** Outcome of one attempt. `error.recoverable` says whether another attempt may succeed. */
export type AttemptOutcome =
  | { readonly ok: true; readonly status: number; readonly written?: WrittenCounts }
  | { readonly ok: false; readonly error: RemoteWriteError };

export interface RemoteWriteClient {
  readonly name: string;
  /** The URL as configured (may hold credentials; do not log it, use {@link safeUrl}). */
  readonly url: URL;
  /** URL without userinfo, query or fragment: safe for logs and error messages. */
  readonly safeUrl: string;
  readonly config: RemoteWriteConfig;
  /**
   * One POST of `body`, a snappy-compressed `message` (default 1.0), with that message's
   * Content-Type and X-Prometheus-Remote-Write-Version. `attempt` is 0 for the first try; from
   * 1 on it is sent as `Retry-Attempt`. The attempt is abandoned after `timeoutMs` (recoverable
   * `RW_TIMEOUT`) or when `signal` aborts (`RW_DEADLINE`). A 2xx outcome carries the
   * receiver's written counts when it sent them. Never throws.
   */
  post(
    body: Uint8Array,
    attempt: number,
    timeoutMs: number,
    signal?: AbortSignal,
    message?: ProtobufMessage,
  ): Promise<AttemptOutcome>;
  /** Closes the owned Agent (idle keep-alive sockets). */
  close(): Promise<void>;
}

/**
 * Builds a client for one remote_write config. Reads TLS files once, here (Prometheus re-reads
 * them when they change; a Lambda container is short-lived enough not to); oauth2's own
 * tls_config is read at its first token request. Throws {@link RemoteWriteError}
 * `RW_UNSUPPORTED_CONFIG` for settings not implemented yet (sigv4 without a signer)
 * rather than sending unauthenticated requests, and `RW_CREDENTIALS` when a TLS file cannot be
 * read.
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
      `remote_write ${config.displayName}: ${what} is not supported yet`,
      { recoverable: false },
    );
  if (config.sigv4 !== undefined && options.signer === undefined) {
    throw unsupported('sigv4 without a RequestSigner');
  }

  const url = new URL(config.url);
  const safeUrl = `${url.protocol}//${url.host}${url.pathname}`;
  const files: HttpClientOptions = { baseDir: configDir };
  // Redirects: 307/308 replay the POST; 301/302/303 turn it into a GET without body, like Go's.
  let owned: Dispatcher | undefined;
  let dispatcher: Dispatcher;
  if (options.dispatcher !== undefined) {
    dispatcher = withRedirects(options.dispatcher, http);
  } else {
    owned = ownDispatcher(config, files);
    dispatcher = owned;
  }

  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const staticHeaders: Readonly<Record<ProtobufMessage, Record<string, string>>> = {
    [PROTOBUF_MESSAGE_V1]: buildStaticHeaders(config, userAgent, PROTOBUF_MESSAGE_V1),
    [PROTOBUF_MESSAGE_V2]: buildStaticHeaders(config, userAgent, PROTOBUF_MESSAGE_V2),
  };
  const signer = options.signer;
  const label = `remote write to ${safeUrl}`;

  async function post(
    body: Uint8Array,
    attempt: number,
    timeoutMs: number,
    signal?: AbortSignal,
    message: ProtobufMessage = PROTOBUF_MESSAGE_V1,
  ): Promise<AttemptOutcome> {
    if (signal?.aborted) return { ok: false, error: deadlineError(label, signal.reason) };
    // The attempt's clock starts before credentials are prepared: a signer may wait on the
    // network (STS, instance metadata) and must not outlive the attempt.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    /** The attempt's headers, or the failure to prepare them. */
    const prepare = async (): Promise<Record<string, string | string[]> | AttemptOutcome> => {
      try {
        const headers = await buildRequestHeaders(
          staticHeaders[message],
          config,
          files,
          controller.signal,
        );
        if (attempt > 0) headers['retry-attempt'] = String(attempt);
        if (signer !== undefined) {
          await signer.sign({ method: 'POST', url, headers, body, signal: controller.signal });
        }
        return headers;
      } catch (cause) {
        if (timedOut) {
          return {
            ok: false,
            error: new RemoteWriteError(
              REMOTE_WRITE_ERROR_CODES.timeout,
              `${label}: credentials not ready within ${timeoutMs}ms`,
              { recoverable: true, cause },
            ),
          };
        }
        if (signal?.aborted) return { ok: false, error: deadlineError(label, signal.reason) };
        const recoverable = (cause as { recoverable?: unknown } | null)?.recoverable !== false;
        return {
          ok: false,
          error: new RemoteWriteError(
            REMOTE_WRITE_ERROR_CODES.credentials,
            `${label}: cannot prepare credentials: ${errorText(cause)}`,
            { recoverable, cause },
          ),
        };
      }
    };
    const send = (headers: Record<string, string | string[]>) =>
      request(url, { method: 'POST', headers, body, dispatcher, signal: controller.signal });
    try {
      let headers = await prepare();
      if (isOutcome(headers)) return headers;
      let res = await send(headers);
      const sentToken = headers.authorization;
      if (res.statusCode === 401 && http.oauth2 !== undefined && typeof sentToken === 'string') {
        // The token may have been revoked before it expired: once more with a new one.
        await res.body.dump();
        oauth2TokenSource(http.oauth2, files).invalidate(sentToken);
        headers = await prepare();
        if (isOutcome(headers)) return headers;
        res = await send(headers);
      }
      const status = res.statusCode;
      if (status >= 200 && status < 300) {
        await res.body.dump();
        const written = writtenCounts(res.headers);
        return written === undefined ? { ok: true, status } : { ok: true, status, written };
      }
      // A receiver may echo the request (URL, Authorization) in its error body; the body goes
      // into the error and so into logs: the credentials just sent are cut out of it.
      const text = redactSecretsInText(
        await readLimited(res.body, MAX_ERROR_BODY_BYTES),
        requestSecrets(url, credentialValues(headers, config)),
      );
      const retryAfterMs = parseRetryAfter(res.headers['retry-after'], Date.now());
      if (http.followRedirects && REDIRECTS.has(status) && res.headers.location !== undefined) {
        // A redirect the dispatcher did not follow: its limit is reached. Go's client returns an
        // error then, which Prometheus retries (§11.3); a loop to the same URL is undici's
        // network error already.
        return {
          ok: false,
          error: new RemoteWriteError(
            REMOTE_WRITE_ERROR_CODES.network,
            `${label}: stopped after ${MAX_REDIRECTS} redirects`,
            { recoverable: true, status },
          ),
        };
      }
      const message = `${label}: server returned HTTP status ${status}${text === '' ? '' : `: ${text}`}`;
      // 5xx only, as Prometheus (`StatusCode/100 == 5`): a status of 600 or more is no server
      // error that another attempt may cure.
      if (status >= 500 && status <= 599) {
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
      await owned?.close();
    },
  };
}

function isOutcome(v: Record<string, string | string[]> | AttemptOutcome): v is AttemptOutcome {
  return typeof (v as { ok?: unknown }).ok === 'boolean';
}

function deadlineError(label: string, cause: unknown): RemoteWriteError {
  return new RemoteWriteError(REMOTE_WRITE_ERROR_CODES.deadline, `${label}: aborted`, {
    recoverable: true,
    cause,
  });
}

function errorText(e: unknown): string {
  // Shared-client file errors name the file; their cause says why it could not be read.
  if (e instanceof HttpClientError && e.cause !== undefined) {
    return `${e.message}: ${errorText(e.cause)}`;
  }
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? `${e.message} (${code})` : e.message;
  }
  return String(e);
}

/**
 * The values of the credential headers of a request: `authorization` (basic_auth,
 * authorization, or a signer's) and the `http_headers` configured with `secrets` or `files`.
 */
function credentialValues(
  headers: Readonly<Record<string, string | string[]>>,
  config: RemoteWriteConfig,
): string[] {
  const names = ['authorization'];
  for (const [name, h] of Object.entries(config.httpClient.httpHeaders)) {
    if (h.secrets.length > 0 || h.files.length > 0) names.push(name.toLowerCase());
  }
  return names.flatMap((n) => {
    const v = headers[n];
    return v === undefined ? [] : typeof v === 'string' ? [v] : v;
  });
}

/**
 * Headers that do not change between requests of one message, lower-case names. Configured
 * ones first.
 */
function buildStaticHeaders(
  config: RemoteWriteConfig,
  userAgent: string,
  message: ProtobufMessage,
): Record<string, string> {
  const h: Record<string, string> = {};
  // Config validation (§11.2) already refuses reserved names here; protocol headers are set
  // after them anyway so a configured header can never replace one.
  for (const [name, value] of Object.entries(config.headers)) h[name.toLowerCase()] = value;
  h['content-encoding'] = 'snappy';
  h['content-type'] = CONTENT_TYPES[message];
  h['user-agent'] = userAgent;
  h['x-prometheus-remote-write-version'] = VERSIONS[message];
  return h;
}

/** The written counts of a response (see {@link WrittenCounts}); undefined when it has none. */
export function writtenCounts(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): WrittenCounts | undefined {
  let confirmed = false;
  const read = (name: string): number => {
    const raw = headers[name];
    const text = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    if (text === undefined || text === '') return 0; // empty means zero (and not confirmed)
    confirmed = true;
    return /^[+-]?\d+$/.test(text) ? Math.max(Number(text), 0) : 0;
  };
  const counts = {
    samples: read(WRITTEN_HEADERS.samples),
    histograms: read(WRITTEN_HEADERS.histograms),
    exemplars: read(WRITTEN_HEADERS.exemplars),
  };
  return confirmed ? counts : undefined;
}

/**
 * `http_headers` and auth from the shared client settings (files read now), then `base` over
 * them. Names are lower-cased so that a configured header meets the protocol header of the same
 * name and loses to it.
 */
async function buildRequestHeaders(
  base: Readonly<Record<string, string>>,
  config: RemoteWriteConfig,
  files: HttpClientOptions,
  signal: AbortSignal,
): Promise<Record<string, string | string[]>> {
  const headers: Record<string, string | string[]> = {};
  const configured = await requestHeaderLines(config.httpClient, files, signal);
  for (const [name, value] of Object.entries(configured)) headers[name.toLowerCase()] = value;
  // Config validation (§11.2) refuses Authorization in `headers`, so basic_auth/authorization
  // cannot be overridden by `base`.
  return Object.assign(headers, base);
}

/**
 * The client's own dispatcher (keep-alive Agent, TLS, redirects), TLS files read now. An
 * unreadable TLS file is `RW_CREDENTIALS`, not recoverable.
 */
function ownDispatcher(config: RemoteWriteConfig, files: HttpClientOptions): Dispatcher {
  try {
    // The endpoint is the operator's config: only the Runtime API guard applies (egress-guard.ts).
    return createDispatcherSync(config.httpClient, { ...files, egress: 'backend' });
  } catch (cause) {
    if (!(cause instanceof HttpClientError) || cause.code !== 'TLS_FILE_UNREADABLE') throw cause;
    throw new RemoteWriteError(
      REMOTE_WRITE_ERROR_CODES.credentials,
      `remote_write ${config.displayName}: tls_config: ${errorText(cause)}`,
      { recoverable: false, cause },
    );
  }
}

/** The redirect statuses undici's interceptor follows. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const WEEKDAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d\\d:\\d\\d:\\d\\d';
/** IMF-fixdate and the obsolete RFC 850 form (RFC 9110 §5.6.7), both in GMT. */
const GMT_DATE = new RegExp(
  `^(?:${DAY}, \\d\\d ${MONTH} \\d{4}|${WEEKDAY}, \\d\\d-${MONTH}-\\d\\d) ${TIME} GMT$`,
);
/** asctime (RFC 9110 §5.6.7): no zone, meaning GMT. */
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4}$`);

/**
 * Retry-After as ms from `nowMs`: integer seconds or an HTTP-date (§11.3), at most
 * {@link MAX_RETRY_AFTER_MS}. undefined when absent, unparsable or not positive (the caller then
 * uses its own backoff). Only the three HTTP-date forms count as dates: `Date.parse` alone takes
 * `soon 2099` for a date 70 years away.
 */
export function parseRetryAfter(
  header: string | string[] | undefined,
  nowMs: number,
): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else if (GMT_DATE.test(text)) {
    ms = Date.parse(text) - nowMs;
  } else if (ASCTIME_DATE.test(text)) {
    ms = Date.parse(`${text} GMT`) - nowMs;
  } else {
    return undefined;
  }
  // NaN (an impossible date) and past dates fall out here.
  return ms > 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : undefined;
}

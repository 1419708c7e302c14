/**
 * Access tokens for the `oauth2` block of the HTTP client settings (§1.5), fetched the way
 * Prometheus's common/config fetches them (config/http_config.go with golang.org/x/oauth2):
 *
 * - `grant_type: client_credentials` (the default; RFC 6749 §4.4): a form POST to `token_url`
 *   with `grant_type`, `scope` (the `scopes`, space-separated, when any) and `endpoint_params`;
 *   the client authenticates with HTTP Basic (`client_id` / `client_secret`, each form-escaped)
 *   and, when the endpoint refuses that, once more with `client_id` / `client_secret` in the
 *   form; the style that worked is kept (x/oauth2's auto-detection).
 * - `grant_type: urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1): a form POST with
 *   `grant_type`, `assertion` (a JWT signed with `client_certificate_key`, oauth2-assertion.ts;
 *   `iss` defaults to `client_id`, `sub` is `client_id`, `aud` defaults to `token_url`) and
 *   `scope`, then `endpoint_params`. No client authentication besides the assertion.
 * - `endpoint_params` may replace `grant_type` but no other parameter ("cannot overwrite").
 * - The answer must be 2xx with `access_token` (JSON, or a form when the Content-Type says so);
 *   `token_type` (default `Bearer`) and `expires_in` (seconds) are optional. The request header
 *   is `Authorization: <token_type> <access_token>`.
 *
 * Contract of {@link OAuth2TokenSource} (one per oauth2 block and config folder, see
 * `oauth2TokenSource` in client.ts):
 * - A token is reused until {@link EXPIRY_MARGIN_MS} before it expires (x/oauth2's margin); one
 *   without `expires_in` until the server rejects it.
 * - At most one token request is in flight; concurrent callers share it. A caller's `signal`
 *   only stops that caller waiting; the request itself ends within {@link TOKEN_REQUEST_TIMEOUT_MS}.
 * - The credential (client secret or signing key, inline or `*_file`) is read on every call, as
 *   Prometheus does; a changed credential drops the cached token (Prometheus builds a new token
 *   source then).
 * - {@link OAuth2TokenSource.invalidate} drops the cached token when it is the one a server just
 *   answered 401 to, so the next request fetches a new one (x/oauth2 would keep using it until it
 *   expires).
 * - Failures reject with {@link OAuth2Error}. No message holds the client secret, the key, an
 *   assertion or a token, and the token URL is shown redacted (no userinfo, no query values).
 */

import type { Dispatcher } from 'undici';
import type { OAuth2 } from '../config/types.js';
import { redactSecretsInText, redactTargetUrl, requestSecrets } from '../log/redact.js';
import { abortable } from './abortable.js';
import {
  AssertionKeyError,
  SIGNATURE_HASHES,
  type SignatureAlgorithm,
  signJwtAssertion,
} from './oauth2-assertion.js';
import { readLimited } from './read-limited.js';
import { request } from './undici.js';
import { USER_AGENT } from './user-agent.js';

export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** A token counts as expired this long before its `expires_in` says (x/oauth2's expiryDelta). */
export const EXPIRY_MARGIN_MS = 10_000;

/**
 * Longest wait for one token request. Prometheus has none (its token requests run on a
 * background context); here a caller must not hang on a silent endpoint past its own deadline.
 */
export const TOKEN_REQUEST_TIMEOUT_MS = 10_000;

/** Most of a token response read (x/oauth2 reads 1 MiB). */
export const MAX_TOKEN_RESPONSE_BYTES = 1 << 20;

export const OAUTH2_ERROR_CODES = {
  /** The client secret or signing key cannot be read or used, or tls_config files are unreadable. */
  credential: 'OAUTH2_CREDENTIAL',
  /** The configuration cannot make a valid request (`endpoint_params` overwriting a parameter). */
  config: 'OAUTH2_CONFIG',
  /** No answer from the token endpoint: connection, TLS, timeout. */
  request: 'OAUTH2_TOKEN_REQUEST',
  /** The token endpoint answered with a status other than 2xx. */
  rejected: 'OAUTH2_TOKEN_REJECTED',
  /** A 2xx answer without a usable token. */
  invalidResponse: 'OAUTH2_TOKEN_INVALID',
} as const;
export type OAuth2ErrorCode = (typeof OAUTH2_ERROR_CODES)[keyof typeof OAUTH2_ERROR_CODES];

/** The one error class of this module; `status` is the token endpoint's, when it answered. */
export class OAuth2Error extends Error {
  override readonly name = 'OAuth2Error';
  readonly status: number | undefined;
  constructor(
    readonly code: OAuth2ErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
  }
}

/** What a token source needs from its surroundings (client.ts supplies them). */
export interface OAuth2TokenSourceDeps {
  /** Reads a `*_file` named in the block (the credential overlay first); rejects when it cannot. */
  readonly readFile: (path: string) => Promise<string>;
  /**
   * The dispatcher for token requests (the block's own tls_config and proxy). Called when a
   * request is about to be made; may throw (an unreadable TLS file). The source keeps the first
   * one it gets and never closes it (token requests use no keep-alive, so it holds no sockets).
   */
  readonly dispatcher: () => Dispatcher;
  /** Unix time in ms. @default Date.now */
  readonly now?: () => number;
  /** @default TOKEN_REQUEST_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

interface Token {
  /** `<token_type> <access_token>`, as sent. */
  readonly header: string;
  /** Unix ms; undefined when the server gave no `expires_in`. */
  readonly expiresAtMs: number | undefined;
}

interface Cached {
  readonly token: Token;
  /** The credential the token was fetched with. */
  readonly credential: string;
}

interface Flight {
  readonly promise: Promise<Token>;
  readonly credential: string;
}

/** One oauth2 block's tokens: see the file comment for the contract. */
export class OAuth2TokenSource {
  readonly #config: OAuth2;
  readonly #deps: OAuth2TokenSourceDeps;
  #dispatcher: Dispatcher | undefined;
  #cached: Cached | undefined;
  #flight: Flight | undefined;
  /** client_credentials: how the client authenticated last time it worked. */
  #authStyle: 'header' | 'params' | undefined;

  constructor(config: OAuth2, deps: OAuth2TokenSourceDeps) {
    this.#config = config;
    this.#deps = deps;
  }

  /**
   * The `Authorization` header value for the next request: the cached token while it is fresh,
   * else a new one. Rejects with {@link OAuth2Error}, or with `signal`'s reason when it aborts
   * first. The value is a secret.
   */
  async authorization(signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    const credential = await this.#readCredential();
    const cached = this.#cached;
    if (cached !== undefined && cached.credential === credential && this.#fresh(cached.token)) {
      return cached.token.header;
    }
    let flight = this.#flight;
    if (flight === undefined || flight.credential !== credential) {
      const promise = this.#fetch(credential).then((token) => {
        this.#cached = { token, credential };
        return token;
      });
      const current: Flight = { promise, credential };
      const clear = () => {
        if (this.#flight === current) this.#flight = undefined;
      };
      // Settles quietly: a rejection is the waiters' to handle, and when every waiter has
      // given up (aborted) it must not surface as an unhandled rejection.
      promise.then(clear, clear);
      this.#flight = current;
      flight = current;
    }
    return (await abortable(flight.promise, signal)).header;
  }

  /**
   * Drops the cached token if `header` is its `Authorization` value (a server answered 401 to
   * it). Another value (an older token, someone else's header) changes nothing.
   */
  invalidate(header: string): void {
    if (this.#cached?.token.header === header) this.#cached = undefined;
  }

  /** Never shows the cached token or the credential (logging a source by mistake is harmless). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'OAuth2TokenSource {}';
  }

  toJSON(): object {
    return {};
  }

  #now(): number {
    return (this.#deps.now ?? Date.now)();
  }

  #fresh(token: Token): boolean {
    return token.expiresAtMs === undefined || this.#now() < token.expiresAtMs - EXPIRY_MARGIN_MS;
  }

  #jwtBearer(): boolean {
    return this.#config.grantType === JWT_BEARER_GRANT_TYPE;
  }

  /** The client secret, or the signing key for jwt-bearer; '' when none is configured. */
  async #readCredential(): Promise<string> {
    const c = this.#config;
    const [inline, file, what] = this.#jwtBearer()
      ? [c.clientCertificateKey, c.clientCertificateKeyFile, 'client certificate key']
      : [c.clientSecret, c.clientSecretFile, 'client secret'];
    if (file === undefined) return inline?.reveal() ?? '';
    try {
      return (await this.#deps.readFile(file)).trim();
    } catch (err) {
      throw new OAuth2Error(
        OAUTH2_ERROR_CODES.credential,
        `oauth2: unable to read ${what}: ${describe(err)}`,
        { cause: err },
      );
    }
  }

  #tokenDispatcher(): Dispatcher {
    if (this.#dispatcher === undefined) {
      try {
        this.#dispatcher = this.#deps.dispatcher();
      } catch (err) {
        throw new OAuth2Error(
          OAUTH2_ERROR_CODES.credential,
          `oauth2: tls_config: ${describe(err)}`,
          { cause: err },
        );
      }
    }
    return this.#dispatcher;
  }

  async #fetch(credential: string): Promise<Token> {
    if (this.#jwtBearer()) return this.#fetchJwtBearer(credential);
    const style = this.#authStyle;
    if (style !== undefined) return this.#fetchClientCredentials(credential, style);
    try {
      const token = await this.#fetchClientCredentials(credential, 'header');
      this.#authStyle = 'header';
      return token;
    } catch (err) {
      if (!(err instanceof OAuth2Error) || err.code !== OAUTH2_ERROR_CODES.rejected) throw err;
      const token = await this.#fetchClientCredentials(credential, 'params');
      this.#authStyle = 'params';
      return token;
    }
  }

  async #fetchClientCredentials(secret: string, style: 'header' | 'params'): Promise<Token> {
    const c = this.#config;
    const form = this.#form('client_credentials');
    const headers: Record<string, string> = {};
    if (style === 'header') {
      const pair = `${formEscape(c.clientId)}:${formEscape(secret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    } else {
      form.set('client_id', c.clientId);
      if (secret !== '') form.set('client_secret', secret);
    }
    const secrets = [secret, formEscape(secret), encodeURIComponent(secret)];
    return this.#post(form, headers, secrets);
  }

  async #fetchJwtBearer(key: string): Promise<Token> {
    const c = this.#config;
    const algorithm = (c.signatureAlgorithm || 'RS256') as SignatureAlgorithm;
    if (!(algorithm in SIGNATURE_HASHES)) {
      // Config validation refuses others; a hand-built config may not have been validated.
      throw new OAuth2Error(
        OAUTH2_ERROR_CODES.config,
        `oauth2: unknown signature_algorithm ${JSON.stringify(algorithm)}`,
      );
    }
    let assertion: string;
    try {
      assertion = signJwtAssertion({
        privateKeyPem: key,
        algorithm,
        keyId: c.clientCertificateKeyId,
        issuer: c.iss || c.clientId,
        subject: c.clientId,
        audience: c.audience || c.tokenUrl,
        scope: c.scopes.join(' '),
        claims: c.claims ?? {},
        nowMs: this.#now(),
      });
    } catch (err) {
      if (!(err instanceof AssertionKeyError)) throw err;
      throw new OAuth2Error(
        OAUTH2_ERROR_CODES.credential,
        `oauth2: client certificate key: ${err.message}`,
        { cause: err },
      );
    }
    const form = this.#form(JWT_BEARER_GRANT_TYPE, assertion);
    return this.#post(form, {}, [key, assertion]);
  }

  /** `grant_type`, `assertion` (jwt-bearer), `scope`, then `endpoint_params` (see file comment). */
  #form(grantType: string, assertion?: string): URLSearchParams {
    const c = this.#config;
    const form = new URLSearchParams({ grant_type: grantType });
    if (assertion !== undefined) form.set('assertion', assertion);
    if (c.scopes.length > 0) form.set('scope', c.scopes.join(' '));
    for (const [name, value] of Object.entries(c.endpointParams)) {
      if (form.has(name) && name !== 'grant_type') {
        throw new OAuth2Error(
          OAUTH2_ERROR_CODES.config,
          `oauth2: cannot overwrite parameter ${JSON.stringify(name)}`,
        );
      }
      form.set(name, value);
    }
    return form;
  }

  /**
   * POSTs `form` to the token URL and reads the token. `secrets` (what the request carries) are
   * cut out of anything the endpoint answers before it goes into a message.
   */
  async #post(
    form: URLSearchParams,
    headers: Record<string, string>,
    secrets: readonly string[],
  ): Promise<Token> {
    const url = this.#config.tokenUrl;
    const where = `Post ${JSON.stringify(redactTargetUrl(url))}`;
    // Also the Basic header (whole, base64, decoded password) and the URL's own credentials.
    const scrub = URL.canParse(url)
      ? [...secrets, ...requestSecrets(new URL(url), Object.values(headers))]
      : [...secrets];
    const dispatcher = this.#tokenDispatcher();
    const timeoutMs = this.#deps.timeoutMs ?? TOKEN_REQUEST_TIMEOUT_MS;
    const signal = AbortSignal.timeout(timeoutMs);
    let status: number;
    let contentType: string;
    let text: string;
    try {
      const res = await request(url, {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          'user-agent': USER_AGENT,
        },
        body: form.toString(),
        dispatcher,
        signal,
        // A token lives for minutes or hours: a kept-alive connection would only sit idle.
        reset: true,
      });
      status = res.statusCode;
      const ct = res.headers['content-type'];
      contentType = (Array.isArray(ct) ? ct[0] : ct) ?? '';
      text = await readLimited(res.body, MAX_TOKEN_RESPONSE_BYTES);
    } catch (err) {
      const why = signal.aborted ? `no response within ${timeoutMs}ms` : describe(err);
      throw new OAuth2Error(
        OAUTH2_ERROR_CODES.request,
        `oauth2: cannot fetch token: ${where}: ${redactSecretsInText(why, scrub)}`,
        { cause: err },
      );
    }
    if (status < 200 || status > 299) {
      const detail = errorDetail(text, contentType, scrub);
      throw new OAuth2Error(
        OAUTH2_ERROR_CODES.rejected,
        `oauth2: cannot fetch token: ${where}: server returned HTTP status ${status}${detail}`,
        { status },
      );
    }
    const fields = parseTokenResponse(text, contentType);
    const invalid = (why: string) =>
      new OAuth2Error(
        OAUTH2_ERROR_CODES.invalidResponse,
        `oauth2: cannot fetch token: ${where}: ${why}`,
        { status },
      );
    if (fields === undefined) throw invalid('the response is not a token');
    const accessToken = fields.access_token;
    if (typeof accessToken !== 'string' || accessToken === '') {
      throw invalid('server response missing access_token');
    }
    const expiresIn = seconds(fields.expires_in);
    if (expiresIn === null) throw invalid('the response has an invalid expires_in');
    const type = typeof fields.token_type === 'string' ? fields.token_type : '';
    return {
      header: `${tokenType(type)} ${accessToken}`,
      expiresAtMs: expiresIn > 0 ? this.#now() + expiresIn * 1000 : undefined,
    };
  }
}

/** Go's `url.QueryEscape`: unreserved characters stay, space becomes `+`, the rest `%XX`. */
export function formEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** x/oauth2's `Token.Type`: the common types in their canonical case; `Bearer` when empty. */
function tokenType(type: string): string {
  switch (type.toLowerCase()) {
    case '':
    case 'bearer':
      return 'Bearer';
    case 'mac':
      return 'MAC';
    case 'basic':
      return 'Basic';
    default:
      return type;
  }
}

function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** The response's fields: a form when the media type says so (as x/oauth2), else JSON. */
function parseTokenResponse(
  text: string,
  contentType: string,
): Readonly<Record<string, unknown>> | undefined {
  const media = mediaType(contentType);
  if (media === 'application/x-www-form-urlencoded' || media === 'text/plain') {
    const form = new URLSearchParams(text);
    const fields: Record<string, unknown> = {};
    for (const name of [
      'access_token',
      'token_type',
      'expires_in',
      'error',
      'error_description',
      'error_uri',
    ]) {
      const v = form.get(name);
      if (v !== null) fields[name] = v;
    }
    return fields;
  }
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `expires_in` in whole seconds: 0 when absent, null when not a number (x/oauth2 caps at 2^31−1). */
function seconds(value: unknown): number | null {
  if (value === undefined || value === null || value === '') return 0;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isFinite(n)) return null;
  return Math.min(Math.trunc(n), 2 ** 31 - 1);
}

/**
 * What a refusal says, for the message: RFC 6749 §5.2's `error`, `error_description` and
 * `error_uri` when the body has them, each with `secrets` cut out and then cut to 200
 * characters (in that order, so no part of a secret survives the cut), else nothing. The body
 * itself is not quoted: an endpoint may echo the request, credentials included.
 */
function errorDetail(text: string, contentType: string, secrets: readonly string[]): string {
  const fields = parseTokenResponse(text, contentType);
  if (fields === undefined) return '';
  const parts = ['error', 'error_description', 'error_uri']
    .map((name) => fields[name])
    .filter((v): v is string => typeof v === 'string' && v !== '')
    .map((v) => JSON.stringify(redactSecretsInText(v, secrets).slice(0, 200)));
  return parts.length === 0 ? '' : `: ${parts.join(' ')}`;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return typeof code === 'string' && !err.message.includes(code)
      ? `${err.message}${cause} (${code})`
      : `${err.message}${cause}`;
  }
  return String(err);
}

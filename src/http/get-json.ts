/**
 * One bounded GET of a JSON document from an untrusted server, as Kubernetes and Consul
 * discovery read their APIs: one deadline covering the request's preparation (headers,
 * credentials), the response and its whole body; status must be exactly 200; the body is capped
 * (a declared Content-Length over the cap fails before any of it is read); then `JSON.parse`.
 *
 * Every failure is the caller's own error, made by {@link JsonGet.error} from one of the five
 * {@link JsonGetFailure} kinds and a message that starts with what went wrong:
 * - `status`: `unexpected status <code><statusDetail>`, with `{ status }`;
 * - `tooLarge`: `response larger than the limit of <maxBytes> bytes`;
 * - `timeout`: `no response within <timeoutMs>ms`, with `{ cause }`;
 * - `request`: the cause's message (connection, TLS, a credentials file), with `{ cause }`;
 * - `response`: `invalid JSON`, with `{ cause }`.
 */
import type { Dispatcher } from 'undici';
import { readLimited } from './read-limited.js';
import { request } from './undici.js';

export const JsonGetFailure = {
  request: 'request',
  timeout: 'timeout',
  status: 'status',
  tooLarge: 'tooLarge',
  response: 'response',
} as const;
export type JsonGetFailure = (typeof JsonGetFailure)[keyof typeof JsonGetFailure];

/** The part of an error status's body handed to {@link JsonGet.statusDetail}, bytes. */
export const STATUS_SNIPPET_BYTES = 512;

export interface JsonGetTarget {
  readonly url: string;
  /** All request headers, Accept and auth included. */
  readonly headers: Record<string, string>;
  readonly dispatcher: Dispatcher;
}

export interface JsonGet<E extends Error> {
  /** Cap on the body, bytes; a body of exactly this size is read. */
  readonly maxBytes: number;
  /** One deadline for {@link prepare}, the request and the whole body, ms. */
  readonly timeoutMs: number;
  /**
   * Builds the request, under the deadline. What it throws is a `request` failure (`timeout`
   * once the deadline has passed), unless {@link isOwn} says it is already the caller's error.
   */
  prepare(signal: AbortSignal): Promise<JsonGetTarget>;
  /** `: <detail>` from the start of an error status's body (untrusted, cut anywhere), or ''. */
  statusDetail(snippet: string): string;
  /** The caller's error for a failure; `message` says what went wrong (see the module). */
  error(
    failure: JsonGetFailure,
    message: string,
    options: { readonly cause?: unknown; readonly status?: number },
  ): E;
  /** True for the caller's own errors: they pass through unchanged. */
  isOwn(err: unknown): err is E;
}

/** The parsed body. Throws only what {@link JsonGet.error} makes (or {@link JsonGet.isOwn} owns). */
export async function getJson<E extends Error>(get: JsonGet<E>): Promise<unknown> {
  const signal = AbortSignal.timeout(get.timeoutMs);
  let text: string;
  try {
    const { url, headers, dispatcher } = await get.prepare(signal);
    const res = await request(url, { method: 'GET', headers, dispatcher, signal });
    if (res.statusCode !== 200) {
      const snippet = await readLimited(res.body, STATUS_SNIPPET_BYTES).catch(() => '');
      throw get.error(
        JsonGetFailure.status,
        `unexpected status ${res.statusCode}${get.statusDetail(snippet)}`,
        { status: res.statusCode },
      );
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > get.maxBytes) {
      discard(res.body);
      throw tooLarge(get);
    }
    const body = await readCapped(res.body, get.maxBytes);
    if (body === undefined) throw tooLarge(get);
    text = body;
  } catch (err) {
    if (get.isOwn(err)) throw err;
    if (signal.aborted) {
      throw get.error(JsonGetFailure.timeout, `no response within ${get.timeoutMs}ms`, {
        cause: err,
      });
    }
    throw get.error(JsonGetFailure.request, err instanceof Error ? err.message : String(err), {
      cause: err,
    });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw get.error(JsonGetFailure.response, 'invalid JSON', { cause: err });
  }
}

function tooLarge<E extends Error>(get: JsonGet<E>): E {
  return get.error(
    JsonGetFailure.tooLarge,
    `response larger than the limit of ${get.maxBytes} bytes`,
    {},
  );
}

/**
 * Drops a response body unread. undici's body emits `RequestAbortedError` when destroyed
 * before its end; with no listener that 'error' is an uncaught exception that ends the process
 * (a Consul answer declaring a Content-Length over the cap did that), so one is attached first.
 */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

/** The body as text; undefined (and the stream destroyed) once it passes `maxBytes`. */
async function readCapped(
  body: Dispatcher.ResponseData['body'],
  maxBytes: number,
): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buf.byteLength;
    if (size > maxBytes) {
      discard(body);
      return undefined;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

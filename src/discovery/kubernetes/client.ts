/**
 * A minimal Kubernetes API client: paged LIST requests of one resource, JSON only. One client
 * per discoverer; it owns its dispatcher (built on first use from the connection's HTTP client
 * settings, through src/http so TLS, proxies, auth and the egress guard apply).
 *
 * Paging follows client-go's list pager: `limit=<pageSize>` then `continue=<token>` until the
 * server returns no token; when a continue token has expired (410 Gone) the list starts over
 * once without `limit`, as one full list. Every page is read with a size cap and a timeout.
 */
import type { Dispatcher } from 'undici';
import { createDispatcherSync, type HttpClientOptions, requestHeaders } from '../../http/client.js';
import { getJson } from '../../http/get-json.js';
import { USER_AGENT } from '../../http/user-agent.js';
import type { KubeConnection } from './connection.js';
import { KubernetesSdError, KubernetesSdErrorCode } from './error.js';
import { type ItemReader, ObjectShapeError, readList } from './objects.js';

export const DEFAULT_KUBERNETES_PAGE_SIZE = 500;
export const DEFAULT_KUBERNETES_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_KUBERNETES_REQUEST_TIMEOUT_MS = 20_000;
/** Most pages one list may take (500 objects a page: five million objects). */
export const DEFAULT_KUBERNETES_MAX_PAGES = 10_000;

export interface KubeClientOptions {
  /** @default DEFAULT_KUBERNETES_PAGE_SIZE */
  readonly pageSize?: number;
  /** Cap on one response body. @default DEFAULT_KUBERNETES_MAX_RESPONSE_BYTES */
  readonly maxResponseBytes?: number;
  /** One request, body included. @default DEFAULT_KUBERNETES_REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** Folder relative TLS and credential files resolve against. */
  readonly baseDir?: string;
  /** Used instead of a dispatcher built from the connection (the caller closes it). */
  readonly dispatcher?: Dispatcher;
  /** @default DEFAULT_KUBERNETES_MAX_PAGES */
  readonly maxPages?: number;
}

export interface ListQuery {
  /** `/api/v1/pods`, `/apis/discovery.k8s.io/v1/namespaces/x/endpointslices`, … */
  readonly path: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export class KubeClient {
  private dispatcher: Dispatcher | undefined;
  private readonly ownsDispatcher: boolean;
  private readonly pageSize: number;
  private readonly maxResponseBytes: number;
  private readonly requestTimeoutMs: number;
  private readonly maxPages: number;
  private readonly httpOptions: HttpClientOptions;

  constructor(
    private readonly connection: KubeConnection,
    options: KubeClientOptions = {},
  ) {
    this.dispatcher = options.dispatcher;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.pageSize = Math.max(0, options.pageSize ?? DEFAULT_KUBERNETES_PAGE_SIZE);
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_KUBERNETES_MAX_RESPONSE_BYTES;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_KUBERNETES_REQUEST_TIMEOUT_MS;
    this.maxPages = options.maxPages ?? DEFAULT_KUBERNETES_MAX_PAGES;
    this.httpOptions = options.baseDir === undefined ? {} : { baseDir: options.baseDir };
  }

  /** Every item of the list, all pages read. Throws {@link KubernetesSdError}. */
  async list<T>(query: ListQuery, item: ItemReader<T>): Promise<T[]> {
    const items: T[] = [];
    let token = '';
    let limit = this.pageSize;
    const seen = new Set<string>();
    for (;;) {
      let page: { items: T[]; continueToken: string };
      try {
        page = await this.page(query, item, limit, token);
      } catch (err) {
        // An expired continue token: list again, in one piece (client-go's pager does this).
        if (err instanceof KubernetesSdError && err.status === 410 && token !== '' && limit > 0) {
          items.length = 0;
          seen.clear();
          token = '';
          limit = 0;
          continue;
        }
        throw err;
      }
      items.push(...page.items);
      if (page.continueToken === '' || limit === 0) return items;
      // A server repeating a token, or paging without end, would keep the refresh forever.
      if (seen.has(page.continueToken) || seen.size + 1 >= this.maxPages) {
        throw new KubernetesSdError(
          KubernetesSdErrorCode.response,
          `${this.where(query.path)}: unexpected response: ${seen.has(page.continueToken) ? 'a continue token came back' : `more than ${this.maxPages} pages`}`,
        );
      }
      seen.add(page.continueToken);
      token = page.continueToken;
    }
  }

  async close(): Promise<void> {
    const d = this.dispatcher;
    this.dispatcher = undefined;
    if (d !== undefined && this.ownsDispatcher) await d.close();
  }

  private async page<T>(
    query: ListQuery,
    item: ItemReader<T>,
    limit: number,
    token: string,
  ): Promise<{ items: T[]; continueToken: string }> {
    const params = new URLSearchParams();
    if (query.labelSelector !== undefined && query.labelSelector !== '') {
      params.set('labelSelector', query.labelSelector);
    }
    if (query.fieldSelector !== undefined && query.fieldSelector !== '') {
      params.set('fieldSelector', query.fieldSelector);
    }
    if (limit > 0) params.set('limit', String(limit));
    if (token !== '') params.set('continue', token);
    const body = await this.getJson(query.path, params);
    try {
      return readList(body, item);
    } catch (err) {
      if (!(err instanceof ObjectShapeError)) throw err;
      throw new KubernetesSdError(
        KubernetesSdErrorCode.response,
        `${this.where(query.path)}: unexpected response: ${err.message}`,
        { cause: err },
      );
    }
  }

  /** `kubernetes <server><path>`: what messages say a request was. */
  private where(path: string): string {
    return `kubernetes ${this.connection.shownServer}${path}`;
  }

  private async getJson(path: string, params: URLSearchParams): Promise<unknown> {
    const where = this.where(path);
    return getJson({
      maxBytes: this.maxResponseBytes,
      timeoutMs: this.requestTimeoutMs,
      prepare: async (signal) => {
        const headers: Record<string, string> = {
          ...(await requestHeaders(this.connection.httpClient, this.httpOptions, signal)),
          accept: 'application/json',
          'user-agent': USER_AGENT,
        };
        const bearer = await this.connection.bearerToken?.();
        if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
        this.dispatcher ??= createDispatcherSync(this.connection.httpClient, this.httpOptions);
        const query = params.toString();
        const url = `${this.connection.server}${path}${query === '' ? '' : `?${query}`}`;
        return { url, headers, dispatcher: this.dispatcher };
      },
      statusDetail,
      error: (failure, message, options) =>
        new KubernetesSdError(KubernetesSdErrorCode[failure], `${where}: ${message}`, options),
      isOwn: (err) => err instanceof KubernetesSdError,
    });
  }
}

/** The `message` of a Kubernetes Status body, else the start of the text; `: …` or ''. */
function statusDetail(snippet: string): string {
  let message = snippet.trim();
  try {
    const status: unknown = JSON.parse(snippet);
    if (typeof status === 'object' && status !== null && 'message' in status) {
      const m = (status as { message: unknown }).message;
      if (typeof m === 'string') message = m;
    }
  } catch {
    // Not JSON (or cut at 512 bytes): the text as it is.
  }
  // One line, printable, short: the body is untrusted.
  message = message.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 200);
  return message === '' ? '' : `: ${message}`;
}

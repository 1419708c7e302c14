/**
 * HTTP-based discovery (§10.3) as a small stateful discoverer: each refresh GETs the URL, checks
 * status and Content-Type, reads the body (capped) and parses it strictly. Any failure throws, so
 * `JobDiscovery` keeps the previous targets (§10). State between refreshes:
 * - the number of groups last returned: when the new list is shorter, empty groups are added
 *   for the vanished indices once, so consumers that merge by source clear them;
 * - the last body: an identical body is not parsed again, its groups are returned as they were.
 */
import type { Dispatcher } from 'undici';
import { formatSeconds } from '../../config/duration.js';
import { redactUrl } from '../../config/http-client.js';
import { createDispatcherSync, requestHeaders } from '../../http/client.js';
import { FetchError, FetchErrorCode, fetchBody } from '../../http/fetch.js';
import { USER_AGENT } from '../../http/user-agent.js';
import type { Discoverer, DiscoveryRefresh, TargetGroup } from '../types.js';
import type { HttpSdConfig } from './config.js';
import { HttpSdError, HttpSdErrorCode } from './error.js';
import { HttpSdParseProblem, httpGroupSource, parseHttpSdBody } from './parse.js';

/** Default cap on a response body; SD responses are untrusted input (same cap as file_sd). */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

/** §10.3: `application/json`, optionally `;` + spaces + `charset=utf-8` (quoted or not). */
const CONTENT_TYPE = /^application\/json(;[\t\n\v\f\r ]*charset=("utf-8"|utf-8))?$/i;

/** True when a (trimmed) Content-Type is one http_sd accepts (§10.3). */
export function isHttpSdContentType(contentType: string | undefined): boolean {
  return CONTENT_TYPE.test((contentType ?? '').trim());
}

export interface HttpSdOptions {
  /** Folder relative TLS and credential files resolve against. @default the working directory */
  readonly configDir?: string;
  /** @default DEFAULT_MAX_BODY_BYTES */
  readonly maxBodyBytes?: number;
  /** @default `lambdascrape/<version>` (the scraper's User-Agent) */
  readonly userAgent?: string;
  /** A dispatcher to use instead of one built from the config (the caller closes it). */
  readonly dispatcher?: Dispatcher;
}

function emptyGroup(source: string): TargetGroup {
  return { source, targets: [], labels: {} };
}

const utf8 = new TextDecoder('utf-8');

export class HttpDiscoverer implements Discoverer {
  /** How often the caller should refresh (the config's refresh_interval), ms. */
  readonly refreshIntervalMs: number;
  /** The URL with any password masked: for messages and sources. */
  private readonly shownUrl: string;
  private readonly maxBodyBytes: number;
  private dispatcher: Dispatcher | undefined;
  private readonly ownsDispatcher: boolean;
  private lastBody: Uint8Array | undefined;
  private lastGroups: readonly TargetGroup[] = [];
  /** Number of groups of the last good response (Prometheus `tgLastLength`). */
  private lastLength = 0;

  constructor(
    readonly config: HttpSdConfig,
    private readonly options: HttpSdOptions = {},
  ) {
    this.refreshIntervalMs = config.refreshInterval;
    this.shownUrl = redactUrl(config.url);
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.dispatcher = options.dispatcher;
    this.ownsDispatcher = options.dispatcher === undefined;
  }

  async refresh(): Promise<DiscoveryRefresh> {
    const body = await this.fetch();
    const view = Buffer.from(body.buffer, body.byteOffset, body.byteLength); // no copy
    if (this.lastBody !== undefined && view.equals(this.lastBody)) {
      return { groups: this.lastGroups, errors: [] };
    }
    let groups: TargetGroup[];
    try {
      groups = parseHttpSdBody(this.config.url, this.shownUrl, utf8.decode(body));
    } catch (err) {
      if (!(err instanceof HttpSdParseProblem)) throw err;
      throw new HttpSdError(
        HttpSdErrorCode.parse,
        `cannot parse http_sd response from url=${JSON.stringify(this.shownUrl)}: ${err.message}`,
        { cause: err },
      );
    }
    const cleared: TargetGroup[] = [];
    for (let i = groups.length; i < this.lastLength; i++) {
      cleared.push(emptyGroup(httpGroupSource(this.shownUrl, i)));
    }
    this.lastLength = groups.length;
    this.lastBody = body;
    this.lastGroups = groups;
    return { groups: cleared.length === 0 ? groups : [...groups, ...cleared], errors: [] };
  }

  /** Closes the dispatcher built for this discoverer (not one passed in the options). */
  async close(): Promise<void> {
    const dispatcher = this.dispatcher;
    if (dispatcher === undefined || !this.ownsDispatcher) return;
    this.dispatcher = undefined;
    await dispatcher.close();
  }

  private fail(code: HttpSdErrorCode, cause: string, err?: unknown): HttpSdError {
    // The fetch layer quotes the URL as given; mask its password.
    const text = cause.split(this.config.url).join(this.shownUrl);
    return new HttpSdError(
      code,
      `cannot fetch http_sd targets from url=${JSON.stringify(this.shownUrl)}: ${text}`,
      err === undefined ? undefined : { cause: err },
    );
  }

  private async fetch(): Promise<Uint8Array> {
    const baseDir = this.options.configDir;
    const clientOptions = baseDir === undefined || baseDir === '' ? {} : { baseDir };
    let headers: Record<string, string>;
    try {
      // Built on first use, so an unreadable TLS file is a refresh error, not a crash.
      this.dispatcher ??= createDispatcherSync(this.config.httpClient, clientOptions);
      headers = {
        ...(await requestHeaders(this.config.httpClient, clientOptions)),
        accept: 'application/json',
        'user-agent': this.options.userAgent ?? USER_AGENT,
        'x-prometheus-refresh-interval-seconds': formatSeconds(this.refreshIntervalMs),
      };
    } catch (err) {
      throw this.fail(HttpSdErrorCode.fetch, err instanceof Error ? err.message : String(err), err);
    }
    let res: Awaited<ReturnType<typeof fetchBody>>;
    try {
      res = await fetchBody({
        url: this.config.url,
        headers,
        dispatcher: this.dispatcher,
        // §10.3: the client timeout is the refresh interval.
        timeoutMs: this.refreshIntervalMs,
        // fetchBody fails when the size reaches the limit; a body of exactly the cap is fine.
        bodySizeLimit: this.maxBodyBytes + 1,
      });
    } catch (err) {
      if (!(err instanceof FetchError)) throw err;
      switch (err.code) {
        case FetchErrorCode.Status:
          throw this.fail(HttpSdErrorCode.status, err.message, err);
        case FetchErrorCode.Timeout:
          throw this.fail(HttpSdErrorCode.timeout, err.message, err);
        case FetchErrorCode.BodySizeLimit:
          throw this.fail(
            HttpSdErrorCode.tooLarge,
            `response body larger than the limit of ${this.maxBodyBytes} bytes`,
            err,
          );
        default:
          throw this.fail(HttpSdErrorCode.fetch, err.message, err);
      }
    }
    if (!isHttpSdContentType(res.contentType)) {
      throw this.fail(
        HttpSdErrorCode.contentType,
        `unsupported content type ${JSON.stringify(res.contentType ?? '')}`,
      );
    }
    return res.body;
  }
}

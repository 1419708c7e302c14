/**
 * The runner's HTTP endpoints (node:http, no framework), named as in Prometheus:
 *
 * | path               | method     | answer                                                    |
 * | ------------------ | ---------- | --------------------------------------------------------- |
 * | `/metrics`         | GET, HEAD  | the runner's own metrics, text format 0.0.4               |
 * | `/-/healthy`       | GET, HEAD  | 200 while the process runs                                |
 * | `/-/ready`         | GET, HEAD  | 200 once the first target list is built, else 503         |
 * | `/-/reload`        | POST, PUT  | reloads the config: 200, or 500 with the reason           |
 * | `/targets`         | GET, HEAD  | HTML page of the targets (`?search=…&health=up|down|unknown`) |
 * | `/service-discovery` | GET, HEAD | HTML page of discovered and dropped targets (`?state=`)  |
 * | `/relabel-steps`   | GET, HEAD  | HTML page of one target's relabeling, rule by rule        |
 * | `/static/page.js`  | GET, HEAD  | the pages' script (filters, auto-refresh)                 |
 * | `/api/v1/targets`  | GET, HEAD  | the targets as JSON, shaped like Prometheus's API          |
 * | `/api/v1/targets/relabel_steps` | GET, HEAD | `?scrapePool=…&labels={…}`: the relabeling steps |
 * | `/api/v1/status/config` | GET, HEAD | the loaded config file as YAML, secrets redacted     |
 * | `/`                | GET, HEAD  | redirect to `/targets`                                    |
 *
 * `/metrics` holds the runner's `lambdascrape_*` families, then the standard `process_*` and
 * `nodejs_*` ones (process-metrics.ts). The JSON APIs answer errors as Prometheus does:
 * `{"status":"error","errorType":"bad_data","error":"…"}` with status 400.
 *
 * Unlike Prometheus, `/-/reload` needs no `--web.enable-lifecycle` flag: the default listen
 * address is loopback, and a reload only re-reads the file the runner was started with.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.js';
import { type Labels, labelsFromRecord } from '../model/labels.js';
import { LocalError, LocalErrorCode } from './errors.js';
import { TEXT_FORMAT_CONTENT_TYPE } from './metrics.js';
import { PAGE_SCRIPT } from './page-script.js';
import type { JobView, RelabelStepsView } from './target-view.js';
import { apiError, relabelStepsApiResponse, targetsApiResponse } from './targets-api.js';
import {
  PAGE_CSP,
  type PageFilter,
  renderRelabelStepsPage,
  renderServiceDiscoveryPage,
  renderTargetsPage,
} from './targets-page.js';

export type ReloadOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** What the endpoints read from the runner. */
export interface WebHandlers {
  metricsText(): string | Promise<string>;
  isReady(): boolean;
  reload(): Promise<ReloadOutcome>;
  targets(): readonly JobView[];
  /**
   * The relabeling steps of `labels` (as shown on the pages) in job `scrapePool`; undefined
   * when there is no such job.
   */
  relabelSteps(scrapePool: string, labels: Labels): RelabelStepsView | undefined;
  /** The loaded config as `/api/v1/status/config` shows it (redacted YAML). */
  configYaml(): string;
  /** Clock time (ms) for relative times on the page. */
  now(): number;
  /** This machine's name, for `globalUrl`. */
  readonly hostname: string;
  /** Shown on the targets page (e.g. the config path). */
  readonly subtitle?: string;
}

export interface ListenAddress {
  /** Host or IP to bind; '' binds every interface (Prometheus's `:9090`). */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

/**
 * The default listen address: loopback only (the reload endpoint is unauthenticated and the
 * pages show target labels), and not Prometheus's 9090 so a reference Prometheus can run beside.
 */
export const DEFAULT_LISTEN_ADDRESS = '127.0.0.1:9099';

/**
 * Parses `host:port`, `:port` (all interfaces) or `[v6]:port`.
 * @throws {LocalError} `LOCAL_INVALID_LISTEN_ADDRESS`
 */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text);
  const port = m === null ? Number.NaN : Number(m[3]);
  if (m === null || !(port >= 0 && port <= 65_535)) {
    throw new LocalError(
      LocalErrorCode.invalidListenAddress,
      `invalid listen address ${JSON.stringify(text)}: want host:port, :port or [ipv6]:port`,
    );
  }
  return { host: m[1] ?? m[2] ?? '', port };
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
} as const;

export class WebServer {
  private readonly server: Server;
  private bound: AddressInfo | undefined;

  constructor(
    private readonly handlers: WebHandlers,
    private readonly logger: Logger,
  ) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.logger.error('http handler failed', { path: req.url, err });
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
        else res.destroy();
      });
    });
    // Slow clients must not hold shutdown hostage.
    this.server.requestTimeout = 30_000;
    this.server.headersTimeout = 10_000;
  }

  /** Binds; resolves with the bound address (the real port when 0 was asked for). */
  listen(address: ListenAddress): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(
          new LocalError(
            LocalErrorCode.listenFailed,
            `cannot listen on ${address.host || '*'}:${address.port}: ${err.message}`,
            { cause: err },
          ),
        );
      };
      this.server.once('error', onError);
      const done = (): void => {
        this.server.off('error', onError);
        this.server.on('error', (err) => this.logger.error('http server error', { err }));
        this.bound = this.server.address() as AddressInfo;
        resolve(this.bound);
      };
      if (address.host === '') this.server.listen(address.port, done);
      else this.server.listen(address.port, address.host, done);
    });
  }

  /** `http://host:port` of the bound server, undefined before `listen`. */
  get url(): string | undefined {
    if (this.bound === undefined) return undefined;
    const { address, family, port } = this.bound;
    const host =
      address === '::' || address === '0.0.0.0'
        ? 'localhost'
        : family === 'IPv6'
          ? `[${address}]`
          : address;
    return `http://${host}:${port}`;
  }

  /** Stops accepting, ends keep-alive connections, waits for requests in progress. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      // Requests still running after a grace period are cut.
      setTimeout(() => this.server.closeAllConnections(), 2_000).unref();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';
    const h = this.handlers;
    switch (url.pathname) {
      case '/metrics':
        if (!read) return notAllowed(res, 'GET, HEAD');
        return send(res, 200, TEXT_FORMAT_CONTENT_TYPE, await h.metricsText(), method);
      case '/-/healthy':
        if (!read) return notAllowed(res, 'GET, HEAD');
        return send(res, 200, 'text/plain; charset=utf-8', 'lambdascrape is Healthy.\n', method);
      case '/-/ready':
        if (!read) return notAllowed(res, 'GET, HEAD');
        return h.isReady()
          ? send(res, 200, 'text/plain; charset=utf-8', 'lambdascrape is Ready.\n', method)
          : send(res, 503, 'text/plain; charset=utf-8', 'Service Unavailable\n', method);
      case '/-/reload': {
        if (method !== 'POST' && method !== 'PUT') return notAllowed(res, 'POST, PUT');
        req.resume();
        const outcome = await h.reload();
        return outcome.ok
          ? send(res, 200, 'text/plain; charset=utf-8', '')
          : send(
              res,
              500,
              'text/plain; charset=utf-8',
              `failed to reload config: ${outcome.error}\n`,
            );
      }
      case '/targets':
      case '/service-discovery': {
        if (!read) return notAllowed(res, 'GET, HEAD');
        const options = {
          nowMs: h.now(),
          filter: pageFilter(url, url.pathname === '/targets' ? 'health' : 'state'),
          ...(h.subtitle === undefined ? {} : { subtitle: h.subtitle }),
        };
        const page =
          url.pathname === '/targets'
            ? renderTargetsPage(h.targets(), options)
            : renderServiceDiscoveryPage(h.targets(), options);
        return sendPage(res, 200, page, method);
      }
      case '/relabel-steps': {
        if (!read) return notAllowed(res, 'GET, HEAD');
        const asked = relabelStepsQuery(url);
        const view = 'error' in asked ? undefined : h.relabelSteps(asked.pool, asked.labels);
        if (view === undefined) {
          const why = 'error' in asked ? asked.error : `no scrape pool ${asked.pool}`;
          return send(res, 400, 'text/plain; charset=utf-8', `${why}\n`, method);
        }
        return sendPage(res, 200, renderRelabelStepsPage(view, h.now()), method);
      }
      case '/static/page.js':
        if (!read) return notAllowed(res, 'GET, HEAD');
        return send(res, 200, 'text/javascript; charset=utf-8', PAGE_SCRIPT, method);
      case '/api/v1/targets': {
        if (!read) return notAllowed(res, 'GET, HEAD');
        const body = targetsApiResponse(h.targets(), h.hostname, {
          state: url.searchParams.get('state'),
          scrapePool: url.searchParams.get('scrapePool'),
        });
        return sendJson(res, 200, body, method);
      }
      case '/api/v1/targets/relabel_steps': {
        if (!read) return notAllowed(res, 'GET, HEAD');
        const asked = relabelStepsQuery(url);
        if ('error' in asked) return sendJson(res, 400, apiError('bad_data', asked.error), method);
        const view = h.relabelSteps(asked.pool, asked.labels);
        if (view === undefined) {
          const error = `error retrieving scrape config: no scrape pool ${asked.pool}`;
          return sendJson(res, 400, apiError('bad_data', error), method);
        }
        return sendJson(res, 200, relabelStepsApiResponse(view), method);
      }
      case '/api/v1/status/config':
        if (!read) return notAllowed(res, 'GET, HEAD');
        return sendJson(res, 200, { status: 'success', data: { yaml: h.configYaml() } }, method);
      case '/':
        if (!read) return notAllowed(res, 'GET, HEAD');
        res.setHeader('location', '/targets');
        return send(res, 302, 'text/plain; charset=utf-8', 'Found: /targets\n', method);
      default:
        return send(res, 404, 'text/plain; charset=utf-8', '404 page not found\n', method);
    }
  }
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  method = 'GET',
): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': contentType,
    'content-length': bytes.length,
  });
  res.end(method === 'HEAD' ? undefined : bytes);
}

function sendJson(res: ServerResponse, status: number, body: unknown, method: string): void {
  send(res, status, 'application/json', JSON.stringify(body), method);
}

function sendPage(res: ServerResponse, status: number, page: string, method: string): void {
  res.setHeader('content-security-policy', PAGE_CSP);
  res.setHeader('referrer-policy', 'no-referrer');
  send(res, status, 'text/html; charset=utf-8', page, method);
}

/** `?search=…&<states>=…` of a page. */
function pageFilter(url: URL, statesParam: string): PageFilter {
  return {
    search: url.searchParams.get('search') ?? '',
    states: url.searchParams.getAll(statesParam).filter((s) => s !== ''),
  };
}

/**
 * `?scrapePool=…&labels={"name":"value",…}` as Prometheus's relabel_steps takes them; the
 * messages are Prometheus's.
 */
function relabelStepsQuery(
  url: URL,
): { readonly pool: string; readonly labels: Labels } | { readonly error: string } {
  const pool = url.searchParams.get('scrapePool') ?? '';
  if (pool === '') return { error: 'no scrapePool parameter provided' };
  const text = url.searchParams.get('labels') ?? '';
  if (text === '') return { error: 'no labels parameter provided' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { error: `error parsing labels: ${(err as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { error: 'error parsing labels: want a JSON object of label names to values' };
  }
  // No prototype: a label named `__proto__` is a label like any other.
  const record: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') {
      return {
        error: `error parsing labels: the value of ${JSON.stringify(name)} is not a string`,
      };
    }
    if (value !== '') record[name] = value;
  }
  return { pool, labels: labelsFromRecord(record) };
}

function notAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  send(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
}

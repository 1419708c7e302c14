/**
 * A local stand-in for the Kubernetes API server's LIST endpoints, speaking its JSON wire
 * protocol: `/api/v1[/namespaces/<ns>]/<plural>` and `/apis/<group>/<version>[/namespaces/<ns>]/
 * <plural>`, `labelSelector` (`k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`) and `fieldSelector`
 * (`metadata.name`, `metadata.namespace`, `spec.nodeName`; `=`, `==`, `!=`) as query parameters,
 * `limit`/`continue` paging with opaque tokens and `410 Gone` for an expired token, list bodies
 * `{kind, apiVersion, metadata: {resourceVersion, continue}, items}` and Status bodies for errors.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type RequestListener,
  type Server,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export type KubeObject = Record<string, unknown> & {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> } & Record<
    string,
    unknown
  >;
};

export interface SeenRequest {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
}

/** A canned answer for one path, instead of the list. */
export interface CannedReply {
  readonly status?: number;
  readonly body?: string;
  readonly contentType?: string;
}

const KINDS: Record<string, string> = {
  nodes: 'NodeList',
  namespaces: 'NamespaceList',
  pods: 'PodList',
  services: 'ServiceList',
  endpoints: 'EndpointsList',
  endpointslices: 'EndpointSliceList',
  ingresses: 'IngressList',
  replicasets: 'ReplicaSetList',
  jobs: 'JobList',
};

function status(code: number, reason: string, message: string): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });
}

function field(obj: KubeObject, path: string): string {
  let v: unknown = obj;
  for (const part of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
  return typeof v === 'string' ? v : '';
}

function matchesLabels(obj: KubeObject, selector: string): boolean {
  const labels = obj.metadata.labels ?? {};
  const terms = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return terms.every((raw) => {
    const term = raw.trim();
    let m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m !== null) {
      const values = m[3]!.split(',').map((v) => v.trim());
      const has = Object.hasOwn(labels, m[1]!) && values.includes(labels[m[1]!]!);
      return m[2] === 'in' ? has : !has;
    }
    m = /^([^!=]+)(!=|==|=)(.*)$/.exec(term);
    if (m !== null) {
      const value = labels[m[1]!.trim()];
      return m[2] === '!=' ? value !== m[3]!.trim() : value === m[3]!.trim();
    }
    if (term.startsWith('!')) return !Object.hasOwn(labels, term.slice(1).trim());
    return Object.hasOwn(labels, term);
  });
}

function matchesFields(obj: KubeObject, selector: string): boolean {
  return selector
    .split(',')
    .filter((t) => t !== '')
    .every((term) => {
      const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(term);
      if (m === null) return false;
      const value = field(obj, m[1]!);
      return m[2] === '!=' ? value !== m[3] : value === m[3];
    });
}

export class FakeKubeApi {
  /** Objects by plural resource name (`pods`, `endpointslices`, …). */
  objects = new Map<string, KubeObject[]>();
  seen: SeenRequest[] = [];
  /** Canned replies by path (without query). */
  replies = new Map<string, CannedReply>();
  /** Continue tokens that answer 410 Gone once presented. */
  expireTokens = false;
  /** Extra bytes per list answer, to test size caps. */
  padding = 0;
  private server: Server | undefined;
  private issued = 0;

  /**
   * Starts listening on a loopback port; returns `http://127.0.0.1:<port>` (`https://` with a
   * key and certificate).
   */
  async start(tls?: { key: string; cert: string }): Promise<string> {
    const listener: RequestListener = (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const query = Object.fromEntries(url.searchParams);
      this.seen.push({ path: url.pathname, query, headers: req.headers });
      const canned = this.replies.get(url.pathname);
      if (canned !== undefined) {
        res
          .writeHead(canned.status ?? 200, {
            'content-type': canned.contentType ?? 'application/json',
          })
          .end(canned.body ?? '');
        return;
      }
      const answer = this.list(url.pathname, query);
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    };
    this.server = tls === undefined ? createServer(listener) : createHttpsServer(tls, listener);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as AddressInfo).port;
    return `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  reset(): void {
    this.objects = new Map();
    this.seen = [];
    this.replies = new Map();
    this.expireTokens = false;
    this.padding = 0;
  }

  /** The requests for `path`, in order. */
  requests(path: string): SeenRequest[] {
    return this.seen.filter((r) => r.path === path);
  }

  private list(path: string, query: Record<string, string>): { status: number; body: string } {
    const m = /^\/(?:api\/v1|apis\/[a-z0-9.-]+\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)$/.exec(
      path,
    );
    const plural = m?.[2];
    const namespace = m?.[1];
    if (plural === undefined || KINDS[plural] === undefined) {
      return {
        status: 404,
        body: status(404, 'NotFound', 'the server could not find the requested resource'),
      };
    }
    let items = [...(this.objects.get(plural) ?? [])]
      .filter(
        (o) => namespace === undefined || o.metadata.namespace === decodeURIComponent(namespace),
      )
      .filter((o) => matchesLabels(o, query.labelSelector ?? ''))
      .filter((o) => matchesFields(o, query.fieldSelector ?? ''))
      .sort((a, b) =>
        `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(
          `${b.metadata.namespace ?? ''}/${b.metadata.name}`,
        ),
      );
    let offset = 0;
    if (query.continue !== undefined) {
      if (this.expireTokens) {
        return {
          status: 410,
          body: status(
            410,
            'Expired',
            'The provided continue parameter is too old to display a consistent list result.',
          ),
        };
      }
      try {
        offset = (JSON.parse(Buffer.from(query.continue, 'base64url').toString()) as { o: number })
          .o;
      } catch {
        return { status: 400, body: status(400, 'BadRequest', 'invalid continue token') };
      }
    }
    const limit = query.limit === undefined ? 0 : Number(query.limit);
    let token: string | undefined;
    if (limit > 0 && offset + limit < items.length) {
      this.issued++;
      token = Buffer.from(JSON.stringify({ o: offset + limit, n: this.issued })).toString(
        'base64url',
      );
    }
    items = limit > 0 ? items.slice(offset, offset + limit) : items.slice(offset);
    const body = {
      kind: KINDS[plural],
      apiVersion: 'v1',
      metadata: {
        resourceVersion: '4242',
        ...(token === undefined ? {} : { continue: token, remainingItemCount: 1 }),
      },
      items,
      ...(this.padding > 0 ? { padding: 'x'.repeat(this.padding) } : {}),
    };
    return { status: 200, body: JSON.stringify(body) };
  }
}

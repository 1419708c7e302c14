/**
 * Shared by the "secrets never leave" tests (issue 13): distinct, greppable secret strings, a
 * prometheus.yml that puts each in its place, and one local server that plays every party the
 * config names — an exporter that wants the credentials, targets that fail (401, 500) echoing
 * the request's URL and headers back in their bodies, an HTTP SD endpoint (one 401 first), a
 * proxy that refuses with 407, remote-write receivers that fail twice (500, then 400) with
 * the request's auth echoed before accepting, and an OAuth 2.0 token endpoint (one that issues
 * tokens, one that refuses echoing the request). Echoing is what a hostile or careless peer
 * does; a secret that comes back in an error body must not reach the logs either.
 */
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { snappyDecompress } from '../../src/remotewrite/snappy.js';
import { type DecodedWriteRequest, decodeWriteRequest } from '../remotewrite/wire.js';
import { REFUSED_PORT } from '../support/processes.js';

/** Every secret of the config; values are URL-safe so every encoding of them is the same text. */
export const SECRETS = {
  scrapeBasicPassword: 'SCRAPEBASICPW1q7v',
  scrapeBearer: 'SCRAPEBEARER2k9w',
  paramToken: 'PARAMTOKEN3x4m',
  labelParamKey: 'LABELPARAMKEY4j2n',
  sdUserinfoPassword: 'SDUSERINFOPW5h8c',
  sdQueryToken: 'SDQUERYTOKEN6r3z',
  proxyPassword: 'PROXYUSERINFOPW7t5b',
  rwUserinfoPassword: 'RWUSERINFOPW8g6d',
  rwQueryToken: 'RWQUERYTOKEN9s1f',
  rwBasicPassword: 'RWBASICPW10p2y',
  rwBearer: 'RWBEARER11u8e',
  oauthClientSecret: 'OAUTHCLIENTSECRET16f4q',
} as const;

/** The jwt-bearer job's signing key (PEM, inline in the config). */
export const OAUTH_KEY_PEM = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

/**
 * Secrets only known once the fixture has run: the access tokens it issued and the JWT
 * assertions it received. {@link leaks} looks for them too.
 */
export const ISSUED_SECRETS = new Set<string>();

/** Secrets only the changed config (after a reload) holds. */
export const RELOADED_SECRETS = {
  paramToken: 'RELOADEDPARAM12a5k',
  scrapeBearer: 'RELOADEDBEARER13c6l',
} as const;

/** Secrets only the invalid config (a reload that fails) holds. */
export const INVALID_CONFIG_SECRETS = {
  targetUserinfo: 'BADTARGETPW14d7o',
  rwUserinfo: 'BADRWPW15e9i',
} as const;

/** User names paired with the passwords above (not secret themselves). */
export const USERS = {
  scrape: 'scrapeuser',
  sd: 'sduser',
  proxy: 'proxyuser',
  rwUserinfo: 'rwuser',
  rwBasic: 'rwbasicuser',
  oauth: 'oauthclient',
} as const;

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Every string that must never appear: the secrets and the basic-auth headers made of them. */
export function forbiddenStrings(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries({
    ...SECRETS,
    ...prefixed('reloaded.', RELOADED_SECRETS),
    ...prefixed('invalid.', INVALID_CONFIG_SECRETS),
  })) {
    out.set(k, v);
  }
  const basic: [string, string, string][] = [
    ['scrapeBasic', USERS.scrape, SECRETS.scrapeBasicPassword],
    ['sdUserinfo', USERS.sd, SECRETS.sdUserinfoPassword],
    ['proxy', USERS.proxy, SECRETS.proxyPassword],
    ['rwUserinfo', USERS.rwUserinfo, SECRETS.rwUserinfoPassword],
    ['rwBasic', USERS.rwBasic, SECRETS.rwBasicPassword],
  ];
  for (const [name, user, password] of basic) {
    out.set(`base64(${name})`, b64(`${user}:${password}`));
  }
  out.set('base64(oauthClient)', b64(`${USERS.oauth}:${SECRETS.oauthClientSecret}`));
  // Any one line of the key's base64 is enough to call it leaked.
  OAUTH_KEY_PEM.split('\n')
    .filter((l) => l.length === 64)
    .forEach((line, i) => {
      out.set(`oauthKey.line${i + 1}`, line);
    });
  for (const issued of ISSUED_SECRETS) out.set(`issued(${issued.slice(0, 16)}…)`, issued);
  return out;
}

function prefixed(prefix: string, o: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [prefix + k, v]));
}

/**
 * Each secret found in `text`, as `name: <the line it is on>` (the first occurrence, line cut
 * to 300 characters); empty when none.
 */
export function leaks(text: string): string[] {
  const found: string[] = [];
  for (const [name, value] of forbiddenStrings()) {
    const at = text.indexOf(value);
    if (at < 0) continue;
    const start = text.lastIndexOf('\n', at) + 1;
    const end = text.indexOf('\n', at);
    const line = text.slice(start, end < 0 ? undefined : end);
    const from = Math.max(0, at - start - 150);
    found.push(`${name}: ${line.slice(from, from + 300)}`);
  }
  return found;
}

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly decoded?: DecodedWriteRequest | undefined;
}

export interface Fixture {
  readonly host: string;
  readonly port: number;
  /** A port nothing listens on (connection refused). */
  readonly closedPort: number;
  /**
   * Requests by route: `good`, `unauth`, `fail`, `sd`, `proxy`, `rw:<path>`, `oauth` (the
   * protected exporter), `token`, `token-fail`.
   */
  readonly seen: Map<string, SeenRequest[]>;
  close(): Promise<void>;
}

const echo = (req: IncomingMessage) =>
  `${req.method} ${req.url}\n${JSON.stringify(req.headers)}\nproxy-authorization: ${req.headers['proxy-authorization'] ?? ''}\n`;

/**
 * One server for every role, routed by path: `/good/metrics` (an exporter), `/unauth/metrics`
 * (401 + echo), `/fail/metrics` (500 + echo), `/sd` (401 + echo once, then one target group
 * pointing at `/good/metrics`), `/rw/<name>` (500 + echo, 400 + echo, then 204 — counted per
 * path), `/oauth/token` (issues a token for the client secret or any assertion),
 * `/oauth/token-fail` (401 `invalid_client` echoing the request, form included),
 * `/oauth/metrics` (an exporter that wants an issued token, else 401 + echo), and a proxy
 * answering 407 + echo to forward requests (absolute URI) and CONNECT alike.
 */
export async function startFixture(): Promise<Fixture> {
  const seen = new Map<string, SeenRequest[]>();
  const record = (route: string, r: SeenRequest) => {
    const list = seen.get(route) ?? [];
    list.push(r);
    seen.set(route, list);
    return list.length;
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const path = url.split('?')[0] ?? '/';
      const base = { method: req.method ?? '', url, authorization: req.headers.authorization };
      const text = (status: number, body: string, type = 'text/plain') => {
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      };
      if (url.startsWith('http://')) {
        // A forward-proxy request (absolute URI): the proxy refuses it, echoing what it got.
        record('proxy', {
          method: req.method ?? '',
          url,
          authorization: req.headers['proxy-authorization'],
        });
        res.writeHead(407, { 'content-type': 'text/plain' });
        return res.end(`proxy says no: ${echo(req)}`);
      }
      if (path === '/good/metrics') {
        record('good', base);
        return text(200, '# TYPE fixture_up gauge\nfixture_up 1\n', 'text/plain; version=0.0.4');
      }
      if (path === '/unauth/metrics') {
        record('unauth', base);
        return text(401, `unauthorized: ${echo(req)}`);
      }
      if (path === '/fail/metrics') {
        record('fail', base);
        return text(500, `internal error: ${echo(req)}`);
      }
      if (path === '/sd') {
        const n = record('sd', base);
        if (n === 1) return text(401, `who are you? ${echo(req)}`);
        return text(
          200,
          JSON.stringify([
            {
              targets: [`${host}:${port}`],
              labels: { __metrics_path__: '/good/metrics', sd: 'yes' },
            },
          ]),
          'application/json',
        );
      }
      if (path === '/oauth/token' || path === '/oauth/token-fail') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        record(path.slice(7), base);
        const assertion = form.get('assertion');
        if (assertion !== null) ISSUED_SECRETS.add(assertion);
        if (path === '/oauth/token-fail') {
          const body = { error: 'invalid_client', error_description: `${echo(req)}${form}` };
          return text(401, JSON.stringify(body), 'application/json');
        }
        const basic = Buffer.from((req.headers.authorization ?? '').slice(6), 'base64');
        const secret = form.get('client_secret') ?? basic.toString('utf8').split(':')[1];
        if (assertion === null && secret !== SECRETS.oauthClientSecret) {
          return text(401, '{"error":"invalid_client"}', 'application/json');
        }
        const token = `OAUTHTOKEN${ISSUED_SECRETS.size + 1}k${port}z`;
        ISSUED_SECRETS.add(token);
        const answer = { access_token: token, token_type: 'Bearer', expires_in: 3600 };
        return text(200, JSON.stringify(answer), 'application/json');
      }
      if (path === '/oauth/metrics') {
        record('oauth', base);
        const token = (req.headers.authorization ?? '').slice(7);
        if (!ISSUED_SECRETS.has(token)) return text(401, `no token: ${echo(req)}`);
        return text(200, '# TYPE fixture_up gauge\nfixture_up 1\n', 'text/plain; version=0.0.4');
      }
      if (path.startsWith('/rw/')) {
        let decoded: DecodedWriteRequest | undefined;
        try {
          decoded = decodeWriteRequest(snappyDecompress(new Uint8Array(Buffer.concat(chunks))));
        } catch {
          decoded = undefined;
        }
        const n = record(`rw:${path.slice(4)}`, { ...base, decoded });
        if (n === 1) return text(500, `storage failed for ${echo(req)}`);
        if (n === 2) return text(400, `bad request from ${echo(req)}`);
        res.writeHead(204);
        return res.end();
      }
      text(404, `not found: ${echo(req)}`);
    });
  });
  server.on('connect', (req, socket) => {
    record('proxy', {
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers['proxy-authorization'],
    });
    const body = `proxy says no: ${echo(req)}`;
    socket.end(
      `HTTP/1.1 407 Proxy Authentication Required\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  const host = '127.0.0.1';
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    host,
    port,
    closedPort: REFUSED_PORT,
    seen,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export interface ConfigOptions {
  /** The secrets of the reloaded config instead of the first one. */
  readonly reloaded?: boolean;
  /** Scrape interval. @default 1s */
  readonly interval?: string;
}

/**
 * A prometheus.yml with every secret of {@link SECRETS} in its place, against `fx`:
 * - job `basic`: basic_auth password, `params.token`, the working exporter;
 * - job `bearer`: authorization credentials, a `__param_apikey` label, a target answering 401;
 * - job `fail`: a target answering 500; job `refused`: a closed port (both with `params.token`);
 * - job `proxied`: a `proxy_url` with userinfo (the proxy answers 407);
 * - job `sd`: an `http_sd_configs` url with userinfo and a `?token=` query (401 once, then one
 *   target);
 * - job `oauth`: oauth2 client_credentials (client_secret) against the token endpoint;
 *   `oauthjwt`: oauth2 jwt-bearer with an inline key; `oauthfail`: a token endpoint that
 *   refuses, echoing the request;
 * - remote writes: userinfo plus `?token=` in the url; basic_auth; authorization; oauth2 — each
 *   to a receiver that fails twice before accepting.
 */
export function secretConfig(fx: Fixture, options: ConfigOptions = {}): string {
  const at = `${fx.host}:${fx.port}`;
  const paramToken = options.reloaded ? RELOADED_SECRETS.paramToken : SECRETS.paramToken;
  const bearer = options.reloaded ? RELOADED_SECRETS.scrapeBearer : SECRETS.scrapeBearer;
  const interval = options.interval ?? '1s';
  return `global:
  scrape_interval: ${interval}
  scrape_timeout: 800ms
scrape_configs:
  - job_name: basic
    metrics_path: /good/metrics
    basic_auth: { username: ${USERS.scrape}, password: ${SECRETS.scrapeBasicPassword} }
    params: { token: [${paramToken}] }
    static_configs: [{ targets: ["${at}"] }]
  - job_name: bearer
    metrics_path: /unauth/metrics
    authorization: { credentials: ${bearer} }
    static_configs: [{ targets: ["${at}"], labels: { __param_apikey: ${SECRETS.labelParamKey} } }]
  - job_name: fail
    metrics_path: /fail/metrics
    params: { token: [${paramToken}] }
    static_configs: [{ targets: ["${at}"] }]
  - job_name: refused
    params: { token: [${paramToken}] }
    static_configs: [{ targets: ["${fx.host}:${fx.closedPort}"] }]
  - job_name: proxied
    metrics_path: /good/metrics
    proxy_url: http://${USERS.proxy}:${SECRETS.proxyPassword}@${at}
    static_configs: [{ targets: ["proxied.example:9100"] }]
  - job_name: oauth
    metrics_path: /oauth/metrics
    oauth2: { client_id: ${USERS.oauth}, client_secret: ${SECRETS.oauthClientSecret}, token_url: "http://${at}/oauth/token", scopes: [metrics] }
    static_configs: [{ targets: ["${at}"] }]
  - job_name: oauthjwt
    metrics_path: /oauth/metrics
    oauth2:
      client_id: jwtclient
      grant_type: urn:ietf:params:oauth:grant-type:jwt-bearer
      token_url: "http://${at}/oauth/token"
      client_certificate_key: |
${OAUTH_KEY_PEM.trimEnd()
  .split('\n')
  .map((l) => `        ${l}`)
  .join('\n')}
    static_configs: [{ targets: ["${at}"] }]
  - job_name: oauthfail
    metrics_path: /oauth/metrics
    oauth2: { client_id: ${USERS.oauth}, client_secret: ${SECRETS.oauthClientSecret}, token_url: "http://${at}/oauth/token-fail" }
    static_configs: [{ targets: ["${at}"] }]
  - job_name: sd
    http_sd_configs:
      - url: http://${USERS.sd}:${SECRETS.sdUserinfoPassword}@${at}/sd?token=${SECRETS.sdQueryToken}
        refresh_interval: 1s
remote_write:
  - name: userinfo
    url: http://${USERS.rwUserinfo}:${SECRETS.rwUserinfoPassword}@${at}/rw/userinfo?token=${SECRETS.rwQueryToken}
    queue_config: { batch_send_deadline: 200ms, min_backoff: 50ms, max_backoff: 200ms }
  - name: basic
    url: http://${at}/rw/basic
    basic_auth: { username: ${USERS.rwBasic}, password: ${SECRETS.rwBasicPassword} }
    queue_config: { batch_send_deadline: 200ms, min_backoff: 50ms, max_backoff: 200ms }
  - name: bearer
    url: http://${at}/rw/bearer
    authorization: { credentials: ${SECRETS.rwBearer} }
    queue_config: { batch_send_deadline: 200ms, min_backoff: 50ms, max_backoff: 200ms }
  - name: oauth
    url: http://${at}/rw/oauth
    oauth2: { client_id: ${USERS.oauth}, client_secret: ${SECRETS.oauthClientSecret}, token_url: "http://${at}/oauth/token" }
    queue_config: { batch_send_deadline: 200ms, min_backoff: 50ms, max_backoff: 200ms }
`;
}

/**
 * A config that fails to load, holding secrets where the loader's messages look: a static target
 * with userinfo and a path (not a valid hostname), and a remote_write url with userinfo and an
 * unsupported scheme.
 */
export function invalidConfig(fx: Fixture): string {
  return `scrape_configs:
  - job_name: bad
    static_configs: [{ targets: ["admin:${INVALID_CONFIG_SECRETS.targetUserinfo}@${fx.host}:${fx.port}/metrics"] }]
remote_write:
  - url: ftp://admin:${INVALID_CONFIG_SECRETS.rwUserinfo}@${fx.host}:${fx.port}/rw
`;
}

/**
 * Proxy settings (src/http/proxy.ts, src/http/client.ts): `proxy_url`, `no_proxy`,
 * `proxy_from_environment` and `proxy_connect_header`, as prometheus/common applies them.
 * The choice of proxy is checked against Go's httpproxy rules; the sending against a real local
 * proxy that forwards plain requests and tunnels CONNECT, mapping every host name to the local
 * targets, so the test sees which requests went through it and with which headers.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect as netConnect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveTargets } from '../../src/cli/job-targets.js';
import { loadConfig } from '../../src/config/index.js';
import { createDispatcherSync, type HttpClientOptions } from '../../src/http/client.js';
import {
  type EnvironmentSource,
  httpProxyFunc,
  ProxyError,
  proxyFuncFor,
} from '../../src/http/proxy.js';
import { request } from '../../src/http/undici.js';
import { prepareScrapeJob, scrapeTarget, TargetScrapeCache } from '../../src/scrape/scrape.js';
import { EMPTY_SCRAPE_STATE } from '../../src/scrape/state.js';

describe('which proxy a URL goes through (Go httpproxy)', () => {
  const P = 'http://proxy:3128';
  const func = (noProxy: string) =>
    httpProxyFunc({ httpProxy: P, httpsProxy: 'https://sproxy', noProxy, cgi: false });
  const via = (noProxy: string, url: string) => func(noProxy)(new URL(url))?.href;

  it.each([
    // [no_proxy, url, proxied?]
    ['', 'http://example.com/', true],
    ['', 'http://localhost:9100/', false],
    ['', 'http://127.0.0.5/', false],
    ['', 'http://[::1]:80/', false],
    ['example.com', 'http://example.com/', false],
    ['example.com', 'http://sub.example.com/', false],
    ['example.com', 'http://notexample.com/', true],
    ['.example.com', 'http://example.com/', true],
    ['.example.com', 'http://a.example.com/', false],
    ['*.example.com', 'http://example.com/', true],
    ['*.example.com', 'http://a.example.com/', false],
    ['example.com:8080', 'http://example.com:8080/', false],
    ['example.com:8080', 'http://example.com/', true],
    ['example.com:80', 'http://example.com/', false],
    ['example.com:443', 'https://example.com/', false],
    [' EXAMPLE.com , other.org', 'http://other.org/', false],
    ['10.0.0.0/8', 'http://10.1.2.3/', false],
    ['10.0.0.0/8', 'http://11.1.2.3/', true],
    ['10.0.0.0/8', 'http://ten.example/', true],
    ['1.2.3.4', 'http://1.2.3.4:9100/', false],
    ['1.2.3.4:80', 'http://1.2.3.4:9100/', true],
    ['1.2.3.4:80', 'http://1.2.3.4/', false],
    ['2001:db8::/32', 'http://[2001:db8::1]/', false],
    ['[2001:db8::1]:9100', 'http://[2001:db8::1]:9100/', false],
    ['2001:db8::1', 'http://[2001:db8::2]/', true],
    ['::/0', 'http://1.2.3.4/', true],
    ['*', 'http://anything.example/', false],
    ['bücher.example', 'http://xn--bcher-kva.example/', false],
    [',,:80, ', 'http://example.com/', true],
  ])('no_proxy %j, %s: proxied %s', (noProxy, url, proxied) => {
    const want = url.startsWith('https:') ? 'https://sproxy/' : `${P}/`;
    expect(via(noProxy, url)).toBe(proxied ? want : undefined);
  });

  it('proxy_url alone proxies every request, loopback included (http.ProxyURL)', () => {
    const f = proxyFuncFor({ proxyUrl: P });
    expect(f?.(new URL('http://127.0.0.1:9100/'))?.href).toBe(`${P}/`);
    expect(f?.(new URL('https://localhost/'))?.href).toBe(`${P}/`);
  });

  it('proxy_url with no_proxy uses it for both schemes, loopback and no_proxy bypass', () => {
    const f = proxyFuncFor({ proxyUrl: P, noProxy: 'internal' });
    expect(f?.(new URL('https://a.example/'))?.href).toBe(`${P}/`);
    expect(f?.(new URL('http://127.0.0.1:9100/'))).toBeUndefined();
    expect(f?.(new URL('http://db.internal/'))).toBeUndefined();
  });

  it('proxy_from_environment reads the injected source once: upper case first, empty is unset', () => {
    const asked: string[] = [];
    const vars: Record<string, string> = {
      HTTP_PROXY: '',
      http_proxy: 'lower:3128',
      HTTPS_PROXY: 'http://upper:3129',
      https_proxy: 'http://ignored:1',
      no_proxy: 'skip.example',
    };
    const env: EnvironmentSource = (name) => {
      asked.push(name);
      return vars[name];
    };
    const f = proxyFuncFor({ proxyUrl: undefined, proxyFromEnvironment: true }, env);
    const count = asked.length;
    // A host:port value is taken as http://host:port.
    expect(f?.(new URL('http://a.example/'))?.href).toBe('http://lower:3128/');
    expect(f?.(new URL('https://a.example/'))?.href).toBe('http://upper:3129/');
    expect(f?.(new URL('https://x.skip.example/'))).toBeUndefined();
    expect(asked.length).toBe(count);
    expect(proxyFuncFor({ proxyUrl: undefined, proxyFromEnvironment: true }, () => undefined)).toBe(
      undefined,
    );
  });

  it('refuses HTTP_PROXY for http targets in a CGI environment, as Go does', () => {
    const vars: Record<string, string> = { HTTP_PROXY: 'http://p:1', REQUEST_METHOD: 'GET' };
    const f = proxyFuncFor({ proxyUrl: undefined, proxyFromEnvironment: true }, (n) => vars[n]);
    expect(() => f?.(new URL('http://a.example/'))).toThrow(ProxyError);
  });
});

const OPENSSL = '/usr/bin/openssl';
const haveOpenssl = existsSync(OPENSSL);
/** A non-loopback address of this host: what a no_proxy entry can bypass (loopback always is). */
const hostAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && !a.internal && a.family === 'IPv4')?.address;

interface ProxySeen {
  readonly kind: 'forward' | 'connect';
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
}

describe.runIf(haveOpenssl)('requests through a local proxy (integration)', () => {
  const SECRET = 'CONNECTHDRSECRET7q2z';
  const proxied: ProxySeen[] = [];
  const direct: { host: string | undefined; url: string }[] = [];
  const tunnelled: { host: string | undefined; url: string }[] = [];
  let dir: string;
  let target: Server;
  let secure: import('node:https').Server;
  let proxy: Server;
  let targetPort: number;
  let securePort: number;
  let proxyPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'proxy-test-'));
    execFileSync(
      OPENSSL,
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
        ...['-subj', '/CN=secure.test', '-days', '1', '-keyout', 'k.pem', '-out', 'c.pem'],
      ],
      { cwd: dir, stdio: 'ignore' },
    );
    target = createServer((req, res) => {
      direct.push({ host: req.headers.host, url: req.url ?? '' });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('plain_up 1\n');
    });
    secure = createHttpsServer(
      { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) },
      (req, res) => {
        tunnelled.push({ host: req.headers.host, url: req.url ?? '' });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('secure_up 1\n');
      },
    );
    // Forwards plain requests to `target` and tunnels CONNECT to `secure`, whatever the host.
    proxy = createServer((req, res) => {
      proxied.push({ kind: 'forward', target: req.url ?? '', headers: req.headers });
      if (req.headers['x-refuse'] !== undefined) return res.writeHead(407).end('no');
      const url = new URL(req.url ?? '/');
      const upstream = httpRequest(
        {
          host: '127.0.0.1',
          port: targetPort,
          path: url.pathname + url.search,
          headers: { host: req.headers.host },
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      upstream.end();
    });
    proxy.on('connect', (req, socket, head) => {
      proxied.push({ kind: 'connect', target: req.url ?? '', headers: req.headers });
      if (String(req.headers['x-proxy-token'] ?? '').includes('refuse')) {
        socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nconnection: close\r\n\r\n');
        return;
      }
      const up = netConnect(securePort, '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        up.write(head);
        up.pipe(socket);
        socket.pipe(up);
      });
      up.on('error', () => socket.destroy());
      socket.on('error', () => up.destroy());
    });
    target.listen(0, '0.0.0.0');
    secure.listen(0, '127.0.0.1');
    proxy.listen(0, '127.0.0.1');
    await Promise.all([
      once(target, 'listening'),
      once(secure, 'listening'),
      once(proxy, 'listening'),
    ]);
    targetPort = (target.address() as AddressInfo).port;
    securePort = (secure.address() as AddressInfo).port;
    proxyPort = (proxy.address() as AddressInfo).port;
  });
  afterAll(async () => {
    proxy?.closeAllConnections();
    secure?.closeAllConnections();
    target?.closeAllConnections();
    await Promise.all([proxy, secure, target].map((s) => s && new Promise((r) => s.close(r))));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    proxied.length = 0;
    direct.length = 0;
    tunnelled.length = 0;
  });

  const client = (yaml: string) =>
    loadConfig(`scrape_configs:\n  - job_name: j\n${yaml.replace(/^/gm, '    ')}\n`)
      .scrapeConfigs[0]!.httpClient;

  async function get(yaml: string, url: string, options: HttpClientOptions = {}) {
    const dispatcher = createDispatcherSync(client(yaml), options);
    try {
      const res = await request(url, { dispatcher, signal: AbortSignal.timeout(5_000) });
      return { status: res.statusCode, body: await res.body.text() };
    } finally {
      await dispatcher.close();
    }
  }

  const withProxy = () => `proxy_url: http://puser:ppass@127.0.0.1:${proxyPort}
proxy_connect_header:
  X-Proxy-Token: [${SECRET}, second]
  Proxy-Authorization: [overridden]
tls_config: { insecure_skip_verify: true }`;
  const basic = `Basic ${Buffer.from('puser:ppass').toString('base64')}`;

  it('sends an http target as a forward request: absolute URI, userinfo auth, no CONNECT headers', async () => {
    const res = await get(withProxy(), `http://metrics.test:${targetPort}/metrics?x=1`);
    expect(res).toEqual({ status: 200, body: 'plain_up 1\n' });
    expect(proxied).toHaveLength(1);
    const seen = proxied[0]!;
    expect(seen.kind).toBe('forward');
    expect(seen.target).toBe(`http://metrics.test:${targetPort}/metrics?x=1`);
    expect(seen.headers.host).toBe(`metrics.test:${targetPort}`);
    expect(seen.headers['proxy-authorization']).toBe(basic);
    expect(seen.headers['x-proxy-token']).toBeUndefined();
    expect(direct).toEqual([{ host: `metrics.test:${targetPort}`, url: '/metrics?x=1' }]);
  });

  it('tunnels an https target with CONNECT, carrying proxy_connect_header', async () => {
    const res = await get(withProxy(), 'https://secure.test/metrics');
    expect(res).toEqual({ status: 200, body: 'secure_up 1\n' });
    expect(proxied.map((p) => [p.kind, p.target])).toEqual([['connect', 'secure.test:443']]);
    const headers = proxied[0]!.headers;
    expect(headers['x-proxy-token']).toBe(`${SECRET}, second`);
    // The userinfo's credentials replace a configured Proxy-Authorization, as in Go.
    expect(headers['proxy-authorization']).toBe(basic);
    expect(tunnelled).toEqual([{ host: 'secure.test', url: '/metrics' }]);
  });

  it('proxy_url alone sends loopback targets through the proxy too', async () => {
    await get(withProxy(), `http://127.0.0.1:${targetPort}/m`);
    expect(proxied.map((p) => p.kind)).toEqual(['forward']);
  });

  it('no_proxy bypasses the proxy (loopback always does once no_proxy is set)', async () => {
    const yaml = `${withProxy()}\nno_proxy: other.test${hostAddress ? `,${hostAddress}/32` : ''}`;
    await get(yaml, `http://127.0.0.1:${targetPort}/loop`);
    if (hostAddress !== undefined) await get(yaml, `http://${hostAddress}:${targetPort}/cidr`);
    await get(yaml, `http://through.test:${targetPort}/via`);
    expect(proxied.map((p) => p.target)).toEqual([`http://through.test:${targetPort}/via`]);
    expect(direct.map((d) => d.url)).toEqual([
      '/loop',
      ...(hostAddress !== undefined ? ['/cidr'] : []),
      '/via',
    ]);
  });

  it('proxy_from_environment takes the proxy from the injected environment only', async () => {
    const vars: Record<string, string> = {
      HTTP_PROXY: `http://127.0.0.1:${proxyPort}`,
      NO_PROXY: 'skip.test',
    };
    const env: EnvironmentSource = (name) => vars[name];
    const before = { ...process.env };
    await get('proxy_from_environment: true', `http://env.test:${targetPort}/env`, { env });
    expect(proxied.map((p) => [p.kind, p.target])).toEqual([
      ['forward', `http://env.test:${targetPort}/env`],
    ]);
    expect(proxied[0]!.headers['proxy-authorization']).toBeUndefined();
    // Nothing named by the environment: requests go direct.
    await get('proxy_from_environment: true', `http://127.0.0.1:${targetPort}/none`, {
      env: () => undefined,
    });
    expect(proxied).toHaveLength(1);
    expect(process.env).toEqual(before);
  });

  it('chooses the route per redirect hop', async () => {
    const hop = createServer((_req, res) =>
      res.writeHead(302, { location: `http://through.test:${targetPort}/after` }).end(),
    );
    hop.listen(0, '127.0.0.1');
    await once(hop, 'listening');
    const hopPort = (hop.address() as AddressInfo).port;
    try {
      // Loopback (bypassed once no_proxy is set) answers 302 to a name that is proxied.
      const res = await get(`${withProxy()}\nno_proxy: other.test`, `http://127.0.0.1:${hopPort}/`);
      expect(res.status).toBe(200);
      expect(proxied.map((p) => p.target)).toEqual([`http://through.test:${targetPort}/after`]);
    } finally {
      hop.closeAllConnections();
      await new Promise((r) => hop.close(r));
    }
  });

  it('never puts proxy_connect_header values or proxy credentials in a scrape error', async () => {
    const refusing = `proxy_url: http://puser:ppass@127.0.0.1:${proxyPort}
proxy_connect_header: { X-Proxy-Token: [refuse-${SECRET}] }
scheme: https
tls_config: { insecure_skip_verify: true }`;
    const config = loadConfig(
      `scrape_configs:\n  - job_name: j\n${refusing.replace(/^/gm, '    ')}\n    static_configs: [{ targets: ['secure.test'] }]\n`,
    );
    const [resolved] = await resolveTargets(config);
    const target = resolved!.active[0]!;
    const dispatcher = createDispatcherSync(resolved!.job.httpClient);
    try {
      const prepared = prepareScrapeJob(resolved!.job, dispatcher);
      const result = await scrapeTarget(
        prepared,
        target,
        new TargetScrapeCache(target, false),
        EMPTY_SCRAPE_STATE,
        { scrapeTimeMs: Date.now() },
      );
      const text = JSON.stringify(result);
      expect(text).toContain('407');
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('ppass');
      expect(text).not.toContain(Buffer.from('puser:ppass').toString('base64'));
      expect(proxied[0]!.headers['x-proxy-token']).toBe(`refuse-${SECRET}`);
    } finally {
      await dispatcher.close();
    }
  });
});

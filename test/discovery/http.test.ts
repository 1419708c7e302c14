import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import type { ScrapeConfig } from '../../src/config/types.js';
import {
  DEFAULT_HTTP_SD_REFRESH_INTERVAL,
  HttpDiscoverer,
  type HttpSdConfig,
  type HttpSdDeps,
  HttpSdError,
  HttpSdErrorCode,
  httpMechanism,
  isHttpSdContentType,
} from '../../src/discovery/http/index.js';
import { JobDiscovery, validMechanismConfigs } from '../../src/discovery/registry.js';
import { USER_AGENT } from '../../src/http/user-agent.js';
import { scrapeConfig } from '../targets/scrape-config.js';
import { parseEntry, sdJob } from './sd-config.js';

const parseHttpSdConfig = (raw: unknown) => parseEntry(httpMechanism, raw);
const createHttpDiscoverers = (job: ScrapeConfig, deps: HttpSdDeps = {}) =>
  httpMechanism.create(validMechanismConfigs(job, httpMechanism), deps) as HttpDiscoverer[];

/** What the test server answers next; a function sees each request. */
interface Reply {
  status?: number;
  contentType?: string | null;
  body?: string | Buffer;
  delayMs?: number;
}

let server: Server;
let base: string;
let reply: Reply = {};
const requests: { url: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    const r = reply;
    const send = () => {
      const headers: Record<string, string> = {};
      if (r.contentType !== null) headers['content-type'] = r.contentType ?? 'application/json';
      res.writeHead(r.status ?? 200, headers);
      res.end(r.body ?? '[]');
    };
    if (r.delayMs) setTimeout(send, r.delayMs);
    else send();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
});

const open: HttpDiscoverer[] = [];
afterEach(async () => {
  requests.length = 0;
  reply = {};
  await Promise.all(open.splice(0).map((d) => d.close()));
});

function discoverer(raw: Record<string, unknown> = {}, patch: Partial<HttpSdConfig> = {}) {
  const config = { ...parseHttpSdConfig({ url: `${base}/sd`, ...raw }), ...patch };
  const d = new HttpDiscoverer(config, { maxBodyBytes: 1024 });
  open.push(d);
  return d;
}

async function refreshError(d: HttpDiscoverer): Promise<HttpSdError> {
  const err = await d.refresh().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpSdError);
  return err as HttpSdError;
}

// The shape a real http_sd endpoint answers with (Prometheus docs example).
const RECORDED = JSON.stringify([
  {
    targets: ['10.0.10.2:9100', '10.0.10.3:9100'],
    labels: { __meta_datacenter: 'london', __meta_prometheus_job: 'node' },
  },
  { targets: ['10.0.40.2:9100'], labels: { __meta_datacenter: 'london' } },
  { targets: ['10.0.40.3:9100'] },
]);

describe('HttpDiscoverer: a good response (§10.3)', () => {
  it('returns every group with its complete label set, sources <url>:<index>', async () => {
    reply = { body: RECORDED };
    const url = `${base}/sd`;
    expect(await discoverer().refresh()).toEqual({
      groups: [
        {
          source: `${url}:0`,
          targets: [{ __address__: '10.0.10.2:9100' }, { __address__: '10.0.10.3:9100' }],
          labels: {
            __meta_datacenter: 'london',
            __meta_prometheus_job: 'node',
            __meta_url: url,
          },
        },
        {
          source: `${url}:1`,
          targets: [{ __address__: '10.0.40.2:9100' }],
          labels: { __meta_datacenter: 'london', __meta_url: url },
        },
        {
          source: `${url}:2`,
          targets: [{ __address__: '10.0.40.3:9100' }],
          labels: { __meta_url: url },
        },
      ],
      errors: [],
    });
  });

  it('sends GET with Accept, User-Agent and X-Prometheus-Refresh-Interval-Seconds', async () => {
    await discoverer({ refresh_interval: '90s' }).refresh();
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe('/sd');
    expect(requests[0]!.headers).toMatchObject({
      accept: 'application/json',
      'user-agent': USER_AGENT,
      'x-prometheus-refresh-interval-seconds': '90',
    });
    expect(USER_AGENT).toMatch(/^lambdascrape\/\d+\.\d+\.\d+/);
    expect(requests[0]!.headers.authorization).toBeUndefined();
  });

  it('sends a fractional refresh interval as the shortest decimal', async () => {
    await discoverer({}, { refreshInterval: 1500 }).refresh();
    expect(requests[0]!.headers['x-prometheus-refresh-interval-seconds']).toBe('1.5');
  });

  it('sends basic auth, bearer tokens and custom headers from the client config', async () => {
    await discoverer({ basic_auth: { username: 'sd', password: 's3cret' } }).refresh();
    expect(requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('sd:s3cret').toString('base64')}`,
    );
    await discoverer({ authorization: { credentials: 'tok' } }).refresh();
    expect(requests[1]!.headers.authorization).toBe('Bearer tok');
    await discoverer({ http_headers: { 'X-Team': { values: ['a'] } } }).refresh();
    expect(requests[2]!.headers['x-team']).toBe('a');
  });

  it('reads credential files relative to the config folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'http-sd-'));
    try {
      await writeFile(join(dir, 'pw'), 'from-file\n');
      const job = sdJob(
        'http_sd_configs',
        [{ url: `${base}/sd`, basic_auth: { username: 'u', password_file: 'pw' } }],
        { sourcePath: join(dir, 'prometheus.yml') },
      );
      const [d] = createHttpDiscoverers(job);
      open.push(d!);
      await d!.refresh();
      expect(requests[0]!.headers.authorization).toBe(
        `Basic ${Buffer.from('u:from-file').toString('base64')}`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'application/json;charset=utf-8',
    'application/json;charset="utf-8"',
    'Application/JSON; Charset=UTF-8',
    '  application/json  ',
  ])('accepts Content-Type %j', async (contentType) => {
    reply = { contentType, body: RECORDED };
    expect((await discoverer().refresh()).groups).toHaveLength(3);
  });

  it('accepts a null body and targets/labels null, null targets and null label values', async () => {
    reply = { body: 'null' };
    expect((await discoverer().refresh()).groups).toEqual([]);
    reply = {
      body: '[{"targets": null, "labels": null}, {"Targets": [null], "LABELS": {"a": null, "b": "x"}}]',
    };
    const { groups } = await discoverer().refresh();
    expect(groups.map((g) => [g.targets, g.labels])).toEqual([
      [[], { __meta_url: `${base}/sd` }],
      [[{ __address__: '' }], { b: 'x', __meta_url: `${base}/sd` }],
    ]);
  });

  it('replaces a __meta_url label sent by the server', async () => {
    reply = { body: '[{"targets": ["a:1"], "labels": {"__meta_url": "spoofed"}}]' };
    expect((await discoverer().refresh()).groups[0]!.labels.__meta_url).toBe(`${base}/sd`);
  });

  it('follows redirects by default and not when follow_redirects is false', async () => {
    const other = createServer((_req, res) => {
      res.writeHead(302, { location: `${base}/sd` });
      res.end();
    });
    other.listen(0, '127.0.0.1');
    await once(other, 'listening');
    try {
      const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}/redirect`;
      reply = { body: RECORDED };
      expect((await discoverer({ url }).refresh()).groups).toHaveLength(3);
      const err = await refreshError(discoverer({ url, follow_redirects: false }));
      expect(err.code).toBe(HttpSdErrorCode.status);
      expect(err.message).toContain('302');
    } finally {
      other.closeAllConnections();
      other.close();
    }
  });
});

describe('HttpDiscoverer: across refreshes', () => {
  it('sends empty groups for the indices a shorter list no longer has, once', async () => {
    const d = discoverer();
    const url = `${base}/sd`;
    reply = { body: RECORDED };
    await d.refresh();
    reply = { body: JSON.stringify([{ targets: ['x:1'] }]) };
    expect((await d.refresh()).groups).toEqual([
      { source: `${url}:0`, targets: [{ __address__: 'x:1' }], labels: { __meta_url: url } },
      { source: `${url}:1`, targets: [], labels: {} },
      { source: `${url}:2`, targets: [], labels: {} },
    ]);
    reply = { body: '[]' };
    expect((await d.refresh()).groups).toEqual([{ source: `${url}:0`, targets: [], labels: {} }]);
    expect((await d.refresh()).groups).toEqual([]);
  });

  it('does not count a failed refresh as the previous list', async () => {
    const d = discoverer();
    reply = { body: RECORDED };
    await d.refresh();
    reply = { status: 500 };
    await refreshError(d);
    reply = { body: '[]' };
    expect((await d.refresh()).groups.map((g) => g.source)).toEqual([
      `${base}/sd:0`,
      `${base}/sd:1`,
      `${base}/sd:2`,
    ]);
  });

  it('returns the same groups for an identical body without parsing it again', async () => {
    const d = discoverer();
    reply = { body: RECORDED };
    const first = await d.refresh();
    const second = await d.refresh();
    expect(second.groups).toBe(first.groups);
    expect(requests).toHaveLength(2);
  });

  it('keeps the previous targets in JobDiscovery when a refresh fails', async () => {
    reply = { body: RECORDED };
    const job = sdJob('http_sd_configs', [{ url: `${base}/sd` }], { jobName: 'sd' });
    const discovery = new JobDiscovery(job, {}, [httpMechanism]);
    const good = await discovery.refresh();
    expect(good.groups).toHaveLength(3);
    expect(good.groups[0]!.source).toBe(`http_sd_configs/0/${base}/sd:0`);
    reply = { body: '[null]' };
    const bad = await discovery.refresh({ force: true });
    expect(bad.groups).toEqual(good.groups);
    expect(bad.errors[0]!.message).toContain('nil target group item found (index 0)');
  });
});

describe('HttpDiscoverer: failures throw with context (§10.3)', () => {
  const ctx = () => `url="${base}/sd"`;

  it.each<{ name: string; reply: Reply; code: HttpSdErrorCode; message: string }>([
    {
      name: 'status 404',
      reply: { status: 404 },
      code: 'HTTP_SD_STATUS',
      message: 'server returned HTTP status 404 Not Found',
    },
    {
      name: 'status 500',
      reply: { status: 500 },
      code: 'HTTP_SD_STATUS',
      message: 'server returned HTTP status 500 Internal Server Error',
    },
    {
      name: 'status 204',
      reply: { status: 204 },
      code: 'HTTP_SD_STATUS',
      message: 'server returned HTTP status 204 No Content',
    },
    ...[
      'text/plain',
      'application/json; charset=latin1',
      'application/json ; charset=utf-8',
      'application/json; charset=utf8',
      'application/jsonl',
      'application/x-json',
      'application/json;',
    ].map((contentType) => ({
      name: `Content-Type ${contentType}`,
      reply: { contentType, body: RECORDED },
      code: 'HTTP_SD_CONTENT_TYPE' as const,
      message: `unsupported content type ${JSON.stringify(contentType)}`,
    })),
    {
      name: 'no Content-Type',
      reply: { contentType: null, body: RECORDED },
      code: 'HTTP_SD_CONTENT_TYPE',
      message: 'unsupported content type ""',
    },
    {
      name: 'malformed JSON',
      reply: { body: '[{"targets": ["a:1"]' },
      code: 'HTTP_SD_PARSE',
      message: 'cannot parse http_sd response',
    },
    {
      name: 'not a list',
      reply: { body: '{"targets": ["a:1"]}' },
      code: 'HTTP_SD_PARSE',
      message: 'expected a list of target groups, got an object',
    },
    {
      name: 'null element',
      reply: { body: '[{"targets": ["a:1"]}, null]' },
      code: 'HTTP_SD_PARSE',
      message: 'nil target group item found (index 1)',
    },
    {
      name: 'unknown key',
      reply: { body: '[{"targets": ["a:1"], "labelz": {}}]' },
      code: 'HTTP_SD_PARSE',
      message: 'group 0: unknown field "labelz"',
    },
    {
      name: 'number target',
      reply: { body: '[{"targets": [9100]}]' },
      code: 'HTTP_SD_PARSE',
      message: 'group 0: targets[0] must be a string, got a number',
    },
    {
      name: 'number label value',
      reply: { body: '[{"targets": [], "labels": {"port": 9100}}]' },
      code: 'HTTP_SD_PARSE',
      message: 'group 0: value of label "port" must be a string, got a number',
    },
    {
      name: 'empty label name',
      reply: { body: '[{"targets": [], "labels": {"": "x"}}]' },
      code: 'HTTP_SD_PARSE',
      message: 'group 0: "" is not a valid label name',
    },
    {
      name: 'labels not an object',
      reply: { body: '[{"labels": ["a"]}]' },
      code: 'HTTP_SD_PARSE',
      message: 'group 0: "labels" must be an object, got a list',
    },
    {
      name: 'oversized body',
      reply: { body: JSON.stringify([{ targets: ['a'.repeat(2000)] }]) },
      code: 'HTTP_SD_TOO_LARGE',
      message: 'response body larger than the limit of 1024 bytes',
    },
    {
      name: 'timeout (refresh_interval)',
      reply: { delayMs: 1000, body: RECORDED },
      code: 'HTTP_SD_TIMEOUT',
      message: 'context deadline exceeded',
    },
  ])('$name → $code, previous targets kept', async (c) => {
    const d = discoverer({}, { refreshInterval: 250 });
    reply = { body: RECORDED };
    const good = await d.refresh();
    reply = c.reply;
    const err = await refreshError(d);
    expect(err.code).toBe(c.code);
    expect(err.message).toContain(ctx());
    expect(err.message).toContain(c.message);
    // The next good response is compared with the last good one, not the failed one.
    reply = { body: RECORDED };
    expect((await d.refresh()).groups).toEqual(good.groups);
  });

  it('accepts a body of exactly the size cap', async () => {
    const body = JSON.stringify([{ targets: ['a:1'] }]);
    reply = { body: body.padEnd(1024, ' ') };
    expect((await discoverer().refresh()).groups).toHaveLength(1);
  });

  it('reports a refused connection as a fetch error', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    probe.close();
    await once(probe, 'close');
    const err = await refreshError(discoverer({ url: `http://127.0.0.1:${port}/sd` }));
    expect(err.code).toBe(HttpSdErrorCode.fetch);
    expect(err.message).toContain(`url="http://127.0.0.1:${port}/sd"`);
  });

  it('masks the password of the URL in messages', async () => {
    reply = { status: 500 };
    const url = `http://sd:hunter2@127.0.0.1:${new URL(base).port}/sd`;
    const err = await refreshError(discoverer({ url }));
    expect(err.message).not.toContain('hunter2');
    expect(err.message).toContain(`url="http://sd:xxxxx@127.0.0.1:${new URL(base).port}/sd"`);
  });

  it('reports an unreadable credential file as a refresh error', async () => {
    const err = await refreshError(
      discoverer({ authorization: { credentials_file: '/nonexistent/http-sd-token' } }),
    );
    expect(err.code).toBe(HttpSdErrorCode.fetch);
    expect(err.message).toContain('unable to read file /nonexistent/http-sd-token');
  });
});

describe('isHttpSdContentType', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['application/json;charset="utf-8"', true],
    ['application/json;\tcharset=UTF-8', true],
    ['APPLICATION/JSON', true],
    ['text/plain', false],
    ['application/json; charset="utf-8', false],
    ['application/json; charset=utf-8; q=1', false],
    ['', false],
    [undefined, false],
  ])('%j → %s', (ct, ok) => {
    expect(isHttpSdContentType(ct)).toBe(ok);
  });
});

describe('parseHttpSdConfig', () => {
  it('applies the defaults', () => {
    const c = parseHttpSdConfig({ url: 'http://127.0.0.1/sd' });
    expect(c.url).toBe('http://127.0.0.1/sd');
    expect(c.refreshInterval).toBe(DEFAULT_HTTP_SD_REFRESH_INTERVAL);
    expect(c.refreshInterval).toBe(60_000);
    expect(c.httpClient.followRedirects).toBe(true);
    expect(c.httpClient.enableHttp2).toBe(true);
    expect(c.httpClient.basicAuth).toBeUndefined();
  });

  it('reads refresh_interval and the client fields', () => {
    const c = parseHttpSdConfig({
      url: 'https://127.0.0.1/sd',
      refresh_interval: '15s',
      bearer_token: 'tok',
      tls_config: { insecure_skip_verify: true, server_name: 'sd' },
      follow_redirects: false,
      proxy_url: 'http://127.0.0.1:3128',
    });
    expect(c.refreshInterval).toBe(15_000);
    expect(c.httpClient.authorization?.type).toBe('Bearer');
    expect(c.httpClient.authorization?.credentials?.reveal()).toBe('tok');
    expect(c.httpClient.tlsConfig.insecureSkipVerify).toBe(true);
    expect(c.httpClient.tlsConfig.serverName).toBe('sd');
    expect(c.httpClient.followRedirects).toBe(false);
    expect(c.httpClient.proxyUrl).toBe('http://127.0.0.1:3128');
  });

  it.each<{ name: string; raw: unknown; message: string }>([
    { name: 'no url', raw: {}, message: 'URL is missing' },
    { name: 'null entry', raw: null, message: 'empty or null section in http_sd_configs' },
    { name: 'empty url', raw: { url: '' }, message: 'URL is missing' },
    {
      name: 'ftp scheme',
      raw: { url: 'ftp://127.0.0.1/sd' },
      message: "URL scheme must be 'http' or 'https'",
    },
    {
      name: 'no scheme',
      raw: { url: 'localhost:8080/sd' },
      message: "URL scheme must be 'http' or 'https'",
    },
    { name: 'unparsable', raw: { url: '127.0.0.1:8080/sd' }, message: 'invalid URL' },
    { name: 'no host', raw: { url: 'http:///sd' }, message: 'host is missing in URL' },
    { name: 'no host, one slash', raw: { url: 'http:/sd' }, message: 'host is missing in URL' },
    {
      name: 'unknown field',
      raw: { url: 'http://127.0.0.1/', refresh: '1m' },
      message: 'field refresh not found in type http.SDConfig',
    },
    {
      name: 'file_sd field',
      raw: { url: 'http://127.0.0.1/', files: ['a.json'] },
      message: 'field files not found in type http.SDConfig',
    },
    {
      name: 'bad duration',
      raw: { url: 'http://127.0.0.1/', refresh_interval: '1 minute' },
      message: 'not a valid duration string',
    },
    {
      name: 'not a mapping',
      raw: 'http://127.0.0.1/',
      message: 'into http.SDConfig',
    },
    {
      name: 'basic_auth and bearer_token',
      raw: { url: 'http://127.0.0.1/', basic_auth: { username: 'u' }, bearer_token: 'SECRET-T' },
      message: 'at most one of basic_auth, oauth2, bearer_token & bearer_token_file',
    },
    {
      name: 'password and password_file',
      raw: {
        url: 'http://127.0.0.1/',
        basic_auth: { username: 'u', password: 'SECRET-P', password_file: 'f' },
      },
      message:
        'at most one of basic_auth password, password_file & password_ref must be configured',
    },
    {
      name: 'authorization type basic',
      raw: { url: 'http://127.0.0.1/', authorization: { type: 'Basic', credentials: 'SECRET-C' } },
      message: 'authorization type cannot be set to "basic"',
    },
    {
      name: 'reserved header',
      raw: { url: 'http://127.0.0.1/', http_headers: { 'User-Agent': { values: ['x'] } } },
      message: 'User-Agent',
    },
    {
      name: 'secret of the wrong type',
      raw: { url: 'http://127.0.0.1/', basic_auth: { username: 'u', password: ['SECRET-L'] } },
      message: 'into config.Secret',
    },
    {
      name: 'unknown basic_auth field',
      raw: { url: 'http://127.0.0.1/', basic_auth: { user: 'u' } },
      message: 'field user not found',
    },
  ])('rejects $name', ({ raw, message }) => {
    let err: unknown;
    try {
      parseHttpSdConfig(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^<config>:\d+:\d+: /);
    expect((err as Error).message).toContain(message);
    expect((err as Error).message).not.toMatch(/SECRET-/);
  });

  it('does not show the URL password in a URL error', () => {
    expect(() => parseHttpSdConfig({ url: 'http://u:SECRET-U@[bad/' })).toThrow(
      /invalid URL "http:\/\/u:xxxxx@/,
    );
  });

  it('reads an entry the config loader carried as plain data', async () => {
    const config = loadConfig(
      [
        'scrape_configs:',
        '  - job_name: sd',
        '    http_sd_configs:',
        `      - url: ${base}/sd`,
        '        refresh_interval: 2m',
        '        follow_redirects: no',
        '        basic_auth: {username: u, password: 123}',
      ].join('\n'),
      { env: {} },
    );
    const [d] = createHttpDiscoverers(config.scrapeConfigs[0]!);
    open.push(d!);
    expect(d!.refreshIntervalMs).toBe(120_000);
    expect(d!.config.httpClient.followRedirects).toBe(false);
    await d!.refresh();
    expect(requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('u:123').toString('base64')}`,
    );
  });

  it('createHttpDiscoverers: none without entries, one per entry, first invalid one named', () => {
    expect(createHttpDiscoverers(scrapeConfig())).toEqual([]);
    const two = createHttpDiscoverers(
      sdJob('http_sd_configs', [
        { url: 'http://127.0.0.1/a' },
        { url: 'http://127.0.0.1/b', refresh_interval: '5s' },
      ]),
    );
    expect(two.map((d) => d.refreshIntervalMs)).toEqual([60_000, 5_000]);
    expect(() =>
      createHttpDiscoverers(
        sdJob('http_sd_configs', [{ url: 'http://127.0.0.1/a' }, { url: '' }], {
          jobName: 'x',
          sourcePath: 'prometheus.yml',
        }),
      ),
    ).toThrow('prometheus.yml:5:14: URL is missing');
  });
});

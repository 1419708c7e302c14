import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import {
  aggregatedStatus,
  CONSUL_SD_DEFAULTS,
  ConsulDiscoverer,
  type ConsulSdConfig,
  ConsulSdError,
  ConsulSdErrorCode,
  type ConsulSdOptions,
  consulMechanism,
  sanitizeLabelName,
} from '../../src/discovery/consul/index.js';
import { validMechanismConfigs } from '../../src/discovery/registry.js';
import type { TargetGroup } from '../../src/discovery/types.js';
import { scrapeConfig } from '../targets/scrape-config.js';
import { parseEntry, sdJob } from './sd-config.js';

const parseConsulSdConfig = (raw: unknown) => parseEntry(consulMechanism, raw);

// ---------------------------------------------------------------------------------------------
// A local Consul stand-in answering recorded-shape API responses.

interface Reply {
  status?: number;
  body?: unknown;
  raw?: string;
  delayMs?: number;
}

interface Seen {
  path: string;
  query: [string, string][];
  headers: IncomingMessage['headers'];
}

let server: Server;
let base = '';
let routes = new Map<string, Reply>();
let seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: url.pathname, query: [...url.searchParams], headers: req.headers });
    const reply = routes.get(url.pathname);
    const send = () => {
      if (reply === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const text = reply.raw ?? JSON.stringify(reply.body);
      res
        .writeHead(reply.status ?? 200, {
          'content-type': 'application/json',
          'x-consul-index': '42',
        })
        .end(text);
    };
    if (reply?.delayMs !== undefined) setTimeout(send, reply.delayMs);
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const discoverers: ConsulDiscoverer[] = [];
afterEach(async () => {
  routes = new Map();
  seen = [];
  await Promise.all(discoverers.splice(0).map((d) => d.close()));
});

function discoverer(raw: Record<string, unknown>, options: ConsulSdOptions = {}) {
  const d = new ConsulDiscoverer(parseConsulSdConfig({ server: base, ...raw }), {
    requestTimeoutMs: 2_000,
    ...options,
  });
  discoverers.push(d);
  return d;
}

const plain = (groups: readonly TargetGroup[]) => JSON.parse(JSON.stringify(groups));
const requests = (path: string) => seen.filter((s) => s.path === path);

// Recorded shapes (fields trimmed to what matters plus some noise Consul sends).
const AGENT_SELF = {
  Config: { Datacenter: 'eu-west', NodeName: 'agent-1', Revision: 'abc', Server: true },
  Member: { Name: 'agent-1', Addr: '10.0.0.1', Port: 8301 },
};

const CATALOG = { web: ['prod', 'v1'], db: [], consul: null };

const WEB = [
  {
    Node: {
      ID: '40e4a748-2192-161a-0510-9bf59fe950b5',
      Node: 'node-1',
      Address: '10.0.0.1',
      Datacenter: 'eu-west',
      TaggedAddresses: { lan: '10.0.0.1', lan_ipv4: '10.0.0.1', wan: '198.51.100.1' },
      Meta: { rack: 'r1', 'os.type': 'linux', empty: '' },
      CreateIndex: 5,
      ModifyIndex: 6,
    },
    Service: {
      ID: 'web-1',
      Service: 'web',
      Tags: ['prod', 'v1'],
      Address: '10.0.0.5',
      TaggedAddresses: { lan_ipv4: { Address: '10.0.0.5', Port: 8080 } },
      Meta: { version: '1.2', 'team-name': 'a' },
      Port: 8080,
      Weights: { Passing: 1, Warning: 1 },
      EnableTagOverride: false,
    },
    Checks: [
      { Node: 'node-1', CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing' },
      { Node: 'node-1', CheckID: 'service:web-1', Name: 'web check', Status: 'critical' },
    ],
  },
  {
    Node: { Node: 'node-2', Address: '10.0.0.2', TaggedAddresses: null, Meta: null },
    Service: { ID: 'web-2', Service: 'web', Tags: null, Address: '', Meta: null, Port: 8081 },
    Checks: [
      { CheckID: 'serfHealth', Status: 'passing' },
      { CheckID: 'service:web-2', Status: 'warning' },
    ],
  },
];

const DB = [
  {
    Node: { Node: 'node-3', Address: '10.0.0.3', Meta: { 'consul-network-segment': '' } },
    Service: {
      ID: 'db-1',
      Service: 'db',
      Tags: [],
      Address: '2001:db8::7',
      Port: 5432,
      Namespace: 'team',
      Partition: 'part',
    },
    Checks: [
      { CheckID: '_node_maintenance', Status: 'critical' },
      { CheckID: 'serfHealth', Status: 'passing' },
    ],
  },
];

function healthy() {
  routes.set('/v1/agent/self', { body: AGENT_SELF });
  routes.set('/v1/catalog/services', { body: CATALOG });
  routes.set('/v1/health/service/web', { body: WEB });
  routes.set('/v1/health/service/db', { body: DB });
  routes.set('/v1/health/service/consul', { body: [] });
}

const WEB_GROUP = {
  source: 'web',
  labels: { __meta_consul_service: 'web', __meta_consul_dc: 'eu-west' },
  targets: [
    {
      __address__: '10.0.0.5:8080',
      __meta_consul_address: '10.0.0.1',
      __meta_consul_node: 'node-1',
      __meta_consul_tags: ',prod,v1,',
      __meta_consul_service_address: '10.0.0.5',
      __meta_consul_service_port: '8080',
      __meta_consul_service_id: 'web-1',
      __meta_consul_health: 'critical',
      __meta_consul_metadata_rack: 'r1',
      __meta_consul_metadata_os_type: 'linux',
      __meta_consul_service_metadata_version: '1.2',
      __meta_consul_service_metadata_team_name: 'a',
      __meta_consul_tagged_address_lan: '10.0.0.1',
      __meta_consul_tagged_address_lan_ipv4: '10.0.0.1',
      __meta_consul_tagged_address_wan: '198.51.100.1',
    },
    {
      __address__: '10.0.0.2:8081',
      __meta_consul_address: '10.0.0.2',
      __meta_consul_node: 'node-2',
      __meta_consul_tags: ',,',
      __meta_consul_service_port: '8081',
      __meta_consul_service_id: 'web-2',
      __meta_consul_health: 'warning',
    },
  ],
};

const DB_GROUP = {
  source: 'db',
  labels: { __meta_consul_service: 'db', __meta_consul_dc: 'eu-west' },
  targets: [
    {
      __address__: '[2001:db8::7]:5432',
      __meta_consul_address: '10.0.0.3',
      __meta_consul_node: 'node-3',
      __meta_consul_namespace: 'team',
      __meta_consul_partition: 'part',
      __meta_consul_tags: ',,',
      __meta_consul_service_address: '2001:db8::7',
      __meta_consul_service_port: '5432',
      __meta_consul_service_id: 'db-1',
      __meta_consul_health: 'maintenance',
    },
  ],
};

const CONSUL_GROUP = {
  source: 'consul',
  labels: { __meta_consul_service: 'consul', __meta_consul_dc: 'eu-west' },
  targets: [],
};

// ---------------------------------------------------------------------------------------------

describe('ConsulDiscoverer: labels (§10.6)', () => {
  it('gives one group per catalog service with the complete label set of every target', async () => {
    healthy();
    const d = discoverer({});
    const { groups, errors } = await d.refresh();
    expect(errors).toEqual([]);
    // Sorted by service name.
    expect(plain(groups)).toEqual([CONSUL_GROUP, DB_GROUP, WEB_GROUP]);
    expect(d.refreshIntervalMs).toBe(30_000);
  });

  it('reads the datacenter from /v1/agent/self once and caches it', async () => {
    healthy();
    const d = discoverer({});
    await d.refresh();
    await d.refresh();
    expect(requests('/v1/agent/self')).toHaveLength(1);
    expect(requests('/v1/catalog/services')).toHaveLength(2);
    // No configured dc: consul/api sends none (the agent uses its own).
    for (const s of seen) expect(s.query.filter(([k]) => k === 'dc')).toEqual([]);
  });

  it('joins tags with the configured separator on both ends', async () => {
    healthy();
    const { groups } = await discoverer({ services: ['web'], tag_separator: '|' }).refresh();
    const tags = groups[0]!.targets.map((t) => t.__meta_consul_tags);
    expect(tags).toEqual(['|prod|v1|', '||']);
  });

  it.each([
    [[], 'passing'],
    [[{ checkId: 'a', status: 'passing' }], 'passing'],
    [
      [
        { checkId: 'a', status: 'passing' },
        { checkId: 'b', status: 'warning' },
      ],
      'warning',
    ],
    [
      [
        { checkId: 'a', status: 'warning' },
        { checkId: 'b', status: 'critical' },
      ],
      'critical',
    ],
    [
      [
        { checkId: 'a', status: 'critical' },
        { checkId: '_service_maintenance:web-1', status: 'critical' },
      ],
      'maintenance',
    ],
    [[{ checkId: '_node_maintenance', status: 'passing' }], 'maintenance'],
    [[{ checkId: 'a', status: 'unknown' }], ''],
  ])('aggregates checks %j as %j', (checks, status) => {
    expect(aggregatedStatus(checks)).toBe(status);
  });

  it('sanitizes label names per character', () => {
    expect(sanitizeLabelName('a.b-c/d_é9')).toBe('a_b_c_d__9');
  });
});

describe('ConsulDiscoverer: requests (§10.6, §13)', () => {
  it('sends the token header and every query parameter', async () => {
    healthy();
    const d = discoverer({
      token: 's3cr3t-token',
      datacenter: 'dc1',
      namespace: 'ns1',
      partition: 'p1',
      node_meta: { rack: 'r1', az: 'a' },
      tags: ['prod'],
      filter: 'ServiceTags contains "prod"',
      health_filter: 'Service.Port > 80',
    });
    const { groups } = await d.refresh();
    expect(requests('/v1/agent/self')).toEqual([]);
    const catalog = requests('/v1/catalog/services');
    expect(catalog).toHaveLength(1);
    expect(catalog[0]!.query).toEqual([
      ['dc', 'dc1'],
      ['ns', 'ns1'],
      ['partition', 'p1'],
      ['stale', ''],
      ['node-meta', 'az:a'],
      ['node-meta', 'rack:r1'],
      ['filter', 'ServiceTags contains "prod"'],
    ]);
    // Only web carries all of `tags` in the catalog.
    expect(requests('/v1/health/service/db')).toEqual([]);
    const health = requests('/v1/health/service/web');
    expect(health).toHaveLength(1);
    expect(health[0]!.query).toEqual([
      ['dc', 'dc1'],
      ['ns', 'ns1'],
      ['partition', 'p1'],
      ['stale', ''],
      ['node-meta', 'az:a'],
      ['node-meta', 'rack:r1'],
      ['tag', 'prod'],
      ['filter', 'Service.Port > 80'],
    ]);
    for (const s of seen) {
      expect(s.headers['x-consul-token']).toBe('s3cr3t-token');
      // No blocking query: a Lambda polls.
      expect(s.query.map(([k]) => k)).not.toContain('index');
      expect(s.query.map(([k]) => k)).not.toContain('wait');
    }
    expect(groups.map((g) => [g.source, g.labels])).toEqual([
      ['web', { __meta_consul_service: 'web', __meta_consul_dc: 'dc1' }],
    ]);
  });

  it('sends tag= once per tag and keeps only services with all of them', async () => {
    healthy();
    const { groups } = await discoverer({ tags: ['prod', 'v1'], datacenter: 'x' }).refresh();
    expect(groups.map((g) => g.source)).toEqual(['web']);
    expect(requests('/v1/health/service/web')[0]!.query.filter(([k]) => k === 'tag')).toEqual([
      ['tag', 'prod'],
      ['tag', 'v1'],
    ]);
    routes.set('/v1/catalog/services', { body: CATALOG });
    const none = await discoverer({ tags: ['prod', 'v2'], datacenter: 'x' }).refresh();
    expect(none.groups).toEqual([]);
  });

  it('skips the catalog for a plain services list and omits stale when allow_stale is false', async () => {
    healthy();
    const d = discoverer({ services: ['web', 'db', 'web'], allow_stale: false, datacenter: 'x' });
    const { groups } = await d.refresh();
    expect(requests('/v1/catalog/services')).toEqual([]);
    expect(groups.map((g) => g.source)).toEqual(['web', 'db']);
    for (const s of seen) expect(s.query).toEqual([['dc', 'x']]);
  });

  it('selects listed services from the catalog when filter is set', async () => {
    healthy();
    const d = discoverer({ services: ['db', 'missing'], filter: 'x', datacenter: 'x' });
    const { groups } = await d.refresh();
    expect(requests('/v1/catalog/services')).toHaveLength(1);
    expect(groups.map((g) => g.source)).toEqual(['db']);
  });

  it('honours path_prefix, a scheme written into server and username/password', async () => {
    routes.set('/consul/v1/health/service/web', { body: WEB });
    const d = discoverer({
      server: `http://${base}`,
      path_prefix: 'consul/',
      username: 'u',
      password: 'p',
      services: ['web'],
      datacenter: 'x',
    });
    const { groups } = await d.refresh();
    expect(groups[0]!.targets).toHaveLength(2);
    expect(seen[0]!.path).toBe('/consul/v1/health/service/web');
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(seen[0]!.headers['x-consul-token']).toBeUndefined();
  });
});

describe('ConsulDiscoverer: changes and failures', () => {
  it('gives a vanished service one empty group', async () => {
    healthy();
    const d = discoverer({});
    await d.refresh();
    routes.set('/v1/catalog/services', { body: { web: ['prod', 'v1'], consul: [] } });
    const second = await d.refresh();
    expect(plain(second.groups)).toEqual([
      CONSUL_GROUP,
      WEB_GROUP,
      { source: 'db', targets: [], labels: {} },
    ]);
    const third = await d.refresh();
    expect(third.groups.map((g) => g.source)).toEqual(['consul', 'web']);
  });

  it.each<[string, Reply, string]>([
    [
      'an error status',
      { status: 500, raw: 'rpc error: No cluster leader' },
      ConsulSdErrorCode.status,
    ],
    ['a 403', { status: 403, raw: 'ACL not found' }, ConsulSdErrorCode.status],
    ['malformed JSON', { raw: '[{"Node": ' }, ConsulSdErrorCode.response],
    ['the wrong shape', { body: { not: 'a list' } }, ConsulSdErrorCode.response],
    ['a bad port', { body: [{ Node: {}, Service: { Port: '80' } }] }, ConsulSdErrorCode.response],
    ['a timeout', { body: [], delayMs: 1_000 }, ConsulSdErrorCode.timeout],
  ])('keeps a service’s previous targets on %s', async (_, reply, code) => {
    healthy();
    const d = discoverer({}, { requestTimeoutMs: 300 });
    await d.refresh();
    routes.set('/v1/health/service/web', reply);
    const { groups, errors } = await d.refresh();
    expect(plain(groups)).toEqual([CONSUL_GROUP, DB_GROUP, WEB_GROUP]);
    expect(errors).toHaveLength(1);
    const err = errors[0] as ConsulSdError;
    expect(err).toBeInstanceOf(ConsulSdError);
    expect(err.code).toBe(code);
    expect(err.service).toBe('web');
    expect(err.message).toContain('/v1/health/service/web');
    // Recovery replaces the kept group.
    routes.set('/v1/health/service/web', { body: [] });
    const after = await d.refresh();
    expect(after.errors).toEqual([]);
    expect(after.groups.find((g) => g.source === 'web')!.targets).toEqual([]);
  });

  it('reports a failing new service without a group', async () => {
    healthy();
    routes.set('/v1/health/service/db', { status: 502, raw: '' });
    const { groups, errors } = await discoverer({}).refresh();
    expect(groups.map((g) => g.source)).toEqual(['consul', 'web']);
    expect(errors.map((e) => (e as ConsulSdError).code)).toEqual([ConsulSdErrorCode.status]);
  });

  it('quotes the start of a long error body', async () => {
    healthy();
    routes.set('/v1/catalog/services', {
      status: 500,
      raw: `${'x'.repeat(300)}${'y'.repeat(900)}`,
    });
    await expect(discoverer({}).refresh()).rejects.toThrow(
      /\/v1\/catalog\/services: unexpected status 500: x{200}$/,
    );
  });

  it.each<[string, Reply, string]>([
    ['an error status', { status: 500, raw: 'boom' }, ConsulSdErrorCode.status],
    ['malformed JSON', { raw: '{' }, ConsulSdErrorCode.response],
    ['a list', { body: ['web'] }, ConsulSdErrorCode.response],
    ['bad tags', { body: { web: 'prod' } }, ConsulSdErrorCode.response],
    ['a timeout', { body: CATALOG, delayMs: 1_000 }, ConsulSdErrorCode.timeout],
  ])('throws when the catalog gives %s', async (_, reply, code) => {
    healthy();
    const d = discoverer({}, { requestTimeoutMs: 300 });
    await d.refresh();
    routes.set('/v1/catalog/services', reply);
    await expect(d.refresh()).rejects.toMatchObject({ name: 'ConsulSdError', code });
  });

  it('throws while agent/self fails, then recovers', async () => {
    healthy();
    routes.set('/v1/agent/self', { status: 500, raw: 'down' });
    const d = discoverer({});
    await expect(d.refresh()).rejects.toMatchObject({ code: ConsulSdErrorCode.status });
    routes.set('/v1/agent/self', { body: { Config: {} } });
    await expect(d.refresh()).rejects.toMatchObject({ code: ConsulSdErrorCode.response });
    routes.set('/v1/agent/self', { body: AGENT_SELF });
    const { groups } = await d.refresh();
    expect(groups).toHaveLength(3);
  });

  it('caps the response size', async () => {
    healthy();
    const d = discoverer({ datacenter: 'x' }, { maxResponseBytes: 100 });
    await expect(d.refresh()).resolves.toBeDefined();
    routes.set('/v1/catalog/services', {
      body: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`svc${i}`, []])),
    });
    await expect(d.refresh()).rejects.toMatchObject({ code: ConsulSdErrorCode.tooLarge });
  });

  it('reports a refused connection as a request error', async () => {
    const d = new ConsulDiscoverer(parseConsulSdConfig({ server: '127.0.0.1:1', datacenter: 'x' }));
    discoverers.push(d);
    await expect(d.refresh()).rejects.toMatchObject({ code: ConsulSdErrorCode.request });
  });
});

// ---------------------------------------------------------------------------------------------

describe('parseConsulSdConfig', () => {
  it('fills in the defaults of §10.6', () => {
    const c = parseConsulSdConfig({});
    expect(c).toMatchObject({
      server: 'localhost:8500',
      pathPrefix: '',
      token: undefined,
      datacenter: '',
      namespace: '',
      partition: '',
      scheme: 'http',
      allowStale: true,
      refreshInterval: 30_000,
      services: [],
      tags: [],
      nodeMeta: {},
      filter: '',
      healthFilter: '',
      tagSeparator: ',',
    } satisfies Partial<ConsulSdConfig>);
    expect(c.httpClient).toMatchObject({
      basicAuth: undefined,
      authorization: undefined,
      followRedirects: true,
      enableHttp2: true,
    });
    expect(CONSUL_SD_DEFAULTS.refreshInterval).toBe(30_000);
  });

  it('reads every field', () => {
    const c = parseConsulSdConfig({
      server: 'https://consul.example:8501',
      path_prefix: '/c',
      token: 'tok',
      datacenter: 'dc1',
      namespace: 'ns',
      partition: 'pt',
      allow_stale: false,
      refresh_interval: '1m30s',
      services: ['a', 'b'],
      tags: ['t'],
      node_meta: { z: 'y', a: 1 },
      filter: 'f',
      health_filter: 'hf',
      tag_separator: ';',
      tls_config: { insecure_skip_verify: true, server_name: 'consul', min_version: 'TLS13' },
      follow_redirects: false,
      enable_http2: false,
    });
    expect(c).toMatchObject({
      server: 'consul.example:8501',
      scheme: 'https',
      pathPrefix: '/c',
      datacenter: 'dc1',
      namespace: 'ns',
      partition: 'pt',
      allowStale: false,
      refreshInterval: 90_000,
      services: ['a', 'b'],
      tags: ['t'],
      filter: 'f',
      healthFilter: 'hf',
      tagSeparator: ';',
    });
    expect(Object.entries(c.nodeMeta)).toEqual([
      ['a', '1'],
      ['z', 'y'],
    ]);
    expect(c.token?.reveal()).toBe('tok');
    expect(String(c.token)).toBe('<secret>');
    expect(c.httpClient.tlsConfig).toMatchObject({
      insecureSkipVerify: true,
      serverName: 'consul',
      minVersion: 'TLS13',
    });
    expect(c.httpClient).toMatchObject({ followRedirects: false, enableHttp2: false });
  });

  it('folds username/password into basic_auth and keeps secrets out of JSON', () => {
    const c = parseConsulSdConfig({ username: 'u', password: 'hunter2', token: 'tok' });
    expect(c.httpClient.basicAuth?.username).toBe('u');
    expect(c.httpClient.basicAuth?.password?.reveal()).toBe('hunter2');
    const json = JSON.stringify(c);
    expect(json).not.toContain('hunter2');
    expect(json).not.toContain('tok"');
  });

  it('accepts basic_auth and authorization blocks', () => {
    const b = parseConsulSdConfig({ basic_auth: { username: 'u', password_file: 'pw' } });
    expect(b.httpClient.basicAuth).toMatchObject({ username: 'u', passwordFile: 'pw' });
    const a = parseConsulSdConfig({ authorization: { credentials: 'c' } });
    expect(a.httpClient.authorization?.type).toBe('Bearer');
  });

  it("reads the other HTTP client fields with the loader's parser", () => {
    const c = parseConsulSdConfig({
      proxy_url: 'http://p:3128',
      http_headers: { X: { values: ['1'] } },
    });
    expect(c.httpClient.proxyUrl).toBe('http://p:3128');
    expect(c.httpClient.httpHeaders).toEqual({ X: { values: ['1'], secrets: [], files: [] } });
  });

  it.each<[string, unknown, string]>([
    ['an unknown field', { servers: 'x' }, 'field servers not found in type consul.SDConfig'],
    ['a non-map entry', 'x', 'cannot unmarshal !!str `x` into consul.SDConfig'],
    ['an empty server', { server: '  ' }, 'requires a server address'],
    ['a bad scheme', { scheme: 'ftp' }, 'unsupported scheme "ftp"'],
    ['unix sockets', { server: 'unix:///tmp/consul.sock' }, 'unsupported scheme "unix"'],
    ['a path in server', { server: 'h:1/x' }, 'is not a host[:port] address'],
    ['a bad duration', { refresh_interval: '30' }, 'not a valid duration string: "30"'],
    [
      'a non-bool allow_stale',
      { allow_stale: 'yes please' },
      'cannot unmarshal !!str `yes please` into bool',
    ],
    ['a scalar services', { services: 'web' }, 'cannot unmarshal !!str `web` into []string'],
    ['a list node_meta', { node_meta: ['a'] }, 'cannot unmarshal !!seq into map[string]string'],
    [
      'username with basic_auth',
      { username: 'u', basic_auth: { username: 'v' } },
      'at most one of consul SD configuration username and password and basic auth',
    ],
    [
      'token with authorization',
      { token: 't', authorization: { credentials: 'c' } },
      'at most one of consul SD token, authorization, or oauth2',
    ],
    [
      'token with oauth2',
      { token: 't', oauth2: { client_id: 'x', token_url: 'http://t' } },
      'at most one of consul SD token, authorization, or oauth2',
    ],
    [
      'username with oauth2',
      { username: 'u', oauth2: { client_id: 'x', token_url: 'http://t' } },
      'at most one of basic_auth, oauth2 & authorization must be configured',
    ],
    [
      'oauth2 without token_url',
      { oauth2: { client_id: 'x' } },
      'oauth2 token_url must be configured',
    ],
    [
      'an unknown basic_auth field',
      { basic_auth: { user: 'u' } },
      'field user not found in type config.BasicAuth',
    ],
    [
      'an unknown tls_config field',
      { tls_config: { verify: true } },
      'field verify not found in type config.TLSConfig',
    ],
    ['a bad TLS version', { tls_config: { min_version: 'TLS9' } }, 'unknown TLS version: TLS9'],
    [
      'password and password_file',
      { basic_auth: { password: 'p', password_file: 'f' } },
      'at most one of basic_auth password, password_file & password_ref must be configured',
    ],
    [
      'basic authorization type',
      { authorization: { type: 'Basic', credentials: 'c' } },
      'authorization type cannot be set to "basic"',
    ],
  ])('rejects %s', (_, raw, message) => {
    let caught: unknown;
    try {
      parseConsulSdConfig(raw);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toMatch(/^<config>:\d+:\d+: /);
    expect((caught as ConfigError).message).toContain(message);
  });

  it('never puts a secret value into a message', () => {
    for (const raw of [
      { token: 'SECRET-1', authorization: { credentials: 'SECRET-2' } },
      { password: 'SECRET-1', basic_auth: { password: 'SECRET-2' } },
      { token: { nested: 'SECRET-1' } },
      { basic_auth: { password: 'SECRET-1', password_file: 'f' } },
      { tls_config: { key: 'SECRET-1', key_file: 'f' } },
    ]) {
      expect(() => parseConsulSdConfig(raw)).toThrow(ConfigError);
      try {
        parseConsulSdConfig(raw);
      } catch (err) {
        expect((err as Error).message).not.toContain('SECRET');
      }
    }
  });
});

describe('consulMechanism.create', () => {
  const job = (configs: unknown[]) => sdJob('consul_sd_configs', configs, { jobName: 'api' });
  const createConsulDiscoverers = (
    j: Parameters<typeof validMechanismConfigs>[0],
    deps: Parameters<typeof consulMechanism.create>[1] = {},
  ) => consulMechanism.create(validMechanismConfigs(j, consulMechanism), deps);

  it('makes one discoverer per entry with its refresh interval', () => {
    const ds = createConsulDiscoverers(job([{}, { refresh_interval: '5s' }]), {
      configDir: '/etc',
    });
    expect(ds.map((d) => d.refreshIntervalMs)).toEqual([30_000, 5_000]);
    expect(createConsulDiscoverers(scrapeConfig({ jobName: 'x' }))).toEqual([]);
  });

  it('names the job and entry of an invalid config', () => {
    expect(() => createConsulDiscoverers(job([{}, { bogus: 1 }]))).toThrow(
      '<config>:5:9: field bogus not found in type consul.SDConfig',
    );
  });

  it('discovers end to end through a job', async () => {
    healthy();
    const [d] = createConsulDiscoverers(job([{ server: base, services: ['db'] }]));
    discoverers.push(d as ConsulDiscoverer);
    const { groups } = await d!.refresh();
    expect(plain(groups)).toEqual([DB_GROUP]);
  });
});

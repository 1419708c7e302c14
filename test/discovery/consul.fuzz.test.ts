/**
 * Fuzzing of Consul answers (§10.6, issue 13): `/v1/health/service/<name>` bodies through
 * `parseHealthEntries` + `consulTargetLabels` give string labels bounded by the body, one per
 * metadata key, or the module's error; through a real HTTP round trip every bad answer
 * (agent/self, catalog, health, status, size) is a ConsulSdError and the last good groups stay.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONSUL_LABEL,
  ConsulDiscoverer,
  ConsulSdError,
  ConsulSdErrorCode,
  type ConsulSdOptions,
  consulMechanism,
  consulTargetLabels,
  parseHealthEntries,
  sanitizeLabelName,
} from '../../src/discovery/consul/index.js';
import type { TargetGroup } from '../../src/discovery/types.js';
import { errorOf, fuzzParams } from '../support/fuzz.js';
import { anyJson, edits, expectBounded, JSON_PIECES, mutate, oddString } from './fuzz-inputs.js';
import { parseEntry } from './sd-config.js';

/** Each case is a few HTTP round trips: at LAMBDASCRAPE_FUZZ_SCALE=20 on a loaded machine
 * this property can outlast vitest's 30 s default timeout. */
const NETWORK_TIMEOUT_MS = 300_000;

const responseError = (message: string) =>
  new ConsulSdError(ConsulSdErrorCode.response, `unexpected response: ${message}`);

/** The longest label name the mechanism adds in front of a key from the body. */
const OVERHEAD = 64;

type Raw = Record<string, unknown>;

/** Reads a health body as the discoverer does and checks the labels of every entry. */
async function healthChecked(text: string, separator = ','): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return; // The discoverer reports invalid JSON itself (tested through the server below).
  }
  const err = await errorOf(ConsulSdError, () => {
    const entries = parseHealthEntries(body, responseError);
    const targets = entries.map((e) => consulTargetLabels(e, separator));
    const group: TargetGroup = { source: 's', targets, labels: {} };
    expectBounded([group], text.length, text.length + OVERHEAD);
    entries.forEach((_entry, i) => {
      const labels = targets[i]!;
      // Go prints the int port in decimal; anything else is not a port Consul can send.
      const port = labels[CONSUL_LABEL.servicePort] ?? '0';
      if (!/^-?\d+$/.test(port)) expect(port).toMatch(/^-?\d+$/);
      // Every metadata key is a label; keys that sanitize to the same name collide, and one
      // of their values wins (Prometheus: whichever its map iteration sets last), an empty
      // value meaning absent.
      // Read from the body itself, so a key the parser lost is noticed.
      const raw = (body as { Node: Record<string, Raw>; Service: Record<string, Raw> }[])[i]!;
      const meta: [string, Raw | null | undefined][] = [
        [CONSUL_LABEL.nodeMetaPrefix, raw.Node.Meta],
        [CONSUL_LABEL.serviceMetaPrefix, raw.Service.Meta],
        [CONSUL_LABEL.taggedAddressPrefix, raw.Node.TaggedAddresses],
      ];
      const candidates = new Map<string, Set<string>>();
      for (const [prefix, map] of meta) {
        for (const [k, v] of Object.entries(map ?? {})) {
          const name = prefix + sanitizeLabelName(k);
          candidates.set(name, (candidates.get(name) ?? new Set()).add(v as string));
        }
      }
      for (const [name, values] of candidates) {
        if (!values.has(labels[name] ?? '')) expect(labels[name], name).toBeOneOf([...values]);
      }
    });
  });
  if (err !== undefined)
    expect(err.message).toMatch(
      /^unexpected response: entry \d+: |^unexpected response: not a list/,
    );
}

const str = fc.oneof({ weight: 5, arbitrary: oddString }, fc.constant(null), anyJson);
/** Metadata keys: anything, often ones that collide with Object.prototype or each other. */
const metaKey = fc.oneof(
  oddString,
  fc.constantFrom('__proto__', 'constructor', 'toString', 'a.b', 'a-b', 'a_b'),
);
const dict = fc.oneof(
  { weight: 5, arbitrary: fc.dictionary(metaKey, str, { maxKeys: 5 }) },
  anyJson,
);
const port = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -1, max: 70_000 }) },
  fc.double(),
  fc.constantFrom(1e300, 2 ** 53 + 2, -0, 1e21, 0.5),
  anyJson,
);
const check = fc.record(
  {
    CheckID: fc.oneof(
      fc.constantFrom('_node_maintenance', '_service_maintenance:x', 'serfHealth'),
      str,
    ),
    Status: fc.oneof(fc.constantFrom('passing', 'warning', 'critical', 'maintenance'), str),
  },
  { requiredKeys: [] },
);
const entryLike = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        Node: fc.oneof(
          {
            weight: 5,
            arbitrary: fc.record(
              { Node: str, Address: str, Meta: dict, TaggedAddresses: dict },
              { requiredKeys: [] },
            ),
          },
          anyJson,
        ),
        Service: fc.oneof(
          {
            weight: 5,
            arbitrary: fc.record(
              {
                ID: str,
                Address: str,
                Port: port,
                Tags: fc.oneof(
                  { weight: 5, arbitrary: fc.array(oddString, { maxLength: 4 }) },
                  anyJson,
                ),
                Meta: dict,
                Namespace: str,
                Partition: str,
              },
              { requiredKeys: [] },
            ),
          },
          anyJson,
        ),
        Checks: fc.oneof({ weight: 5, arbitrary: fc.array(check, { maxLength: 4 }) }, anyJson),
      },
      { requiredKeys: ['Node', 'Service'] },
    ),
  },
  anyJson,
);
const healthLike = fc.oneof(
  { weight: 5, arbitrary: fc.array(entryLike, { maxLength: 4 }) },
  anyJson,
);

const HEALTH_SEED = JSON.stringify([
  {
    Node: {
      Node: 'node-1',
      Address: '10.0.0.1',
      TaggedAddresses: { lan: '10.0.0.1', wan: '198.51.100.1' },
      Meta: { rack: 'r1', 'os.type': 'linux', empty: '' },
    },
    Service: {
      ID: 'web-1',
      Tags: ['prod', 'v1'],
      Address: '10.0.0.5',
      Meta: { version: '1.2' },
      Port: 8080,
      Namespace: 'team',
    },
    Checks: [
      { CheckID: 'serfHealth', Status: 'passing' },
      { CheckID: 'service:web-1', Status: 'critical' },
    ],
  },
  { Node: { Node: 'n', Address: '::1', Meta: null }, Service: { Tags: null, Port: 1 } },
]);
const CATALOG_SEED = JSON.stringify({ web: ['prod', 'v1'], db: [], consul: null });

describe('parseHealthEntries + consulTargetLabels: untrusted bodies', () => {
  it('random strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), (t) => healthChecked(t)),
      fuzzParams(200),
    );
  });

  it('random JSON (fc.json)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.json({ maxDepth: 5 }), (t) => healthChecked(t)),
      fuzzParams(200),
    );
  });

  it('random JSON shaped like health entries, any tag separator', async () => {
    await fc.assert(
      fc.asyncProperty(healthLike, fc.string({ maxLength: 3 }), (doc, sep) =>
        healthChecked(JSON.stringify(doc), sep),
      ),
      fuzzParams(400),
    );
  });

  it('mutated recorded bodies', async () => {
    await fc.assert(
      fc.asyncProperty(edits(JSON_PIECES), (list) => healthChecked(mutate(HEALTH_SEED, list))),
      fuzzParams(400),
    );
  });

  it.each<[string, string]>([
    [
      'many entries',
      JSON.stringify(Array.from({ length: 50_000 }, () => ({ Node: {}, Service: { Port: 1 } }))),
    ],
    ['many tags', JSON.stringify([{ Node: {}, Service: { Tags: Array(200_000).fill('t') } }])],
    [
      'many meta keys',
      JSON.stringify([
        {
          Node: {
            Meta: Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k.${i}`, 'v'])),
          },
          Service: {},
        },
      ]),
    ],
    [
      'many checks',
      JSON.stringify([
        { Node: {}, Service: {}, Checks: Array(200_000).fill({ CheckID: 'c', Status: 'passing' }) },
      ]),
    ],
    ['a huge address', JSON.stringify([{ Node: { Address: 'x'.repeat(4_000_000) }, Service: {} }])],
  ])('pathological body: %s, in linear time', async (_name, text) => {
    const start = Date.now();
    await healthChecked(text);
    expect(Date.now() - start).toBeLessThan(5_000);
  });
});

describe('parseHealthEntries: regressions', () => {
  it('keeps a metadata key named __proto__ (it used to be dropped silently)', () => {
    const body = JSON.parse(
      '[{"Node": {"Meta": {"__proto__": "a"}, "TaggedAddresses": {"__proto__": "b"}}, "Service": {"Meta": {"__proto__": "c"}}}]',
    );
    const labels = consulTargetLabels(parseHealthEntries(body, responseError)[0]!, ',');
    expect(labels).toMatchObject({
      [`${CONSUL_LABEL.nodeMetaPrefix}__proto__`]: 'a',
      [`${CONSUL_LABEL.taggedAddressPrefix}__proto__`]: 'b',
      [`${CONSUL_LABEL.serviceMetaPrefix}__proto__`]: 'c',
    });
  });

  it('refuses a Service.Port that is not an integer Consul could send (was ":1e+300")', () => {
    for (const p of ['1e300', '9007199254740993', '1e21']) {
      const body = JSON.parse(`[{"Node": {}, "Service": {"Port": ${p}}}]`);
      expect(() => parseHealthEntries(body, responseError), p).toThrow(
        'entry 0: Service.Port is not an integer',
      );
    }
  });
});

// -------------------------------------------------------------------------------------------
// Through the discoverer: a local Consul answering what the case says.

interface Answer {
  status?: number;
  body: string;
  /** Sent in pieces without Content-Length (chunked). */
  chunked?: boolean;
}

const MAX = 4096;
let server: Server;
let base = '';
let routes = new Map<string, Answer>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const a = routes.get(path) ?? { status: 404, body: 'not found' };
    res.statusCode = a.status ?? 200;
    res.setHeader('content-type', 'application/json');
    if (a.chunked === true) {
      for (let i = 0; i < a.body.length; i += 1000) res.write(a.body.slice(i, i + 1000));
      res.end();
    } else {
      res.end(a.body);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
});

function goodRoutes(): Map<string, Answer> {
  return new Map([
    ['/v1/agent/self', { body: '{"Config": {"Datacenter": "dc1"}}' }],
    ['/v1/catalog/services', { body: CATALOG_SEED }],
    ['/v1/health/service/web', { body: HEALTH_SEED }],
    ['/v1/health/service/db', { body: '[]' }],
    ['/v1/health/service/consul', { body: '[]' }],
  ]);
}

function discoverer(options: ConsulSdOptions = {}): ConsulDiscoverer {
  return new ConsulDiscoverer(parseEntry(consulMechanism, { server: base }), {
    requestTimeoutMs: 5_000,
    maxResponseBytes: MAX,
    ...options,
  });
}

const badBody: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
  healthLike.map((d) => JSON.stringify(d)),
  fc
    .dictionary(oddString, fc.oneof(fc.array(oddString, { maxLength: 3 }), anyJson))
    .map((d) => JSON.stringify(d)),
  edits(JSON_PIECES).map((l) => mutate(CATALOG_SEED, l)),
  edits(JSON_PIECES).map((l) => mutate(HEALTH_SEED, l)),
  fc.nat(2 * MAX).map((n) => `[${' '.repeat(n)}]`),
);
const answer: fc.Arbitrary<Answer> = fc.record(
  {
    status: fc.constantFrom(200, 200, 200, 404, 500, 429),
    body: badBody,
    chunked: fc.boolean(),
  },
  { requiredKeys: ['body'] },
);

describe('ConsulDiscoverer: bad answers are ConsulSdErrors and keep the last good groups', () => {
  it(
    'a bad agent/self or catalog answer throws ConsulSdError; a bad health answer keeps that service',
    async () => {
      const path = fc.constantFrom(
        '/v1/agent/self',
        '/v1/catalog/services',
        '/v1/health/service/web',
        '/v1/health/service/db',
      );
      await fc.assert(
        fc.asyncProperty(path, answer, async (where, bad) => {
          routes = goodRoutes();
          const d = discoverer();
          try {
            const good = await d.refresh();
            expect(good.errors).toEqual([]);
            routes.set(where, bad);
            // agent/self is asked once per discoverer: a fresh one sees the bad answer.
            const fresh = where === '/v1/agent/self' ? discoverer() : d;
            try {
              let after: Awaited<ReturnType<ConsulDiscoverer['refresh']>>;
              try {
                after = await fresh.refresh();
              } catch (err) {
                // Whole-refresh failures: JobDiscovery keeps the previous groups (registry tests).
                expect(err).toBeInstanceOf(ConsulSdError);
                expect(where).not.toMatch(/^\/v1\/health\//);
                return;
              }
              for (const err of after.errors) {
                // A per-service failure names its service and keeps that service's last group
                // (services new in a fuzzed catalog get 404 from the server, and had none).
                expect(err).toBeInstanceOf(ConsulSdError);
                const service = (err as ConsulSdError).service;
                expect(service).toBeTypeOf('string');
                if (where.startsWith('/v1/health/'))
                  expect(where).toBe(`/v1/health/service/${service}`);
                const before = good.groups.find((g) => g.source === service);
                expect(after.groups.find((g) => g.source === service)).toEqual(before);
              }
              if (fresh === d) {
                for (const g of after.groups) {
                  expectBounded([g], MAX, MAX + OVERHEAD);
                }
              }
            } finally {
              if (fresh !== d) await fresh.close();
            }
          } finally {
            await d.close();
          }
        }),
        fuzzParams(60),
      );
    },
    NETWORK_TIMEOUT_MS,
  );

  // Regression: a Content-Length over the cap used to end the process (an undici 'error' with
  // no listener); vitest fails the run on such an uncaught error.
  it('refuses an answer one byte over the limit, with or without Content-Length, naming the limit', async () => {
    const d = discoverer({ concurrency: 1 });
    try {
      for (const chunked of [false, true]) {
        routes = goodRoutes();
        routes.set('/v1/catalog/services', { body: `{${' '.repeat(MAX - 2)}}`, chunked });
        expect((await d.refresh()).groups).toEqual([]);
        routes.set('/v1/catalog/services', { body: `{${' '.repeat(MAX - 1)}}`, chunked });
        const err = await errorOf(ConsulSdError, () => d.refresh());
        expect(err?.code).toBe(ConsulSdErrorCode.tooLarge);
        expect(err?.message).toContain(`response larger than the limit of ${MAX} bytes`);
      }
    } finally {
      await d.close();
    }
  });
});

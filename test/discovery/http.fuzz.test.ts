/**
 * Fuzzing of http_sd responses (§10.3, issue 13): `parseHttpSdBody` returns target groups
 * bounded by the body or throws HttpSdParseProblem; through a real HTTP round trip a bad answer
 * (body, status, Content-Type, size) is an HttpSdError and JobDiscovery keeps the last targets.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HttpDiscoverer,
  HttpSdError,
  HttpSdErrorCode,
  HttpSdParseProblem,
  httpMechanism,
  parseHttpSdBody,
  URL_LABEL,
} from '../../src/discovery/http/index.js';
import { JobDiscovery } from '../../src/discovery/registry.js';
import type { TargetGroup } from '../../src/discovery/types.js';
import { errorOf, fuzzParams } from '../support/fuzz.js';
import { edits, expectBounded, groupsLike, JSON_PIECES, mutate } from './fuzz-inputs.js';
import { parseEntry, sdJob } from './sd-config.js';

/** Each case is a few HTTP round trips: at LAMBDASCRAPE_FUZZ_SCALE=20 on a loaded machine
 * this property can outlast vitest's 30 s default timeout. */
const NETWORK_TIMEOUT_MS = 300_000;

const URL = 'http://sd.example:8080/targets?x=1';
const utf8 = new TextDecoder('utf-8');

/** Parses a body and checks the result; a parse problem is fine, anything else fails. */
async function parseChecked(text: string): Promise<void> {
  let groups: TargetGroup[] = [];
  const problem = await errorOf(HttpSdParseProblem, () => {
    groups = parseHttpSdBody(URL, URL, text);
  });
  if (problem !== undefined) {
    expect(problem.message).not.toBe('');
    return;
  }
  expectBounded(groups, text.length, Math.max(text.length, URL.length, URL_LABEL.length));
  groups.forEach((g, i) => {
    if (g.source !== `${URL}:${i}` || g.labels[URL_LABEL] !== URL) {
      expect(g).toMatchObject({ source: `${URL}:${i}`, labels: { [URL_LABEL]: URL } });
    }
  });
}

const SEEDS = [
  JSON.stringify([
    { targets: ['10.0.10.2:9100', '10.0.10.3:9100'], labels: { __meta_datacenter: 'london' } },
    { targets: ['10.0.40.2:9100'], labels: { job: 'node', x: null } },
    { targets: null, labels: null },
  ]),
  '[{"Targets": ["a:1"], "LABELS": {"k": "v"}}, {"labels": {"\\ud800": "\\udc00"}}]',
  'null',
];

describe('parseHttpSdBody: untrusted bodies', () => {
  it('random strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), parseChecked),
      fuzzParams(300),
    );
  });

  it('random bytes, decoded as the discoverer decodes them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), (bytes) =>
        parseChecked(utf8.decode(bytes)),
      ),
      fuzzParams(200),
    );
  });

  it('random JSON text (fc.json)', async () => {
    await fc.assert(fc.asyncProperty(fc.json({ maxDepth: 5 }), parseChecked), fuzzParams(300));
  });

  it('random JSON shaped like target groups', async () => {
    await fc.assert(
      fc.asyncProperty(groupsLike, (doc) => parseChecked(JSON.stringify(doc))),
      fuzzParams(300),
    );
  });

  it('mutated valid bodies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SEEDS), edits(JSON_PIECES), (seed, list) =>
        parseChecked(mutate(seed, list)),
      ),
      fuzzParams(400),
    );
  });

  it.each<[string, string]>([
    ['deep nesting', `${'['.repeat(300_000)}${']'.repeat(300_000)}`],
    [
      'deep nesting in a label value',
      `[{"labels": {"a": ${'{"b":'.repeat(200_000)}1${'}'.repeat(200_000)}}}]`,
    ],
    ['unclosed nesting', '[{"targets": ['.repeat(200_000)],
    ['a huge string', `[{"targets": ["${'x'.repeat(8_000_000)}"]}]`],
    ['many targets', `[{"targets": [${'"a:1",'.repeat(500_000)}null]}]`],
    ['many groups', `[${'{},'.repeat(200_000)}{"targets": []}]`],
    [
      'many labels',
      `[{"labels": {${Array.from({ length: 200_000 }, (_, i) => `"k${i}":"v"`).join(',')}}}]`,
    ],
    ['many escapes', `[{"targets": ["${'\\ud800'.repeat(500_000)}"]}]`],
  ])('pathological body: %s, in linear time', async (_name, text) => {
    const start = Date.now();
    await parseChecked(text);
    expect(Date.now() - start).toBeLessThan(5_000);
  });
});

// -------------------------------------------------------------------------------------------
// Through the discoverer: a local server answering what the case says.

interface Answer {
  status?: number;
  contentType?: string;
  body: string | Buffer;
  gzip?: boolean;
}

const MAX = 4096;
const GOOD = SEEDS[0]!;
let server: Server;
let base = '';
let answer: Answer = { body: GOOD };

beforeAll(async () => {
  server = createServer((_req, res) => {
    const a = answer;
    const headers: Record<string, string> = {
      'content-type': a.contentType ?? 'application/json',
    };
    let body = typeof a.body === 'string' ? Buffer.from(a.body) : a.body;
    if (a.gzip === true) {
      headers['content-encoding'] = 'gzip';
      body = gzipSync(body);
    }
    res.writeHead(a.status ?? 200, headers);
    res.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
});

const answers: fc.Arbitrary<Answer> = fc.oneof(
  fc.record({ body: fc.string({ unit: 'binary', maxLength: 200 }) }),
  fc.record({ body: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) }),
  fc.record({ body: groupsLike.map((d) => JSON.stringify(d)) }),
  fc.record({
    body: fc.tuple(fc.constantFrom(...SEEDS), edits(JSON_PIECES)).map(([s, l]) => mutate(s, l)),
  }),
  fc.record({
    body: fc.constant(GOOD),
    status: fc.constantFrom(201, 204, 301, 400, 404, 500, 503),
  }),
  fc.record({
    body: fc.constant(GOOD),
    contentType: fc.oneof(
      fc.constantFrom('text/plain', 'application/json; charset=latin1', 'application/jsonx', ''),
      fc.string({ maxLength: 30 }).filter((s) => /^[\t\x20-\x7e]*$/.test(s)),
    ),
  }),
  fc.record({
    body: fc.nat(3 * MAX).map((n) => `[${' '.repeat(n)}]`),
    gzip: fc.boolean(),
  }),
);

describe('HttpDiscoverer: bad answers are HttpSdErrors, JobDiscovery keeps the last targets', () => {
  it(
    'random answers: the new groups or an HttpSdError and the previous groups',
    async () => {
      const job = sdJob('http_sd_configs', [{ url: `${base}/sd` }], { jobName: 'sd' });
      const discovery = new JobDiscovery(job, { http: { maxBodyBytes: MAX } }, [httpMechanism]);
      try {
        answer = { body: GOOD };
        const good = await discovery.refresh({ force: true });
        expect(good.errors).toEqual([]);
        await fc.assert(
          fc.asyncProperty(answers, async (a) => {
            answer = { body: GOOD };
            await discovery.refresh({ force: true });
            answer = a;
            const after = await discovery.refresh({ force: true });
            if (after.errors.length === 0) return;
            expect(after.errors).toHaveLength(1);
            expect(after.errors[0]!.cause).toBeInstanceOf(HttpSdError);
            expect(after.groups).toEqual(good.groups);
          }),
          fuzzParams(60),
        );
      } finally {
        await discovery.close();
      }
    },
    NETWORK_TIMEOUT_MS,
  );

  it('refuses a body one byte over the limit, plain or gzipped, naming the limit', async () => {
    const d = new HttpDiscoverer(parseEntry(httpMechanism, { url: `${base}/sd` }), {
      maxBodyBytes: MAX,
    });
    try {
      // A valid body: only the cap can refuse it.
      const exact = `[${' '.repeat(MAX - 2)}]`;
      const over = `[${' '.repeat(MAX - 1)}]`;
      for (const gzip of [false, true]) {
        answer = { body: exact, gzip };
        expect((await d.refresh()).groups).toEqual([]);
        answer = { body: over, gzip };
        const err = await errorOf(HttpSdError, () => d.refresh());
        expect(err?.code).toBe(HttpSdErrorCode.tooLarge);
        expect(err?.message).toContain(`larger than the limit of ${MAX} bytes`);
      }
      // A gzip bomb stops at the limit too.
      answer = { body: ' '.repeat(4 * 1024 * 1024), gzip: true };
      expect((await errorOf(HttpSdError, () => d.refresh()))?.code).toBe(HttpSdErrorCode.tooLarge);
    } finally {
      await d.close();
    }
  });
});

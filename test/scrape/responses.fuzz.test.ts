/**
 * Fuzz: what a scrape target answers — status, Content-Type, Content-Encoding and the body,
 * plain or gzip, whole or truncated — over a real HTTP connection, under the job's limits.
 *
 * Contract under test (§4, §6.3, decision 2): `scrapeTarget` never throws for anything the target
 * does; a failed scrape has `up` 0, a non-empty reason and no samples of its own (only the report
 * series and stale markers for what the previous good scrape produced); a good scrape holds at
 * most one sample per body line; `body_size_limit` holds on the decoded size (a gzip bomb is
 * refused, not inflated) and `sample_limit` on the samples kept.
 */
import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTargets } from '../../src/cli/job-targets.js';
import { loadConfig } from '../../src/config/index.js';
import { createDispatcher } from '../../src/http/client.js';
import { formatSeries } from '../../src/model/labels.js';
import { REPORT_SERIES } from '../../src/scrape/report.js';
import {
  prepareScrapeJob,
  type ScrapeResult,
  scrapeTarget,
  TargetScrapeCache,
} from '../../src/scrape/scrape.js';
import { EMPTY_SCRAPE_STATE, type ScrapeState } from '../../src/scrape/state.js';
import { fuzzParams } from '../support/fuzz.js';

interface Answer {
  status: number;
  contentType: string | undefined;
  encoding: string | undefined;
  body: Uint8Array;
}

let server: Server;
let port: number;
let answer: Answer;

beforeAll(async () => {
  server = createServer((_req, res) => {
    const headers: Record<string, string> = {};
    if (answer.contentType !== undefined) headers['content-type'] = answer.contentType;
    if (answer.encoding !== undefined) headers['content-encoding'] = answer.encoding;
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const LIMITS = { bodySizeLimit: 4096, sampleLimit: 20 };

async function job(limits = '') {
  const config = loadConfig(
    `
scrape_configs:
  - job_name: fuzz
    scrape_timeout: 2s
    fallback_scrape_protocol: PrometheusText0.0.4
${limits}
    static_configs:
      - targets: ['127.0.0.1:${port}']
`,
    { sourcePath: 'fuzz.yml' },
  );
  const [resolved] = await resolveTargets(config);
  const target = resolved!.active[0]!;
  const dispatcher: Dispatcher = await createDispatcher(resolved!.job.httpClient);
  return {
    target,
    scrapeJob: prepareScrapeJob(resolved!.job, dispatcher),
    memory: new TargetScrapeCache(target, resolved!.job.extraScrapeMetrics),
    close: () => dispatcher.close(),
  };
}

const GOOD_BODY = '# TYPE a counter\na_total{x="1"} 1\nb 2\nc{y="z"} 3\n';
const SEEDS = [
  GOOD_BODY,
  '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n# EOF\n',
  '{"u.t.f", a="b"} 1 1700000000000\n',
];
const CONTENT_TYPES = [
  'text/plain; version=0.0.4',
  'application/openmetrics-text; version=1.0.0',
  'application/openmetrics-text',
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
  'text/html',
  'text/plain; version',
  '',
];

const text = new TextEncoder();
const contentType = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(...CONTENT_TYPES),
  // Node's server refuses control characters in a header value; every other byte goes.
  fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((s) => s.replace(/[\0-\x1f\x7f]/g, ' ')),
);
const rawBody = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc.string({ unit: 'binary', maxLength: 300 }).map((s) => text.encode(s)),
  fc
    .tuple(fc.constantFrom(...SEEDS), fc.nat(), fc.string({ maxLength: 8 }))
    .map(([seed, at, piece]) => {
      const i = at % (seed.length + 1);
      return text.encode(seed.slice(0, i) + piece + seed.slice(i));
    }),
  // Many lines: beyond sample_limit, and sometimes beyond body_size_limit.
  fc.integer({ min: 1, max: 600 }).map((n) => text.encode('m{i="x"} 1\n'.repeat(n))),
);
const answerArb: fc.Arbitrary<Answer> = fc
  .record({
    status: fc.constantFrom(200, 200, 200, 204, 301, 404, 500, 503),
    contentType,
    body: rawBody,
    encoding: fc.constantFrom(undefined, 'gzip', 'gzip-broken', 'gzip-truncated', 'br', 'GZIP'),
  })
  .map(({ status, contentType, body, encoding }) => {
    if (encoding === 'gzip') return { status, contentType, encoding, body: gzipSync(body) };
    if (encoding === 'gzip-truncated') {
      const z = gzipSync(body);
      return { status, contentType, encoding: 'gzip', body: z.subarray(0, z.length >> 1) };
    }
    if (encoding === 'gzip-broken') return { status, contentType, encoding: 'gzip', body };
    return { status, contentType, encoding, body };
  });

/** The samples of a result that are neither report series nor stale markers. */
function ownSamples(result: ScrapeResult): string[] {
  const report = new Set(REPORT_SERIES.map((s) => s.name));
  const b = result.batch;
  const out: string[] = [];
  for (let i = 0; i < b.length; i++) {
    const labels = b.entries[i]!.labels;
    const name = labels.find((l) => l.name === '__name__')?.value ?? '';
    if (!b.stale[i] && !report.has(name)) out.push(formatSeries(labels));
  }
  return out;
}

function staleSeries(result: ScrapeResult): string[] {
  const b = result.batch;
  const out: string[] = [];
  for (let i = 0; i < b.length; i++) if (b.stale[i]) out.push(formatSeries(b.entries[i]!.labels));
  return out.sort();
}

describe('scrape responses (fuzz)', () => {
  it('never throws; failures are up 0 with a reason and no samples; limits hold', async () => {
    const j = await job(
      `    body_size_limit: ${LIMITS.bodySizeLimit}B\n    sample_limit: ${LIMITS.sampleLimit}`,
    );
    let t = 1_700_000_000_000;
    let state: ScrapeState = EMPTY_SCRAPE_STATE;
    const seen = { up: 0, down: 0 };
    await fc.assert(
      fc.asyncProperty(answerArb, async (a) => {
        answer = a;
        t += 15_000;
        const r = await scrapeTarget(j.scrapeJob, j.target, j.memory, state, { scrapeTimeMs: t });
        state = r.state;
        const own = ownSamples(r);
        if (r.up) {
          seen.up++;
          expect(r.error).toBeUndefined();
          expect(own.length).toBeLessThanOrEqual(LIMITS.sampleLimit);
        } else {
          seen.down++;
          expect(r.error).toMatch(/\S/);
          expect(own).toEqual([]);
        }
        expect(r.report.bodySizeBytes).toBeLessThan(LIMITS.bodySizeLimit);
      }),
      fuzzParams(300),
    );
    await j.close();
    // Both outcomes were exercised, so neither branch above is vacuous.
    expect(seen.up).toBeGreaterThan(0);
    expect(seen.down).toBeGreaterThan(0);
  });

  it('a failed scrape after a good one marks exactly the good scrape’s series stale', async () => {
    const j = await job();
    let t = 1_700_000_000_000;
    await fc.assert(
      fc.asyncProperty(
        answerArb.filter((a) => a.status !== 200),
        async (bad) => {
          answer = {
            status: 200,
            contentType: CONTENT_TYPES[0],
            encoding: undefined,
            body: text.encode(GOOD_BODY),
          };
          t += 15_000;
          const good = await scrapeTarget(j.scrapeJob, j.target, j.memory, EMPTY_SCRAPE_STATE, {
            scrapeTimeMs: t,
          });
          expect(good.up).toBe(true);
          answer = bad;
          t += 15_000;
          const failed = await scrapeTarget(j.scrapeJob, j.target, j.memory, good.state, {
            scrapeTimeMs: t,
          });
          expect(failed.up).toBe(false);
          expect(staleSeries(failed)).toEqual(ownSamples(good).sort());
        },
      ),
      fuzzParams(60),
    );
    await j.close();
  });

  it('gzip bombs stop at body_size_limit instead of inflating', async () => {
    const j = await job(`    body_size_limit: ${LIMITS.bodySizeLimit}B`);
    // Compressed once (the cost of the test, not of the product): 1, 16 and 64 MiB of spaces.
    const bombs = [1, 16, 64].map((mebibytes) => gzipSync(Buffer.alloc(mebibytes << 20, 0x20)));
    let t = 1_700_000_000_000;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...bombs), fc.nat(64), async (bomb, junk) => {
        // Trailing bytes after the gzip member vary the input without changing what it inflates to.
        answer = {
          status: 200,
          contentType: CONTENT_TYPES[0],
          encoding: 'gzip',
          body: Buffer.concat([bomb, Buffer.alloc(junk)]),
        };
        t += 15_000;
        const before = process.memoryUsage().arrayBuffers;
        const r = await scrapeTarget(j.scrapeJob, j.target, j.memory, EMPTY_SCRAPE_STATE, {
          scrapeTimeMs: t,
        });
        expect(r.error).toBe('body size limit exceeded');
        // The decoded body was never held: far less than one MiB of new buffers survives.
        expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
      }),
      fuzzParams(10),
    );
    await j.close();
  });
});

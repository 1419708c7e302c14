/**
 * Native histograms end to end: a target exposes them over protobuf, `lambdascrape run` scrapes
 * it with `scrape_native_histograms: true` and remote-writes (1.0 `Histogram` messages, with
 * `send_native_histograms: true` as Prometheus asks) into the
 * real Prometheus of this machine started with its `native-histograms` feature, and its query
 * API gives back the same histograms: count, sum and every bucket with its bounds, computed here
 * from the schema independently of the code under test. Then the target stops exposing one, and
 * Prometheus sees it go stale.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { LocalRunner } from '../../src/local/runner.js';
import { createLogger } from '../../src/log/logger.js';
import { encodeFamilies, type FamilyObject } from '../exposition/protobuf-encoder.js';
import { pollUntil } from '../support/poll.js';
import { binaryAvailable, type RestartableProcess, startPrometheus } from '../support/processes.js';

const PROMETHEUS = '/usr/bin/prometheus';
const available = binaryAvailable(PROMETHEUS);
const title = available
  ? 'native histograms from a protobuf target into a real Prometheus'
  : `native histograms into Prometheus (SKIPPED: ${PROMETHEUS} not installed)`;

const PROTO_TYPE =
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

/**
 * An integer histogram at schema 1: zero bucket (threshold 0.001) with 2, negative bucket
 * index 1 with 1, positive indexes -1, 0 (span 1) and 3 (span 2 after a gap of 2) with 1, 3, 4.
 */
const LATENCY: FamilyObject = {
  name: 'rt_latency_seconds',
  help: 'Latency.',
  type: 'HISTOGRAM',
  metric: [
    {
      label: [{ name: 'path', value: '/a' }],
      histogram: {
        sampleCount: 11,
        sampleSum: 7.25,
        schema: 1,
        zeroThreshold: 0.001,
        zeroCount: 2,
        negativeSpan: [{ offset: 1, length: 1 }],
        negativeDelta: [1],
        positiveSpan: [
          { offset: -1, length: 2 },
          { offset: 2, length: 1 },
        ],
        positiveDelta: [1, 2, 1], // counts 1, 3, 4
      },
    },
  ],
};

/** A float gauge histogram at schema 0: buckets 1 and 2 with 2.5 and 0.5. */
const QUEUE: FamilyObject = {
  name: 'rt_queue_depth',
  type: 'GAUGE_HISTOGRAM',
  metric: [
    {
      histogram: {
        sampleCountFloat: 3,
        sampleSum: 9.5,
        schema: 0,
        zeroThreshold: 1e-128,
        positiveSpan: [{ offset: 1, length: 2 }],
        positiveCount: [2.5, 0.5],
      },
    },
  ],
};

const COUNTER: FamilyObject = {
  name: 'rt_requests_total',
  type: 'COUNTER',
  metric: [{ counter: { value: 5 } }],
};

/** Upper bound of exponential bucket `index` at `schema`. */
const bound = (index: number, schema: number): number => round(2 ** (index * 2 ** -schema));

interface PromHistogram {
  count: string;
  sum: string;
  buckets?: [number, string, string, string][];
}

/**
 * Buckets as Prometheus's API lists them: [lower, upper, count], lowest first, the bounds to 12
 * significant digits (Prometheus takes them from a table, this test from a power: they differ in
 * the last bit).
 */
const buckets = (h: PromHistogram): [number, number, number][] =>
  (h.buckets ?? []).map(([, lo, hi, c]) => [round(Number(lo)), round(Number(hi)), Number(c)]);
const round = (n: number): number => Number(n.toPrecision(12));

async function histogramsAt(
  base: string,
  query: string,
  timeSec?: number,
): Promise<{ metric: Record<string, string>; histogram: [number, PromHistogram] }[]> {
  const u = new URL('/api/v1/query', base);
  u.searchParams.set('query', query);
  if (timeSec !== undefined) u.searchParams.set('time', String(timeSec));
  const body = (await (await fetch(u)).json()) as {
    status: string;
    data: { result: { metric: Record<string, string>; histogram: [number, PromHistogram] }[] };
  };
  if (body.status !== 'success') throw new Error(`query failed: ${JSON.stringify(body)}`);
  return body.data.result;
}

describe.runIf(available)(title, () => {
  let prometheus: RestartableProcess;
  let target: Server;
  let runner: LocalRunner;
  let families: FamilyObject[] = [LATENCY, QUEUE, COUNTER];
  const log: string[] = [];

  beforeAll(async () => {
    target = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': PROTO_TYPE });
      res.end(Buffer.from(encodeFamilies(families)));
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const port = (target.address() as { port: number }).port;
    prometheus = await startPrometheus('global: {}\n', { features: ['native-histograms'] });
    runner = new LocalRunner({
      config: loadConfig(
        `
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: nh
    scrape_native_histograms: true
    static_configs:
      - targets: ['127.0.0.1:${port}']
remote_write:
  - url: ${prometheus.url}/api/v1/write
    send_native_histograms: true
`,
        { sourcePath: 'e2e-native-histograms.yml' },
      ),
      listen: { host: '127.0.0.1', port: 0 },
      logger: createLogger({ level: 'info', write: (line) => log.push(line) }),
      flushTimeoutMs: 3_000,
    });
    await runner.start();
  }, 60_000);

  afterAll(async () => {
    await runner?.stop();
    await prometheus?.stop();
    target?.closeAllConnections();
    await new Promise((r) => target?.close(r));
  });

  it('Prometheus stores them and gives back every bucket', async () => {
    const [latency] = await pollUntil(
      async () => {
        const r = await histogramsAt(prometheus.url, 'rt_latency_seconds');
        return r.length === 1 ? r : undefined;
      },
      { what: 'the integer histogram stored', timeoutMs: 30_000, describe: () => log.join('') },
    );
    expect(latency!.metric).toEqual({
      __name__: 'rt_latency_seconds',
      instance: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      job: 'nh',
      path: '/a',
    });
    const h = latency!.histogram[1];
    expect(Number(h.count)).toBe(11);
    expect(Number(h.sum)).toBe(7.25);
    expect(buckets(h)).toEqual([
      [-bound(1, 1), -bound(0, 1), 1],
      [-0.001, 0.001, 2],
      [bound(-2, 1), bound(-1, 1), 1],
      [bound(-1, 1), bound(0, 1), 3],
      [bound(2, 1), bound(3, 1), 4],
    ]);

    const [queue] = await histogramsAt(prometheus.url, 'rt_queue_depth');
    expect(Number(queue!.histogram[1].count)).toBe(3);
    expect(Number(queue!.histogram[1].sum)).toBe(9.5);
    expect(buckets(queue!.histogram[1])).toEqual([
      [bound(0, 0), bound(1, 0), 2.5],
      [bound(1, 0), bound(2, 0), 0.5],
    ]);
    // Beside them, the float series and the report series as ever.
    const count = await histogramsAt(prometheus.url, 'histogram_count(rt_latency_seconds)');
    expect(count).toHaveLength(1);
  }, 45_000);

  it('a histogram the target stops exposing goes stale', async () => {
    expect(await histogramsAt(prometheus.url, 'rt_latency_seconds')).toHaveLength(1);
    families = [QUEUE, COUNTER];
    await pollUntil(
      async () =>
        (await histogramsAt(prometheus.url, 'rt_latency_seconds')).length === 0 ? true : undefined,
      { what: 'the histogram series stale', timeoutMs: 20_000, describe: () => log.join('') },
    );
    // The other histogram is still there.
    expect(await histogramsAt(prometheus.url, 'rt_queue_depth')).toHaveLength(1);
  }, 30_000);
});

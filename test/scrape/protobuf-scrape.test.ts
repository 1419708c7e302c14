/**
 * Scraping the protobuf format against a local HTTP server: the Accept header of
 * `scrape_protocols` and `scrape_native_histograms` (§1.4), Content-Type selection with
 * `fallback_scrape_protocol` (§4.4), and how the append path stores native histograms (§5.3):
 * limits, validation, exemplars, start timestamps and staleness.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTargets } from '../../src/cli/job-targets.js';
import { loadConfig } from '../../src/config/index.js';
import { createDispatcher } from '../../src/http/client.js';
import { formatSeries } from '../../src/model/labels.js';
import {
  prepareScrapeJob,
  type ScrapeJobOptions,
  type ScrapeResult,
  scrapeTarget,
  TargetScrapeCache,
} from '../../src/scrape/scrape.js';
import { EMPTY_SCRAPE_STATE, type ScrapeState } from '../../src/scrape/state.js';
import { encodeFamilies, type FamilyObject } from '../exposition/protobuf-encoder.js';

const PROTO_TYPE =
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
const TEXT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A counter and a histogram with classic buckets and a native part, in both formats. */
const FAMILIES: FamilyObject[] = [
  {
    name: 'requests_total',
    help: 'Requests.',
    type: 'COUNTER',
    metric: [{ label: [{ name: 'code', value: '200' }], counter: { value: 7 } }],
  },
  {
    name: 'latency_seconds',
    help: 'Latency.',
    type: 'HISTOGRAM',
    metric: [
      {
        histogram: {
          sampleCount: 3,
          sampleSum: 1.5,
          bucket: [
            { cumulativeCount: 1, upperBound: 0.1 },
            { cumulativeCount: 3, upperBound: 1 },
          ],
          schema: 0,
          zeroThreshold: 1e-128,
          positiveSpan: [{ offset: 0, length: 1 }],
          positiveDelta: [3],
        },
      },
    ],
  },
];
const PROTO_BODY = Buffer.from(encodeFamilies(FAMILIES));
const TEXT_BODY = [
  '# HELP requests_total Requests.',
  '# TYPE requests_total counter',
  'requests_total{code="200"} 7',
  '# HELP latency_seconds Latency.',
  '# TYPE latency_seconds histogram',
  'latency_seconds_bucket{le="0.1"} 1',
  'latency_seconds_bucket{le="1"} 3',
  'latency_seconds_bucket{le="+Inf"} 3',
  'latency_seconds_sum 1.5',
  'latency_seconds_count 3',
  '',
].join('\n');

const COUNTER = 'requests_total{code="200"} 7';
const CLASSIC = [
  'latency_seconds_bucket{le="+Inf"} 3',
  'latency_seconds_bucket{le="0.1"} 1',
  'latency_seconds_bucket{le="1.0"} 3',
  'latency_seconds_count 3',
  'latency_seconds_sum 1.5',
];

interface Reply {
  contentType?: string | undefined;
  body: Buffer | string;
}

let server: Server;
let port: number;
const replies = new Map<string, (req: IncomingMessage) => Reply>();
const accepts = new Map<string, string>();

/** The media type with the highest q in an Accept header, among those this server speaks. */
function negotiate(accept: string): 'proto' | 'text' {
  let best: 'proto' | 'text' = 'text';
  let bestQ = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';');
    const q = Number(
      params
        .find((p) => p.trim().startsWith('q='))
        ?.trim()
        .slice(2) ?? '1',
    );
    const kind = type!.trim() === 'application/vnd.google.protobuf' ? 'proto' : 'text';
    if (q > bestQ) {
      best = kind;
      bestQ = q;
    }
  }
  return best;
}

/** Answers like client_golang's promhttp: protobuf when the Accept header prefers it. */
const negotiating = (req: IncomingMessage): Reply =>
  negotiate(req.headers.accept ?? '') === 'proto'
    ? { contentType: PROTO_TYPE, body: PROTO_BODY }
    : { contentType: TEXT_TYPE, body: TEXT_BODY };

beforeAll(async () => {
  server = createServer((req, res) => {
    accepts.set(req.url ?? '', req.headers.accept ?? '');
    const reply = replies.get(req.url ?? '')?.(req);
    if (reply === undefined) {
      res.writeHead(404).end();
      return;
    }
    if (reply.contentType === undefined) res.removeHeader('content-type');
    else res.setHeader('content-type', reply.contentType);
    res.writeHead(200);
    res.end(reply.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

let paths = 0;

/** Scrapes a fresh path answered by `reply` once with a job configured by `jobYaml`. */
async function scrapeOnce(
  reply: (req: IncomingMessage) => Reply,
  jobYaml = '',
  globalYaml = '',
): Promise<{ result: ScrapeResult; accept: string }> {
  const [result] = await scrapeInTurn([reply], jobYaml, globalYaml);
  // scrapeInTurn took the newest path.
  return { result: result!, accept: accepts.get(`/m${paths}`) ?? '' };
}

/**
 * Scrapes a fresh path once per reply, in turn, as one target keeps doing it: the same scrape
 * cache, each scrape's state handed to the next, scrape times 15 s apart.
 */
async function scrapeInTurn(
  turns: readonly ((req: IncomingMessage) => Reply)[],
  jobYaml = '',
  globalYaml = '',
  jobOptions: ScrapeJobOptions = {},
): Promise<ScrapeResult[]> {
  const path = `/m${++paths}`;
  let turn = 0;
  replies.set(path, (req) => turns[Math.min(turn, turns.length - 1)]!(req));
  const config = loadConfig(
    `
global:
  scrape_interval: 15s
${globalYaml}
scrape_configs:
  - job_name: test
    metrics_path: ${path}
    static_configs:
      - targets: ['127.0.0.1:${port}']
${jobYaml}
`,
    { sourcePath: 'test.yml' },
  );
  const [resolved] = await resolveTargets(config);
  const target = resolved!.active[0]!;
  const dispatcher: Dispatcher = await createDispatcher(resolved!.job.httpClient);
  try {
    const job = prepareScrapeJob(resolved!.job, dispatcher, jobOptions);
    const memory = new TargetScrapeCache(target, false);
    const results: ScrapeResult[] = [];
    let state: ScrapeState = EMPTY_SCRAPE_STATE;
    const t0 = Date.now() - 60_000;
    for (; turn < turns.length; turn++) {
      const result = await scrapeTarget(job, target, memory, state, {
        scrapeTimeMs: t0 + turn * 15_000,
      });
      results.push(result);
      state = result.state;
    }
    return results;
  } finally {
    await dispatcher.close();
  }
}

/**
 * The scraped samples (report series left out) as `series value`, sorted; a native histogram's
 * value is `{count=…,sum=…,schema=…,buckets=…}` and a stale marker's `stale`.
 */
function samples(result: ScrapeResult): string[] {
  const report = /^(up|scrape_[a-z_]+)$/;
  const out: string[] = [];
  const b = result.batch;
  for (let i = 0; i < b.length; i++) {
    const labels = b.entries[i]!.labels.filter((l) => l.name !== 'job' && l.name !== 'instance');
    const name = labels.find((l) => l.name === '__name__')?.value ?? '';
    const h = b.histograms.get(i);
    const value =
      b.stale[i] === 1
        ? 'stale'
        : h === undefined
          ? String(b.values[i])
          : `{count=${h.count},sum=${h.sum},schema=${h.schema},buckets=${h.positiveBuckets.join('/')}}`;
    if (!report.test(name)) out.push(`${formatSeries(labels)} ${value}`);
  }
  return out.sort();
}

const DEFAULT_ACCEPT =
  'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
const PROTO_FIRST_ACCEPT =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1';

describe('negotiation: the Accept header decides what an exporter sends (§1.4)', () => {
  it.each<{
    name: string;
    job?: string;
    global?: string;
    accept: string;
    format: 'proto' | 'text';
  }>([
    { name: 'default: text formats only', accept: DEFAULT_ACCEPT, format: 'text' },
    {
      name: 'scrape_native_histograms: protobuf first, as Prometheus 3',
      job: '    scrape_native_histograms: true',
      accept: PROTO_FIRST_ACCEPT,
      format: 'proto',
    },
    {
      name: 'scrape_native_histograms from global: protobuf first',
      global: '  scrape_native_histograms: true',
      accept: PROTO_FIRST_ACCEPT,
      format: 'proto',
    },
    {
      name: "scrape_protocols in Prometheus 3's native-histogram order: protobuf first",
      job: '    scrape_native_histograms: true\n    scrape_protocols: [PrometheusProto, OpenMetricsText1.0.0, OpenMetricsText0.0.1, PrometheusText1.0.0, PrometheusText0.0.4]',
      accept: PROTO_FIRST_ACCEPT,
      format: 'proto',
    },
    {
      name: "a global scrape_protocols wins over scrape_native_histograms' default",
      job: '    scrape_native_histograms: true',
      global: '  scrape_protocols: [PrometheusText0.0.4]',
      accept: 'text/plain;version=0.0.4;q=0.6,*/*;q=0.5',
      format: 'text',
    },
    {
      name: 'scrape_protocols written out, protobuf second',
      job: '    scrape_protocols: [PrometheusText1.0.0, PrometheusProto]',
      accept:
        'text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6,application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5,*/*;q=0.4',
      format: 'text',
    },
    {
      name: 'scrape_protocols: [PrometheusProto] alone',
      job: '    scrape_protocols: [PrometheusProto]',
      accept:
        'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,*/*;q=0.5',
      format: 'proto',
    },
  ])('$name', async ({ job, global, accept, format }) => {
    const got = await scrapeOnce(negotiating, job, global);
    expect(got.accept).toBe(accept);
    expect(got.result.error).toBeUndefined();
    expect(negotiate(got.accept)).toBe(format);
  });

  it('reads the same samples from either format (native parts ignored)', async () => {
    const text = await scrapeOnce(() => ({ contentType: TEXT_TYPE, body: TEXT_BODY }));
    const proto = await scrapeOnce(() => ({ contentType: PROTO_TYPE, body: PROTO_BODY }));
    expect(samples(proto.result)).toEqual(samples(text.result));
    expect(samples(proto.result)).toEqual([...CLASSIC, COUNTER].sort());
    expect(proto.result.report.samplesScraped).toBe(6);
  });
});

describe('Content-Type and fallback_scrape_protocol (§4.4)', () => {
  it.each<{ name: string; reply: Reply; job?: string; error?: RegExp }>([
    {
      name: 'a missing Content-Type fails the scrape',
      reply: { contentType: undefined, body: PROTO_BODY },
      error:
        /non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol/,
    },
    {
      name: 'a missing Content-Type with fallback PrometheusProto reads protobuf',
      reply: { contentType: undefined, body: PROTO_BODY },
      job: '    fallback_scrape_protocol: PrometheusProto',
    },
    {
      name: 'an invalid Content-Type fails the scrape',
      reply: { contentType: 'application/vnd.google.protobuf; proto', body: PROTO_BODY },
      error: /cannot parse Content-Type .* and no fallback_scrape_protocol for target/,
    },
    {
      name: 'an invalid Content-Type with a fallback uses it',
      reply: { contentType: 'application/vnd.google.protobuf; proto', body: PROTO_BODY },
      job: '    fallback_scrape_protocol: PrometheusProto',
    },
    {
      name: 'an unsupported Content-Type with fallback PrometheusProto',
      reply: { contentType: 'application/octet-stream', body: PROTO_BODY },
      job: '    fallback_scrape_protocol: PrometheusProto',
    },
    {
      name: 'the protobuf Content-Type wins over a text fallback',
      reply: { contentType: PROTO_TYPE, body: PROTO_BODY },
      job: '    fallback_scrape_protocol: PrometheusText0.0.4',
    },
    {
      name: 'a text body labelled protobuf fails to parse',
      reply: { contentType: PROTO_TYPE, body: TEXT_BODY },
      error: /^metric family 1 \(byte 0\): /,
    },
  ])('$name', async ({ reply, job, error }) => {
    const { result } = await scrapeOnce(() => reply, job);
    if (error === undefined) {
      expect(result.error).toBeUndefined();
      expect(samples(result)).toEqual([...CLASSIC, COUNTER].sort());
    } else {
      expect(result.up).toBe(false);
      expect(result.error).toMatch(error);
      expect(samples(result)).toEqual([]);
    }
  });
});

const NATIVE = 'latency_seconds {count=3,sum=1.5,schema=0,buckets=3}';

describe('native histograms are stored (§5.3)', () => {
  it.each<{ name: string; job: string; want: string[] }>([
    {
      name: 'scrape_native_histograms: the native histogram replaces the classic series',
      job: '    scrape_native_histograms: true',
      want: [NATIVE, COUNTER].sort(),
    },
    {
      name: 'always_scrape_classic_histograms keeps the classic series beside it',
      job: '    scrape_native_histograms: true\n    always_scrape_classic_histograms: true',
      want: [...CLASSIC, NATIVE, COUNTER].sort(),
    },
    {
      name: 'a target label turns native histograms off again (Prometheus 3)',
      job: [
        '    scrape_protocols: [PrometheusProto]',
        '    scrape_native_histograms: true',
        '    relabel_configs:',
        '      - target_label: __scrape_native_histograms__',
        '        replacement: "false"',
      ].join('\n'),
      want: [...CLASSIC, COUNTER].sort(),
    },
    {
      name: 'convert_classic_histograms_to_nhcb: one histogram with custom buckets',
      job: '    scrape_protocols: [PrometheusProto]\n    convert_classic_histograms_to_nhcb: true',
      want: ['latency_seconds {count=3,sum=1.5,schema=-53,buckets=1/1}', COUNTER].sort(),
    },
  ])('$name', async ({ job, want }) => {
    const { result } = await scrapeOnce(negotiating, job);
    expect(result.error).toBeUndefined();
    expect(samples(result)).toEqual(want);
    // A histogram is one sample, scraped and kept.
    expect(result.report.samplesScraped).toBe(want.length);
    expect(result.report.samplesPostMetricRelabeling).toBe(want.length);
  });
});

/** A protobuf reply of these families. */
const proto = (families: FamilyObject[]) => (): Reply => ({
  contentType: PROTO_TYPE,
  body: Buffer.from(encodeFamilies(families)),
});

/** A native histogram at schema 2 with 8 buckets (indexes 0–3 and 8–11), 36 observations. */
const WIDE: FamilyObject = {
  name: 'wide_seconds',
  type: 'HISTOGRAM',
  metric: [
    {
      histogram: {
        sampleCount: 36,
        sampleSum: 10,
        schema: 2,
        zeroThreshold: 1e-128,
        positiveSpan: [
          { offset: 0, length: 4 },
          { offset: 4, length: 4 },
        ],
        positiveDelta: [1, 1, 1, 1, 1, 1, 1, 1], // counts 1 … 8
      },
    },
  ],
};
const NATIVE_JOB = '    scrape_native_histograms: true';

describe('native histogram limits (§5.3)', () => {
  it('native_histogram_bucket_limit lowers the schema until the buckets fit', async () => {
    const [r] = await scrapeInTurn(
      [proto([WIDE])],
      `${NATIVE_JOB}\n    native_histogram_bucket_limit: 4`,
    );
    expect(r!.error).toBeUndefined();
    const h = [...r!.batch.histograms.values()][0]!;
    // Schema 2 → 1: indexes 0–3 → 0,1,1,2 (wait: ((i-1)>>1)+1) and 8–11 → 4,5,5,6: 6 buckets;
    // schema 0: 0,1,1,1 and 2,3,3,3 → 4 buckets.
    expect(h.schema).toBe(0);
    expect(h.positiveBuckets.length).toBeLessThanOrEqual(4);
    expect(h.count).toBe(36);
    expect(r!.report.samplesScraped).toBe(1);
  });

  it('native_histogram_min_bucket_factor caps the schema', async () => {
    const [r] = await scrapeInTurn(
      [proto([WIDE])],
      `${NATIVE_JOB}\n    native_histogram_min_bucket_factor: 4`,
    );
    expect(r!.error).toBeUndefined();
    expect([...r!.batch.histograms.values()][0]!.schema).toBe(-1);
  });

  it('custom buckets over the limit fail the scrape: their resolution cannot be lowered', async () => {
    const [r] = await scrapeInTurn(
      [negotiating],
      '    scrape_protocols: [PrometheusProto]\n    convert_classic_histograms_to_nhcb: true\n    native_histogram_bucket_limit: 1',
    );
    expect(r!.up).toBe(false);
    expect(r!.error).toBe('histogram bucket limit exceeded');
    expect(samples(r!)).toEqual([]);
    // Counted as Prometheus counts them: read and kept after relabeling, then refused.
    expect(r!.report.samplesScraped).toBe(2);
  });

  it('a histogram Prometheus storage refuses fails the scrape with its reason', async () => {
    const bad = structuredClone(WIDE);
    (bad.metric as { histogram: { sampleCount: number } }[])[0]!.histogram.sampleCount = 35;
    const [r] = await scrapeInTurn([proto([bad])], NATIVE_JOB);
    expect(r!.up).toBe(false);
    expect(r!.error).toMatch(/36 observations found in buckets, but the Count field is 35/);
  });

  it('sample_limit counts a histogram as one sample', async () => {
    const [r] = await scrapeInTurn([negotiating], `${NATIVE_JOB}\n    sample_limit: 1`);
    expect(r!.error).toBe('sample limit exceeded');
    const [ok] = await scrapeInTurn([negotiating], `${NATIVE_JOB}\n    sample_limit: 2`);
    expect(ok!.error).toBeUndefined();
  });
});

describe('a histogram series that vanishes gets a float stale marker (§8.2)', () => {
  it('stale marker, not a histogram row', async () => {
    const [first, second] = await scrapeInTurn([negotiating, proto([FAMILIES[0]!])], NATIVE_JOB);
    expect(samples(first!)).toEqual([NATIVE, COUNTER].sort());
    expect(samples(second!)).toEqual([COUNTER, 'latency_seconds stale'].sort());
    expect(second!.batch.histograms.size).toBe(0);
  });
});

describe('exemplars (§6.1 10)', () => {
  const withExemplars = (counterTs: boolean): FamilyObject[] => [
    {
      name: 'jobs_total',
      type: 'COUNTER',
      metric: [
        {
          counter: {
            value: 3,
            exemplar: {
              label: [{ name: 'trace_id', value: 'abc' }],
              value: 1,
              ...(counterTs ? { timestamp: { seconds: 1_700_000_000, nanos: 5_000_000 } } : {}),
            },
          },
        },
      ],
    },
    {
      name: 'wait_seconds',
      type: 'HISTOGRAM',
      metric: [
        {
          histogram: {
            sampleCount: 2,
            sampleSum: 1,
            schema: 0,
            zeroThreshold: 1e-128,
            positiveSpan: [{ offset: 0, length: 1 }],
            positiveDelta: [2],
            exemplars: [
              {
                label: [{ name: 'trace_id', value: 'late' }],
                value: 0.7,
                timestamp: { seconds: 1_700_000_002 },
              },
              {
                label: [{ name: 'trace_id', value: 'early' }],
                value: 0.3,
                timestamp: { seconds: 1_700_000_001 },
              },
              { label: [{ name: 'trace_id', value: 'untimed' }], value: 0.5 },
            ],
          },
        },
      ],
    },
  ];

  const shown = (r: ScrapeResult): string[] =>
    r.batch.exemplars.map(
      ({ series, exemplar }) =>
        `${series.labels.find((l) => l.name === '__name__')!.value} ${exemplar.labels[0]!.value} ${exemplar.value} ${exemplar.timestampMs}`,
    );

  it('are added with their samples; a repeat of the last one is not sent again', async () => {
    const results = await scrapeInTurn(
      [proto(withExemplars(true)), proto(withExemplars(true))],
      NATIVE_JOB,
    );
    expect(shown(results[0]!)).toEqual([
      'jobs_total abc 1 1700000000005',
      // A native histogram's exemplars need timestamps; sorted by time.
      'wait_seconds early 0.3 1700000001000',
      'wait_seconds late 0.7 1700000002000',
    ]);
    // The same exemplars again: repeats of each series' last, or older than it.
    expect(shown(results[1]!)).toEqual([]);
  });

  it("an exemplar without a timestamp takes its sample's", async () => {
    const [r] = await scrapeInTurn([proto(withExemplars(false))], NATIVE_JOB);
    const counter = r!.batch.exemplars[0]!;
    // biome-ignore lint/complexity/useIndexOf: an exemplar's series is typed as the narrower SeriesRef
    const row = r!.batch.entries.findIndex((e) => e === counter.series);
    expect(counter.exemplar.timestampMs).toBe(r!.batch.timestamps[row]);
  });
});

describe('start timestamps (created_timestamp) into the unit', () => {
  const created: FamilyObject[] = [
    {
      name: 'made_total',
      type: 'COUNTER',
      metric: [
        { counter: { value: 1, createdTimestamp: { seconds: 1_600_000_000, nanos: 250_000_000 } } },
      ],
    },
    { name: 'level', type: 'GAUGE', metric: [{ gauge: { value: 2 } }] },
  ];

  it('only when the job asks for them (a remote write speaks 2.0)', async () => {
    const [off] = await scrapeInTurn([proto(created)], '');
    expect(off!.batch.startTimestamps).toBeUndefined();
    const [on] = await scrapeInTurn([proto(created)], '', '', { startTimestamps: true });
    const b = on!.batch;
    const at = (name: string) =>
      b.startTimestamps![b.entries.findIndex((e) => e.labels.some((l) => l.value === name))];
    expect(at('made_total')).toBe(1_600_000_000_250);
    expect(at('level')).toBe(0);
  });
});

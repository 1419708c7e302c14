/**
 * Scraping the protobuf format against a local HTTP server: the Accept header of
 * `scrape_protocols` and `scrape_native_histograms` (§1.4), Content-Type selection with
 * `fallback_scrape_protocol` (§4.4), and what the append path does with native histograms,
 * which it does not store yet (skipped and counted).
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
  type ScrapeResult,
  scrapeTarget,
  TargetScrapeCache,
} from '../../src/scrape/scrape.js';
import { EMPTY_SCRAPE_STATE } from '../../src/scrape/state.js';
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
  const path = `/m${++paths}`;
  replies.set(path, reply);
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
    const job = prepareScrapeJob(resolved!.job, dispatcher);
    const result = await scrapeTarget(
      job,
      target,
      new TargetScrapeCache(target, false),
      EMPTY_SCRAPE_STATE,
      { scrapeTimeMs: Date.now() },
    );
    return { result, accept: accepts.get(path) ?? '' };
  } finally {
    await dispatcher.close();
  }
}

/** The scraped samples (report series left out) as `series value`, sorted. */
function samples(result: ScrapeResult): string[] {
  const report = /^(up|scrape_[a-z_]+)$/;
  const out: string[] = [];
  const b = result.batch;
  for (let i = 0; i < b.length; i++) {
    const labels = b.entries[i]!.labels.filter((l) => l.name !== 'job' && l.name !== 'instance');
    const name = labels.find((l) => l.name === '__name__')?.value ?? '';
    if (!report.test(name)) out.push(`${formatSeries(labels)} ${b.values[i]}`);
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
      // Prometheus would offer protobuf first; until native histograms are stored the job keeps
      // the text formats, which carry the classic buckets (a warning at load, compatibility.md).
      name: 'scrape_native_histograms alone: text formats still',
      job: '    scrape_native_histograms: true',
      accept: DEFAULT_ACCEPT,
      format: 'text',
    },
    {
      name: 'scrape_native_histograms from global: text formats still',
      global: '  scrape_native_histograms: true',
      accept: DEFAULT_ACCEPT,
      format: 'text',
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

describe('native histograms are skipped and counted, not appended yet', () => {
  it.each<{ name: string; job: string; want: string[]; skipped: number }>([
    {
      name: 'scrape_native_histograms: the native histogram replaces the classic series',
      job: '    scrape_protocols: [PrometheusProto]\n    scrape_native_histograms: true',
      want: [COUNTER],
      skipped: 1,
    },
    {
      name: 'always_scrape_classic_histograms keeps the classic series beside it',
      job: '    scrape_protocols: [PrometheusProto]\n    scrape_native_histograms: true\n    always_scrape_classic_histograms: true',
      want: [...CLASSIC, COUNTER].sort(),
      skipped: 1,
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
      skipped: 0,
    },
    {
      name: 'convert_classic_histograms_to_nhcb: converted, so skipped too',
      job: '    scrape_protocols: [PrometheusProto]\n    convert_classic_histograms_to_nhcb: true',
      want: [COUNTER],
      skipped: 1,
    },
  ])('$name', async ({ job, want, skipped }) => {
    const { result } = await scrapeOnce(negotiating, job);
    expect(result.error).toBeUndefined();
    expect(samples(result)).toEqual(want);
    expect(result.skippedNativeHistograms).toBe(skipped);
    // Counted as scraped (as Prometheus does), not as kept.
    expect(result.report.samplesScraped).toBe(want.length + skipped);
    expect(result.report.samplesPostMetricRelabeling).toBe(want.length);
  });
});

/**
 * One scrape against a local HTTP server: request headers, response handling (§4), applying
 * samples (§6), report series (§7) and staleness (§8).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
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
import {
  deserializeScrapeState,
  EMPTY_SCRAPE_STATE,
  ScrapeState,
  serializeScrapeState,
} from '../../src/scrape/state.js';

interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  delayMs?: number;
}

let server: Server;
let port: number;
const replies = new Map<string, Reply>();
const requests: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req);
    const reply = replies.get(req.url ?? '') ?? { status: 404 };
    setTimeout(() => {
      res.writeHead(reply.status ?? 200, {
        'content-type': 'text/plain; version=0.0.4',
        ...reply.headers,
      });
      res.end(reply.body ?? '');
    }, reply.delayMs ?? 0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** Series lines of a result (stale markers as `<series> stale`), sorted. */
function lines(result: ScrapeResult): string[] {
  const b = result.batch;
  const out: string[] = [];
  for (let i = 0; i < b.length; i++) {
    const v = b.stale[i] ? 'stale' : String(b.values[i]);
    out.push(`${formatSeries(b.entries[i]!.labels)} ${v}`);
  }
  return out.sort();
}

function sampleValue(result: ScrapeResult, name: string): number | undefined {
  const b = result.batch;
  for (let i = 0; i < b.length; i++) {
    if (b.entries[i]!.labels.some((l) => l.name === '__name__' && l.value === name)) {
      return b.values[i];
    }
  }
  return undefined;
}

async function setup(
  path: string,
  jobYaml = '',
  globalYaml = '',
  jobOptions: ScrapeJobOptions = {},
) {
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
  const job = prepareScrapeJob(resolved!.job, dispatcher, jobOptions);
  const memory = new TargetScrapeCache(target, resolved!.job.extraScrapeMetrics);
  let state: ScrapeState = EMPTY_SCRAPE_STATE;
  let t = 1_700_000_000_000;
  return {
    target,
    async scrape() {
      t += 15_000;
      const r = await scrapeTarget(job, target, memory, state, { scrapeTimeMs: t });
      state = r.state;
      return r;
    },
    async scrapeFrom(previous: ScrapeState) {
      t += 15_000;
      const r = await scrapeTarget(job, target, memory, previous, { scrapeTimeMs: t });
      state = r.state;
      return r;
    },
    close: () => dispatcher.close(),
  };
}

describe('scrape request (§4.1)', () => {
  it('sends Accept, Accept-Encoding, User-Agent and the timeout header', async () => {
    replies.set('/headers', { body: 'a 1\n' });
    const s = await setup('/headers', '    scrape_timeout: 9500ms');
    requests.length = 0;
    await s.scrape();
    await s.close();
    const h = requests[0]!.headers;
    expect(h.accept).toBe(
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    );
    expect(h['accept-encoding']).toBe('gzip');
    expect(h['user-agent']).toMatch(/^lambdascrape\//);
    expect(h['x-prometheus-scrape-timeout-seconds']).toBe('9.5');
  });

  it('asks for identity encoding when enable_compression is false, and sends basic auth', async () => {
    replies.set('/auth', { body: 'a 1\n' });
    const s = await setup(
      '/auth',
      '    enable_compression: false\n    basic_auth: {username: u, password: p}',
    );
    requests.length = 0;
    await s.scrape();
    await s.close();
    expect(requests[0]!.headers['accept-encoding']).toBe('identity');
    expect(requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('u:p').toString('base64')}`,
    );
  });
});

describe('a successful scrape', () => {
  it('writes samples with target labels and the five report series', async () => {
    replies.set('/ok', {
      body: '# TYPE a counter\na_total{x="1"} 3\nb 4.5 1700000000123\n',
    });
    const s = await setup('/ok');
    const r = await s.scrape();
    await s.close();
    expect(r.up).toBe(true);
    const inst = `127.0.0.1:${port}`;
    const all = lines(r);
    expect(all.filter((l) => !l.startsWith('scrape_duration_seconds'))).toEqual(
      [
        `a_total{instance="${inst}", job="test", x="1"} 3`,
        `b{instance="${inst}", job="test"} 4.5`,
        `scrape_samples_post_metric_relabeling{instance="${inst}", job="test"} 2`,
        `scrape_samples_scraped{instance="${inst}", job="test"} 2`,
        `scrape_series_added{instance="${inst}", job="test"} 2`,
        `up{instance="${inst}", job="test"} 1`,
      ].sort(),
    );
    expect(all.filter((l) => l.startsWith('scrape_duration_seconds'))).toEqual([
      expect.stringMatching(/^scrape_duration_seconds\{instance=".*", job="test"\} \d/),
    ]);
    // Explicit timestamps are honoured; others get the scrape time.
    const b = r.batch;
    const ts = (name: string) =>
      b.timestamps[b.entries.findIndex((e) => e.labels.some((l) => l.value === name))];
    expect(ts('b')).toBe(1_700_000_000_123);
    expect(ts('a_total')).toBe(1_700_000_015_000);
    expect(ts('up')).toBe(1_700_000_015_000);
  });

  it('decodes a gzip body only when Content-Encoding is exactly gzip', async () => {
    replies.set('/gz', { headers: { 'content-encoding': 'gzip' }, body: gzipSync('g 7\n') });
    const s = await setup('/gz');
    const r = await s.scrape();
    await s.close();
    expect(r.error).toBeUndefined();
    expect(sampleValue(r, 'g')).toBe(7);
  });

  it('gzip: the size trailer sizes the output buffer, never the result', async () => {
    const text = Array.from({ length: 20_000 }, (_, i) => `m{i="${i}"} ${i}\n`).join('');
    const gz = gzipSync(text);
    const withIsize = (isize: number) => {
      const b = Buffer.from(gz);
      b.writeUInt32LE(isize >>> 0, b.length - 4);
      return b;
    };
    const cases: [string, Buffer, string | undefined][] = [
      ['/gz-exact', gz, undefined],
      // Two members: the trailer read is the second one's, far below the whole body.
      [
        '/gz-two',
        Buffer.concat([gzipSync(text.slice(0, 1000)), gzipSync(text.slice(1000))]),
        undefined,
      ],
      // A wrong trailer fails zlib's own length check, whatever buffer it suggested.
      ['/gz-tiny-isize', withIsize(10), 'decompressing body: incorrect length check'],
      ['/gz-huge-isize', withIsize(0xffffffff), 'decompressing body: incorrect length check'],
    ];
    for (const [path, body, error] of cases) {
      replies.set(path, { headers: { 'content-encoding': 'gzip' }, body });
      const s = await setup(path);
      const r = await s.scrape();
      await s.close();
      expect(r.error, path).toBe(error);
      if (error === undefined) expect(sampleValue(r, 'scrape_samples_scraped'), path).toBe(20_000);
    }
  });

  it('counts only new series in scrape_series_added', async () => {
    replies.set('/added', { body: 'a 1\nb 2\n' });
    const s = await setup('/added');
    expect(sampleValue(await s.scrape(), 'scrape_series_added')).toBe(2);
    expect(sampleValue(await s.scrape(), 'scrape_series_added')).toBe(0);
    await s.close();
  });

  it('reports the extra series when extra_scrape_metrics is on', async () => {
    replies.set('/extra', { body: 'a 1\n' });
    const s = await setup('/extra', '    extra_scrape_metrics: true\n    sample_limit: 50');
    const r = await s.scrape();
    await s.close();
    expect(sampleValue(r, 'scrape_timeout_seconds')).toBe(10);
    expect(sampleValue(r, 'scrape_sample_limit')).toBe(50);
    expect(sampleValue(r, 'scrape_body_size_bytes')).toBe(4);
  });
});

describe('metadata carried by the unit (§5.4, §7)', () => {
  it('is the target’s families as scraped, and the report series’ own; the same object every scrape', async () => {
    replies.set('/meta', {
      headers: { 'content-type': 'application/openmetrics-text; version=1.0.0' },
      body: '# TYPE req counter\n# HELP req Requests.\n# UNIT temp_celsius celsius\n# TYPE temp_celsius gauge\nreq_total 3\ntemp_celsius 21\n# EOF\n',
    });
    const s = await setup('/meta');
    const first = await s.scrape();
    const second = await s.scrape();
    await s.close();
    const m = first.batch.metadata!;
    expect(second.batch.metadata).toBe(m);
    expect(m.get('req')).toMatchObject({ type: 'counter', help: 'Requests.', unit: '' });
    expect(m.get('temp_celsius')).toMatchObject({ type: 'gauge', unit: 'celsius' });
    expect(m.get('up')).toMatchObject({ type: 'gauge', unit: 'targets' });
    const families: string[] = [];
    m.forEach((_, family) => {
      families.push(family);
    });
    expect(families.sort()).toEqual([
      'req',
      'scrape_duration_seconds',
      'scrape_samples_post_metric_relabeling',
      'scrape_samples_scraped',
      'scrape_series_added',
      'temp_celsius',
      'up',
    ]);
  });
});

describe('OpenMetrics exemplars and start timestamps into the unit (§5.2, §6.1 10)', () => {
  const OM = { 'content-type': 'application/openmetrics-text; version=1.0.0' };
  const body = (exemplarTs: string) =>
    [
      '# TYPE req counter',
      `req_total{code="200"} 3 # {trace_id="t1"} 0.5${exemplarTs}`,
      'req_created{code="200"} 1600000000.25',
      '# TYPE lat histogram',
      'lat_bucket{le="1"} 1 # {trace_id="t2",span_id=""} 0.2 1700000000.001',
      'lat_bucket{le="+Inf"} 2',
      'lat_sum 1.5',
      'lat_count 2',
      `big_total 1 # {trace_id="${'x'.repeat(130)}"} 1`,
      '# TYPE big counter',
      '# EOF',
      '',
    ].join('\n');

  const exemplars = (r: ScrapeResult) =>
    r.batch.exemplars.map(({ series, exemplar }) => ({
      series: formatSeries(series.labels.filter((l) => l.name === '__name__' || l.name === 'le')),
      labels: formatSeries(exemplar.labels),
      value: exemplar.value,
      timestampMs: exemplar.timestampMs,
    }));

  it('exemplars go with their samples; a repeat is not sent again', async () => {
    replies.set('/om-ex', { headers: OM, body: body('') });
    const s = await setup('/om-ex');
    const first = await s.scrape();
    const second = await s.scrape();
    await s.close();
    expect(first.error).toBeUndefined();
    const scrapeTime = first.batch.timestamps[0];
    expect(exemplars(first)).toEqual([
      // No timestamp: the sample's.
      { series: 'req_total', labels: '{trace_id="t1"}', value: 0.5, timestampMs: scrapeTime },
      // The empty span_id is dropped.
      {
        series: 'lat_bucket{le="1.0"}',
        labels: '{trace_id="t2"}',
        value: 0.2,
        timestampMs: 1_700_000_000_001,
      },
      // big_total's exemplar has more than 128 characters of labels: dropped, the scrape is fine.
    ]);
    // Second scrape: the untimed exemplar is new (a later sample time), the timed one a repeat.
    expect(exemplars(second).map((e) => e.series)).toEqual(['req_total']);
  });

  it('start timestamps from _created only when asked, and _created stays a series', async () => {
    replies.set('/om-st', { headers: OM, body: body(' 1700000000') });
    const off = await setup('/om-st');
    const r0 = await off.scrape();
    await off.close();
    expect(r0.batch.startTimestamps).toBeUndefined();
    const on = await setup('/om-st', '', '', { startTimestamps: true });
    const r1 = await on.scrape();
    await on.close();
    const row = (name: string) =>
      r1.batch.entries.findIndex((e) =>
        e.labels.some((l) => l.name === '__name__' && l.value === name),
      );
    expect(r1.batch.startTimestamps![row('req_total')]).toBe(1_600_000_000_250);
    expect(r1.batch.startTimestamps![row('lat_count')]).toBe(0);
    expect(row('req_created')).toBeGreaterThanOrEqual(0);
  });
});

describe('failed scrapes write only up=0, report series and stale markers (§6.2, §8.2)', () => {
  it.each([
    { name: 'HTTP 500', reply: { status: 500, body: 'oops' }, error: /HTTP status 500/ },
    { name: 'HTTP 204', reply: { status: 204 }, error: /HTTP status 204/ },
    { name: 'timeout', reply: { body: 'a 1\n', delayMs: 1500 }, error: /deadline exceeded/ },
    {
      name: 'parse error',
      reply: { body: 'b{ 2\na 1\n' },
      error: /./,
    },
    {
      name: 'unsupported content type',
      reply: { headers: { 'content-type': 'application/json' }, body: '{}' },
      error: /Content-Type/,
    },
  ])('$name', async ({ reply, error }) => {
    const path = `/fail-${Math.random()}`;
    replies.set(path, { body: 'a 1\nc 3\n' });
    const s = await setup(path, '    scrape_timeout: 1s');
    const first = await s.scrape();
    expect(first.up).toBe(true);
    replies.set(path, reply);
    const second = await s.scrape();
    await s.close();
    expect(second.up).toBe(false);
    expect(second.error).toMatch(error);
    const inst = `127.0.0.1:${port}`;
    expect(lines(second).filter((l) => !l.startsWith('scrape_'))).toEqual([
      `a{instance="${inst}", job="test"} stale`,
      `c{instance="${inst}", job="test"} stale`,
      `up{instance="${inst}", job="test"} 0`,
    ]);
  });

  it('series processed before a parse error still count as seen (§8.2)', async () => {
    replies.set('/partial', { body: 'a 1\nc 3\n' });
    const s = await setup('/partial');
    await s.scrape();
    replies.set('/partial', { body: 'a 1\nb{ 2\n' });
    const r = await s.scrape();
    replies.set('/partial', { status: 503 });
    const third = await s.scrape();
    await s.close();
    expect(r.up).toBe(false);
    expect(sampleValue(r, 'scrape_samples_scraped')).toBe(1);
    expect(lines(r).filter((l) => l.includes('stale'))).toEqual([
      `c{instance="127.0.0.1:${port}", job="test"} stale`,
    ]);
    // The partial set became the previous set: the next failure stales `a` only.
    expect(lines(third).filter((l) => l.includes('stale'))).toEqual([
      `a{instance="127.0.0.1:${port}", job="test"} stale`,
    ]);
  });

  it("carries a store's digest to the next state only when the series set is the same", async () => {
    replies.set('/digest', { body: 'a 1\nb 2\n' });
    const s = await setup('/digest');
    const first = await s.scrape();
    first.state.seriesDigest = 'digest-of-a-b';
    replies.set('/digest', { body: 'a 5\nb 6\n' });
    const same = await s.scrape();
    expect(same.state.seriesDigest).toBe('digest-of-a-b');
    // Same series from a state read back from a store (keys only, not live entries).
    const stored = new ScrapeState(0, same.state.series, undefined, 'stored-digest');
    const fromStore = await s.scrapeFrom(stored);
    expect(fromStore.state.seriesDigest).toBe('stored-digest');
    replies.set('/digest', { body: 'a 5\nc 6\n' });
    const changed = await s.scrape();
    expect(changed.state.seriesDigest).toBeUndefined();
    replies.set('/digest', { body: 'a 5\n' });
    changed.state.seriesDigest = 'digest-of-a-c';
    const fewer = await s.scrape();
    await s.close();
    expect(fewer.state.seriesDigest).toBeUndefined();
  });

  it('a second consecutive failure writes no markers', async () => {
    replies.set('/twice', { body: 'a 1\n' });
    const s = await setup('/twice');
    await s.scrape();
    replies.set('/twice', { status: 503 });
    await s.scrape();
    const third = await s.scrape();
    await s.close();
    expect(lines(third).filter((l) => l.includes('stale'))).toEqual([]);
  });

  it('body_size_limit fails at exactly the limit and reports -1 as the body size', async () => {
    replies.set('/big', { body: 'abc 1\n' }); // 6 bytes
    const s = await setup('/big', '    body_size_limit: 6B\n    extra_scrape_metrics: true');
    const r = await s.scrape();
    await s.close();
    expect(r.error).toBe('body size limit exceeded');
    expect(sampleValue(r, 'scrape_body_size_bytes')).toBe(-1);
  });

  it('body_size_limit applies to the decompressed size', async () => {
    replies.set('/bomb', {
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync(`${'x 1\n'.repeat(100_000)}`),
    });
    const s = await setup('/bomb', '    body_size_limit: 1KiB');
    const r = await s.scrape();
    await s.close();
    expect(r.error).toBe('body size limit exceeded');
  });

  it('a driver ceiling limits a job without body_size_limit, and says so', async () => {
    replies.set('/ceiling', { body: 'abc 1\n'.repeat(100) }); // 600 bytes
    const config = loadConfig(
      `scrape_configs:
  - job_name: c
    metrics_path: /ceiling
    static_configs: [{ targets: ['127.0.0.1:${port}'] }]
  - job_name: own
    metrics_path: /ceiling
    body_size_limit: 1KiB
    static_configs: [{ targets: ['127.0.0.1:${port}'] }]
`,
      { sourcePath: 'test.yml' },
    );
    const jobs = await resolveTargets(config);
    const errors: (string | undefined)[] = [];
    for (const resolved of jobs) {
      const target = resolved.active[0]!;
      const dispatcher = await createDispatcher(resolved.job.httpClient);
      const job = prepareScrapeJob(resolved.job, dispatcher, { bodySizeCeiling: 100 });
      const memory = new TargetScrapeCache(target, false);
      const r = await scrapeTarget(job, target, memory, EMPTY_SCRAPE_STATE, {
        scrapeTimeMs: 1_700_000_000_000,
      });
      await dispatcher.close();
      errors.push(r.error);
    }
    expect(errors).toEqual([
      "body size limit exceeded (lambdascrape's ceiling of 100 bytes applies because body_size_limit is 0)",
      undefined, // the job's own limit (1 KiB) is kept, not lowered to the ceiling
    ]);
  });

  it('sample_limit fails the scrape but keeps the counts (§6.3)', async () => {
    replies.set('/limit', { body: 'a 1\nb 2\nc 3\n' });
    const s = await setup('/limit', '    sample_limit: 2');
    const r = await s.scrape();
    await s.close();
    expect(r.error).toBe('sample limit exceeded');
    expect(sampleValue(r, 'up')).toBe(0);
    expect(sampleValue(r, 'scrape_samples_scraped')).toBe(3);
    expect(sampleValue(r, 'scrape_samples_post_metric_relabeling')).toBe(3);
    expect(lines(r).filter((l) => l.startsWith('a') || l.startsWith('b'))).toEqual([]);
  });

  it('label_limit counts __name__ and fails the scrape', async () => {
    replies.set('/labels', { body: 'a{x="1",y="2"} 1\n' });
    const s = await setup('/labels', '    label_limit: 4');
    const r = await s.scrape();
    await s.close();
    // __name__, instance, job, x, y = 5 labels
    expect(r.error).toMatch(/^label_limit exceeded \(metric: a, number of labels: 5, limit: 4\)/);
  });

  it('a repeated label name fails the scrape', async () => {
    replies.set('/dup', { body: 'a{x="1",x="2"} 1\n' });
    const s = await setup('/dup');
    const r = await s.scrape();
    await s.close();
    expect(r.error).toMatch(/label name "x" is not unique/);
  });
});

describe('honor_labels and label injection (§6.1 4a)', () => {
  it('renames clashing scraped labels to exported_*', async () => {
    replies.set('/clash', { body: 'm{job="evil",instance="x"} 1\n' });
    const s = await setup('/clash');
    const r = await s.scrape();
    await s.close();
    expect(lines(r)[0]).toBe(
      `m{exported_instance="x", exported_job="evil", instance="127.0.0.1:${port}", job="test"} 1`,
    );
  });

  it('keeps scraped values with honor_labels: true', async () => {
    replies.set('/honor', { body: 'm{job="pushed"} 1\n' });
    const s = await setup('/honor', '    honor_labels: true');
    const r = await s.scrape();
    await s.close();
    expect(lines(r)[0]).toBe(`m{instance="127.0.0.1:${port}", job="pushed"} 1`);
    // Report series always carry the target's own labels.
    expect(lines(r)).toContain(`up{instance="127.0.0.1:${port}", job="test"} 1`);
  });

  it('a scraped __name__ label cannot replace the metric name', async () => {
    replies.set('/name', { body: 'm{__name__="other"} 1\n' });
    const s = await setup('/name');
    const r = await s.scrape();
    await s.close();
    expect(r.up).toBe(false);
  });
});

describe('staleness across scrapes (§8.2)', () => {
  it('marks vanished series stale at the next scrape time, and only once', async () => {
    replies.set('/vanish', { body: 'a 1\nb 2\n' });
    const s = await setup('/vanish');
    await s.scrape();
    replies.set('/vanish', { body: 'a 1\n' });
    const second = await s.scrape();
    const third = await s.scrape();
    await s.close();
    expect(lines(second).filter((l) => l.includes('stale'))).toEqual([
      `b{instance="127.0.0.1:${port}", job="test"} stale`,
    ]);
    expect(lines(third).filter((l) => l.includes('stale'))).toEqual([]);
  });

  it('a series spelled differently is the same series: no marker (§6.4)', async () => {
    replies.set('/spelling', { body: 'a{x="1",y="2"} 1\nb 2\n' });
    const s = await setup('/spelling');
    await s.scrape();
    replies.set('/spelling', { body: 'b 2\na{y="2", x="1"} 1\n' });
    const r = await s.scrape();
    await s.close();
    expect(lines(r).filter((l) => l.includes('stale'))).toEqual([]);
    expect(sampleValue(r, 'a')).toBe(1);
  });

  it('reordered, added and removed series keep their own cache results', async () => {
    replies.set('/order', { body: 'a 1\nb 2\nc 3\n' });
    const s = await setup('/order');
    await s.scrape();
    replies.set('/order', { body: 'c 30\nnew 5\na 10\n' });
    const r = await s.scrape();
    await s.close();
    expect(lines(r).filter((l) => !l.startsWith('scrape_') && !l.startsWith('up'))).toEqual([
      `a{instance="127.0.0.1:${port}", job="test"} 10`,
      `b{instance="127.0.0.1:${port}", job="test"} stale`,
      `c{instance="127.0.0.1:${port}", job="test"} 30`,
      `new{instance="127.0.0.1:${port}", job="test"} 5`,
    ]);
    expect(sampleValue(r, 'scrape_series_added')).toBe(1);
  });

  it('a state read back from storage stales by key', async () => {
    replies.set('/stored', { body: 'a 1\nb 2\n' });
    const s = await setup('/stored');
    const first = await s.scrape();
    const stored = deserializeScrapeState(
      JSON.parse(JSON.stringify(serializeScrapeState(first.state))),
    );
    expect([...stored.series].length).toBe(2);
    replies.set('/stored', { body: 'a 1\n' });
    const r = await s.scrapeFrom(stored);
    await s.close();
    expect(lines(r).filter((l) => l.includes('stale'))).toEqual([
      `b{instance="127.0.0.1:${port}", job="test"} stale`,
    ]);
  });

  it('an empty 200 body is a successful scrape that stales everything (§4.2)', async () => {
    replies.set('/empty', { body: 'a 1\n' });
    const s = await setup('/empty');
    await s.scrape();
    replies.set('/empty', { body: '', headers: { 'content-type': '' } });
    const r = await s.scrape();
    await s.close();
    expect(r.up).toBe(true);
    expect(lines(r).filter((l) => l.includes('stale'))).toHaveLength(1);
  });

  it('series with explicit timestamps are not tracked unless track_timestamps_staleness', async () => {
    for (const [track, want] of [
      [false, 0],
      [true, 1],
    ] as const) {
      const path = `/explicit-${track}`;
      replies.set(path, { body: 'a 1 1700000000000\n' });
      const s = await setup(path, `    track_timestamps_staleness: ${track}`);
      await s.scrape();
      replies.set(path, { body: '' });
      const r = await s.scrape();
      await s.close();
      expect(lines(r).filter((l) => l.includes('stale'))).toHaveLength(want);
    }
  });

  it('metric_relabel_configs drop series before they are written', async () => {
    replies.set('/mrc', { body: 'keep_me 1\ndrop_me 2\n' });
    const s = await setup(
      '/mrc',
      '    metric_relabel_configs:\n      - source_labels: [__name__]\n        regex: drop_.*\n        action: drop',
    );
    const r = await s.scrape();
    await s.close();
    expect(sampleValue(r, 'keep_me')).toBe(1);
    expect(sampleValue(r, 'drop_me')).toBeUndefined();
    expect(sampleValue(r, 'scrape_samples_post_metric_relabeling')).toBe(1);
    expect(sampleValue(r, 'scrape_samples_scraped')).toBe(2);
  });
});

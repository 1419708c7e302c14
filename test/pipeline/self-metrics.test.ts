import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMF_METRICS } from '../../src/contract.js';
import type { DeliveryOutcome } from '../../src/engine/delivery.js';
import { SCRAPE_LATENESS_BUCKETS } from '../../src/engine/scrape-metrics.js';
import { redactTargetUrl } from '../../src/log/redact.js';
import type { DiscoverySummary } from '../../src/pipeline/discovery.js';
import type { DispatchResult } from '../../src/pipeline/dispatcher.js';
import type {
  DeliveryTotals,
  TargetOutcome,
  TaskCounters,
  TaskOutcome,
} from '../../src/pipeline/scraper-outcome.js';
import { newTaskCounters } from '../../src/pipeline/scraper-outcome.js';
import {
  EMF_MAX_VALUES,
  SelfMetrics,
  SelfMetricsError,
  type SelfMetricsOptions,
  scrapeLogFields,
} from '../../src/pipeline/self-metrics.js';
import type { SampleUnit } from '../../src/remotewrite/batch.js';
import { RemoteWriter } from '../../src/remotewrite/writer.js';
import { remoteWriteConfig } from '../remotewrite/config.js';
import { startReceiver, type TestReceiver } from '../remotewrite/wire.js';

const NOW = Date.UTC(2026, 0, 1, 0, 0, 0) + 0.75;
const INSTANCE = 'lambdascrape-scraper:c0ffee';

function metrics(options: Partial<SelfMetricsOptions> = {}): SelfMetrics {
  return new SelfMetrics({
    deploymentId: 'prod',
    instance: INSTANCE,
    function: 'scraper',
    ...options,
  });
}

const NO_DELIVERY: DeliveryTotals = {
  samplesSent: 0,
  samplesRejected: 0,
  parked: 0,
  samplesParked: 0,
  parkFailed: 0,
};

function counters(c: Partial<TaskCounters>): TaskCounters {
  return { ...newTaskCounters(), ...c };
}

/** What one remote_write made of a unit (defaults: 9 sent, 1 rejected). */
function outcome(o: Partial<DeliveryOutcome> = {}): DeliveryOutcome {
  return {
    remote: 'rw',
    sent: 9,
    rejected: 1,
    deferred: 0,
    deferredRequests: 0,
    lost: 0,
    lostRequests: 0,
    ...o,
  };
}

function scraped(
  latenessMs: number,
  up = true,
  id = 't',
  deliveries: readonly DeliveryOutcome[] = [outcome()],
): TargetOutcome {
  return {
    kind: 'scraped',
    targetId: id,
    job: 'app',
    slotMs: 1000,
    latenessMs,
    waitedMs: 0,
    up,
    error: up ? undefined : 'server returned HTTP status 500',
    samples: 10,
    samplesScraped: up ? 4 : 0,
    durationSeconds: 0.02,
    state: 'unchanged',
    delivery: NO_DELIVERY,
    deliveries,
  };
}

/**
 * A task: 2 up (lateness 3 ms and 40 ms), 1 down (2.6 s), 1 late, deliveries and parks; the
 * counters are the totals of the outcomes, as the worker makes them.
 */
function task(): TaskOutcome {
  return {
    kind: 'scrape',
    targets: [
      scraped(3),
      scraped(40),
      scraped(2600, false, 't', [
        outcome({ deferred: 20, deferredRequests: 2, lost: 5, lostRequests: 1 }),
      ]),
      { kind: 'late', targetId: 'l', job: 'app', slotMs: 0, latenessMs: 12_000 },
    ],
    counters: counters({
      scrapes: 3,
      up: 2,
      failed: 1,
      lateDropped: 1,
      waitedMs: 250,
      samplesSent: 27,
      samplesRejected: 3,
      parked: 2,
      samplesParked: 20,
      parkFailed: 1,
    }),
  };
}

interface EmfDoc {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [member: string]: unknown;
}

function parseEmf(line: string | undefined): EmfDoc {
  expect(line).toBeDefined();
  expect(line).not.toContain('\n');
  const doc = JSON.parse(line!) as EmfDoc;
  // Every metric named in the directive is a root member: a number or ≤ 100 numbers.
  for (const m of doc._aws.CloudWatchMetrics[0]!.Metrics) {
    const v = doc[m.Name];
    if (Array.isArray(v)) {
      expect(v.length).toBeLessThanOrEqual(EMF_MAX_VALUES);
      for (const x of v) expect(Number.isFinite(x)).toBe(true);
    } else expect(Number.isFinite(v)).toBe(true);
  }
  return doc;
}

const names = (doc: EmfDoc) => doc._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name);

/** The unit as `name{labels} → value` (labels other than the common three), plus timestamps. */
function readUnit(unit: SampleUnit | undefined): { series: Map<string, number>; ts: Set<number> } {
  expect(unit).toBeDefined();
  const series = new Map<string, number>();
  const ts = new Set<number>();
  for (let i = 0; i < unit!.length; i++) {
    const labels = unit!.entries[i]!.labels;
    const rec = Object.fromEntries(labels.map((l) => [l.name, l.value]));
    expect(rec).toMatchObject({ job: 'lambdascrape', instance: INSTANCE });
    const extra = labels
      .filter((l) => !['__name__', 'job', 'instance', 'function'].includes(l.name))
      .map((l) => `${l.name}="${l.value}"`)
      .join(',');
    const key = extra === '' ? rec.__name__! : `${rec.__name__}{${extra}}`;
    expect(series.has(key)).toBe(false);
    series.set(key, unit!.values[i]!);
    ts.add(unit!.timestamps[i]!);
    expect(unit!.stale[i]).toBe(0);
  }
  return { series, ts };
}

describe('SelfMetrics EMF line', () => {
  it('has the fixed envelope, names and units, and the values of one task', () => {
    const m = metrics();
    m.observeTask(task());
    const doc = parseEmf(m.emfLine(NOW));
    expect(doc._aws.Timestamp).toBe(Math.floor(NOW));
    const directive = doc._aws.CloudWatchMetrics[0]!;
    expect(doc._aws.CloudWatchMetrics).toHaveLength(1);
    expect(directive.Namespace).toBe('LambdaScrape');
    expect(directive.Dimensions).toEqual([['Deployment']]);
    expect(doc.Deployment).toBe('prod');
    expect(doc.Function).toBe('scraper');
    expect(doc.Instance).toBe(INSTANCE);
    expect(directive.Metrics).toEqual([
      { Name: 'Scrapes', Unit: 'Count' },
      { Name: 'ScrapesUp', Unit: 'Count' },
      { Name: 'ScrapeFailures', Unit: 'Count' },
      { Name: 'LateDropped', Unit: 'Count' },
      { Name: 'ScrapeLateness', Unit: 'Milliseconds' },
      { Name: 'ScrapeWait', Unit: 'Milliseconds' },
      { Name: 'RemoteWriteSamplesSent', Unit: 'Count' },
      { Name: 'RemoteWriteSamplesRejected', Unit: 'Count' },
      { Name: 'RemoteWriteRequestsParked', Unit: 'Count' },
      { Name: 'RemoteWriteRequestsLost', Unit: 'Count' },
    ]);
    expect(doc).toMatchObject({
      Scrapes: 3,
      ScrapesUp: 2,
      ScrapeFailures: 1,
      LateDropped: 1,
      ScrapeLateness: [3, 40, 2600],
      ScrapeWait: [250],
      RemoteWriteSamplesSent: 27,
      RemoteWriteSamplesRejected: 3,
      RemoteWriteRequestsParked: 2,
      RemoteWriteRequestsLost: 1,
    });
  });

  it('knows exactly the contract metric names and units', () => {
    const contract: Record<string, string> = {
      Scrapes: 'Count',
      ScrapesUp: 'Count',
      ScrapeFailures: 'Count',
      LateDropped: 'Count',
      ScrapeLateness: 'Milliseconds',
      ScrapeWait: 'Milliseconds',
      RemoteWriteSamplesSent: 'Count',
      RemoteWriteSamplesRejected: 'Count',
      RemoteWriteRequestsParked: 'Count',
      RemoteWriteRequestsLost: 'Count',
      OutboxReplayed: 'Count',
      OutboxDeadLettered: 'Count',
      DynamoDbReadUnits: 'Count',
      DynamoDbWriteUnits: 'Count',
      SqsMessagesSent: 'Count',
      TargetsPlanned: 'Count',
      Targets: 'Count',
      OutboxDepth: 'Count',
    };
    expect(Object.fromEntries(Object.entries(EMF_METRICS).map(([n, d]) => [n, d.unit]))).toEqual(
      contract,
    );
    // Every metric, observed once, shows in one line with its unit.
    const m = metrics();
    m.observeTask(task());
    m.observeOutboxReplay({ replayed: 4, retried: 1, deadLettered: 2 });
    m.observeOutboxDepth(17);
    m.observeDynamoDbCapacity({ readUnits: 1.5, writeUnits: 4 });
    m.observeSqsMessagesSent('scrape', 12);
    m.observeSqsMessagesSent('dead_letter', 1);
    m.observeDispatch(dispatched(40));
    m.observeDiscovery(discovery({ added: 2, changed: 1, removed: 5, unchanged: 10, kept: 3 }));
    const doc = parseEmf(m.emfLine(NOW));
    expect(new Set(names(doc))).toEqual(new Set(Object.keys(contract)));
    for (const d of doc._aws.CloudWatchMetrics[0]!.Metrics) expect(d.Unit).toBe(contract[d.Name]);
    expect(doc).toMatchObject({
      OutboxReplayed: 4,
      OutboxDeadLettered: 2,
      OutboxDepth: 17,
      DynamoDbReadUnits: 1.5,
      DynamoDbWriteUnits: 4,
      SqsMessagesSent: 13,
      TargetsPlanned: 40,
      Targets: 16,
    });
  });

  it('carries deltas since the previous line, and no line when nothing was observed', () => {
    const m = metrics({ function: 'outbox' });
    expect(m.emfLine(NOW)).toBeUndefined();
    m.observeOutboxReplay({ replayed: 3, retried: 0, deadLettered: 0 });
    m.observeOutboxReplay({ replayed: 2, retried: 1, deadLettered: 0 });
    m.observeOutboxDepth(9);
    m.observeOutboxDepth(7);
    const first = parseEmf(m.emfLine(NOW));
    expect(names(first)).toEqual(['OutboxReplayed', 'OutboxDeadLettered', 'OutboxDepth']);
    expect(first).toMatchObject({ OutboxReplayed: 5, OutboxDeadLettered: 0, OutboxDepth: 7 });
    expect(m.emfLine(NOW + 1000)).toBeUndefined();

    m.observeSqsMessagesSent('outbox', 1);
    const second = parseEmf(m.emfLine(NOW + 2000));
    expect(names(second)).toEqual(['SqsMessagesSent']);
    expect(second.SqsMessagesSent).toBe(1);
    expect(second._aws.Timestamp).toBe(Math.floor(NOW + 2000));
  });

  it('sends at most 100 lateness values: order statistics with exact min and max', () => {
    const m = metrics();
    const targets = Array.from({ length: 1000 }, (_, i) => scraped(i + 1));
    m.observeTask({ kind: 'scrape', targets, counters: counters({ scrapes: 1000, up: 1000 }) });
    const doc = parseEmf(m.emfLine(NOW));
    const values = doc.ScrapeLateness as number[];
    expect(values).toHaveLength(EMF_MAX_VALUES);
    expect(values[0]).toBe(1);
    expect(values[99]).toBe(1000);
    expect([...values].sort((a, b) => a - b)).toEqual(values);
    expect(values[49]).toBeGreaterThan(480);
    expect(values[49]).toBeLessThan(520);
    expect(doc.Scrapes).toBe(1000);
  });

  it('counts an early start as 0 lateness and ignores bad numbers', () => {
    const m = metrics();
    m.observeTask({
      kind: 'scrape',
      targets: [scraped(-20), scraped(Number.NaN)],
      counters: counters({ scrapes: 2, up: 2, samplesSent: Number.NaN, parked: -3 }),
    });
    const doc = parseEmf(m.emfLine(NOW));
    expect(doc.ScrapeLateness).toEqual([0, 0]);
    expect(doc.RemoteWriteSamplesSent).toBeUndefined();
    expect(doc.RemoteWriteRequestsParked).toBe(0);
  });
});

function dispatched(scrapes: number): DispatchResult {
  return { window: { startMs: 0, endMs: 60_000 }, shard: 0, targets: scrapes, tasks: 1, scrapes };
}

function discovery(s: Omit<DiscoverySummary, 'errors'>): DiscoverySummary {
  return { ...s, errors: [] };
}

describe('SelfMetrics remote-write unit', () => {
  it('sends only observed series, with the common labels, stamped with the flush time', () => {
    const m = metrics({ function: 'dispatcher' });
    expect(m.remoteWriteUnit(NOW)).toBeUndefined();
    m.observeDispatch(dispatched(40));
    m.observeDispatch({ skipped: 'already planned', window: { startMs: 0, endMs: 1 }, shard: 0 });
    m.observeDynamoDbCapacity({ readUnits: 3, writeUnits: 1 });
    m.observeSqsMessagesSent('scrape', 4);
    const unit = m.remoteWriteUnit(NOW);
    const { series, ts } = readUnit(unit);
    expect(Object.fromEntries(series)).toEqual({
      lambdascrape_targets_planned_total: 40,
      'lambdascrape_dynamodb_consumed_capacity_units_total{operation="read"}': 3,
      'lambdascrape_dynamodb_consumed_capacity_units_total{operation="write"}': 1,
      'lambdascrape_sqs_messages_sent_total{queue="scrape"}': 4,
    });
    expect([...ts]).toEqual([Math.floor(NOW)]);
    for (let i = 0; i < unit!.length; i++) {
      const labels = unit!.entries[i]!.labels;
      expect(labels.find((l) => l.name === 'function')?.value).toBe('dispatcher');
      expect(labels.map((l) => l.name)).toEqual([...labels.map((l) => l.name)].sort());
    }
  });

  it('has the scraper series; counters are cumulative and not reset by the EMF line', () => {
    const m = metrics();
    m.observeTask(task());
    m.emfLine(NOW);
    m.observeTask(task());
    const { series } = readUnit(m.remoteWriteUnit(NOW));
    expect(Object.fromEntries(series)).toMatchObject({
      'lambdascrape_scrapes_total{result="up",scrape_job="app"}': 4,
      'lambdascrape_scrapes_total{result="down",scrape_job="app"}': 2,
      'lambdascrape_scrape_samples_scraped_total{scrape_job="app"}': 16,
      'lambdascrape_scrape_slots_skipped_total{reason="late",scrape_job="app"}': 2,
      lambdascrape_scrape_wait_seconds_total: 0.5,
      'lambdascrape_remote_write_samples_total{remote_name="rw",result="sent"}': 54,
      'lambdascrape_remote_write_samples_total{remote_name="rw",result="rejected"}': 6,
      'lambdascrape_remote_write_samples_total{remote_name="rw",result="parked"}': 40,
      'lambdascrape_remote_write_samples_total{remote_name="rw",result="dropped"}': 10,
      lambdascrape_remote_write_requests_lost_total: 2,
      'lambdascrape_scrape_lateness_seconds_count{scrape_job="app"}': 6,
      'lambdascrape_scrape_duration_seconds_count{scrape_job="app"}': 6,
    });
    expect(series.get('lambdascrape_scrape_lateness_seconds_sum{scrape_job="app"}')).toBeCloseTo(
      5.286,
      9,
    );
    expect([...series.keys()].some((k) => k.includes('targets'))).toBe(false);
  });

  it('lateness histogram: buckets cumulative, +Inf equals the count', () => {
    const m = metrics();
    const lateness = [0, 5, 7, 30, 99, 1000, 2600, 9999, 10_000, 10_001, 60_000];
    m.observeTask({
      kind: 'scrape',
      targets: lateness.map((ms) => scraped(ms)),
      counters: counters({ scrapes: lateness.length, up: lateness.length }),
    });
    const { series } = readUnit(m.remoteWriteUnit(NOW));
    const bucket = (le: string) =>
      series.get(`lambdascrape_scrape_lateness_seconds_bucket{le="${le}",scrape_job="app"}`);
    const les = [...SCRAPE_LATENESS_BUCKETS.map(String), '+Inf'];
    expect(les).toEqual([
      '0.001',
      '0.0025',
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '10',
      '+Inf',
    ]);
    const counts = les.map((le) => bucket(le));
    expect(counts).toEqual([1, 1, 2, 3, 3, 4, 5, 5, 5, 6, 6, 7, 9, 11]);
    for (let i = 1; i < counts.length; i++)
      expect(counts[i]!).toBeGreaterThanOrEqual(counts[i - 1]!);
    expect(bucket('+Inf')).toBe(
      series.get('lambdascrape_scrape_lateness_seconds_count{scrape_job="app"}'),
    );
    expect(series.get('lambdascrape_scrape_lateness_seconds_sum{scrape_job="app"}')).toBeCloseTo(
      lateness.reduce((a, b) => a + b, 0) / 1000,
      9,
    );
  });

  it('gauges, outbox results and capacity totals per adapter', () => {
    const m = metrics({ function: 'outbox' });
    m.observeOutboxDepth(12);
    m.observeOutboxDepth(3);
    m.observeOutboxReplay({ replayed: 5, retried: 2, deadLettered: 1 });
    m.observeDynamoDbCapacityTotals('states', { readUnits: 2, writeUnits: 5 });
    m.observeDynamoDbCapacityTotals('states', { readUnits: 3.5, writeUnits: 5 });
    m.observeDynamoDbCapacityTotals('ledger', { readUnits: 0, writeUnits: 1 });
    const line = parseEmf(m.emfLine(NOW));
    expect(line).toMatchObject({ DynamoDbReadUnits: 3.5, DynamoDbWriteUnits: 6 });
    m.observeDynamoDbCapacityTotals('states', { readUnits: 4, writeUnits: 7 });
    expect(parseEmf(m.emfLine(NOW))).toMatchObject({
      DynamoDbReadUnits: 0.5,
      DynamoDbWriteUnits: 2,
    });
    const { series } = readUnit(m.remoteWriteUnit(NOW));
    expect(Object.fromEntries(series)).toEqual({
      lambdascrape_outbox_messages: 3,
      'lambdascrape_outbox_writes_total{result="replayed"}': 5,
      'lambdascrape_outbox_writes_total{result="retried"}': 2,
      'lambdascrape_outbox_writes_total{result="dead_lettered"}': 1,
      'lambdascrape_dynamodb_consumed_capacity_units_total{operation="read"}': 4,
      'lambdascrape_dynamodb_consumed_capacity_units_total{operation="write"}': 8,
    });
  });

  it('turns cumulative SQS counts into increases per queue', () => {
    const m = metrics({ function: 'dispatcher' });
    m.observeSqsMessagesSentTotal('scrape', 10);
    m.observeSqsMessagesSentTotal('scrape', 25);
    m.observeSqsMessagesSentTotal('outbox', 2);
    expect(parseEmf(m.emfLine(NOW)).SqsMessagesSent).toBe(27);
    m.observeSqsMessagesSentTotal('scrape', 25);
    expect(parseEmf(m.emfLine(NOW)).SqsMessagesSent).toBe(0);
    const { series } = readUnit(m.remoteWriteUnit(NOW));
    expect(Object.fromEntries(series)).toEqual({
      'lambdascrape_sqs_messages_sent_total{queue="scrape"}': 25,
      'lambdascrape_sqs_messages_sent_total{queue="outbox"}': 2,
    });
  });

  it('discovery: the targets gauge is what is stored after the run', () => {
    const m = metrics({ function: 'discovery' });
    m.observeDiscovery(discovery({ added: 2, changed: 1, removed: 5, unchanged: 10, kept: 3 }));
    m.observeSqsMessagesSent('scrape', 5);
    const { series } = readUnit(m.remoteWriteUnit(NOW));
    expect(Object.fromEntries(series)).toEqual({
      lambdascrape_targets: 16,
      'lambdascrape_sqs_messages_sent_total{queue="scrape"}': 5,
    });
  });

  it('keeps the same series refs and moves timestamps forward between units', () => {
    const m = metrics();
    m.observeTask(task());
    const a = m.remoteWriteUnit(NOW)!;
    const b = m.remoteWriteUnit(NOW - 5000)!;
    expect(b.entries[0]).toBe(a.entries[0]);
    expect(b.entries[0]!.labels).toBe(a.entries[0]!.labels);
    expect(b.timestamps[0]).toBe(Math.floor(NOW) + 1);
  });
});

describe('SelfMetrics unit through a RemoteWriter', () => {
  let rx: TestReceiver;
  let writer: RemoteWriter | undefined;
  beforeEach(async () => {
    rx = await startReceiver();
  });
  afterEach(async () => {
    await writer?.close();
    await rx.close();
  });

  it('encodes and is received as written', async () => {
    writer = new RemoteWriter(remoteWriteConfig(rx.url));
    const m = metrics();
    m.observeTask(task());
    const unit = m.remoteWriteUnit(NOW)!;
    const r = await writer.write(unit);
    expect(r).toMatchObject({ delivered: unit.length, rejected: 0, pending: 0 });
    const received = rx.requests.flatMap((q) => q.decoded!.timeseries);
    expect(received).toHaveLength(unit.length);
    const up = received.find((s) => s.labels.some((l) => l.name === 'result' && l.value === 'up'))!;
    expect(up.labels).toEqual([
      { name: '__name__', value: 'lambdascrape_scrapes_total' },
      { name: 'function', value: 'scraper' },
      { name: 'instance', value: INSTANCE },
      { name: 'job', value: 'lambdascrape' },
      { name: 'result', value: 'up' },
      { name: 'scrape_job', value: 'app' },
    ]);
    expect(up.samples).toEqual([expect.objectContaining({ value: 2, timestamp: Math.floor(NOW) })]);
  });
});

describe('SelfMetrics flush policy and options', () => {
  it('flushes on the first call, then once per interval', () => {
    const m = metrics();
    expect(m.shouldFlush(NOW)).toBe(true);
    expect(m.shouldFlush(NOW)).toBe(false);
    expect(m.shouldFlush(NOW + 14_999)).toBe(false);
    expect(m.shouldFlush(NOW + 15_000)).toBe(true);
    expect(m.shouldFlush(NOW + 20_000)).toBe(false);
    expect(m.shouldFlush(NOW + 30_000)).toBe(true);
    const fast = metrics({ flushIntervalMs: 1000 });
    expect(fast.shouldFlush(0)).toBe(true);
    expect(fast.shouldFlush(999)).toBe(false);
    expect(fast.shouldFlush(1000)).toBe(true);
  });

  it.each([
    { name: 'empty deployment', options: { deploymentId: '' } },
    { name: 'long deployment', options: { deploymentId: 'd'.repeat(1025) } },
    { name: 'empty instance', options: { instance: '' } },
    { name: 'unknown function', options: { function: 'web' as 'scraper' } },
    { name: 'negative interval', options: { flushIntervalMs: -1 } },
  ])('rejects $name', ({ options }) => {
    const err = (() => {
      try {
        metrics(options);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SelfMetricsError);
    expect(err).toMatchObject({ code: 'SELF_METRICS_INVALID_OPTIONS' });
  });
});

describe('scrapeLogFields', () => {
  it.each([
    { name: 'plain', url: 'http://10.0.0.1:9100/metrics', want: 'http://10.0.0.1:9100/metrics' },
    {
      name: 'userinfo',
      url: 'https://user:s3cret@host:9100/metrics',
      want: 'https://host:9100/metrics',
    },
    {
      name: 'userinfo escaped by the URL builder',
      url: 'http://user:s3cret%40host:9100/metrics',
      want: 'http://host:9100/metrics',
    },
    {
      name: 'secret query values',
      url: 'http://h/metrics?token=s3cret&apikey=s3cret&password=s3cret',
      want: 'http://h/metrics?token=xxxxx&apikey=xxxxx&password=xxxxx',
    },
    {
      name: 'probe module and target kept',
      url: 'http://bb:9115/probe?module=http_2xx&target=https%3A%2F%2Fexample.com%2Fhealth',
      want: 'http://bb:9115/probe?module=http_2xx&target=https%3A%2F%2Fexample.com%2Fhealth',
    },
    {
      name: 'probe target with credentials',
      url: 'http://bb:9115/probe?module=m&target=https%3A%2F%2Fu%3As3cret%40example.com',
      want: 'http://bb:9115/probe?module=m&target=xxxxx',
    },
    {
      name: 'probe target with its own query',
      url: 'http://bb/probe?target=https%3A%2F%2Fexample.com%2F%3Fkey%3Ds3cret',
      want: 'http://bb/probe?target=xxxxx',
    },
    {
      name: 'collect[] kept, bare parameter redacted',
      url: 'http://h/metrics?collect%5B%5D=cpu&s3cret',
      want: 'http://h/metrics?collect%5B%5D=cpu&xxxxx',
    },
    { name: 'fragment dropped', url: 'http://h/m#s3cret', want: 'http://h/m' },
  ])('redacts the url: $name', ({ url, want }) => {
    expect(redactTargetUrl(url)).toBe(want);
    expect(scrapeLogFields({ job: 'node', url }, scraped(1)).url).toBe(want);
  });

  it('has the fields of a scrape, the job as the only label, and a scrubbed error', () => {
    const url = 'http://admin:s3cret@10.0.0.1:9100/metrics?token=s3cret';
    const outcome: TargetOutcome = {
      ...(scraped(12, false, 'abcdef0123456789') as Extract<TargetOutcome, { kind: 'scraped' }>),
      waitedMs: 5,
      error: `Get "${url}": connect ECONNREFUSED; retry via https://other:pw@proxy:3128/`,
      delivery: { ...NO_DELIVERY, samplesSent: 10 },
      state: 'written',
    };
    const fields = scrapeLogFields({ job: 'node', url }, outcome);
    expect(fields).toEqual({
      job: 'node',
      target: 'abcdef0123456789',
      url: 'http://10.0.0.1:9100/metrics?token=xxxxx',
      outcome: 'scraped',
      slotMs: 1000,
      latenessMs: 12,
      waitedMs: 5,
      up: false,
      samples: 10,
      err: 'Get "http://10.0.0.1:9100/metrics?token=xxxxx": connect ECONNREFUSED; retry via https://proxy:3128/',
      state: 'written',
      delivery: { ...NO_DELIVERY, samplesSent: 10 },
    });
    expect(JSON.stringify(fields)).not.toContain('s3cret');
    expect(JSON.stringify(fields)).not.toContain(':pw@');
  });

  it.each([
    {
      name: 'late',
      outcome: { kind: 'late', targetId: 'x', slotMs: 5, latenessMs: 12_000 } as TargetOutcome,
      want: { outcome: 'late', slotMs: 5, latenessMs: 12_000 },
    },
    {
      name: 'skipped',
      outcome: { kind: 'skipped', targetId: 'x', reason: 'duplicate' } as TargetOutcome,
      want: { outcome: 'skipped', reason: 'duplicate' },
    },
    {
      name: 'retired',
      outcome: {
        kind: 'retired',
        targetId: 'x',
        markers: 7,
        delivery: NO_DELIVERY,
      } as TargetOutcome,
      want: { outcome: 'retired', markers: 7, delivery: NO_DELIVERY },
    },
  ])('has the fields of a $name target', ({ outcome, want }) => {
    expect(scrapeLogFields({ job: 'j', url: 'http://u:p@h/m' }, outcome)).toEqual({
      job: 'j',
      target: 'x',
      url: 'http://h/m',
      ...want,
    });
  });
});

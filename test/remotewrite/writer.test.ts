import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RelabelConfig } from '../../src/config/types.js';
import type { Labels } from '../../src/model/labels.js';
import { RemoteWriter, type RemoteWriterOptions } from '../../src/remotewrite/writer.js';
import { SampleBatch, type SeriesRef } from '../../src/scrape/batch.js';
import { remoteWriteConfig } from './config.js';
import { L, ref } from './series.js';
import { type DecodedLabel, reply, startReceiver, type TestReceiver } from './wire.js';

let rx: TestReceiver;
const writers: RemoteWriter[] = [];
beforeEach(async () => {
  rx = await startReceiver();
});
afterEach(async () => {
  for (const w of writers.splice(0)) await w.close();
  await rx.close();
});

type Cfg = Parameters<typeof remoteWriteConfig>[1];
function writer(overrides: Cfg = {}, options: RemoteWriterOptions = {}): RemoteWriter {
  const w = new RemoteWriter(
    remoteWriteConfig(rx.url, {
      ...overrides,
      queueConfig: { minBackoff: 5, maxBackoff: 20, ...overrides?.queueConfig },
    }),
    options,
  );
  writers.push(w);
  return w;
}

const rec = (labels: DecodedLabel[]) => Object.fromEntries(labels.map((l) => [l.name, l.value]));

function unit(target: string, n: number, ts = 1000): SampleBatch<SeriesRef> {
  const b = new SampleBatch<SeriesRef>(4);
  for (let i = 0; i < n; i++) b.push(ref({ __name__: 'm', instance: target, i: String(i) }), i, ts);
  return b;
}

const sentSeries = () =>
  rx.requests.flatMap((r) => r.decoded!.timeseries.map((t) => rec(t.labels)));

describe('RemoteWriter', () => {
  it('splits a unit into requests of at most max_samples_per_send, in order', async () => {
    const w = writer({ queueConfig: { maxSamplesPerSend: 10 } }, { concurrency: 1 });
    const r = await w.write(unit('t1', 25));
    expect(r).toMatchObject({ requests: 3, samples: 25, delivered: 25, rejected: 0, pending: 0 });
    expect(rx.requests.map((q) => q.decoded!.timeseries.length)).toEqual([10, 10, 5]);
    expect(sentSeries().map((s) => s.i)).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
    expect(w.counters).toMatchObject({ samplesSent: 25, requestsSent: 3 });
    expect(w.counters.bytesSent).toBe(rx.requests.reduce((n, q) => n + q.body.length, 0));
  });

  it('adds external labels where absent (series wins), then relabels, then sorts for the wire', async () => {
    const seen: Labels[] = [];
    const w = writer(
      {
        writeRelabelConfigs: [
          {
            sourceLabels: [],
            separator: ';',
            regex: '',
            regexSet: false,
            modulus: 0,
            targetLabel: '',
            replacement: '',
            action: 'drop',
          },
        ],
      },
      {
        externalLabels: { cluster: 'c1', region: 'ext', replica: 'r' },
        transformSeries: (labels) => {
          seen.push(labels);
          const name = labels.find((l) => l.name === '__name__')?.value;
          if (name === 'drop_me') return null;
          if (name === 'empty') return [];
          // Deliberately unsorted output: the writer must sort it.
          return [{ name: 'zz', value: 'last' }, ...labels.filter((l) => l.name !== 'replica')];
        },
      },
    );
    const b = new SampleBatch<SeriesRef>();
    b.push(ref({ __name__: 'keep', region: 'mine' }), 1, 1000);
    b.push(ref({ __name__: 'drop_me' }), 2, 1000);
    b.push(ref({ __name__: 'empty' }), 3, 1000);
    const r = await w.write(b);
    expect(r).toMatchObject({ samples: 1, dropped: 2, delivered: 1 });
    expect(seen[0]).toEqual(L({ __name__: 'keep', cluster: 'c1', region: 'mine', replica: 'r' }));
    expect(
      rx.requests[0]!.decoded!.timeseries[0]!.labels.map((l) => `${l.name}=${l.value}`),
    ).toEqual(['__name__=keep', 'cluster=c1', 'region=mine', 'zz=last']);
    expect(w.counters.samplesDropped).toBe(2);
  });

  it('applies write_relabel_configs with the relabel engine, after external labels', async () => {
    const rule = (r: Partial<RelabelConfig> & Pick<RelabelConfig, 'action'>): RelabelConfig => ({
      sourceLabels: [],
      separator: ';',
      regex: '(.*)',
      regexSet: false,
      modulus: 0,
      targetLabel: '',
      replacement: '$1',
      ...r,
    });
    const w = writer(
      {
        writeRelabelConfigs: [
          rule({ action: 'drop', sourceLabels: ['__name__'], regex: 'go_.*', regexSet: true }),
          // Sees the external label: relabeling runs after external labels are added (§11.1).
          rule({ action: 'replace', sourceLabels: ['cluster'], targetLabel: 'origin' }),
          rule({ action: 'labeldrop', regex: 'replica', regexSet: true }),
        ],
      },
      { externalLabels: { cluster: 'c1', replica: 'a' } },
    );
    const b = new SampleBatch<SeriesRef>();
    b.push(ref({ __name__: 'go_goroutines', job: 'j' }), 1, 1000);
    b.push(ref({ __name__: 'up', job: 'j' }), 1, 1000);
    const r = await w.write(b);
    expect(r).toMatchObject({ samples: 1, dropped: 1 });
    expect(sentSeries()).toEqual([{ __name__: 'up', cluster: 'c1', job: 'j', origin: 'c1' }]);
  });

  it('refuses write_relabel_configs that do not compile', () => {
    expect(
      () =>
        new RemoteWriter(
          remoteWriteConfig(rx.url, {
            writeRelabelConfigs: [
              {
                sourceLabels: ['__name__'],
                separator: ';',
                regex: '(unclosed',
                regexSet: true,
                modulus: 0,
                targetLabel: '',
                replacement: '$1',
                action: 'keep',
              },
            ],
          }),
        ),
    ).toThrow(expect.objectContaining({ code: 'RW_INVALID_CONFIG' }));
  });

  it('transforms and encodes a series once per series entry', async () => {
    let calls = 0;
    const w = writer(
      {},
      {
        transformSeries: (l) => {
          calls++;
          return l;
        },
      },
    );
    const series = [ref({ __name__: 'a' }), ref({ __name__: 'b' })];
    for (let scrape = 0; scrape < 3; scrape++) {
      const b = new SampleBatch<SeriesRef>();
      for (const s of series) b.push(s, scrape, 1000 + scrape);
      await w.write(b);
    }
    expect(calls).toBe(2);
    expect(sentSeries().length).toBe(6);
  });

  it('caches per entry, not per labels array: an entry that rebuilds its labels on each read is encoded once', async () => {
    let reads = 0;
    const labels = ref({ __name__: 'a', x: '1' }).labels;
    const entry: SeriesRef = {
      get labels() {
        reads++;
        return labels.map((l) => ({ ...l }));
      },
    };
    const w = writer();
    for (let scrape = 0; scrape < 3; scrape++) {
      const b = new SampleBatch<SeriesRef>();
      b.push(entry, scrape, 1000 + scrape);
      await w.write(b);
    }
    expect(reads).toBe(1);
    expect(sentSeries()).toEqual([
      { __name__: 'a', x: '1' },
      { __name__: 'a', x: '1' },
      { __name__: 'a', x: '1' },
    ]);
  });

  it('cacheInSeries: caches in the entry slot (dropped = zero bytes), same wire bytes as the WeakMap', async () => {
    let calls = 0;
    const transform = (l: Labels) => {
      calls++;
      return l.some((x) => x.value === 'drop') ? null : l;
    };
    const slotWriter = writer({}, { transformSeries: transform, cacheInSeries: true });
    const mapWriter = writer({}, { transformSeries: transform });
    const keep = ref({ __name__: 'a', x: 'keep' });
    const drop = ref({ __name__: 'a', x: 'drop' });
    const b = new SampleBatch<SeriesRef>();
    b.push(keep, 1, 1000);
    b.push(drop, 2, 1000);
    await slotWriter.write(b);
    await slotWriter.write(b);
    await mapWriter.write(b);
    expect(calls).toBe(4); // two series, once per writer
    expect(keep.encoded?.length).toBeGreaterThan(0);
    expect(drop.encoded?.length).toBe(0);
    expect(slotWriter.counters.samplesDropped).toBe(2);
    const [a, a2, c] = rx.requests.map((q) => Buffer.from(q.body).toString('hex'));
    expect(a).toBe(a2);
    expect(a).toBe(c);
  });

  it('cacheInSeries: bytes another writer left in the slot are not taken (a reload)', async () => {
    const before = writer({}, { externalLabels: { region: 'old' }, cacheInSeries: true });
    const after = writer({}, { externalLabels: { region: 'new' }, cacheInSeries: true });
    const series = ref({ __name__: 'a' });
    const b = new SampleBatch<SeriesRef>();
    b.push(series, 1, 1000);
    await before.write(b);
    await after.write(b);
    await after.write(b);
    const regions = rx.requests.map((q) => rec(q.decoded!.timeseries[0]!.labels).region);
    expect(regions).toEqual(['old', 'new', 'new']);
  });

  it('never mixes units in one request, even when written concurrently', async () => {
    const w = writer({ queueConfig: { maxSamplesPerSend: 7 } }, { concurrency: 3 });
    await Promise.all(['t1', 't2', 't3'].map((t) => w.write(unit(t, 10))));
    expect(rx.requests.length).toBe(6);
    for (const q of rx.requests) {
      const targets = new Set(q.decoded!.timeseries.map((t) => rec(t.labels).instance));
      expect(targets.size).toBe(1);
    }
  });

  it('bounds requests in flight across writes', async () => {
    let inFlight = 0;
    let peak = 0;
    for (let i = 0; i < 12; i++) {
      rx.respond((req, res) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        setTimeout(() => {
          inFlight--;
          reply(204)(req, res);
        }, 20);
      });
    }
    const w = writer({ queueConfig: { maxSamplesPerSend: 2 } }, { concurrency: 2 });
    await Promise.all([w.write(unit('a', 12)), w.write(unit('b', 12))]);
    expect(rx.requests.length).toBe(12);
    expect(peak).toBe(2);
  });

  it('counts retries as they happen, while the receiver still fails (regression)', async () => {
    // The counters used to move only once a request was settled: during a backend outage the
    // runner's lambdascrape_remote_write_samples_retried_total stayed flat (found by
    // test/e2e/remote-write-prometheus.test.ts). Prometheus counts each retry before its backoff.
    for (let i = 0; i < 1000; i++) rx.respond(reply(503));
    const w = writer();
    const abort = new AbortController();
    const pending = w.write(unit('t', 3), { signal: abort.signal });
    await vi.waitFor(() => expect(rx.requests.length).toBeGreaterThanOrEqual(3));
    expect(w.counters.requestsRetried).toBeGreaterThanOrEqual(2);
    expect(w.counters.samplesRetried).toBe(3 * w.counters.requestsRetried);
    expect(w.counters.samplesSent).toBe(0);
    abort.abort();
    const r = await pending;
    expect(r).toMatchObject({ delivered: 0, pending: 3 });
    expect(w.counters.requestsRetried).toBeGreaterThanOrEqual(rx.requests.length - 1);
  });

  it('reports delivered, rejected and parked requests; a parked request replays later', async () => {
    rx.respond(reply(400, 'bad'), reply(204));
    for (let i = 0; i < 100; i++) rx.respond(reply(503));
    const w = writer({ queueConfig: { maxSamplesPerSend: 4 } }, { concurrency: 1 });
    const r = await w.write(unit('t', 10), { retryUntil: Date.now() + 150 });
    expect(r).toMatchObject({ requests: 3, delivered: 4, rejected: 4, pending: 2 });
    expect(r.errors.map((e) => e.status)).toEqual([400]);
    expect(r.parked.length).toBe(1);
    expect(r.parked[0]!.samples).toBe(2);
    expect(r.parked[0]!.error.code).toBe('RW_DEADLINE');
    expect(w.counters).toMatchObject({
      samplesSent: 4,
      samplesFailed: 4,
      samplesPending: 2,
      requestsSent: 1,
      requestsFailed: 1,
      requestsPending: 1,
    });
    expect(w.counters.requestsRetried).toBeGreaterThan(0);
    expect(w.counters.samplesRetried).toBe(2 * w.counters.requestsRetried);

    // Later (another invocation, the receiver healthy again): replay the parked body as is.
    const healthy = await startReceiver();
    try {
      const w2 = new RemoteWriter(remoteWriteConfig(healthy.url));
      writers.push(w2);
      const replayed = await w2.replay(r.parked[0]!);
      expect(replayed.delivered).toBe(2);
      const replayedSeries = healthy.requests[0]!.decoded!.timeseries.map((t) => rec(t.labels).i);
      expect(replayedSeries).toEqual(['8', '9']);
      expect(w2.counters.samplesSent).toBe(2);
    } finally {
      await healthy.close();
    }
  });

  it('sends stale markers with the StaleNaN bits', async () => {
    const w = writer();
    const b = new SampleBatch<SeriesRef>();
    const s = ref({ __name__: 'gone' });
    b.push(s, 5, 1000);
    b.push(s, Number.NaN, 2000, true);
    b.push(ref({ __name__: 'nan' }), Number.NaN, 2000);
    await w.write(b);
    const samples = rx.requests[0]!.decoded!.timeseries.map((t) => t.samples[0]!.valueHex);
    expect(samples).toEqual(['0000000000001440', '020000000000f07f', '010000000000f87f']);
  });

  it('reads the unit synchronously: the batch may be reused before the promise settles', async () => {
    const w = writer({ queueConfig: { maxSamplesPerSend: 2 } }, { concurrency: 1 });
    const b = unit('t', 6);
    const pending = w.write(b);
    b.clear();
    b.push(ref({ __name__: 'other' }), 1, 1);
    await pending;
    expect(sentSeries().map((s) => s.i)).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it.each([
    { name: 'with send_exemplars', send: true, series: 2 },
    { name: 'without send_exemplars', send: false, series: 1 },
  ])('exemplars $name', async ({ send, series }) => {
    const w = writer({ sendExemplars: send });
    const b = new SampleBatch<SeriesRef>();
    const s = ref({ __name__: 'h_bucket', le: '1' });
    b.push(s, 3, 1000);
    b.addExemplar(s, { labels: L({ trace_id: 'abc' }), value: 0.7, timestampMs: 999 });
    await w.write(b);
    const ts = rx.requests[0]!.decoded!.timeseries;
    expect(ts.length).toBe(series);
    if (send) {
      expect(ts[1]!.exemplars).toEqual([
        { labels: [{ name: 'trace_id', value: 'abc' }], value: 0.7, timestamp: 999 },
      ]);
      expect(w.counters.exemplarsSent).toBe(1);
    }
  });

  it('sends metadata in separate requests, split by metadata_config.max_samples_per_send', async () => {
    const w = writer({
      metadataConfig: { send: true, sendInterval: 60_000, maxSamplesPerSend: 2 },
    });
    const items = ['a', 'b', 'c'].map((n) => ({
      type: 'gauge' as const,
      metricFamilyName: n,
      help: `help ${n}`,
      unit: '',
    }));
    const r = await w.writeMetadata(items);
    expect(r.requests).toBe(2);
    expect(rx.requests.map((q) => q.decoded!.metadata.map((m) => m.metricFamilyName))).toEqual([
      ['a', 'b'],
      ['c'],
    ]);
    expect(rx.requests[0]!.decoded!.timeseries).toEqual([]);
    expect(w.counters.metadataSent).toBe(3);

    const off = writer({
      metadataConfig: { send: false, sendInterval: 60_000, maxSamplesPerSend: 2 },
    });
    expect((await off.writeMetadata(items)).requests).toBe(0);
  });

  it('an empty unit sends nothing', async () => {
    const r = await writer().write(new SampleBatch<SeriesRef>());
    expect(r.requests).toBe(0);
    expect(rx.requests.length).toBe(0);
  });
});

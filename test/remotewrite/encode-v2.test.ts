/**
 * The 2.0 encoder through RemoteWriter.prepare, read back with protobufjs and the published
 * .proto (wire-v2.ts): symbols, labels, samples, stale markers, start timestamps, exemplars and
 * metadata, field by field; and the 2.0 → 1.0 re-encoding the fallback uses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FamilyMetadataView, SampleUnit } from '../../src/remotewrite/batch.js';
import { RequestV2Encoder, seriesSymbolIds } from '../../src/remotewrite/encode-v2.js';
import { snappyCompress, snappyDecompress } from '../../src/remotewrite/snappy.js';
import { SymbolTable } from '../../src/remotewrite/symbols.js';
import {
  PROTOBUF_MESSAGE_V1,
  PROTOBUF_MESSAGE_V2,
  protobufMessageOf,
  requestV2ToV1,
} from '../../src/remotewrite/transcode.js';
import { RemoteWriter, type RemoteWriterOptions } from '../../src/remotewrite/writer.js';
import { SampleBatch, type SeriesRef } from '../../src/scrape/batch.js';
import { remoteWriteConfig } from './config.js';
import { L, ref } from './series.js';
import { decodeWriteRequest } from './wire.js';
import {
  bitsOf,
  decodeV2,
  hasMetadataField,
  PROMETHEUS_NAN_BITS,
  STALE_BITS,
  type V2Request,
} from './wire-v2.js';

const writers: RemoteWriter[] = [];
afterEach(async () => {
  for (const w of writers.splice(0)) await w.close();
});

type Cfg = Parameters<typeof remoteWriteConfig>[1];
function writerV2(overrides: Cfg = {}, options: RemoteWriterOptions = {}): RemoteWriter {
  const w = new RemoteWriter(
    remoteWriteConfig('http://127.0.0.1:9/api/v1/write', {
      protobufMessage: PROTOBUF_MESSAGE_V2,
      ...overrides,
    }),
    options,
  );
  writers.push(w);
  return w;
}

const decodeBody = (body: Uint8Array): V2Request => decodeV2(snappyDecompress(body));
const T = 1_700_000_000_000;

describe('2.0 encoding (read with protobufjs and the published .proto)', () => {
  it('symbols start with "", hold each string once, and labels_refs resolve to the sorted labels', () => {
    const w = writerV2({}, { externalLabels: { cluster: 'c1' } });
    const b = new SampleBatch<SeriesRef>();
    b.push(
      ref({ __name__: 'http_requests_total', job: 'api', instance: 'a:1', code: '200' }),
      7,
      T,
    );
    b.push(
      ref({ __name__: 'http_requests_total', job: 'api', instance: 'a:1', code: '500' }),
      1,
      T,
    );
    b.push(ref({ __name__: 'up', job: 'api', instance: 'a:1' }), 1, T);
    const { requests } = w.prepare(b);
    expect(requests).toHaveLength(1);
    expect(protobufMessageOf(requests[0]!.body)).toBe(PROTOBUF_MESSAGE_V2);
    const req = decodeBody(requests[0]!.body);
    expect(req.symbols[0]).toBe('');
    expect(new Set(req.symbols).size).toBe(req.symbols.length);
    expect(req.timeseries.map((t) => t.labels)).toEqual([
      [
        ['__name__', 'http_requests_total'],
        ['cluster', 'c1'],
        ['code', '200'],
        ['instance', 'a:1'],
        ['job', 'api'],
      ],
      [
        ['__name__', 'http_requests_total'],
        ['cluster', 'c1'],
        ['code', '500'],
        ['instance', 'a:1'],
        ['job', 'api'],
      ],
      [
        ['__name__', 'up'],
        ['cluster', 'c1'],
        ['instance', 'a:1'],
        ['job', 'api'],
      ],
    ]);
    // Every symbol is used, and none but the empty string is referred to as 0.
    const used = new Set(req.timeseries.flatMap((t) => t.labels_refs));
    expect(used.has(0)).toBe(false);
    expect(used.size).toBe(req.symbols.length - 1);
    expect(req.timeseries.map((t) => t.samples.map((s) => [s.value, s.timestamp]))).toEqual([
      [[7, T]],
      [[1, T]],
      [[1, T]],
    ]);
  });

  it('samples: values, -0, +Inf, NaN as Prometheus NaN, stale markers as StaleNaN, start timestamps', () => {
    const w = writerV2();
    const b = new SampleBatch<SeriesRef>();
    const values = [0, -0, 1.5, Number.POSITIVE_INFINITY, Number.NaN, 0];
    values.forEach((v, i) => {
      b.push(ref({ __name__: 'm', i: String(i) }), v, T + i, i === 5);
    });
    const starts = new Float64Array(b.values.length);
    starts[2] = T - 60_000;
    starts[3] = 1; // the smallest start timestamp there is
    const unit: SampleUnit = { ...columnsOf(b), startTimestamps: starts };
    const req = decodeBody(w.prepare(unit).requests[0]!.body);
    const samples = req.timeseries.map((t) => t.samples[0]!);
    expect(samples.map((s) => s.bits)).toEqual([
      bitsOf(0),
      bitsOf(-0),
      bitsOf(1.5),
      bitsOf(Number.POSITIVE_INFINITY),
      PROMETHEUS_NAN_BITS,
      STALE_BITS,
    ]);
    expect(samples.map((s) => s.timestamp)).toEqual(values.map((_, i) => T + i));
    expect(samples.map((s) => s.start_timestamp)).toEqual([0, 0, T - 60_000, 1, 0, 0]);
    expect(req.timeseries.every((t) => t.histograms.length === 0)).toBe(true);
  });

  it('a negative timestamp is an int64 on the wire, not a zigzag', () => {
    const w = writerV2();
    const b = new SampleBatch<SeriesRef>();
    b.push(ref({ __name__: 'm' }), 1, -5_000);
    expect(decodeBody(w.prepare(b).requests[0]!.body).timeseries[0]!.samples[0]!.timestamp).toBe(
      -5_000,
    );
  });

  it('metadata per series: the family of its name (suffixes of its type), help and unit as symbols', () => {
    const w = writerV2();
    const families = new Map<string, FamilyMetadataView>([
      ['http_requests', { type: 'counter', help: 'Requests.', unit: '' }],
      ['latency_seconds', { type: 'histogram', help: 'Latency.', unit: 'seconds' }],
      ['temp', { type: 'gauge', help: 'Temperature.', unit: 'celsius' }],
      ['odd', { type: 'gauge', help: 'A gauge.', unit: '' }],
      ['nothing', { type: 'unknown', help: '', unit: '' }],
    ]);
    const b = new SampleBatch<SeriesRef>();
    for (const name of [
      'http_requests_total',
      'latency_seconds_bucket',
      'latency_seconds_sum',
      'latency_seconds_count',
      'temp',
      'odd_total', // a gauge family does not own _total series
      'nothing',
      'unknown_family',
    ]) {
      b.push(ref({ __name__: name }), 1, T);
    }
    b.metadata = families;
    const body = w.prepare(b).requests[0]!.body;
    const req = decodeBody(body);
    const meta = req.timeseries.map((t) => t.metadata);
    expect(meta.map((m) => m && [m.type, m.help, m.unit])).toEqual([
      [1, 'Requests.', ''],
      [3, 'Latency.', 'seconds'],
      [3, 'Latency.', 'seconds'],
      [3, 'Latency.', 'seconds'],
      [2, 'Temperature.', 'celsius'],
      undefined,
      undefined,
      undefined,
    ]);
    // Help texts are symbols too, sent once: unit '' is ref 0.
    expect(req.symbols.filter((s) => s === 'Latency.')).toHaveLength(1);
    expect(meta[0]!.unit_ref).toBe(0);
    // An all-default Metadata is left out, not sent empty.
    expect(hasMetadataField(snappyDecompress(body), 6)).toBe(false);
  });

  it('exemplars (send_exemplars) ride in their series’ TimeSeries, with the sample time when they have none', () => {
    const w = writerV2({ sendExemplars: true });
    const b = new SampleBatch<SeriesRef>();
    const a = ref({ __name__: 'req_total', path: '/a' });
    const c = ref({ __name__: 'req_total', path: '/c' });
    const orphan = ref({ __name__: 'req_total', path: '/orphan' });
    b.push(a, 10, T);
    b.push(c, 20, T);
    b.addExemplar(a, {
      labels: L({ trace_id: 'abc', span_id: 's1' }),
      value: 0.5,
      timestampMs: T - 7,
    });
    b.addExemplar(a, { labels: L({ trace_id: 'def' }), value: 0.75, timestampMs: 0 });
    b.addExemplar(orphan, { labels: L({ trace_id: 'zzz' }), value: 1, timestampMs: T - 1 });
    const { requests } = w.prepare(b);
    expect(requests[0]).toMatchObject({ samples: 2, exemplars: 3 });
    const req = decodeBody(requests[0]!.body);
    expect(
      req.timeseries.map((t) => [Object.fromEntries(t.labels).path, t.samples.length]),
    ).toEqual([
      ['/a', 1],
      ['/c', 1],
      ['/orphan', 0],
    ]);
    expect(req.timeseries[0]!.exemplars).toEqual([
      {
        labels_refs: expect.any(Array),
        labels: { span_id: 's1', trace_id: 'abc' },
        value: 0.5,
        timestamp: T - 7,
      },
      { labels_refs: expect.any(Array), labels: { trace_id: 'def' }, value: 0.75, timestamp: T },
    ]);
    expect(req.timeseries[1]!.exemplars).toEqual([]);
    expect(req.timeseries[2]!.exemplars.map((e) => [e.labels, e.timestamp])).toEqual([
      [{ trace_id: 'zzz' }, T - 1],
    ]);
    // Without send_exemplars none go out.
    const plain = writerV2();
    expect(decodeBody(plain.prepare(b).requests[0]!.body).timeseries).toHaveLength(2);
  });

  it('splits at max_samples_per_send; each request has its own symbols, refs from 1', () => {
    const w = writerV2({ queueConfig: { maxSamplesPerSend: 3 } });
    const b = new SampleBatch<SeriesRef>();
    for (let i = 0; i < 7; i++) b.push(ref({ __name__: 'm', i: String(i) }), i, T);
    const { requests } = w.prepare(b);
    expect(requests.map((r) => r.samples)).toEqual([3, 3, 1]);
    const decoded = requests.map((r) => decodeBody(r.body));
    expect(decoded.map((d) => d.timeseries.map((t) => Object.fromEntries(t.labels).i))).toEqual([
      ['0', '1', '2'],
      ['3', '4', '5'],
      ['6'],
    ]);
    for (const d of decoded) {
      expect(d.symbols[0]).toBe('');
      expect(d.symbols).not.toContain('0'.repeat(2));
      expect(d.symbols.length).toBe(1 + 2 + d.timeseries.length + 1); // '', __name__, m, i values, i
    }
  });

  it('write relabeling drops series in 2.0 as in 1.0; labels are sent sorted in byte order', () => {
    const w = writerV2(
      {},
      {
        transformSeries: (labels) =>
          labels.some((l) => l.name === '__name__' && l.value.startsWith('drop_')) ? null : labels,
      },
    );
    const b = new SampleBatch<SeriesRef>();
    b.push(ref({ __name__: 'keep', Zed: 'z', alpha: 'a' }), 1, T);
    b.push(ref({ __name__: 'drop_me' }), 1, T);
    const { requests, dropped } = w.prepare(b);
    expect(dropped).toBe(1);
    const req = decodeBody(requests[0]!.body);
    expect(req.timeseries.map((t) => t.labels.map(([n]) => n))).toEqual([
      ['Zed', '__name__', 'alpha'],
    ]);
  });
});

describe('2.0 request templates (a target scraped again)', () => {
  it('a long-lived writer’s requests are byte for byte a fresh writer’s, as series and metadata change', () => {
    const families = new Map<string, FamilyMetadataView>([
      ['c', { type: 'counter', help: 'C.', unit: '' }],
      ['g', { type: 'gauge', help: 'G.', unit: 'bytes' }],
    ]);
    const series = Array.from({ length: 9 }, (_, i) =>
      ref({ __name__: i % 2 === 0 ? 'c_total' : 'g', i: String(i), job: 'j' }),
    );
    const unitOfScrape = (n: number, members: readonly SeriesRef[]) => {
      const b = new SampleBatch<SeriesRef>();
      members.forEach((s, i) => {
        b.push(s, n * 10 + i, T + n * 15_000, n === 2 && i === 3);
      });
      b.metadata = families;
      return b;
    };
    const long = writerV2({ queueConfig: { maxSamplesPerSend: 4 } });
    const scrapes: [string, () => SampleBatch<SeriesRef>][] = [
      ['first', () => unitOfScrape(0, series)],
      ['same series, new values', () => unitOfScrape(1, series)],
      ['a stale marker', () => unitOfScrape(2, series)],
      [
        'help text changed',
        () => {
          families.set('g', { type: 'gauge', help: 'G, reworded.', unit: 'bytes' });
          return unitOfScrape(3, series);
        },
      ],
      [
        'a series gone',
        () =>
          unitOfScrape(
            4,
            series.filter((_, i) => i !== 1),
          ),
      ],
      ['a series back', () => unitOfScrape(5, series)],
      ['and again', () => unitOfScrape(6, series)],
    ];
    for (const [what, make] of scrapes) {
      const u = make();
      const fresh = writerV2({ queueConfig: { maxSamplesPerSend: 4 } });
      const got = long.prepare(u).requests.map((r) => [...snappyDecompress(r.body)]);
      const want = fresh.prepare(u).requests.map((r) => [...snappyDecompress(r.body)]);
      expect({ what, got }).toEqual({ what, got: want });
    }
    // And what they hold is right (the fresh writer's encoding is checked above).
    const last = decodeBody(long.prepare(unitOfScrape(7, series)).requests[0]!.body);
    expect(last.timeseries[1]!.metadata).toMatchObject({ help: 'G, reworded.', unit: 'bytes' });
    expect(last.timeseries.map((t) => t.samples[0]!.value)).toEqual([70, 71, 72, 73]);
  });
});

describe('SymbolTable', () => {
  it('hands out refs in first-use order per request, and resets when most ids went unused', () => {
    const t = new SymbolTable();
    const a = t.intern('a');
    const b = t.intern('b');
    expect(t.intern('a')).toBe(a);
    expect(t.intern('')).toBe(0);
    t.begin();
    expect([t.ref(b), t.ref(a), t.ref(b), t.ref(0)]).toEqual([1, 2, 1, 0]);
    t.begin();
    expect(t.ref(a)).toBe(1);
    // Grow past the first check with strings no request uses: the table asks to be reset.
    for (let i = 0; i < 70_000; i++) t.intern(`churn-${i}`);
    expect(t.shouldReset()).toBe(true);
    const epoch = t.epoch;
    t.reset();
    expect(t.epoch).toBe(epoch + 1);
    expect(t.size).toBe(1);
  });

  it('does not reset while most ids are in use; checks again at twice the size', () => {
    const t = new SymbolTable();
    const ids = Array.from({ length: 70_000 }, (_, i) => t.intern(`live-${i}`));
    t.begin();
    for (const id of ids) t.ref(id);
    expect(t.shouldReset()).toBe(false);
    for (let i = 0; i < 1000; i++) t.intern(`more-${i}`);
    expect(t.shouldReset()).toBe(false); // not at the next check yet
  });

  it('a writer recomputes ids cached with an older epoch', () => {
    const symbols = new SymbolTable();
    const enc = new RequestV2Encoder(symbols);
    const labels = L({ __name__: 'm', a: 'x' });
    const old = seriesSymbolIds(labels, symbols);
    symbols.reset();
    const fresh = seriesSymbolIds(labels, symbols);
    expect(fresh[0]).toBe(old[0]! + 1);
    const b = new SampleBatch<SeriesRef>();
    b.push({ labels }, 3, T);
    const req = decodeV2(enc.encode([fresh], [0], 0, 1, b));
    expect(req.timeseries[0]!.labels).toEqual([
      ['__name__', 'm'],
      ['a', 'x'],
    ]);
  });
});

describe('2.0 → 1.0 re-encoding (the fallback)', () => {
  it('keeps labels, every value bit (StaleNaN too), timestamps and exemplars; drops start timestamps and metadata', () => {
    const w = writerV2({ sendExemplars: true });
    const b = new SampleBatch<SeriesRef>();
    const s1 = ref({ __name__: 'c_total', job: 'j', Upper: 'U' });
    b.push(s1, 42, T);
    b.push(ref({ __name__: 'g', job: 'j' }), Number.NaN, T, true);
    b.push(ref({ __name__: 'g2', job: 'j' }), Number.NaN, T);
    b.push(ref({ __name__: 'zero', job: 'j' }), 0, 0);
    b.addExemplar(s1, { labels: L({ trace_id: 't' }), value: 2, timestampMs: T - 3 });
    b.metadata = new Map([['c', { type: 'counter', help: 'C.', unit: '' }]]);
    const starts = new Float64Array(b.values.length);
    starts[0] = T - 1000;
    const body = w.prepare({ ...columnsOf(b), startTimestamps: starts }).requests[0]!.body;

    const v1 = requestV2ToV1(body);
    expect(protobufMessageOf(v1.body)).toBe(PROTOBUF_MESSAGE_V1);
    expect(v1).toMatchObject({ samples: 4, exemplars: 1, histograms: 0 });
    const decoded = decodeWriteRequest(snappyDecompress(v1.body));
    expect(decoded.metadata).toEqual([]);
    expect(
      decoded.timeseries.map((t) => ({
        labels: t.labels.map((l) => `${l.name}=${l.value}`),
        samples: t.samples.map((s) => [s.valueHex, s.timestamp]),
        exemplars: t.exemplars.map((e) => [e.labels, e.value, e.timestamp]),
      })),
    ).toEqual([
      {
        labels: ['Upper=U', '__name__=c_total', 'job=j'],
        samples: [['0000000000004540', T]],
        exemplars: [[[{ name: 'trace_id', value: 't' }], 2, T - 3]],
      },
      { labels: ['__name__=g', 'job=j'], samples: [['020000000000f07f', T]], exemplars: [] },
      { labels: ['__name__=g2', 'job=j'], samples: [['010000000000f87f', T]], exemplars: [] },
      { labels: ['__name__=zero', 'job=j'], samples: [['', 0]], exemplars: [] },
    ]);
  });

  it('tells the two messages apart from the compressed body, and refuses a 1.0 body', () => {
    const v1 = new RemoteWriter(remoteWriteConfig('http://127.0.0.1:9/'));
    writers.push(v1);
    const b = new SampleBatch<SeriesRef>();
    b.push(ref({ __name__: 'm' }), 1, T);
    const body1 = v1.prepare(b).requests[0]!.body;
    expect(protobufMessageOf(body1)).toBe(PROTOBUF_MESSAGE_V1);
    expect(protobufMessageOf(snappyCompress(new Uint8Array(0)))).toBe(PROTOBUF_MESSAGE_V1);
    expect(() => requestV2ToV1(body1)).toThrow(expect.objectContaining({ code: 'RW_REENCODE' }));
    expect(() => requestV2ToV1(Uint8Array.of(1, 2, 3))).toThrow(
      expect.objectContaining({ code: 'RW_REENCODE' }),
    );
    // A long literal first (60+ bytes: extra length bytes before the data) is read right too.
    const big = writerV2().prepare(unitOf(200)).requests[0]!.body;
    expect(protobufMessageOf(big)).toBe(PROTOBUF_MESSAGE_V2);
  });
});

function unitOf(n: number): SampleBatch<SeriesRef> {
  const b = new SampleBatch<SeriesRef>();
  for (let i = 0; i < n; i++) b.push(ref({ __name__: `metric_with_a_long_name_${i}` }), i, T);
  return b;
}

/** A batch's columns as a plain unit (to add columns the batch class does not have). */
function columnsOf(b: SampleBatch<SeriesRef>): SampleUnit {
  return {
    length: b.length,
    entries: b.entries,
    values: b.values,
    timestamps: b.timestamps,
    stale: b.stale,
    exemplars: b.exemplars,
    metadata: b.metadata,
  };
}

/**
 * Native histograms over remote write, read back with protobufjs and the published .proto files
 * (wire-histogram.ts), field by field: 1.0 `TimeSeries.histograms` and 2.0 `TimeSeries.histograms`
 * (with start timestamps, exemplars and metadata), beside float rows and a stale marker; the
 * request templates of 2.0; the 2.0 → 1.0 re-encoding of the 415 fallback; and the counting of
 * histograms against `X-Prometheus-Remote-Write-Histograms-Written`.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { NativeHistogram } from '../../src/model/histogram.js';
import type { FamilyMetadataView } from '../../src/remotewrite/batch.js';
import { encodeLabels, WriteRequestEncoder } from '../../src/remotewrite/encode.js';
import {
  RequestV2Encoder,
  type SeriesSymbols,
  seriesSymbolIds,
} from '../../src/remotewrite/encode-v2.js';
import { snappyDecompress } from '../../src/remotewrite/snappy.js';
import { SymbolTable } from '../../src/remotewrite/symbols.js';
import {
  PROTOBUF_MESSAGE_V1,
  PROTOBUF_MESSAGE_V2,
  requestV2ToV1,
} from '../../src/remotewrite/transcode.js';
import { RemoteWriter } from '../../src/remotewrite/writer.js';
import { SampleBatch, type SeriesRef } from '../../src/scrape/batch.js';
import { nativeHistogram } from '../support/native-histogram.js';
import { remoteWriteConfig } from './config.js';
import { L, ref } from './series.js';
import { decodeV1, decodeV2Histograms, type WireHistogram } from './wire-histogram.js';
import { PROMETHEUS_NAN_BITS, STALE_BITS, startV2Receiver, type V2Receiver } from './wire-v2.js';

const T = 1_700_000_000_000;

const base = nativeHistogram();

/** Integer histogram: both sides, spans with negative offsets, a zero bucket. */
const INT: NativeHistogram = {
  ...base,
  schema: 3,
  zeroThreshold: 0.001,
  zeroCount: 2,
  count: 12,
  sum: 34.5,
  negativeSpans: [
    { offset: -2, length: 2 },
    { offset: 1, length: 1 },
  ],
  negativeBuckets: [1, 1, -1],
  positiveSpans: [{ offset: -1, length: 3 }],
  positiveBuckets: [2, -1, 3],
};
/** Float gauge histogram. */
const FLOAT_GAUGE: NativeHistogram = {
  ...base,
  float: true,
  counterResetHint: 'gauge',
  schema: -2,
  zeroThreshold: 0.5,
  zeroCount: 0.5,
  count: 6.5,
  sum: -1.25,
  negativeSpans: [{ offset: -3, length: 1 }],
  negativeBuckets: [0.5],
  positiveSpans: [{ offset: 0, length: 2 }],
  positiveBuckets: [2.5, 3],
};
/** Float histogram of nothing: its count and zero count stay float (the oneof members). */
const FLOAT_EMPTY: NativeHistogram = { ...base, float: true };
const NAN_SUM: NativeHistogram = {
  ...base,
  count: 1,
  sum: Number.NaN,
  positiveSpans: [{ offset: 0, length: 1 }],
  positiveBuckets: [1],
};
/** Custom buckets (NHCB). */
const NHCB: NativeHistogram = {
  ...base,
  schema: -53,
  count: 5,
  sum: 2,
  customValues: [0.1, 0.5, 1],
  positiveSpans: [{ offset: 0, length: 4 }],
  positiveBuckets: [1, 0, 2, -1],
};

/** The decoded form of a histogram we sent (without timestamps). */
function wire(h: NativeHistogram): Partial<WireHistogram> {
  const spans = (s: NativeHistogram['positiveSpans']) =>
    s.map((x) => ({ offset: x.offset, length: x.length }));
  return {
    ...(h.float
      ? {
          count: 'count_float',
          count_float: h.count,
          zero_count: 'zero_count_float',
          zero_count_float: h.zeroCount,
          negative_counts: [...h.negativeBuckets],
          positive_counts: [...h.positiveBuckets],
          negative_deltas: [],
          positive_deltas: [],
        }
      : {
          count: 'count_int',
          count_int: h.count,
          zero_count: 'zero_count_int',
          zero_count_int: h.zeroCount,
          negative_deltas: [...h.negativeBuckets],
          positive_deltas: [...h.positiveBuckets],
          negative_counts: [],
          positive_counts: [],
        }),
    ...(Number.isNaN(h.sum) ? {} : { sum: h.sum }),
    schema: h.schema,
    zero_threshold: h.zeroThreshold,
    negative_spans: spans(h.negativeSpans),
    positive_spans: spans(h.positiveSpans),
    reset_hint: h.counterResetHint === 'gauge' ? 'GAUGE' : 'UNKNOWN',
    custom_values: [...h.customValues],
  };
}

const SERIES = {
  up: ref({ __name__: 'up', job: 'j' }),
  latency: ref({ __name__: 'rpc_latency_seconds', job: 'j' }),
  queue: ref({ __name__: 'queue_depth', job: 'j' }),
  gone: ref({ __name__: 'gone_seconds', job: 'j' }),
  nan: ref({ __name__: 'nan_sum', job: 'j' }),
  nhcb: ref({ __name__: 'classic_seconds', job: 'j' }),
  empty: ref({ __name__: 'empty', job: 'j' }),
};
const FAMILIES = new Map<string, FamilyMetadataView>([
  ['up', { type: 'gauge', help: 'Target up.', unit: '' }],
  ['rpc_latency_seconds', { type: 'histogram', help: 'RPC latency.', unit: 'seconds' }],
  ['queue_depth', { type: 'gaugehistogram', help: 'Queue depth.', unit: '' }],
]);

/**
 * One scrape: a float, the histograms above (the latency one with an exemplar), and a stale
 * float marker of a histogram series that vanished; start timestamps on two rows.
 */
function unit(ts = T): SampleBatch<SeriesRef> {
  const b = new SampleBatch<SeriesRef>();
  b.push(SERIES.up, 1, ts, false, T - 5_000);
  b.pushHistogram(SERIES.latency, INT, ts, T - 60_000);
  b.pushHistogram(SERIES.queue, FLOAT_GAUGE, ts);
  b.push(SERIES.gone, Number.NaN, ts, true);
  b.pushHistogram(SERIES.nan, NAN_SUM, ts);
  b.pushHistogram(SERIES.nhcb, NHCB, ts);
  b.pushHistogram(SERIES.empty, FLOAT_EMPTY, ts);
  b.addExemplar(SERIES.latency, {
    labels: L({ trace_id: 'abc' }),
    value: 0.25,
    timestampMs: ts - 1,
  });
  b.metadata = FAMILIES;
  return b;
}

const writers: RemoteWriter[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const w of writers.splice(0)) await w.close();
  for (const c of closers.splice(0)) await c();
});

type Cfg = Parameters<typeof remoteWriteConfig>[1];
function writer(url: string, overrides: Cfg = {}): RemoteWriter {
  const w = new RemoteWriter(
    remoteWriteConfig(url, {
      sendNativeHistograms: true,
      sendExemplars: true,
      ...overrides,
      queueConfig: { minBackoff: 5, maxBackoff: 20, ...overrides?.queueConfig },
    }),
  );
  writers.push(w);
  return w;
}
const NOWHERE = 'http://127.0.0.1:9/api/v1/write';

describe('1.0: TimeSeries.histograms (prompb/types.proto)', () => {
  it('writes each histogram row as a TimeSeries with one Histogram and no Sample', () => {
    const w = writer(NOWHERE);
    const { requests, dropped } = w.prepare(unit());
    expect(requests).toHaveLength(1);
    // The custom-bucket histogram is not sent over 1.0 (as Prometheus's queue does).
    expect(dropped).toBe(1);
    expect(w.counters).toMatchObject({ histogramsDropped: 1, samplesDropped: 0 });
    expect(requests[0]).toMatchObject({ samples: 6, histograms: 4, exemplars: 1 });
    const req = decodeV1(snappyDecompress(requests[0]!.body));
    const byName = (n: string) => req.timeseries.filter((t) => t.labels.__name__ === n);

    expect(byName('up')).toEqual([
      {
        labels: { __name__: 'up', job: 'j' },
        samples: [{ value: 1, bits: '3ff0000000000000', timestamp: T }],
        exemplars: [],
        histograms: [],
      },
    ]);
    const [latency, latencyExemplar] = byName('rpc_latency_seconds');
    expect(latency!.samples).toEqual([]);
    expect(latency!.histograms).toEqual([
      { ...wire(INT), sum_bits: '4041400000000000', timestamp: T },
    ]);
    // 1.0 exemplars ride in TimeSeries of their own, as Prometheus sends them.
    expect(latencyExemplar).toEqual({
      labels: { __name__: 'rpc_latency_seconds', job: 'j' },
      samples: [],
      histograms: [],
      exemplars: [{ labels: { trace_id: 'abc' }, value: 0.25, timestamp: T - 1 }],
    });
    expect(byName('queue_depth')[0]!.histograms).toEqual([
      expect.objectContaining({ ...wire(FLOAT_GAUGE), timestamp: T }),
    ]);
    // The stale marker of a histogram series is a float row with the StaleNaN bits.
    expect(byName('gone_seconds')[0]).toMatchObject({
      samples: [{ bits: STALE_BITS, timestamp: T }],
      histograms: [],
    });
    const nan = byName('nan_sum')[0]!.histograms[0]!;
    expect(nan.sum_bits).toBe(PROMETHEUS_NAN_BITS);
    expect(nan).toMatchObject(wire(NAN_SUM));
    expect(byName('classic_seconds')).toEqual([]);
    // count_float and zero_count_float are on the wire at 0: still a float histogram.
    expect(byName('empty')[0]!.histograms[0]).toMatchObject({
      count: 'count_float',
      count_float: 0,
      zero_count: 'zero_count_float',
      zero_count_float: 0,
      sum: 0,
      schema: 0,
      timestamp: T,
    });
  });

  it('the encoder itself writes custom_values (schema -53) and -0.0 sums', () => {
    const enc = new WriteRequestEncoder(16);
    const labels = [encodeLabels(L({ __name__: 'a' })), encodeLabels(L({ __name__: 'b' }))];
    const b = new SampleBatch<SeriesRef>();
    b.pushHistogram(ref({ __name__: 'a' }), NHCB, -5);
    b.pushHistogram(ref({ __name__: 'b' }), { ...INT, sum: -0 }, 0);
    const req = decodeV1(enc.encodeSamples(labels, Int32Array.of(0, 1), 0, 2, b));
    expect(req.timeseries[0]!.histograms[0]).toMatchObject({
      ...wire(NHCB),
      schema: -53,
      custom_values: [0.1, 0.5, 1],
      timestamp: -5,
    });
    expect(req.timeseries[1]!.histograms[0]!.sum_bits).toBe('8000000000000000');
    expect(req.timeseries[1]!.histograms[0]!.timestamp).toBe(0);
  });

  it('send_native_histograms false leaves histogram rows out (counted as dropped)', () => {
    const w = writer(NOWHERE, { sendNativeHistograms: false });
    const { requests, dropped } = w.prepare(unit());
    expect(dropped).toBe(5);
    expect(w.counters.histogramsDropped).toBe(5);
    expect(requests[0]).toMatchObject({ samples: 2, histograms: 0 });
    const req = decodeV1(snappyDecompress(requests[0]!.body));
    expect(req.timeseries.flatMap((t) => t.histograms)).toEqual([]);
  });

  it('histograms of series dropped by write relabeling count as dropped histograms', () => {
    const w = new RemoteWriter(remoteWriteConfig(NOWHERE, { sendNativeHistograms: true }), {
      transformSeries: (labels) =>
        labels.some((l) => l.value === 'rpc_latency_seconds' || l.value === 'up') ? null : labels,
    });
    writers.push(w);
    const { dropped } = w.prepare(unit());
    expect(dropped).toBe(3);
    expect(w.counters).toMatchObject({ samplesDropped: 1, histogramsDropped: 2 });
  });
});

describe('2.0: TimeSeries.histograms (io.prometheus.write.v2)', () => {
  it('writes histograms with start timestamps, exemplars and their family metadata', () => {
    const w = writer(NOWHERE, { protobufMessage: PROTOBUF_MESSAGE_V2 });
    const { requests, dropped } = w.prepare(unit());
    expect(dropped).toBe(0);
    expect(requests[0]).toMatchObject({ samples: 7, histograms: 5, exemplars: 1 });
    const req = decodeV2Histograms(snappyDecompress(requests[0]!.body));
    const byName = (n: string) => req.timeseries.find((t) => t.labels.__name__ === n)!;

    expect(byName('up')).toMatchObject({
      samples: [{ value: 1, timestamp: T, start_timestamp: T - 5_000 }],
      histograms: [],
      metadata: { type: 'METRIC_TYPE_GAUGE', help: 'Target up.', unit: '' },
    });
    expect(byName('rpc_latency_seconds')).toEqual({
      labels: { __name__: 'rpc_latency_seconds', job: 'j' },
      samples: [],
      histograms: [
        {
          ...wire(INT),
          reset_hint: 'RESET_HINT_UNSPECIFIED',
          sum_bits: '4041400000000000',
          timestamp: T,
          start_timestamp: T - 60_000,
        },
      ],
      exemplars: [{ labels: { trace_id: 'abc' }, value: 0.25, timestamp: T - 1 }],
      metadata: { type: 'METRIC_TYPE_HISTOGRAM', help: 'RPC latency.', unit: 'seconds' },
    });
    expect(byName('queue_depth')).toMatchObject({
      samples: [],
      histograms: [
        { ...wire(FLOAT_GAUGE), reset_hint: 'RESET_HINT_GAUGE', timestamp: T, start_timestamp: 0 },
      ],
      metadata: { type: 'METRIC_TYPE_GAUGEHISTOGRAM', help: 'Queue depth.', unit: '' },
    });
    expect(byName('gone_seconds')).toMatchObject({
      samples: [{ bits: STALE_BITS, timestamp: T, start_timestamp: 0 }],
      histograms: [],
    });
    expect(byName('nan_sum').histograms[0]!.sum_bits).toBe(PROMETHEUS_NAN_BITS);
    expect(byName('classic_seconds').histograms).toEqual([
      expect.objectContaining({
        ...wire(NHCB),
        reset_hint: 'RESET_HINT_UNSPECIFIED',
        custom_values: [0.1, 0.5, 1],
        schema: -53,
      }),
    ]);
    expect(byName('empty').histograms[0]).toMatchObject({
      count: 'count_float',
      zero_count: 'zero_count_float',
    });
  });

  it('a request template gives the same bytes as a full encode, histograms included', () => {
    const symbols = new SymbolTable();
    const enc = new RequestV2Encoder(symbols, 16);
    const u = unit();
    const ids: SeriesSymbols[] = [];
    for (let i = 0; i < u.length; i++) ids.push(seriesSymbolIds(u.entries[i]!.labels, symbols));
    const rows = Int32Array.from({ length: u.length }, (_, i) => i);
    const slot = {};
    const first = enc.encode(ids, rows, 0, u.length, u, undefined, undefined, slot).slice();
    // The next scrape: other values and timestamps, a histogram where a float was and back.
    const next = new SampleBatch<SeriesRef>();
    next.pushHistogram(SERIES.up, INT, T + 15_000, T - 5_000);
    next.pushHistogram(SERIES.latency, FLOAT_GAUGE, T + 15_000);
    next.push(SERIES.queue, 3, T + 15_000);
    next.push(SERIES.gone, Number.NaN, T + 15_000, true);
    next.pushHistogram(SERIES.nan, { ...NAN_SUM, count: 300, positiveBuckets: [300] }, T + 15_000);
    next.pushHistogram(SERIES.nhcb, NHCB, T + 15_000);
    next.push(SERIES.empty, 0, T + 15_000);
    const viaTemplate = enc
      .encode(ids, rows, 0, u.length, next, undefined, undefined, slot)
      .slice();
    const full = enc.encode(ids, rows, 0, u.length, next).slice();
    expect(Buffer.from(viaTemplate).equals(Buffer.from(full))).toBe(true);
    expect(Buffer.from(first).equals(Buffer.from(full))).toBe(false);
    const req = decodeV2Histograms(full);
    expect(req.timeseries[0]!.histograms[0]).toMatchObject({
      ...wire(INT),
      reset_hint: 'RESET_HINT_UNSPECIFIED',
      timestamp: T + 15_000,
      start_timestamp: T - 5_000,
    });
    expect(req.timeseries[2]!.samples).toMatchObject([{ value: 3 }]);
    expect(req.timeseries[4]!.histograms[0]).toMatchObject({ count_int: 300 });
  });
});

describe('large histograms (lengths of more than one varint byte)', () => {
  const big: NativeHistogram = {
    ...INT,
    positiveSpans: [{ offset: -100, length: 200 }],
    positiveBuckets: Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 70_000 : -69_999)),
  };
  const bigFloat: NativeHistogram = {
    ...FLOAT_GAUGE,
    positiveSpans: [{ offset: 5, length: 40 }],
    positiveBuckets: Array.from({ length: 40 }, (_, i) => i / 3),
  };
  const u = () => {
    const b = new SampleBatch<SeriesRef>();
    b.pushHistogram(SERIES.latency, big, T, T - 1);
    b.push(SERIES.up, 2, T);
    b.pushHistogram(SERIES.queue, bigFloat, T);
    return b;
  };

  it('1.0 and 2.0 (full and template) decode to what was sent', () => {
    const v1 = decodeV1(snappyDecompress(writer(NOWHERE).prepare(u()).requests[0]!.body));
    expect(v1.timeseries[0]!.histograms[0]).toMatchObject(wire(big));
    expect(v1.timeseries[2]!.histograms[0]).toMatchObject(wire(bigFloat));
    const w2 = writer(NOWHERE, { protobufMessage: PROTOBUF_MESSAGE_V2 });
    for (let round = 0; round < 2; round++) {
      const batch = u();
      batch.metadata = FAMILIES; // the same source: the second round copies the template
      const v2 = decodeV2Histograms(snappyDecompress(w2.prepare(batch).requests[0]!.body));
      expect(v2.timeseries[0]!.histograms[0]).toMatchObject({
        ...wire(big),
        reset_hint: 'RESET_HINT_UNSPECIFIED',
        start_timestamp: T - 1,
      });
      expect(v2.timeseries[1]!.samples).toMatchObject([{ value: 2 }]);
      expect(v2.timeseries[2]!.histograms[0]).toMatchObject({
        ...wire(bigFloat),
        reset_hint: 'RESET_HINT_GAUGE',
      });
    }
  });
});

describe('2.0 → 1.0 re-encoding (the 415 fallback)', () => {
  it('keeps histograms field for field, drops start timestamps and custom-bucket histograms', () => {
    const w = writer(NOWHERE, { protobufMessage: PROTOBUF_MESSAGE_V2 });
    const { requests } = w.prepare(unit());
    const v2 = decodeV2Histograms(snappyDecompress(requests[0]!.body));
    const r = requestV2ToV1(requests[0]!.body);
    expect(r).toMatchObject({ samples: 2, histograms: 4, histogramsLeftOut: 1, exemplars: 1 });
    const v1 = decodeV1(snappyDecompress(r.body));
    // The NHCB series carried nothing else: no TimeSeries at all.
    expect(v1.timeseries.map((t) => t.labels.__name__)).toEqual([
      'up',
      'rpc_latency_seconds',
      'queue_depth',
      'gone_seconds',
      'nan_sum',
      'empty',
    ]);
    const v2Kept = v2.timeseries.filter((t) => t.labels.__name__ !== 'classic_seconds');
    v1.timeseries.forEach((t, i) => {
      const src = v2Kept[i]!;
      expect(t.labels).toEqual(src.labels);
      expect(t.samples).toEqual(src.samples.map(({ start_timestamp: _, ...s }) => s));
      expect(t.histograms).toEqual(
        src.histograms.map(({ start_timestamp: _, reset_hint, ...h }) => ({
          ...h,
          reset_hint: reset_hint.replace('RESET_HINT_', '').replace('UNSPECIFIED', 'UNKNOWN'),
        })),
      );
      // 1.0 has no start timestamps: none reach the 1.0 decoder.
      expect(t.histograms.every((h) => !('start_timestamp' in h))).toBe(true);
    });
    expect(v1.timeseries[1]!.exemplars).toEqual([
      { labels: { trace_id: 'abc' }, value: 0.25, timestamp: T - 1 },
    ]);
  });

  it('a receiver that answers 415 gets the histograms over 1.0, counted', async () => {
    const rx: V2Receiver = await startV2Receiver('v1-415');
    closers.push(() => rx.close());
    const w = writer(rx.url, { protobufMessage: PROTOBUF_MESSAGE_V2 });
    const result = await w.write(unit());
    expect(w.protobufMessage).toBe(PROTOBUF_MESSAGE_V1);
    expect(rx.requests.map((r) => r.message)).toEqual(['v2', 'v1']);
    const sent = decodeV1(snappyDecompress(rx.requests[1]!.body));
    expect(sent.timeseries.flatMap((t) => t.histograms)).toHaveLength(4);
    expect(sent.timeseries.find((t) => t.labels.__name__ === 'rpc_latency_seconds')).toMatchObject({
      histograms: [{ ...wire(INT), timestamp: T }],
    });
    expect(result).toMatchObject({ samples: 6, delivered: 6, rejected: 0, dropped: 1 });
    expect(w.counters).toMatchObject({
      samplesSent: 2,
      histogramsSent: 4,
      histogramsDropped: 1,
      exemplarsSent: 1,
      requestsReencoded: 1,
    });
  });
});

/** A receiver answering 204 with the given written headers, recording what it got. */
async function headerReceiver(headers: Record<string, string>) {
  const got: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      got.push(req.headers);
      res.writeHead(204, headers);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/w`, got };
}

describe('written headers: histograms counted against …-Histograms-Written', () => {
  it('a 2.0 receiver that wrote every row: samples and histograms counted apart', async () => {
    const rx = await startV2Receiver('v2');
    closers.push(() => rx.close());
    const w = writer(rx.url, { protobufMessage: PROTOBUF_MESSAGE_V2 });
    const result = await w.write(unit());
    expect(result).toMatchObject({ samples: 7, delivered: 7, rejected: 0 });
    expect(result.warnings).toBeUndefined();
    expect(w.counters).toMatchObject({
      samplesSent: 2,
      histogramsSent: 5,
      histogramsFailed: 0,
      exemplarsSent: 1,
    });
  });

  it('histograms short of what was sent are failed histograms, reported once', async () => {
    const rx = await headerReceiver({
      'X-Prometheus-Remote-Write-Samples-Written': '2',
      'X-Prometheus-Remote-Write-Histograms-Written': '3',
      'X-Prometheus-Remote-Write-Exemplars-Written': '1',
    });
    const w = writer(rx.url, { protobufMessage: PROTOBUF_MESSAGE_V2 });
    const result = await w.write(unit());
    expect(result).toMatchObject({ samples: 7, delivered: 5, rejected: 2 });
    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: 'RW_PARTIAL_WRITE',
        message: expect.stringContaining('wrote 2 of 2 samples, 3 of 5 histograms and 1 of 1'),
      }),
    ]);
    expect(w.counters).toMatchObject({
      samplesSent: 2,
      samplesFailed: 0,
      histogramsSent: 3,
      histogramsFailed: 2,
    });
  });

  it('a written samples count does not stand in for histograms', async () => {
    // A receiver that counts histograms as samples: 6 samples written, 0 histograms.
    const rx = await headerReceiver({
      'X-Prometheus-Remote-Write-Samples-Written': '6',
      'X-Prometheus-Remote-Write-Histograms-Written': '0',
    });
    const w = writer(rx.url);
    const result = await w.write(unit());
    expect(result).toMatchObject({ samples: 6, delivered: 2, rejected: 4 });
    expect(w.counters).toMatchObject({ samplesSent: 2, histogramsSent: 0, histogramsFailed: 4 });
  });

  it('a replayed request without its histogram count is checked on its rows as a whole', async () => {
    const rx = await headerReceiver({
      'X-Prometheus-Remote-Write-Samples-Written': '2',
      'X-Prometheus-Remote-Write-Histograms-Written': '4',
      'X-Prometheus-Remote-Write-Exemplars-Written': '1',
    });
    const w = writer(rx.url);
    const { requests } = w.prepare(unit());
    const { histograms: _, ...kept } = requests[0]!;
    const result = await w.replay(kept);
    expect(result).toMatchObject({ samples: 6, delivered: 6, rejected: 0 });
    expect(result.warnings).toBeUndefined();
  });

  it('retries count histograms apart from samples', async () => {
    let calls = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(calls++ === 0 ? 503 : 204);
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    const w = writer(`http://127.0.0.1:${(server.address() as AddressInfo).port}/w`);
    await w.write(unit());
    expect(w.counters).toMatchObject({
      requestsRetried: 1,
      samplesRetried: 2,
      histogramsRetried: 4,
      samplesSent: 2,
      histogramsSent: 4,
    });
  });
});

import { describe, expect, it } from 'vitest';
import type { Labels } from '../../src/model/labels.js';
import {
  addExternalLabels,
  type ExemplarEntry,
  encodeLabels,
  type MetricMetadata,
  WriteRequestEncoder,
} from '../../src/remotewrite/encode.js';
import {
  int64Length,
  utf8Length,
  uvarintLength,
  writeInt64,
  writeUvarint,
} from '../../src/remotewrite/protobuf.js';
import { SampleBatch, type SeriesRef } from '../../src/scrape/batch.js';
import { decodeWriteRequest } from './wire.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const strip = (s: string) => s.replace(/\s+|\|.*$/gm, '');
const L = (...pairs: string[]): Labels => {
  const out = [];
  for (let i = 0; i < pairs.length; i += 2) out.push({ name: pairs[i]!, value: pairs[i + 1]! });
  return out;
};

/** Encodes the whole batch, one request. */
function encodeBatch(batch: SampleBatch<SeriesRef>, exemplars?: ExemplarEntry[]): Uint8Array {
  const labels = batch.entries.slice(0, batch.length).map((e) => encodeLabels(e.labels));
  const rows = Array.from({ length: batch.length }, (_, i) => i);
  return new WriteRequestEncoder(16).encodeSamples(labels, rows, 0, rows.length, batch, exemplars);
}

describe('varints', () => {
  const cases = [
    { name: '0', v: 0, bytes: '00' },
    { name: '1', v: 1, bytes: '01' },
    { name: '127', v: 127, bytes: '7f' },
    { name: '128', v: 128, bytes: '8001' },
    { name: '300', v: 300, bytes: 'ac02' },
    { name: '2^31', v: 2 ** 31, bytes: '8080808008' },
    { name: '2^32', v: 2 ** 32, bytes: '808080801' + '0' },
    { name: 'a ms timestamp', v: 1_700_000_000_000, bytes: '80d095ffbc31' },
    { name: '2^53', v: 2 ** 53, bytes: '808080808080801' + '0' },
    { name: '-1', v: -1, bytes: 'ffffffffffffffffff01' },
    { name: '-1000', v: -1000, bytes: '98f8ffffffffffffff01' },
    { name: '-2^32', v: -(2 ** 32), bytes: '80808080f0ffffffff01' },
    { name: '-2^53', v: -(2 ** 53), bytes: '80808080808080f0ff01' },
  ];
  it.each(cases)('int64 $name', ({ v, bytes }) => {
    const buf = new Uint8Array(10);
    const n = writeInt64(buf, 0, v);
    expect(hex(buf.subarray(0, n))).toBe(bytes);
    expect(int64Length(v)).toBe(n);
    // Same bits as the two's complement through BigInt.
    let big = BigInt.asUintN(64, BigInt(v));
    const ref: number[] = [];
    do {
      const low = Number(big & 0x7fn);
      big >>= 7n;
      ref.push(big > 0n ? low | 0x80 : low);
    } while (big > 0n);
    expect(hex(Uint8Array.from(ref))).toBe(bytes);
  });
  it.each(cases.filter((c) => c.v >= 0))('uvarint $name', ({ v, bytes }) => {
    const buf = new Uint8Array(10);
    const n = writeUvarint(buf, 0, v);
    expect(hex(buf.subarray(0, n))).toBe(bytes);
    expect(uvarintLength(v)).toBe(n);
  });
  it('uvarint and int64 agree with BigInt at every power-of-two boundary up to 2^53', () => {
    const ref = (v: number) => {
      let big = BigInt.asUintN(64, BigInt(v));
      const out: number[] = [];
      do {
        const low = Number(big & 0x7fn);
        big >>= 7n;
        out.push(big > 0n ? low | 0x80 : low);
      } while (big > 0n);
      return hex(Uint8Array.from(out));
    };
    const buf = new Uint8Array(10);
    for (let k = 0; k <= 53; k++) {
      for (const v of [2 ** k - 1, 2 ** k, 2 ** k + 1, Math.floor(2 ** k * 0.7)]) {
        if (v > 2 ** 53) continue;
        const n = writeUvarint(buf, 0, v);
        expect(hex(buf.subarray(0, n)), `uvarint ${v}`).toBe(ref(v));
        expect(uvarintLength(v), `uvarintLength ${v}`).toBe(n);
        const m = writeInt64(buf, 0, -v);
        expect(hex(buf.subarray(0, m)), `int64 ${-v}`).toBe(ref(-v));
        expect(int64Length(-v), `int64Length ${-v}`).toBe(m);
      }
    }
  });
});

describe('utf8Length', () => {
  it.each([
    ['ascii', 'abc'],
    ['2-byte', 'é'],
    ['3-byte', '€'],
    ['surrogate pair', '😀'],
    ['lone high surrogate', 'a\ud800b'],
    ['lone low surrogate', '\udc00'],
    ['high at end', 'x\ud83d'],
    ['mixed', 'a€😀é\ud800'],
  ])('%s', (_name, s) => {
    expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
  });
});

describe('WriteRequest bytes', () => {
  it('encodes a small request exactly (hand-computed)', () => {
    const batch = new SampleBatch<SeriesRef>();
    batch.push({ labels: L('__name__', 'up', 'job', 'a') }, 1, 1000);
    const expected = strip(`
      0a 28                           | WriteRequest.timeseries, 40 bytes
      0a 0e 0a 08 5f5f6e616d655f5f    | Label { name "__name__"
            12 02 7570                |         value "up" }
      0a 08 0a 03 6a6f62 12 01 61     | Label { "job" "a" }
      12 0c                           | Sample, 12 bytes
            09 000000000000f03f       |   value 1.0 (fixed64 LE)
            10 e807                   |   timestamp 1000
    `);
    expect(hex(encodeBatch(batch))).toBe(expected);
  });

  it('writes StaleNaN and Prometheus NaN bytes exactly, and negative timestamps in 10 bytes', () => {
    const batch = new SampleBatch<SeriesRef>();
    const series = { labels: L('__name__', 'a') };
    batch.push(series, 123, 1, true); // stale: the value is ignored
    batch.push(series, Number.NaN, -1);
    const label = '0a0d 0a08 5f5f6e616d655f5f 1201 61';
    const expected = strip(`
      0a 1c ${label}
        12 0b 09 02000000 0000f07f 10 01
      0a 25 ${label}
        12 14 09 01000000 0000f87f 10 ffffffffffffffffff01
    `);
    expect(hex(encodeBatch(batch))).toBe(expected);
  });

  it('never writes a NaN payload it was handed: a StaleNaN-bits value without the flag is a plain NaN', () => {
    const batch = new SampleBatch<SeriesRef>();
    new DataView(batch.values.buffer).setBigUint64(0, 0x7ff0000000000002n, true);
    batch.entries[0] = { labels: L('__name__', 'a') };
    batch.timestamps[0] = 5;
    batch.length = 1;
    const decoded = decodeWriteRequest(encodeBatch(batch));
    expect(decoded.timeseries[0]!.samples[0]!.valueHex).toBe('010000000000f87f');
  });

  it.each([
    { name: '+0 value and 0 timestamp are omitted (proto3 defaults)', v: 0, ts: 0, sample: '1200' },
    { name: '-0 keeps its sign', v: -0, ts: 0, sample: '1209090000000000000080' },
    { name: '+Inf', v: Number.POSITIVE_INFINITY, ts: 0, sample: '1209 09000000000000f07f' },
    { name: 'only a timestamp', v: 0, ts: 2, sample: '1202 1002' },
  ])('$name', ({ v, ts, sample }) => {
    const batch = new SampleBatch<SeriesRef>();
    batch.push({ labels: L('a', 'b') }, v, ts);
    expect(hex(encodeBatch(batch))).toBe(
      strip(
        `0a${(8 + strip(sample).length / 2).toString(16).padStart(2, '0')} 0a06 0a0161 120162 ${sample}`,
      ),
    );
  });

  it('encodes UTF-8 label names and values', () => {
    const labels = L('__name__', 'm', 'é', '😀 €');
    const bytes = encodeLabels(labels);
    const batch = new SampleBatch<SeriesRef>();
    batch.push({ labels }, 1, 1);
    expect(decodeWriteRequest(encodeBatch(batch)).timeseries[0]!.labels).toEqual(labels);
    expect(hex(bytes)).toContain(strip('0a 02 c3a9 12 08 f09f9880 20 e282ac'));
  });

  it('skips empty label values', () => {
    expect(hex(encodeLabels(L('a', '', 'b', 'c')))).toBe('0a060a0162120163');
  });

  it('encodes exemplars as TimeSeries with labels and one exemplar (field 3)', () => {
    const batch = new SampleBatch<SeriesRef>();
    batch.push({ labels: L('__name__', 'h') }, 2, 10);
    const decoded = decodeWriteRequest(
      encodeBatch(batch, [
        {
          series: encodeLabels(L('__name__', 'h')),
          labels: encodeLabels(L('trace_id', 'abc')),
          value: 0.5,
          timestampMs: 9,
        },
      ]),
    );
    expect(decoded.timeseries).toEqual([
      {
        labels: [{ name: '__name__', value: 'h' }],
        samples: [{ value: 2, valueHex: '0000000000000040', timestamp: 10 }],
        exemplars: [],
      },
      {
        labels: [{ name: '__name__', value: 'h' }],
        samples: [],
        exemplars: [{ labels: [{ name: 'trace_id', value: 'abc' }], value: 0.5, timestamp: 9 }],
      },
    ]);
  });

  it('encodes metadata requests (WriteRequest field 3) exactly', () => {
    const items: MetricMetadata[] = [
      { type: 'counter', metricFamilyName: 'x', help: 'h', unit: '' },
      { type: 'unknown', metricFamilyName: 'y', help: '', unit: 's' },
    ];
    expect(hex(new WriteRequestEncoder().encodeMetadata(items))).toBe(
      strip(`
        1a 08 0801 1201 78 2201 68   | type COUNTER, name x, help h
        1a 06 1201 79 2a01 73        | type UNKNOWN omitted, name y, unit s
      `),
    );
  });

  it('reuses and grows its buffer: many series, several calls', () => {
    const enc = new WriteRequestEncoder(8);
    const batch = new SampleBatch<SeriesRef>(2);
    for (let i = 0; i < 5000; i++) {
      batch.push(
        { labels: L('__name__', `m${i % 37}`, 'i', String(i)) },
        i * 1.5,
        1_700_000_000_000 + i,
      );
    }
    const labels = batch.entries.map((e) => encodeLabels(e.labels));
    const rows = Int32Array.from({ length: batch.length }, (_, i) => i);
    for (const [from, to] of [
      [0, 10],
      [10, 5000],
      [4990, 5000],
    ] as const) {
      const decoded = decodeWriteRequest(enc.encodeSamples(labels, rows, from, to, batch));
      expect(decoded.timeseries.length).toBe(to - from);
      const first = decoded.timeseries[0]!;
      expect(first.labels[1]).toEqual({ name: 'i', value: String(from) });
      expect(first.samples[0]!.value).toBe(from * 1.5);
      expect(first.samples[0]!.timestamp).toBe(1_700_000_000_000 + from);
    }
  });
});

describe('external labels', () => {
  it.each([
    {
      name: 'added where absent, series wins on clash, result sorted',
      labels: L('__name__', 'up', 'job', 'a', 'region', 'mine'),
      external: L('cluster', 'c1', 'region', 'ext', 'zz', 'z'),
      want: L('__name__', 'up', 'cluster', 'c1', 'job', 'a', 'region', 'mine', 'zz', 'z'),
    },
    {
      name: 'no external labels',
      labels: L('a', '1'),
      external: L(),
      want: L('a', '1'),
    },
    {
      name: 'all clash',
      labels: L('a', '1'),
      external: L('a', '2'),
      want: L('a', '1'),
    },
  ])('$name', ({ labels, external, want }) => {
    expect(addExternalLabels(labels, external)).toEqual(want);
    expect(encodeLabels(labels, external)).toEqual(encodeLabels(want));
  });
});

/**
 * The protobuf exposition parser (§5.3) against bodies written by an independent encoder
 * (protobufjs from client_model's metrics.proto, see protobuf-encoder.ts). The families follow
 * the ones of Prometheus's model/textparse/protobufparse_test.go, and the expected entries are
 * what Prometheus's parser yields for them.
 */
import { describe, expect, it } from 'vitest';
import {
  createParser,
  EntryKind,
  ExpositionParseError,
  type ExpositionParserOptions,
  loadParser,
} from '../../src/exposition/index.js';
import type { NativeHistogram } from '../../src/model/histogram.js';
import { nativeHistogram } from '../support/native-histogram.js';
import {
  concat,
  delimited,
  encodeFamilies,
  encodeFamily,
  type FamilyObject,
  RawWriter,
  Wire,
} from './protobuf-encoder.js';

// The protobuf parser loads on first need (src/exposition/parser.ts).
await loadParser('protobuf');

interface ExemplarOut {
  labels: Record<string, string>;
  value: number;
  ts?: number;
}

type Got =
  | { kind: 'help'; family: string; help: string }
  | { kind: 'unit'; family: string; unit: string }
  | { kind: 'type'; family: string; type: string }
  | {
      kind: 'series';
      labels: Record<string, string>;
      value: number;
      ts?: number;
      st?: number;
      exemplar?: ExemplarOut;
    }
  | {
      kind: 'histogram';
      labels: Record<string, string>;
      ts?: number;
      st?: number;
      h: NativeHistogram;
      exemplars?: ExemplarOut[];
    };

const record = (labels: readonly { name: string; value: string }[]) =>
  Object.fromEntries(labels.map((l) => [l.name, l.value]));

function exemplarOut(e: {
  labels: readonly { name: string; value: string }[];
  value: number;
  timestampMs: number | undefined;
}): ExemplarOut {
  return e.timestampMs === undefined
    ? { labels: record(e.labels), value: e.value }
    : { labels: record(e.labels), value: e.value, ts: e.timestampMs };
}

/** Every entry of a body, with what a scrape would read of it. */
function read(body: Uint8Array, options: ExpositionParserOptions = {}): Got[] {
  const p = createParser('protobuf', body, options);
  const out: Got[] = [];
  for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) {
    if (k === EntryKind.Help) out.push({ kind: 'help', family: p.metricFamily(), help: p.help() });
    else if (k === EntryKind.Unit)
      out.push({ kind: 'unit', family: p.metricFamily(), unit: p.unit() });
    else if (k === EntryKind.Type) {
      out.push({ kind: 'type', family: p.metricFamily(), type: p.metricType() });
    } else if (k === EntryKind.Series) {
      const e: Got = { kind: 'series', labels: record(p.labels()), value: p.value() };
      const ts = p.timestampMs();
      if (ts !== undefined) e.ts = ts;
      const st = p.startTimestampMs();
      if (st !== undefined) e.st = st;
      const ex = p.exemplar();
      if (ex !== undefined) e.exemplar = exemplarOut(ex);
      expect(p.histogram()).toBeUndefined();
      out.push(e);
    } else if (k === EntryKind.Histogram) {
      const e: Got = { kind: 'histogram', labels: record(p.labels()), h: p.histogram()! };
      const ts = p.timestampMs();
      if (ts !== undefined) e.ts = ts;
      const st = p.startTimestampMs();
      if (st !== undefined) e.st = st;
      const exs = p.histogramExemplars();
      if (exs.length > 0) e.exemplars = exs.map(exemplarOut);
      expect(p.exemplar()).toBeUndefined();
      out.push(e);
    } else {
      throw new Error(`unexpected entry kind ${k}`);
    }
  }
  return out;
}

const help = (family: string, text: string): Got => ({ kind: 'help', family, help: text });
const type = (family: string, t: string): Got => ({ kind: 'type', family, type: t });
const meta = (family: string, text: string, t: string): Got[] => [
  help(family, text),
  type(family, t),
];
const s = (
  labels: Record<string, string>,
  value: number,
  extra: Partial<Extract<Got, { kind: 'series' }>> = {},
): Got => ({ kind: 'series', labels, value, ...extra });

// ------------------------------------------------------------------ test families

const ex59727 = {
  label: [{ name: 'dummyID', value: '59727' }],
  value: -0.00039,
  timestamp: { seconds: 1625851155, nanos: 146848499 },
};
const ex5617 = { label: [{ name: 'dummyID', value: '5617' }], value: -0.00029 };

/** Classic buckets, then an integer native histogram (Prometheus's `test_histogram`). */
const mixedHistogram = {
  sampleCount: 175,
  sampleSum: 0.0008280461746287094,
  bucket: [
    { cumulativeCount: 2, upperBound: -0.0004899999999999998 },
    { cumulativeCount: 4, upperBound: -0.0003899999999999998, exemplar: ex59727 },
    { cumulativeCount: 16, upperBound: -0.0002899999999999998, exemplar: ex5617 },
  ],
  schema: 3,
  zeroThreshold: 2.938735877055719e-39,
  zeroCount: 2,
  negativeSpan: [
    { offset: -162, length: 1 },
    { offset: 23, length: 4 },
  ],
  negativeDelta: [1, 3, -2, -1, 1],
  positiveSpan: [
    { offset: -161, length: 1 },
    { offset: 8, length: 3 },
  ],
  positiveDelta: [1, 2, -1, -1],
};

const mixedNative: NativeHistogram = {
  float: false,
  counterResetHint: 'unknown',
  schema: 3,
  zeroThreshold: 2.938735877055719e-39,
  zeroCount: 2,
  count: 175,
  sum: 0.0008280461746287094,
  positiveSpans: [
    { offset: -161, length: 1 },
    { offset: 8, length: 3 },
  ],
  positiveBuckets: [1, 2, -1, -1],
  negativeSpans: [
    { offset: -162, length: 1 },
    { offset: 23, length: 4 },
  ],
  negativeBuckets: [1, 3, -2, -1, 1],
  customValues: [],
};

const exemplarOut59727 = { labels: { dummyID: '59727' }, value: -0.00039, ts: 1625851155146 };

/** The classic series of `mixedHistogram` named `name` with timestamp `ts`. */
function mixedClassic(name: string, ts: number): Got[] {
  return [
    s({ __name__: `${name}_count` }, 175, { ts }),
    s({ __name__: `${name}_sum` }, 0.0008280461746287094, { ts }),
    s({ __name__: `${name}_bucket`, le: '-0.0004899999999999998' }, 2, { ts }),
    s({ __name__: `${name}_bucket`, le: '-0.0003899999999999998' }, 4, {
      ts,
      exemplar: exemplarOut59727,
    }),
    s({ __name__: `${name}_bucket`, le: '-0.0002899999999999998' }, 16, {
      ts,
      exemplar: { labels: { dummyID: '5617' }, value: -0.00029 },
    }),
    s({ __name__: `${name}_bucket`, le: '+Inf' }, 175, { ts }),
  ];
}

/** The Histogram entry of `mixedFamily(name)`: histogram `h` (the native one unless given). */
function mixedHistogramEntry(name: string, h: NativeHistogram = mixedNative): Got {
  return {
    kind: 'histogram',
    labels: { __name__: name },
    ts: 1234568,
    h,
    exemplars: [exemplarOut59727],
  };
}

const mixedFamily = (name: string, t = 'HISTOGRAM'): FamilyObject => ({
  name,
  help: 'Mixed.',
  type: t,
  metric: [{ histogram: mixedHistogram, timestampMs: 1234568 }],
});

const floatNativeFamily: FamilyObject = {
  name: 'test_float_histogram',
  help: 'Float.',
  type: 'HISTOGRAM',
  metric: [
    {
      histogram: {
        sampleCountFloat: 175,
        sampleSum: 0.0008280461746287094,
        schema: 3,
        zeroThreshold: 2.938735877055719e-39,
        zeroCountFloat: 2,
        negativeSpan: [
          { offset: -162, length: 1 },
          { offset: 23, length: 4 },
        ],
        negativeCount: [1, 3, -2, -1, 1],
        positiveSpan: [
          { offset: -161, length: 1 },
          { offset: 8, length: 3 },
        ],
        positiveCount: [1, 2, -1, -1],
      },
    },
  ],
};

const emptyNative = (name: string, t = 'HISTOGRAM'): FamilyObject => ({
  name,
  help: 'No observations yet.',
  type: t,
  metric: [
    {
      histogram: {
        createdTimestamp: { seconds: 1625851153, nanos: 146848499 },
        positiveSpan: [{ offset: 0, length: 0 }],
      },
    },
  ],
});

const emptyHistogram = (hint: 'unknown' | 'gauge'): NativeHistogram =>
  nativeHistogram({ counterResetHint: hint });

const integerBucketsFamily: FamilyObject = {
  name: 'test_histogram3',
  help: 'Integer bounds.',
  type: 'HISTOGRAM',
  metric: [
    {
      histogram: {
        sampleCount: 6,
        sampleSum: 50,
        bucket: [
          { cumulativeCount: 2, upperBound: -20 },
          { cumulativeCount: 4, upperBound: 20 },
          { cumulativeCount: 6, upperBound: 30 },
        ],
      },
    },
  ],
};

const integerBucketsClassic: Got[] = [
  s({ __name__: 'test_histogram3_count' }, 6),
  s({ __name__: 'test_histogram3_sum' }, 50),
  s({ __name__: 'test_histogram3_bucket', le: '-20.0' }, 2),
  s({ __name__: 'test_histogram3_bucket', le: '20.0' }, 4),
  s({ __name__: 'test_histogram3_bucket', le: '30.0' }, 6),
  s({ __name__: 'test_histogram3_bucket', le: '+Inf' }, 6),
];

const integerBucketsNhcb: NativeHistogram = {
  float: false,
  counterResetHint: 'unknown',
  schema: -53,
  zeroThreshold: 0,
  zeroCount: 0,
  count: 6,
  sum: 50,
  // Buckets 2, 2, 2, 0: the empty +Inf bucket at the end of the span is cut.
  positiveSpans: [{ offset: 0, length: 3 }],
  positiveBuckets: [2, 0, 0],
  negativeSpans: [],
  negativeBuckets: [],
  customValues: [-20, 20, 30],
};

// ------------------------------------------------------------------ accepted bodies

describe('protobuf: what the parser yields (§5.3)', () => {
  it.each<{
    name: string;
    families: FamilyObject[];
    options?: ExpositionParserOptions;
    want: Got[];
  }>([
    {
      name: 'gauge: HELP and TYPE first, labels sorted, an empty value kept',
      families: [
        {
          name: 'go_build_info',
          help: 'Build information about the main Go module.',
          type: 'GAUGE',
          metric: [
            {
              label: [
                { name: 'version', value: '(devel)' },
                { name: 'checksum', value: '' },
                { name: 'path', value: 'github.com/prometheus/client_golang' },
              ],
              gauge: { value: 1 },
            },
          ],
        },
      ],
      want: [
        ...meta('go_build_info', 'Build information about the main Go module.', 'gauge'),
        s(
          {
            __name__: 'go_build_info',
            checksum: '',
            path: 'github.com/prometheus/client_golang',
            version: '(devel)',
          },
          1,
        ),
      ],
    },
    {
      name: 'counter: UNIT between HELP and TYPE, exemplar, created timestamp',
      families: [
        {
          name: 'go_memstats_alloc_bytes_total',
          help: 'Total number of bytes allocated, even if freed.',
          type: 'COUNTER',
          unit: 'bytes',
          metric: [
            {
              counter: {
                value: 1.546544e6,
                exemplar: {
                  label: [{ name: 'dummyID', value: '42' }],
                  value: 12,
                  timestamp: { seconds: 1625851151, nanos: 233181499 },
                },
                createdTimestamp: { seconds: 1625851153, nanos: 146848499 },
              },
            },
          ],
        },
      ],
      want: [
        help('go_memstats_alloc_bytes_total', 'Total number of bytes allocated, even if freed.'),
        { kind: 'unit', family: 'go_memstats_alloc_bytes_total', unit: 'bytes' },
        type('go_memstats_alloc_bytes_total', 'counter'),
        s({ __name__: 'go_memstats_alloc_bytes_total' }, 1546544, {
          st: 1625851153146,
          exemplar: { labels: { dummyID: '42' }, value: 12, ts: 1625851151233 },
        }),
      ],
    },
    {
      name: 'untyped: explicit timestamp; an empty HELP is still an entry',
      families: [
        {
          name: 'something_untyped',
          type: 'UNTYPED',
          metric: [{ untyped: { value: 42 }, timestampMs: 1234567 }],
        },
      ],
      want: [
        ...meta('something_untyped', '', 'unknown'),
        s({ __name__: 'something_untyped' }, 42, { ts: 1234567 }),
      ],
    },
    {
      name: 'summary: _count, _sum, then one series per quantile (OpenMetrics float form)',
      families: [
        {
          name: 'rpc_durations_seconds',
          help: 'RPC latency distributions.',
          type: 'SUMMARY',
          metric: [
            {
              label: [{ name: 'service', value: 'exponential' }],
              summary: {
                sampleCount: 262,
                sampleSum: 0.00025551262820703587,
                quantile: [
                  { quantile: 0.5, value: 6.442786329648548e-7 },
                  { quantile: 0.99, value: 4.0471608667037015e-6 },
                  { quantile: 1, value: 5e-6 },
                ],
              },
            },
          ],
        },
      ],
      want: [
        ...meta('rpc_durations_seconds', 'RPC latency distributions.', 'summary'),
        s({ __name__: 'rpc_durations_seconds_count', service: 'exponential' }, 262),
        s(
          { __name__: 'rpc_durations_seconds_sum', service: 'exponential' },
          0.00025551262820703587,
        ),
        s(
          { __name__: 'rpc_durations_seconds', quantile: '0.5', service: 'exponential' },
          6.442786329648548e-7,
        ),
        s(
          { __name__: 'rpc_durations_seconds', quantile: '0.99', service: 'exponential' },
          4.0471608667037015e-6,
        ),
        s({ __name__: 'rpc_durations_seconds', quantile: '1.0', service: 'exponential' }, 5e-6),
      ],
    },
    {
      name: 'summary without quantiles, with a created timestamp on each series',
      families: [
        {
          name: 'without_quantiles',
          help: 'A summary without quantiles.',
          type: 'SUMMARY',
          metric: [
            {
              summary: {
                sampleCount: 42,
                sampleSum: 1.234,
                createdTimestamp: { seconds: 1625851153, nanos: 146848499 },
              },
            },
          ],
        },
      ],
      want: [
        ...meta('without_quantiles', 'A summary without quantiles.', 'summary'),
        s({ __name__: 'without_quantiles_count' }, 42, { st: 1625851153146 }),
        s({ __name__: 'without_quantiles_sum' }, 1.234, { st: 1625851153146 }),
      ],
    },
    {
      name: 'classic histogram: le in OpenMetrics float form, bucket exemplars, +Inf added',
      families: [integerBucketsFamily],
      want: [...meta('test_histogram3', 'Integer bounds.', 'histogram'), ...integerBucketsClassic],
    },
    {
      name: 'classic histogram: an explicit +Inf bucket ends the buckets',
      families: [
        {
          name: 'h',
          type: 'HISTOGRAM',
          metric: [
            {
              histogram: {
                sampleCount: 5,
                sampleSum: 1,
                bucket: [
                  { cumulativeCount: 1, upperBound: 1 },
                  { cumulativeCount: 3, upperBound: Number.POSITIVE_INFINITY },
                  { cumulativeCount: 5, upperBound: 10 },
                ],
              },
            },
          ],
        },
      ],
      want: [
        ...meta('h', '', 'histogram'),
        s({ __name__: 'h_count' }, 5),
        s({ __name__: 'h_sum' }, 1),
        s({ __name__: 'h_bucket', le: '1.0' }, 1),
        s({ __name__: 'h_bucket', le: '+Inf' }, 3),
      ],
    },
    {
      name: 'classic histogram with float counts; no buckets at all gives +Inf alone',
      families: [
        {
          name: 'f',
          type: 'HISTOGRAM',
          metric: [
            {
              label: [{ name: 'a', value: '1' }],
              histogram: {
                sampleCountFloat: 5.5,
                sampleSum: 2,
                bucket: [{ cumulativeCountFloat: 2.5, upperBound: 0.25 }],
              },
            },
            { label: [{ name: 'a', value: '2' }], histogram: { sampleCount: 3, sampleSum: 4 } },
          ],
        },
      ],
      want: [
        ...meta('f', '', 'histogram'),
        s({ __name__: 'f_count', a: '1' }, 5.5),
        s({ __name__: 'f_sum', a: '1' }, 2),
        s({ __name__: 'f_bucket', a: '1', le: '0.25' }, 2.5),
        s({ __name__: 'f_bucket', a: '1', le: '+Inf' }, 5.5),
        s({ __name__: 'f_count', a: '2' }, 3),
        s({ __name__: 'f_sum', a: '2' }, 4),
        s({ __name__: 'f_bucket', a: '2', le: '+Inf' }, 3),
      ],
    },
    {
      name: 'native parts are ignored without nativeHistograms',
      families: [mixedFamily('test_histogram')],
      want: [
        ...meta('test_histogram', 'Mixed.', 'histogram'),
        ...mixedClassic('test_histogram', 1234568),
      ],
    },
    {
      name: 'nativeHistograms: one Histogram entry, bucket exemplars with a timestamp',
      families: [mixedFamily('test_histogram')],
      options: { nativeHistograms: true },
      want: [
        ...meta('test_histogram', 'Mixed.', 'histogram'),
        mixedHistogramEntry('test_histogram'),
      ],
    },
    {
      name: 'nativeHistograms + keepClassicHistograms: the native entry, then the classic series',
      families: [mixedFamily('test_histogram')],
      options: { nativeHistograms: true, keepClassicHistograms: true },
      want: [
        ...meta('test_histogram', 'Mixed.', 'histogram'),
        mixedHistogramEntry('test_histogram'),
        ...mixedClassic('test_histogram', 1234568),
      ],
    },
    {
      name: 'gauge histogram: counter reset hint gauge',
      families: [mixedFamily('test_gauge_histogram', 'GAUGE_HISTOGRAM')],
      options: { nativeHistograms: true },
      want: [
        ...meta('test_gauge_histogram', 'Mixed.', 'gaugehistogram'),
        mixedHistogramEntry('test_gauge_histogram', { ...mixedNative, counterResetHint: 'gauge' }),
      ],
    },
    {
      name: 'float native histogram: counts instead of deltas',
      families: [floatNativeFamily],
      options: { nativeHistograms: true },
      want: [
        ...meta('test_float_histogram', 'Float.', 'histogram'),
        {
          kind: 'histogram',
          labels: { __name__: 'test_float_histogram' },
          h: {
            ...mixedNative,
            float: true,
            positiveBuckets: [1, 2, -1, -1],
            negativeBuckets: [1, 3, -2, -1, 1],
          },
        },
      ],
    },
    {
      name: "a histogram's own exemplars win over the buckets'; those without a timestamp are dropped",
      families: [
        {
          name: 'with_exemplars',
          type: 'HISTOGRAM',
          metric: [
            {
              histogram: {
                ...mixedHistogram,
                exemplars: [
                  { ...ex59727, label: [{ name: 'dummyID', value: '59780' }] },
                  ex5617,
                  {
                    label: [{ name: 'dummyID', value: '59772' }],
                    value: -0.00052,
                    timestamp: { seconds: 1625851160, nanos: 156848499 },
                  },
                ],
              },
            },
          ],
        },
      ],
      options: { nativeHistograms: true },
      want: [
        ...meta('with_exemplars', '', 'histogram'),
        {
          kind: 'histogram',
          labels: { __name__: 'with_exemplars' },
          h: mixedNative,
          exemplars: [
            { labels: { dummyID: '59780' }, value: -0.00039, ts: 1625851155146 },
            { labels: { dummyID: '59772' }, value: -0.00052, ts: 1625851160156 },
          ],
        },
      ],
    },
    {
      name: 'a no-op span marks an empty native histogram; start timestamp',
      families: [
        emptyNative('empty_histogram'),
        emptyNative('empty_gauge_histogram', 'GAUGE_HISTOGRAM'),
      ],
      options: { nativeHistograms: true },
      want: [
        ...meta('empty_histogram', 'No observations yet.', 'histogram'),
        {
          kind: 'histogram',
          labels: { __name__: 'empty_histogram' },
          st: 1625851153146,
          h: emptyHistogram('unknown'),
        },
        ...meta('empty_gauge_histogram', 'No observations yet.', 'gaugehistogram'),
        {
          kind: 'histogram',
          labels: { __name__: 'empty_gauge_histogram' },
          st: 1625851153146,
          h: emptyHistogram('gauge'),
        },
      ],
    },
    {
      name: 'the same empty histogram read as classic',
      families: [emptyNative('empty_histogram')],
      want: [
        ...meta('empty_histogram', 'No observations yet.', 'histogram'),
        s({ __name__: 'empty_histogram_count' }, 0, { st: 1625851153146 }),
        s({ __name__: 'empty_histogram_sum' }, 0, { st: 1625851153146 }),
        s({ __name__: 'empty_histogram_bucket', le: '+Inf' }, 0, { st: 1625851153146 }),
      ],
    },
    {
      name: 'empty buckets are compacted away (integer and float)',
      families: [
        {
          name: 'sparse',
          type: 'HISTOGRAM',
          metric: [
            {
              histogram: {
                sampleCount: 3,
                schema: 0,
                positiveSpan: [{ offset: 0, length: 4 }],
                positiveDelta: [1, -1, 0, 2],
              },
            },
            {
              histogram: {
                sampleCountFloat: 7,
                schema: 1,
                negativeSpan: [{ offset: -2, length: 5 }],
                negativeCount: [0, 3, 0, 0, 4],
              },
            },
          ],
        },
      ],
      options: { nativeHistograms: true },
      want: [
        ...meta('sparse', '', 'histogram'),
        {
          kind: 'histogram',
          labels: { __name__: 'sparse' },
          h: {
            ...emptyHistogram('unknown'),
            count: 3,
            positiveSpans: [
              { offset: 0, length: 1 },
              { offset: 2, length: 1 },
            ],
            positiveBuckets: [1, 1],
          },
        },
        {
          kind: 'histogram',
          labels: { __name__: 'sparse' },
          h: {
            ...emptyHistogram('unknown'),
            float: true,
            schema: 1,
            count: 7,
            negativeSpans: [
              { offset: -1, length: 1 },
              { offset: 2, length: 1 },
            ],
            negativeBuckets: [3, 4],
          },
        },
      ],
    },
    {
      name: 'convertClassicHistogramsToNhcb: a classic histogram becomes custom buckets',
      families: [integerBucketsFamily],
      options: { convertClassicHistogramsToNhcb: true },
      want: [
        ...meta('test_histogram3', 'Integer bounds.', 'histogram'),
        { kind: 'histogram', labels: { __name__: 'test_histogram3' }, h: integerBucketsNhcb },
      ],
    },
    {
      name: 'convertClassicHistogramsToNhcb + keepClassicHistograms: classic series, then NHCB',
      families: [integerBucketsFamily],
      options: { convertClassicHistogramsToNhcb: true, keepClassicHistograms: true },
      want: [
        ...meta('test_histogram3', 'Integer bounds.', 'histogram'),
        ...integerBucketsClassic,
        { kind: 'histogram', labels: { __name__: 'test_histogram3' }, h: integerBucketsNhcb },
      ],
    },
    {
      name: 'NHCB conversion leaves native histograms alone',
      families: [mixedFamily('test_histogram')],
      options: { nativeHistograms: true, convertClassicHistogramsToNhcb: true },
      want: [
        ...meta('test_histogram', 'Mixed.', 'histogram'),
        mixedHistogramEntry('test_histogram'),
      ],
    },
    {
      name: 'NHCB conversion without nativeHistograms converts the classic part of a mixed one',
      families: [mixedFamily('test_histogram')],
      options: { convertClassicHistogramsToNhcb: true },
      want: [
        ...meta('test_histogram', 'Mixed.', 'histogram'),
        mixedHistogramEntry('test_histogram', {
          ...integerBucketsNhcb,
          count: 175,
          sum: 0.0008280461746287094,
          positiveSpans: [{ offset: 0, length: 4 }],
          positiveBuckets: [2, 0, 10, 147],
          customValues: [-0.0004899999999999998, -0.0003899999999999998, -0.0002899999999999998],
        }),
      ],
    },
    {
      name: 'families without metrics are skipped whatever their name or type',
      families: [
        { name: '', type: 'COUNTER', help: 'x' },
        { name: 'a', type: 'GAUGE', metric: [{ gauge: { value: 1 } }, { gauge: { value: 2 } }] },
        { name: 'b', help: 'no metrics' },
      ],
      want: [...meta('a', '', 'gauge'), s({ __name__: 'a' }, 1), s({ __name__: 'a' }, 2)],
    },
    {
      name: 'UTF-8 names and values',
      families: [
        {
          name: 'my.metric €',
          type: 'COUNTER',
          metric: [
            {
              label: [
                { name: 'zone.name', value: 'ü' },
                { name: 'b', value: 'x' },
              ],
              counter: { value: 3 },
            },
          ],
        },
      ],
      want: [
        ...meta('my.metric €', '', 'counter'),
        s({ __name__: 'my.metric €', b: 'x', 'zone.name': 'ü' }, 3),
      ],
    },
  ])('$name', ({ families, options, want }) => {
    expect(read(encodeFamilies(families), options)).toEqual(want);
    // Repeated numbers written packed (proto3 encoders) read the same.
    expect(read(encodeFamilies(families, { packed: true }), options)).toEqual(want);
  });

  it('keeps duplicate label names and an explicit __name__ for the scrape to refuse (§5.1)', () => {
    const body = encodeFamilies([
      {
        name: 'd',
        type: 'GAUGE',
        metric: [
          {
            label: [
              { name: 'a', value: '1' },
              { name: 'a', value: '2' },
              { name: '__name__', value: 'other' },
            ],
            gauge: { value: 1 },
          },
        ],
      },
    ]);
    const p = createParser('protobuf', body);
    while (p.next() !== EntryKind.Series);
    expect(p.labels().map((l) => l.name)).toEqual(['__name__', '__name__', 'a', 'a']);
  });

  it('gives each series its own key, stable across bodies and values (§6.4)', () => {
    const family = (value: number): FamilyObject => ({
      name: 'x',
      type: 'HISTOGRAM',
      metric: [
        { label: [{ name: 'a', value: '1' }], histogram: { ...mixedHistogram, sampleSum: value } },
        { label: [{ name: 'a', value: '2' }], histogram: { ...mixedHistogram, sampleSum: value } },
      ],
    });
    const gauges = (value: number): FamilyObject => ({
      name: 'x_bucket',
      type: 'GAUGE',
      metric: [{ label: [{ name: 'a', value: '1' }], gauge: { value } }],
    });
    const keys = (body: Uint8Array, options: ExpositionParserOptions = {}) => {
      const p = createParser('protobuf', body, options);
      const out: string[] = [];
      for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) {
        if (k === EntryKind.Series || k === EntryKind.Histogram) out.push(p.seriesText());
      }
      return out;
    };
    const first = keys(encodeFamilies([family(1), gauges(1)]));
    expect(first).toHaveLength(13);
    expect(new Set(first).size).toBe(13);
    expect(keys(encodeFamilies([family(2), gauges(3)]))).toEqual(first);
    const native = keys(encodeFamilies([family(1)]), { nativeHistograms: true });
    expect(new Set([...native, ...first]).size).toBe(15);
  });

  it('skips unknown fields, groups included, at every level', () => {
    const unknownLabel = new RawWriter()
      .tag(1, Wire.len)
      .bytes('a')
      .tag(9, Wire.i32)
      .fixed32(0)
      .tag(2, Wire.len)
      .bytes('b')
      .finish();
    const metric = new RawWriter()
      .tag(20, Wire.sgroup)
      .tag(1, Wire.varint)
      .varint(5)
      .tag(2, Wire.sgroup)
      .tag(2, Wire.egroup)
      .tag(20, Wire.egroup)
      .tag(1, Wire.len)
      .bytes(unknownLabel)
      .tag(2, Wire.len)
      .bytes(new RawWriter().tag(1, Wire.i64).double(7).tag(3, Wire.i64).double(1).finish())
      .tag(99, Wire.varint)
      .varint(2 ** 40)
      .finish();
    const family = new RawWriter()
      .tag(7, Wire.len)
      .bytes('junk')
      .tag(4, Wire.len)
      .bytes(metric)
      .tag(1, Wire.len)
      .bytes('m')
      .tag(3, Wire.varint)
      .varint(1)
      .finish();
    expect(read(delimited(family))).toEqual([
      ...meta('m', '', 'gauge'),
      s({ __name__: 'm', a: 'b' }, 7),
    ]);
  });

  it('takes the last of a repeated field and merges repeated messages, as protobuf does', () => {
    const metric = new RawWriter()
      .tag(3, Wire.len)
      .bytes(new RawWriter().tag(1, Wire.i64).double(1).finish())
      .tag(6, Wire.varint)
      .varint(5)
      .tag(3, Wire.len)
      .bytes(
        new RawWriter()
          .tag(3, Wire.len)
          .bytes(new RawWriter().tag(1, Wire.varint).varint(9).finish())
          .finish(),
      )
      .tag(6, Wire.varint)
      .varint(6)
      .finish();
    const family = new RawWriter()
      .tag(1, Wire.len)
      .bytes('first')
      .tag(4, Wire.len)
      .bytes(metric)
      .tag(1, Wire.len)
      .bytes('c')
      .finish();
    expect(read(delimited(family))).toEqual([
      ...meta('c', '', 'counter'),
      s({ __name__: 'c' }, 1, { ts: 6, st: 9000 }),
    ]);
  });

  it('reads negative timestamps and 64-bit counts like Go', () => {
    const body = encodeFamilies([
      {
        name: 'g',
        type: 'SUMMARY',
        metric: [{ summary: { sampleCount: 2 ** 53 + 2, sampleSum: 1 }, timestampMs: -1500 }],
      },
    ]);
    const got = read(body);
    expect(got[2]).toEqual(s({ __name__: 'g_count' }, 2 ** 53 + 2, { ts: -1500 }));
  });

  it('reports the line as the metric family number', () => {
    const bad = concat(
      encodeFamilies([{ name: 'ok', type: 'GAUGE', metric: [{ gauge: { value: 1 } }] }]),
      delimited(
        encodeFamily({
          name: 'bad',
          type: 'GAUGE',
          metric: [{ label: [{ name: '' }], gauge: {} }],
        }),
      ),
    );
    const err = errorOf(bad);
    expect(err.line).toBe(2);
    expect(err.message).toMatch(/^metric family 2 \(byte \d+\): invalid label name ""$/);
  });
});

// ------------------------------------------------------------------ malformed bodies

function errorOf(body: Uint8Array, options: ExpositionParserOptions = {}): ExpositionParseError {
  try {
    read(body, options);
  } catch (err) {
    if (err instanceof ExpositionParseError) return err;
    throw err;
  }
  throw new Error('expected a parse error');
}

const gaugeMetric = new RawWriter()
  .tag(2, Wire.len)
  .bytes(new RawWriter().tag(1, Wire.i64).double(1).finish())
  .finish();
const withName = (name: Uint8Array | string, extra: Uint8Array = new Uint8Array()) =>
  delimited(
    concat(
      new RawWriter().tag(1, Wire.len).bytes(name).tag(3, Wire.varint).varint(1).finish(),
      extra,
      new RawWriter().tag(4, Wire.len).bytes(gaugeMetric).finish(),
    ),
  );
const withMetric = (metric: Uint8Array) =>
  delimited(new RawWriter().tag(1, Wire.len).bytes('m').tag(4, Wire.len).bytes(metric).finish());
const labelField = (pair: Uint8Array) => new RawWriter().tag(1, Wire.len).bytes(pair).finish();
const INVALID_UTF8 = new Uint8Array([0x61, 0xff, 0x62]);

describe('protobuf: malformed bodies fail the scrape with ExpositionParseError', () => {
  it.each<{ name: string; body: Uint8Array; options?: ExpositionParserOptions; error: RegExp }>([
    {
      name: 'a length prefix past the end',
      body: new Uint8Array([0x05, 0x0a, 0x01]),
      error: /metric family of 5 bytes/,
    },
    { name: 'a truncated length prefix', body: new Uint8Array([0x80]), error: /truncated varint/ },
    {
      name: 'a length prefix longer than 5 bytes',
      body: new Uint8Array([0x81, 0x80, 0x80, 0x80, 0x80, 0x00]),
      error: /longer than 5 bytes/,
    },
    { name: 'an empty family name', body: withName(''), error: /invalid metric name ""/ },
    {
      name: 'a family name that is not UTF-8',
      body: withName(INVALID_UTF8),
      error: /invalid metric name/,
    },
    {
      name: 'help text that is not UTF-8',
      body: withName('m', new RawWriter().tag(2, Wire.len).bytes(INVALID_UTF8).finish()),
      error: /invalid UTF-8 in the help text of metric "m"/,
    },
    {
      name: 'an unknown metric type',
      body: withName('m', new RawWriter().tag(3, Wire.varint).varint(6).finish()),
      error: /unknown metric type 6/,
    },
    {
      name: 'an empty label name',
      body: withMetric(
        labelField(new RawWriter().tag(1, Wire.len).bytes('').tag(2, Wire.len).bytes('v').finish()),
      ),
      error: /invalid label name ""/,
    },
    {
      name: 'a label name that is not UTF-8',
      body: withMetric(labelField(new RawWriter().tag(1, Wire.len).bytes(INVALID_UTF8).finish())),
      error: /invalid label name/,
    },
    {
      name: 'a label value that is not UTF-8',
      body: withMetric(
        labelField(
          new RawWriter().tag(1, Wire.len).bytes('n').tag(2, Wire.len).bytes(INVALID_UTF8).finish(),
        ),
      ),
      error: /invalid label value/,
    },
    {
      name: 'a known field with the wrong wire type',
      body: delimited(new RawWriter().tag(1, Wire.varint).varint(3).finish()),
      error: /MetricFamily.name: wire type 0, want 2/,
    },
    {
      name: 'field number 0',
      body: delimited(new Uint8Array([0x02, 0x00])),
      error: /field number 0/,
    },
    {
      name: 'an end-group tag without a group',
      body: delimited(new RawWriter().tag(9, Wire.egroup).finish()),
      error: /end-group/,
    },
    {
      name: 'an illegal wire type',
      body: delimited(new Uint8Array([0x4f])),
      error: /illegal wire type 7/,
    },
    {
      name: 'a group that never ends',
      body: delimited(new RawWriter().tag(9, Wire.sgroup).tag(1, Wire.varint).varint(1).finish()),
      error: /truncated varint/,
    },
    {
      name: 'a varint of 11 bytes',
      body: withMetric(new Uint8Array([0x30, ...new Array(10).fill(0x80), 0x01])),
      error: /varint longer than 10 bytes/,
    },
    {
      name: 'a truncated double',
      body: withMetric(
        new RawWriter()
          .tag(2, Wire.len)
          .bytes(new Uint8Array([0x09, 1, 2, 3]))
          .finish(),
      ),
      error: /truncated double/,
    },
    {
      name: 'a nested length past its message',
      body: withMetric(new Uint8Array([0x12, 0x09, 0x09, 1, 2, 3, 4, 5, 6, 7])),
      error: /runs past the end/,
    },
    {
      name: 'native histogram spans that need more buckets than it has',
      body: encodeFamilies([
        {
          name: 'h',
          type: 'HISTOGRAM',
          metric: [
            {
              histogram: {
                schema: 0,
                positiveSpan: [{ offset: 0, length: 3 }],
                positiveDelta: [1, 1],
              },
            },
          ],
        },
      ]),
      options: { nativeHistograms: true },
      error: /histogram "h": positive side: spans require 3 buckets, have 2/,
    },
    {
      name: 'a classic histogram that cannot become NHCB',
      body: encodeFamilies([
        {
          name: 'h',
          type: 'HISTOGRAM',
          metric: [
            {
              histogram: {
                sampleCount: 5,
                bucket: [
                  { cumulativeCount: 5, upperBound: 1 },
                  { cumulativeCount: 3, upperBound: 2 },
                ],
              },
            },
          ],
        },
      ]),
      options: { convertClassicHistogramsToNhcb: true },
      error: /histogram "h": cannot convert to NHCB: count is not cumulative: 3 < 5/,
    },
  ])('$name', ({ body, options, error }) => {
    expect(errorOf(body, options).message).toMatch(error);
  });

  it('checks native spans only when native histograms are read', () => {
    const body = encodeFamilies([
      {
        name: 'h',
        type: 'HISTOGRAM',
        metric: [
          {
            histogram: {
              schema: 0,
              positiveSpan: [{ offset: 0, length: 3 }],
              positiveDelta: [1, 1],
            },
          },
        ],
      },
    ]);
    expect(read(body).filter((e) => e.kind === 'series')).toHaveLength(3);
  });
});

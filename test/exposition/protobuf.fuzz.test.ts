/**
 * Property tests for the protobuf parser (§5.3): untrusted bodies never make it throw anything
 * but ExpositionParseError and always terminate, in time linear in their size; families written
 * by an independent encoder (protobufjs) parse back to what was written.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createParser,
  EntryKind,
  ExpositionParseError,
  type ExpositionParserOptions,
  loadParser,
} from '../../src/exposition/index.js';
import { fuzzParams } from '../support/fuzz.js';
import {
  concat,
  delimited,
  encodeFamilies,
  type FamilyObject,
  RawWriter,
  Wire,
} from './protobuf-encoder.js';

// The protobuf parser loads on first need (src/exposition/parser.ts).
await loadParser('protobuf');

const MODES: ExpositionParserOptions[] = [
  {},
  { nativeHistograms: true },
  { nativeHistograms: true, keepClassicHistograms: true },
  { convertClassicHistogramsToNhcb: true },
  { convertClassicHistogramsToNhcb: true, keepClassicHistograms: true, nativeHistograms: true },
];

/** Parses to the end calling every accessor; returns normally or throws the parse error. */
function drain(body: Uint8Array, options: ExpositionParserOptions): void {
  const p = createParser('protobuf', body, options);
  // A metric yields at most four entries per two bytes; this bound only catches a stall.
  const limit = 3 * body.byteLength + 10;
  for (let i = 0; i <= limit; i++) {
    const k = p.next();
    if (k === EntryKind.EOF) return;
    p.lineNumber();
    p.metricType();
    p.metricFamily();
    p.help();
    p.unit();
    p.comment();
    p.seriesText();
    p.labels();
    p.metricName();
    p.value();
    p.timestampMs();
    p.exemplar();
    p.startTimestampMs();
    p.histogram();
    p.histogramExemplars();
  }
  throw new Error('parser did not reach EOF');
}

function onlyParseErrors(body: Uint8Array, options: ExpositionParserOptions): void {
  try {
    drain(body, options);
  } catch (err) {
    if (!(err instanceof ExpositionParseError)) throw err;
  }
}

const ex = (id: string, withTs: boolean) => ({
  label: [{ name: 'id', value: id }],
  value: 0.5,
  ...(withTs ? { timestamp: { seconds: 1_700_000_000, nanos: 5e8 } } : {}),
});

/** Valid bodies covering every message type, to mutate. */
const SEED_FAMILIES: FamilyObject[][] = [
  [
    {
      name: 'c_total',
      help: 'h',
      unit: 'bytes',
      type: 'COUNTER',
      metric: [
        {
          label: [{ name: 'a', value: 'x' }],
          counter: { value: 1, exemplar: ex('1', true), createdTimestamp: { seconds: 5 } },
          timestampMs: 1000,
        },
      ],
    },
    { name: 'g', type: 'GAUGE', metric: [{ gauge: { value: -1 } }, { gauge: { value: 2 } }] },
  ],
  [
    {
      name: 's',
      type: 'SUMMARY',
      metric: [
        {
          summary: {
            sampleCount: 3,
            sampleSum: 1,
            quantile: [
              { quantile: 0.5, value: 1 },
              { quantile: 0.9, value: 2 },
            ],
          },
        },
      ],
    },
    { name: 'u', type: 'UNTYPED', metric: [{ untyped: { value: 3 } }] },
  ],
  [
    {
      name: 'h',
      type: 'HISTOGRAM',
      metric: [
        {
          histogram: {
            sampleCount: 10,
            sampleSum: 4,
            bucket: [
              { cumulativeCount: 2, upperBound: 0.5, exemplar: ex('b', true) },
              { cumulativeCount: 7, upperBound: 1, exemplar: ex('c', false) },
            ],
            schema: 1,
            zeroThreshold: 0.001,
            zeroCount: 1,
            negativeSpan: [{ offset: -2, length: 2 }],
            negativeDelta: [1, 1],
            positiveSpan: [
              { offset: 0, length: 2 },
              { offset: 3, length: 1 },
            ],
            positiveDelta: [2, -1, 3],
            exemplars: [ex('n', true), ex('m', false)],
          },
        },
      ],
    },
  ],
  [
    {
      name: 'fh',
      type: 'GAUGE_HISTOGRAM',
      metric: [
        {
          histogram: {
            sampleCountFloat: 3.5,
            zeroCountFloat: 0.5,
            positiveSpan: [{ offset: 1, length: 3 }],
            positiveCount: [1, 0, 2],
            bucket: [{ cumulativeCountFloat: 1.5, upperBound: 2 }],
          },
        },
      ],
    },
  ],
];
const SEEDS = SEED_FAMILIES.flatMap((f) => [
  encodeFamilies(f),
  encodeFamilies(f, { packed: true }),
]);

/** Byte edits: overwrite, insert, delete or truncate at a position. */
const edit = fc.tuple(
  fc.constantFrom('set', 'insert', 'delete', 'truncate'),
  fc.nat(),
  fc.constantFrom(0x00, 0x01, 0x02, 0x07, 0x08, 0x0a, 0x12, 0x7f, 0x80, 0xff, 0x0b, 0x0c, 0x3a),
);

function mutate(seed: Uint8Array, edits: [string, number, number][]): Uint8Array {
  let b = Array.from(seed);
  for (const [op, at, byte] of edits) {
    const i = b.length === 0 ? 0 : at % (b.length + 1);
    if (op === 'set' && i < b.length) b[i] = byte;
    else if (op === 'insert') b.splice(i, 0, byte);
    else if (op === 'delete') b.splice(i, 1);
    else if (op === 'truncate') b = b.slice(0, i);
  }
  return new Uint8Array(b);
}

describe('protobuf: robustness against untrusted bodies', () => {
  for (const options of MODES) {
    const mode = JSON.stringify(options);

    it(`random bytes: ${mode}`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (body) => onlyParseErrors(body, options)),
        fuzzParams(300),
      );
    });

    it(`random bytes behind a valid length prefix: ${mode}`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (msg) =>
          onlyParseErrors(delimited(msg), options),
        ),
        fuzzParams(300),
      );
    });

    it(`mutated valid bodies: ${mode}`, () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...SEEDS),
          fc.array(edit, { minLength: 1, maxLength: 6 }),
          (seed, edits) => onlyParseErrors(mutate(seed, edits), options),
        ),
        fuzzParams(500),
      );
    });
  }

  it('takes linear time on pathological input', () => {
    const n = 100_000;
    // Deeply nested groups in an unknown field.
    const groups = new RawWriter();
    for (let i = 0; i < n; i++) groups.tag(9, Wire.sgroup);
    for (let i = 0; i < n; i++) groups.tag(9, Wire.egroup);
    // One family with very many empty metrics (each a classic histogram: three entries).
    const manyMetrics = new RawWriter().tag(1, Wire.len).bytes('h').tag(3, Wire.varint).varint(4);
    for (let i = 0; i < n; i++) manyMetrics.tag(4, Wire.len).bytes(new Uint8Array());
    // A histogram with very many buckets (converted to NHCB in one mode), spans and exemplars.
    const bucket = new RawWriter()
      .tag(1, Wire.varint)
      .varint(1)
      .tag(2, Wire.i64)
      .double(1)
      .finish();
    const span = new RawWriter()
      .tag(1, Wire.varint)
      .varint(2)
      .tag(2, Wire.varint)
      .varint(0xffffffff)
      .finish();
    const hist = new RawWriter();
    for (let i = 0; i < n / 4; i++)
      hist.tag(3, Wire.len).bytes(bucket).tag(12, Wire.len).bytes(span);
    const bigHistogram = new RawWriter()
      .tag(1, Wire.len)
      .bytes('b')
      .tag(3, Wire.varint)
      .varint(4)
      .tag(4, Wire.len)
      .bytes(new RawWriter().tag(7, Wire.len).bytes(hist.finish()).finish())
      .finish();
    // Many labels on one metric.
    const labels = new RawWriter();
    for (let i = 0; i < n / 4; i++) {
      labels
        .tag(1, Wire.len)
        .bytes(
          new RawWriter().tag(1, Wire.len).bytes(`l${i}`).tag(2, Wire.len).bytes('v').finish(),
        );
    }
    labels.tag(2, Wire.len).bytes(new RawWriter().tag(1, Wire.i64).double(1).finish());
    const manyLabels = new RawWriter()
      .tag(1, Wire.len)
      .bytes('g')
      .tag(3, Wire.varint)
      .varint(1)
      .tag(4, Wire.len)
      .bytes(labels.finish());
    const bodies = [
      delimited(concat(new RawWriter().tag(1, Wire.len).bytes('x').finish(), groups.finish())),
      delimited(manyMetrics.finish()),
      delimited(bigHistogram),
      delimited(manyLabels.finish()),
      concat(...Array.from({ length: n / 10 }, () => SEEDS[0]!)),
    ];
    for (const body of bodies) {
      for (const options of MODES) {
        const start = Date.now();
        onlyParseErrors(body, options);
        expect(Date.now() - start, `${body.length} bytes ${JSON.stringify(options)}`).toBeLessThan(
          5_000,
        );
      }
    }
  });
});

describe('round trip: protobufjs → parser', () => {
  // Label names: anything non-empty but `__name__`; values: any string (both UTF-8 on the wire).
  const labelName = fc
    .string({ unit: 'binary', minLength: 1, maxLength: 10 })
    .filter((n) => n !== '__name__');
  const labelValue = fc.string({ unit: 'binary', maxLength: 12 });
  const wellFormed = (s: string) =>
    !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
  const metric = fc.record({
    labels: fc.uniqueArray(fc.tuple(labelName.filter(wellFormed), labelValue.filter(wellFormed)), {
      maxLength: 5,
      selector: ([n]) => n,
    }),
    value: fc.oneof(fc.double(), fc.integer()),
    timestampMs: fc.option(fc.integer({ min: 1, max: 2 ** 50 }), { nil: undefined }),
  });
  const family = fc.record({
    name: fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).filter(wellFormed),
    help: fc.string({ unit: 'binary', maxLength: 20 }).filter(wellFormed),
    type: fc.constantFrom('COUNTER', 'GAUGE', 'UNTYPED'),
    metrics: fc.array(metric, { minLength: 1, maxLength: 4 }),
  });

  it('gives back names, help, labels, values and timestamps', () => {
    fc.assert(
      fc.property(
        fc.array(family, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (families, packed) => {
          const field = { COUNTER: 'counter', GAUGE: 'gauge', UNTYPED: 'untyped' } as const;
          const body = encodeFamilies(
            families.map((f) => ({
              name: f.name,
              help: f.help,
              type: f.type,
              metric: f.metrics.map((m) => ({
                label: m.labels.map(([name, value]) => ({ name, value })),
                [field[f.type]]: { value: m.value },
                ...(m.timestampMs === undefined ? {} : { timestampMs: m.timestampMs }),
              })),
            })),
            { packed },
          );
          const p = createParser('protobuf', body);
          for (const f of families) {
            expect(p.next()).toBe(EntryKind.Help);
            expect([p.metricFamily(), p.help()]).toEqual([f.name, f.help]);
            expect(p.next()).toBe(EntryKind.Type);
            for (const m of f.metrics) {
              expect(p.next()).toBe(EntryKind.Series);
              const want = [
                { name: '__name__', value: f.name },
                ...m.labels.map(([name, value]) => ({ name, value })),
              ];
              want.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
              expect(p.labels()).toEqual(want);
              expect(Object.is(p.value(), m.value)).toBe(true);
              expect(p.timestampMs()).toBe(m.timestampMs);
            }
          }
          expect(p.next()).toBe(EntryKind.EOF);
        },
      ),
      fuzzParams(300),
    );
  });
});

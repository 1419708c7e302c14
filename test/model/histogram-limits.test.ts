/**
 * What the append step does to a native histogram before it is stored (src/model/histogram.ts):
 * lowering its resolution (Prometheus's TestReduceResolution cases, then a property checked
 * against bucket boundaries computed independently), the schema a bucket factor allows, and
 * the validation Prometheus's storage applies (its Validate errors).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BucketSpan,
  bucketCount,
  CUSTOM_BUCKETS_SCHEMA,
  histogramError,
  type NativeHistogram,
  reduceResolution,
  schemaForBucketFactor,
} from '../../src/model/histogram.js';
import { nativeHistogram } from '../support/native-histogram.js';

const spans = (pairs: readonly [number, number][]): BucketSpan[] =>
  pairs.map(([offset, length]) => ({ offset, length }));

describe('reduceResolution — Prometheus TestReduceResolution cases', () => {
  it('integer deltas, schema 0 → -1, with an empty span and a gap', () => {
    const h = nativeHistogram({
      schema: 0,
      positiveSpans: spans([
        [0, 4],
        [0, 0],
        [3, 2],
      ]),
      positiveBuckets: [1, 2, -2, 1, -1, 0],
      negativeSpans: spans([
        [0, 4],
        [0, 0],
        [3, 2],
      ]),
      negativeBuckets: [1, 2, -2, 1, -1, 0],
    });
    const r = reduceResolution(h, -1);
    expect(r.schema).toBe(-1);
    expect(r.positiveSpans).toEqual(
      spans([
        [0, 3],
        [1, 1],
      ]),
    );
    expect(r.positiveBuckets).toEqual([1, 3, -2, 0]);
    expect(r.negativeSpans).toEqual(
      spans([
        [0, 3],
        [1, 1],
      ]),
    );
    expect(r.negativeBuckets).toEqual([1, 3, -2, 0]);
    // The input is left as it was.
    expect(h.positiveBuckets).toEqual([1, 2, -2, 1, -1, 0]);
  });

  it('float counts, schema 0 → -1', () => {
    const r = reduceResolution(
      nativeHistogram({
        float: true,
        positiveSpans: spans([
          [0, 4],
          [0, 0],
          [3, 2],
        ]),
        positiveBuckets: [1, 3, 1, 2, 1, 1],
      }),
      -1,
    );
    expect(r.positiveSpans).toEqual(
      spans([
        [0, 3],
        [1, 1],
      ]),
    );
    expect(r.positiveBuckets).toEqual([1, 4, 2, 2]);
  });
});

/** Absolute count per bucket index, from spans and deltas or counts. */
function countsByIndex(s: readonly BucketSpan[], b: readonly number[], deltas: boolean) {
  const out = new Map<number, number>();
  let index = 0;
  let k = 0;
  let count = 0;
  for (const span of s) {
    index += span.offset;
    for (let j = 0; j < span.length; j++, index++, k++) {
      count = deltas ? count + b[k]! : b[k]!;
      out.set(index, count);
    }
  }
  return out;
}

/** Upper bound of bucket `index` at `schema`: 2^(index · 2^-schema). */
const upperBound = (index: number, schema: number): number => 2 ** (index * 2 ** -schema);

describe('reduceResolution — property', () => {
  const layout = fc.record({
    schema: fc.integer({ min: -3, max: 8 }),
    first: fc.integer({ min: -40, max: 40 }),
    spans: fc.array(
      fc.record({
        gap: fc.integer({ min: 0, max: 6 }),
        counts: fc.array(fc.nat(50), { minLength: 1, maxLength: 6 }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    float: fc.boolean(),
    down: fc.integer({ min: 1, max: 4 }),
  });

  it('every observation lands in the coarser bucket that contains its finer bucket', () => {
    fc.assert(
      fc.property(layout, ({ schema, first, spans: parts, float, down }) => {
        const target = Math.max(-4, schema - down);
        const s: BucketSpan[] = [];
        const counts: number[] = [];
        parts.forEach((p, i) => {
          s.push({ offset: i === 0 ? first : p.gap, length: p.counts.length });
          counts.push(...p.counts);
        });
        const buckets = float ? counts : counts.map((c, i) => c - (i === 0 ? 0 : counts[i - 1]!));
        const h = nativeHistogram({ float, schema, positiveSpans: s, positiveBuckets: buckets });
        const r = reduceResolution(h, target);

        // Expected: each fine bucket's range (lower, upper] lies inside exactly one coarse
        // bucket; find it by its upper bound, which must be a coarse boundary or below one.
        const want = new Map<number, number>();
        for (const [index, c] of countsByIndex(s, buckets, !float)) {
          const ub = upperBound(index, schema);
          let coarse = Math.ceil(Math.log2(ub) / 2 ** -target - 1e-9);
          // Guard the floating-point edge: the coarse bucket's bound must not be below ub.
          if (upperBound(coarse, target) < ub * (1 - 1e-12)) coarse++;
          want.set(coarse, (want.get(coarse) ?? 0) + c);
        }
        const got = countsByIndex(r.positiveSpans, r.positiveBuckets, !float);
        expect(new Map([...got].filter(([, c]) => c !== 0))).toEqual(
          new Map([...want].filter(([, c]) => c !== 0)),
        );
        expect(r.schema).toBe(target);
        expect(histogramError({ ...r, count: sumOf(got) })).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

function sumOf(m: Map<number, number>): number {
  let n = 0;
  for (const c of m.values()) n += c;
  return n;
}

describe('schemaForBucketFactor (native_histogram_min_bucket_factor)', () => {
  it.each([
    [0, 8],
    [1, 8],
    [1.00271, 8],
    [1.1, 2],
    [1.5, 0],
    [2, 0],
    [2.1, -1],
    [4, -1],
    [16, -2],
    [256, -3],
    [65536, -4],
    [1e9, -4],
  ])('factor %d → schema %d', (factor, schema) => {
    expect(schemaForBucketFactor(factor)).toBe(schema);
  });
});

describe('histogramError — what Prometheus storage refuses', () => {
  const ok = nativeHistogram({
    count: 5,
    zeroCount: 1,
    positiveSpans: spans([[0, 2]]),
    positiveBuckets: [1, 1], // counts 1, 2
    negativeSpans: spans([[-2, 1]]),
    negativeBuckets: [1],
  });

  it.each<[string, Partial<NativeHistogram>, string | undefined]>([
    ['a valid integer histogram', {}, undefined],
    ['NaN sum allows more observations than buckets', { sum: Number.NaN, count: 9 }, undefined],
    [
      'count differs from the buckets',
      { count: 6 },
      "5 observations found in buckets, but the Count field is 6: histogram's observation count should equal the number of observations found in the buckets (in absence of NaN)",
    ],
    [
      'NaN sum and fewer observations than buckets',
      { sum: Number.NaN, count: 4 },
      "5 observations found in buckets, but the Count field is 4: histogram's observation count should be at least the number of observations found in the buckets",
    ],
    [
      'a negative bucket count',
      { positiveBuckets: [1, -2], count: 2 },
      'positive side: bucket number 2 has observation count of -1: histogram has a bucket whose observation count is negative',
    ],
    [
      'spans and buckets disagree',
      { negativeBuckets: [1, 1] },
      'negative side: spans need 1 buckets, have 2 buckets: histogram spans specify different number of buckets than provided',
    ],
    [
      'a later span with a negative offset',
      {
        positiveSpans: spans([
          [0, 1],
          [-1, 1],
        ]),
      },
      'positive side: span number 2 with offset -1: histogram has a span whose offset is negative',
    ],
    [
      'an unknown schema',
      { schema: 9 },
      'histogram has an invalid schema 9, which must be between -4 and 8 for exponential buckets, or -53 for custom buckets',
    ],
    [
      'custom bounds on an exponential schema',
      { customValues: [1] },
      'histogram with exponential schema must not have custom bounds',
    ],
  ])('%s', (_name, over, error) => {
    expect(histogramError({ ...ok, ...over })).toBe(error);
  });

  const nhcb = nativeHistogram({
    schema: CUSTOM_BUCKETS_SCHEMA,
    count: 3,
    customValues: [0.1, 1],
    positiveSpans: spans([[0, 3]]),
    positiveBuckets: [1, 1, -1], // counts 1, 2, 1... deltas
  });

  it.each<[string, Partial<NativeHistogram>, string | undefined]>([
    ['valid custom buckets', { count: 4 }, undefined],
    [
      'bounds not increasing',
      { customValues: [1, 1], count: 4 },
      'custom buckets: previous bound is 1 and current is 1: histogram custom bounds must be in strictly increasing order',
    ],
    [
      'an explicit +Inf bound',
      { customValues: [0.1, Number.POSITIVE_INFINITY], count: 4 },
      'custom buckets: last +Inf bound must not be explicitly defined: histogram custom bounds must be finite',
    ],
    [
      'too few bounds for the spans',
      { customValues: [0.1], count: 4 },
      'custom buckets: only 1 custom bounds defined which is insufficient to cover total span length of 3: histogram custom bounds are too few',
    ],
    ['a zero bucket', { zeroCount: 1, count: 5 }, 'custom buckets: must have zero count of 0'],
  ])('%s', (_name, over, error) => {
    expect(histogramError({ ...nhcb, ...over })).toBe(error);
  });

  it('float histograms: layout and signs only', () => {
    const f = nativeHistogram({
      float: true,
      count: 10,
      positiveSpans: spans([[0, 1]]),
      positiveBuckets: [2.5],
    });
    expect(histogramError(f)).toBeUndefined();
    expect(histogramError({ ...f, zeroCount: -1 })).toMatch(
      /zero bucket has observation count of -1/,
    );
    expect(histogramError({ ...f, count: -1 })).toMatch(/observation count is -1/);
  });

  it('bucketCount counts both sides', () => {
    expect(bucketCount(ok)).toBe(3);
  });
});

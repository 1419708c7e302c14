/**
 * Bucket compaction and the classic → NHCB conversion (src/model/histogram.ts, nhcb.ts). The
 * compaction cases are the valid-layout cases of Prometheus's TestHistogramCompact
 * (model/histogram/histogram_test.go): same input, same expected spans and deltas.
 */
import { describe, expect, it } from 'vitest';
import {
  type BucketSpan,
  CUSTOM_BUCKETS_SCHEMA,
  compactBuckets,
  compactHistogram,
  type NativeHistogram,
} from '../../src/model/histogram.js';
import { classicToNhcb } from '../../src/model/nhcb.js';
import { nativeHistogram } from '../support/native-histogram.js';

type SpanPair = [offset: number, length: number];
const spans = (pairs: readonly SpanPair[]): BucketSpan[] =>
  pairs.map(([offset, length]) => ({ offset, length }));

describe('compactBuckets (integer deltas) — Prometheus Compact() cases', () => {
  it.each<{ name: string; max: number; in: [SpanPair[], number[]]; want: [SpanPair[], number[]] }>([
    { name: 'empty', max: 0, in: [[], []], want: [[], []] },
    {
      name: 'nothing to do',
      max: 0,
      in: [
        [
          [-2, 1],
          [2, 3],
        ],
        [1, 3, -3, 42],
      ],
      want: [
        [
          [-2, 1],
          [2, 3],
        ],
        [1, 3, -3, 42],
      ],
    },
    {
      name: 'zero offsets merge spans',
      max: 0,
      in: [
        [
          [0, 2],
          [0, 2],
          [2, 1],
          [0, 1],
        ],
        [5, 3, 1.234e5, 1000, 3, 4],
      ],
      want: [
        [
          [0, 4],
          [2, 2],
        ],
        [5, 3, 1.234e5, 1000, 3, 4],
      ],
    },
    {
      name: 'zero-length spans disappear',
      max: 0,
      in: [
        [
          [-2, 2],
          [2, 0],
          [2, 0],
          [2, 0],
          [3, 3],
        ],
        [1, 3, -3, 42, 3],
      ],
      want: [
        [
          [-2, 2],
          [9, 3],
        ],
        [1, 3, -3, 42, 3],
      ],
    },
    {
      name: 'empty buckets cut at both ends of spans',
      max: 0,
      in: [
        [
          [-4, 4],
          [5, 6],
        ],
        [0, 0, 1, 3, -3, 42, 3, -46, 0, 0],
      ],
      want: [
        [
          [-2, 2],
          [5, 3],
        ],
        [1, 3, -3, 42, 3],
      ],
    },
    {
      name: 'cut at span ends, then spans joined across small gaps',
      max: 10,
      in: [
        [
          [-4, 4],
          [5, 3],
        ],
        [0, 0, 1, 3, -3, 42, 3],
      ],
      want: [[[-2, 10]], [1, 3, -4, 0, 0, 0, 0, 1, 42, 3]],
    },
    {
      name: 'empty run inside a span cut out',
      max: 0,
      in: [
        [
          [-4, 6],
          [3, 3],
        ],
        [0, 0, 1, -1, 0, 3, -2, 42, 3],
      ],
      want: [
        [
          [-2, 1],
          [2, 1],
          [3, 3],
        ],
        [1, 2, -2, 42, 3],
      ],
    },
    {
      name: 'a span of only empty buckets removed',
      max: 0,
      in: [
        [
          [-4, 3],
          [2, 2],
          [3, 4],
        ],
        [0, 0, 1, -1, 0, 3, -2, 42, 3],
      ],
      want: [
        [
          [-2, 1],
          [7, 4],
        ],
        [1, 2, -2, 42, 3],
      ],
    },
    {
      name: 'a short empty run inside a span kept (max 2)',
      max: 2,
      in: [
        [
          [-4, 6],
          [3, 3],
        ],
        [0, 0, 1, -1, 0, 3, -2, 42, 3],
      ],
      want: [
        [
          [-2, 4],
          [3, 3],
        ],
        [1, -1, 0, 3, -2, 42, 3],
      ],
    },
    {
      name: 'everything joined (max 3)',
      max: 3,
      in: [
        [
          [0, 2],
          [3, 5],
        ],
        [5, 3, -4, -2, -2, 3, 4],
      ],
      want: [[[0, 10]], [5, 3, -8, 0, 0, 4, -2, -2, 3, 4]],
    },
    {
      name: 'several spans joined in one pass',
      max: 3,
      in: [
        [
          [0, 2],
          [2, 2],
          [2, 2],
        ],
        [1, 1, 1, 1, 1, 1],
      ],
      want: [[[0, 10]], [1, 1, -2, 0, 3, 1, -4, 0, 5, 1]],
    },
    {
      name: 'only empty buckets',
      max: 3,
      in: [
        [
          [-4, 6],
          [3, 3],
        ],
        [0, 0, 0, 0, 0, 0, 0, 0, 0],
      ],
      want: [[], []],
    },
    {
      name: 'spans of only empty buckets before and after',
      max: 0,
      in: [
        [
          [-10, 2],
          [2, 1],
          [3, 3],
        ],
        [2, 3, -5, 0, 0, 0],
      ],
      want: [[[-10, 2]], [2, 3]],
    },
  ])('$name', ({ max, in: [inSpans, inBuckets], want: [wantSpans, wantBuckets] }) => {
    const got = compactBuckets({ spans: spans(inSpans), buckets: inBuckets }, max, true);
    expect(got).toEqual({ spans: spans(wantSpans), buckets: wantBuckets });
  });

  it('returns the input when nothing changes, and leaves invalid layouts alone', () => {
    const side = {
      spans: spans([
        [-2, 1],
        [2, 3],
      ]),
      buckets: [1, 3, -3, 42],
    };
    expect(compactBuckets(side, 0, true)).toBe(side);
    const negativeOffset = {
      spans: spans([
        [0, 1],
        [-1, 1],
      ]),
      buckets: [0, 1],
    };
    expect(compactBuckets(negativeOffset, 0, true)).toBe(negativeOffset);
    const tooManyBuckets = { spans: spans([[0, 1]]), buckets: [0, 1] };
    expect(compactBuckets(tooManyBuckets, 0, true)).toBe(tooManyBuckets);
  });

  it('treats float buckets as counts (0 and -0 are empty, NaN is not)', () => {
    expect(
      compactBuckets({ spans: spans([[0, 5]]), buckets: [0, 1.5, -0, Number.NaN, 0] }, 0, false),
    ).toEqual({
      spans: spans([
        [1, 1],
        [1, 1],
      ]),
      buckets: [1.5, Number.NaN],
    });
  });

  it('compactHistogram works on both sides and keeps everything else', () => {
    const h: NativeHistogram = {
      float: false,
      counterResetHint: 'gauge',
      schema: 2,
      zeroThreshold: 0.001,
      zeroCount: 4,
      count: 9,
      sum: 1.5,
      positiveSpans: spans([[0, 3]]),
      positiveBuckets: [0, 2, -2],
      negativeSpans: spans([[1, 1]]),
      negativeBuckets: [3],
      customValues: [],
    };
    expect(compactHistogram(h, 0)).toEqual({
      ...h,
      positiveSpans: spans([[1, 1]]),
      positiveBuckets: [2],
    });
  });
});

describe('classicToNhcb (convert_classic_histograms_to_nhcb)', () => {
  const nhcb = (over: Partial<NativeHistogram>): NativeHistogram =>
    nativeHistogram({ schema: CUSTOM_BUCKETS_SCHEMA, ...over });

  it.each<{
    name: string;
    count: number;
    buckets: [le: number, count: number][];
    want: NativeHistogram | { error: RegExp };
  }>([
    {
      name: 'integer counts, +Inf added, empty buckets kept inside the span (≤ 2)',
      count: 10,
      buckets: [
        [1, 2],
        [2, 2],
        [5, 2],
        [10, 7],
      ],
      want: nhcb({
        count: 10,
        sum: 3,
        positiveSpans: spans([[0, 5]]),
        positiveBuckets: [2, -2, 0, 5, -2],
        customValues: [1, 2, 5, 10],
      }),
    },
    {
      name: 'buckets in any order, a repeated bound keeps its first count',
      count: 4,
      buckets: [
        [2, 3],
        [1, 1],
        [2, 99],
        [Number.POSITIVE_INFINITY, 4],
      ],
      want: nhcb({
        count: 4,
        sum: 3,
        positiveSpans: spans([[0, 3]]),
        positiveBuckets: [1, 1, -1],
        customValues: [1, 2],
      }),
    },
    {
      name: 'float counts make a float histogram, every empty bucket cut',
      count: 2.5,
      buckets: [
        [1, 0.5],
        [2, 0.5],
        [3, 2.5],
      ],
      want: nhcb({
        float: true,
        count: 2.5,
        sum: 3,
        positiveSpans: spans([
          [0, 1],
          [1, 1],
        ]),
        positiveBuckets: [0.5, 2],
        customValues: [1, 2, 3],
      }),
    },
    {
      name: 'no buckets: only the +Inf one, empty here',
      count: 0,
      buckets: [],
      want: nhcb({ sum: 3 }),
    },
    {
      name: 'a negative count',
      count: -1,
      buckets: [],
      want: { error: /count must be non-negative/ },
    },
    {
      name: 'a negative bucket count',
      count: 1,
      buckets: [[1, -1]],
      want: { error: /bucket count must be non-negative/ },
    },
    {
      name: 'a NaN bound',
      count: 1,
      buckets: [[Number.NaN, 1]],
      want: { error: /must not be NaN/ },
    },
    {
      name: 'counts that shrink',
      count: 5,
      buckets: [
        [2, 5],
        [1, 6],
      ],
      want: { error: /count is not cumulative: 5 < 6/ },
    },
    {
      name: 'count differs from the +Inf bucket',
      count: 5,
      buckets: [[Number.POSITIVE_INFINITY, 4]],
      want: { error: /count mismatch/ },
    },
  ])('$name', ({ count, buckets, want }) => {
    const got = classicToNhcb(
      count,
      3,
      buckets.map(([le, c]) => ({ le, count: c })),
      'unknown',
    );
    if ('error' in want) expect(got).toEqual({ error: expect.stringMatching(want.error) });
    else expect(got).toEqual(want);
  });

  it('sorts in O(n log n): 200,000 buckets in descending order', () => {
    const buckets = Array.from({ length: 200_000 }, (_, i) => ({
      le: 200_000 - i,
      count: 200_000 - i,
    }));
    const start = Date.now();
    const got = classicToNhcb(200_000, 0, buckets, 'gauge');
    expect(Date.now() - start).toBeLessThan(5_000);
    expect('error' in got ? got.error : got.customValues.length).toBe(200_000);
  });
});

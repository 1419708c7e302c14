/**
 * Native histograms as the scrape hands them on (Prometheus's model/histogram `Histogram` and
 * `FloatHistogram` in one shape), and the bucket compaction Prometheus's protobuf parser applies
 * before it returns one.
 *
 * Buckets are addressed by index: spans say which indexes are present (the first span's offset
 * is the first index, each later offset the gap after the previous span), and the bucket array
 * holds one entry per present index, in order. For an integer histogram (`float: false`) the
 * entries are deltas (each bucket's count minus the previous bucket's, the first against 0); for
 * a float histogram they are the counts themselves.
 */

/** Exponential schemas Prometheus accepts: -4 … 8. */
export const EXPONENTIAL_SCHEMA_MIN = -4;
export const EXPONENTIAL_SCHEMA_MAX = 8;
/** Native histograms with custom bucket boundaries (NHCB), e.g. converted classic histograms. */
export const CUSTOM_BUCKETS_SCHEMA = -53;

export interface BucketSpan {
  /** Gap to the previous span; for the first span, the index of its first bucket (may be < 0). */
  readonly offset: number;
  readonly length: number;
}

/**
 * `unknown`: counter-like, resets are detected by the receiver; `gauge`: a gauge histogram.
 * (Prometheus also has `reset` and `not_reset`; a scrape never sets them.)
 */
export type CounterResetHint = 'unknown' | 'gauge';

export interface NativeHistogram {
  /** True for a float histogram (counts are floats), false for integer counts with deltas. */
  readonly float: boolean;
  readonly counterResetHint: CounterResetHint;
  readonly schema: number;
  /** Width of the zero bucket: observations within ±zeroThreshold count there. */
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  readonly count: number;
  readonly sum: number;
  readonly positiveSpans: readonly BucketSpan[];
  /** Deltas (integer histogram) or counts (float histogram), one per present index. */
  readonly positiveBuckets: readonly number[];
  readonly negativeSpans: readonly BucketSpan[];
  readonly negativeBuckets: readonly number[];
  /**
   * Upper bounds of the custom buckets in ascending order, without the last (+Inf) one; empty
   * unless `schema` is {@link CUSTOM_BUCKETS_SCHEMA}.
   */
  readonly customValues: readonly number[];
}

/** Buckets with their spans, as `compactBuckets` takes and returns them. */
export interface SpansAndBuckets {
  readonly spans: readonly BucketSpan[];
  readonly buckets: readonly number[];
}

/**
 * Prometheus's `Compact(maxEmptyBuckets)` for one side of a histogram: empty buckets (count 0)
 * at either end of a span are removed, so are runs of more than `maxEmptyBuckets` empty buckets
 * inside a span (splitting it), and spans at most `maxEmptyBuckets` apart are joined (the gap
 * filled with empty buckets); zero-length spans disappear. `deltas` says whether `buckets` holds
 * deltas (re-encoded against the buckets that remain) or counts.
 *
 * The result depends only on which index holds which count, so it is computed that way: list
 * the non-empty buckets by index, then group neighbours whose gap is small enough. Layouts that
 * are not valid (a later span with a negative offset, or spans and buckets of different
 * lengths) are returned unchanged: the histogram is invalid either way and is refused when it
 * is stored, and here the input stays as it came.
 *
 * Returns the input object when there is nothing to change (the common case).
 */
export function compactBuckets(
  side: SpansAndBuckets,
  maxEmptyBuckets: number,
  deltas: boolean,
): SpansAndBuckets {
  const { spans, buckets } = side;
  let total = 0;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    if (i > 0 && s.offset < 0) return side;
    total += s.length;
  }
  if (total !== buckets.length) return side;
  if (!needsCompaction(spans, buckets, maxEmptyBuckets, deltas)) return side;

  // Indexes and counts of the non-empty buckets, ascending.
  const indexes: number[] = [];
  const counts: number[] = [];
  let index = 0;
  let b = 0;
  let count = 0;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    index += s.offset;
    for (let j = 0; j < s.length; j++, b++, index++) {
      count = deltas ? count + buckets[b]! : buckets[b]!;
      if (count !== 0) {
        indexes.push(index);
        counts.push(count);
      }
    }
  }

  const outSpans: BucketSpan[] = [];
  const outBuckets: number[] = [];
  let spanStart = 0;
  let spanLength = 0;
  let lastEnd = 0; // index after the previous span
  let previous = 0; // absolute count of the previous bucket written (for deltas)
  const put = (c: number): void => {
    outBuckets.push(deltas ? c - previous : c);
    previous = c;
  };
  for (let k = 0; k < indexes.length; k++) {
    const at = indexes[k]!;
    if (spanLength > 0 && at - (spanStart + spanLength) <= maxEmptyBuckets) {
      for (let gap = spanStart + spanLength; gap < at; gap++) put(0);
      spanLength = at - spanStart + 1;
    } else {
      if (spanLength > 0) {
        outSpans.push({
          offset: outSpans.length === 0 ? spanStart : spanStart - lastEnd,
          length: spanLength,
        });
        lastEnd = spanStart + spanLength;
      }
      spanStart = at;
      spanLength = 1;
    }
    put(counts[k]!);
  }
  if (spanLength > 0) {
    outSpans.push({
      offset: outSpans.length === 0 ? spanStart : spanStart - lastEnd,
      length: spanLength,
    });
  }
  return { spans: outSpans, buckets: outBuckets };
}

/** False when compaction would return the same layout (Prometheus's fast check, restated). */
function needsCompaction(
  spans: readonly BucketSpan[],
  buckets: readonly number[],
  maxEmptyBuckets: number,
  deltas: boolean,
): boolean {
  let count = 0;
  for (const v of buckets) {
    count = deltas ? count + v : v;
    if (count === 0) return true;
  }
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    if (s.length === 0) return true;
    if (i > 0 && s.offset <= maxEmptyBuckets) return true;
  }
  return false;
}

/** Compacts both sides of `h` (see {@link compactBuckets}); returns `h` when nothing changes. */
export function compactHistogram(h: NativeHistogram, maxEmptyBuckets: number): NativeHistogram {
  const deltas = !h.float;
  const positive = compactBuckets(
    { spans: h.positiveSpans, buckets: h.positiveBuckets },
    maxEmptyBuckets,
    deltas,
  );
  const negative = compactBuckets(
    { spans: h.negativeSpans, buckets: h.negativeBuckets },
    maxEmptyBuckets,
    deltas,
  );
  if (positive.spans === h.positiveSpans && negative.spans === h.negativeSpans) return h;
  return {
    ...h,
    positiveSpans: positive.spans,
    positiveBuckets: positive.buckets,
    negativeSpans: negative.spans,
    negativeBuckets: negative.buckets,
  };
}

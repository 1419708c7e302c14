/**
 * A classic histogram (cumulative buckets with upper bounds) as a native histogram with custom
 * buckets (NHCB, schema -53): what Prometheus does with `convert_classic_histograms_to_nhcb`.
 */
import {
  type CounterResetHint,
  CUSTOM_BUCKETS_SCHEMA,
  compactHistogram,
  type NativeHistogram,
} from './histogram.js';

export interface ClassicBucket {
  /** Upper bound (`le`). */
  readonly le: number;
  /** Cumulative count. */
  readonly count: number;
}

/**
 * Converts one classic histogram, or says why it cannot be: a negative count, a NaN bound, or
 * counts that do not grow with the bound. Rules as in Prometheus's converter (its
 * util/convertnhcb), restated:
 *
 * - buckets may come in any order; a bound seen twice keeps its first count;
 * - without a +Inf bucket, one is added with the overall count;
 * - the overall count must equal the +Inf bucket's;
 * - when every count is a whole number the result is an integer histogram (deltas, empty
 *   buckets compacted with up to 2 kept inside a span), otherwise a float histogram (all empty
 *   buckets compacted away).
 *
 * Prometheus inserts each bucket into a sorted list and checks it against its neighbours at that
 * moment; sorting once and checking neighbours afterwards finds a violation exactly when that
 * does (two buckets that end up adjacent were adjacent when the later one came), in
 * O(n log n) instead of O(n²) for buckets written in descending order.
 */
export function classicToNhcb(
  count: number,
  sum: number,
  buckets: readonly ClassicBucket[],
  hint: CounterResetHint,
): NativeHistogram | { error: string } {
  if (count < 0) return { error: `count must be non-negative: count=${count}` };
  const firstByBound = new Map<number, number>();
  for (const b of buckets) {
    if (Number.isNaN(b.le)) return { error: 'bucket boundary must not be NaN' };
    if (b.count < 0) {
      return { error: `bucket count must be non-negative: le=${b.le}, count=${b.count}` };
    }
    if (!firstByBound.has(b.le)) firstByBound.set(b.le, b.count);
  }
  const sorted = [...firstByBound.entries()].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]![1] < sorted[i - 1]![1]) {
      return { error: `count is not cumulative: ${sorted[i]![1]} < ${sorted[i - 1]![1]}` };
    }
  }
  if (sorted.length === 0 || sorted[sorted.length - 1]![0] !== Number.POSITIVE_INFINITY) {
    sorted.push([Number.POSITIVE_INFINITY, count]);
  }
  const last = sorted[sorted.length - 1]![1];
  if (count !== last) {
    return { error: `count mismatch: count=${count} != le=+Inf count=${last}` };
  }

  const integer = isWholeNumber(count) && sorted.every(([, c]) => isWholeNumber(c));
  const positiveBuckets: number[] = new Array(sorted.length);
  let previousCumulative = 0;
  let previousBucket = 0;
  for (let i = 0; i < sorted.length; i++) {
    const cumulative = sorted[i]![1];
    const bucket = cumulative - previousCumulative;
    positiveBuckets[i] = integer ? bucket - previousBucket : bucket;
    previousCumulative = cumulative;
    previousBucket = bucket;
  }
  const h: NativeHistogram = {
    float: !integer,
    counterResetHint: hint,
    schema: CUSTOM_BUCKETS_SCHEMA,
    zeroThreshold: 0,
    zeroCount: 0,
    count,
    sum,
    positiveSpans: [{ offset: 0, length: sorted.length }],
    positiveBuckets,
    negativeSpans: [],
    negativeBuckets: [],
    customValues: sorted.slice(0, -1).map(([le]) => le),
  };
  return compactHistogram(h, integer ? 2 : 0);
}

function isWholeNumber(x: number): boolean {
  return Number.isFinite(x) && Math.round(x) === x;
}

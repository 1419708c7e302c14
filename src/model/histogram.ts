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

/** True for the exponential schemas -4 … 8 (whose resolution can be reduced). */
export function isExponentialSchema(schema: number): boolean {
  return schema >= EXPONENTIAL_SCHEMA_MIN && schema <= EXPONENTIAL_SCHEMA_MAX;
}

/** Number of buckets on both sides (the figure `native_histogram_bucket_limit` bounds). */
export function bucketCount(h: NativeHistogram): number {
  return h.positiveBuckets.length + h.negativeBuckets.length;
}

/**
 * The highest schema whose neighbouring bucket boundaries are at least `factor` apart, as
 * `native_histogram_min_bucket_factor` asks: floor(-log2(log2(factor))) within -4 … 8. A factor
 * of 1 or less means no limit (schema 8).
 */
export function schemaForBucketFactor(factor: number): number {
  const f = factor <= 1 ? 1.00271 : factor;
  const schema = Math.floor(-Math.log2(Math.log2(f))) + 0; // + 0: no -0 for a factor of 2
  return Math.min(EXPONENTIAL_SCHEMA_MAX, Math.max(EXPONENTIAL_SCHEMA_MIN, schema));
}

/**
 * `h` at the coarser exponential schema `targetSchema` (< h.schema): each bucket at index i
 * moves to index ((i - 1) >> (schema - targetSchema)) + 1 and buckets that land on the same
 * index are added up, so the counts, sum and zero bucket are unchanged. Only for exponential
 * schemas and a layout that {@link histogramError} accepts.
 */
export function reduceResolution(h: NativeHistogram, targetSchema: number): NativeHistogram {
  const shift = h.schema - targetSchema;
  const side = (spans: readonly BucketSpan[], buckets: readonly number[]): SpansAndBuckets => {
    const outSpans: { offset: number; length: number }[] = [];
    const outBuckets: number[] = [];
    let index = 0;
    let b = 0;
    let count = 0; // absolute count of the origin bucket (deltas summed)
    let lastIndex = 0;
    let lastCount = 0; // absolute count of the last target bucket so far
    let previousTargetCount = 0; // absolute count of the target bucket before it (for deltas)
    for (let s = 0; s < spans.length; s++) {
      index += spans[s]!.offset;
      for (let j = 0; j < spans[s]!.length; j++, index++, b++) {
        count = h.float ? buckets[b]! : count + buckets[b]!;
        const target = ((index - 1) >> shift) + 1;
        if (outSpans.length > 0 && target === lastIndex) {
          lastCount += count;
        } else {
          if (outSpans.length > 0) {
            outBuckets.push(h.float ? lastCount : lastCount - previousTargetCount);
            previousTargetCount = lastCount;
          }
          if (outSpans.length > 0 && target === lastIndex + 1) {
            outSpans[outSpans.length - 1]!.length++;
          } else {
            outSpans.push({
              offset: outSpans.length === 0 ? target : target - lastIndex - 1,
              length: 1,
            });
          }
          lastIndex = target;
          lastCount = count;
        }
      }
    }
    if (outSpans.length > 0) outBuckets.push(h.float ? lastCount : lastCount - previousTargetCount);
    return { spans: outSpans, buckets: outBuckets };
  };
  const positive = side(h.positiveSpans, h.positiveBuckets);
  const negative = side(h.negativeSpans, h.negativeBuckets);
  return {
    ...h,
    schema: targetSchema,
    positiveSpans: positive.spans,
    positiveBuckets: positive.buckets,
    negativeSpans: negative.spans,
    negativeBuckets: negative.buckets,
  };
}

/**
 * Why Prometheus's storage would refuse `h` (its `Validate`), or undefined when it is valid:
 * a schema outside -4 … 8 and -53; spans that need a different number of buckets than given or
 * a later span with a negative offset; a bucket with a negative count; a total count that is not
 * the sum of the buckets and the zero bucket (at least that sum when the sum is NaN); for custom
 * buckets, bounds that are not finite and strictly increasing or too few for the spans, a zero
 * bucket or a negative side. Float histograms are checked for layout and signs only.
 */
export function histogramError(h: NativeHistogram): string | undefined {
  let observed = 0;
  if (h.schema === CUSTOM_BUCKETS_SCHEMA) {
    const bounds = customBoundsError(h);
    if (bounds !== undefined) return `custom buckets: ${bounds}`;
    if (h.zeroCount !== 0) return 'custom buckets: must have zero count of 0';
    if (h.zeroThreshold !== 0) return 'custom buckets: must have zero threshold of 0';
    if (h.negativeSpans.length > 0) return 'custom buckets: must not have negative spans';
    if (h.negativeBuckets.length > 0) return 'custom buckets: must not have negative buckets';
  } else if (isExponentialSchema(h.schema)) {
    const neg =
      spansError(h.negativeSpans, h.negativeBuckets.length) ??
      countsError(h.negativeBuckets, !h.float, (c) => {
        observed += c;
      });
    if (neg !== undefined) return `negative side: ${neg}`;
    const posSpans = spansError(h.positiveSpans, h.positiveBuckets.length);
    if (posSpans !== undefined) return `positive side: ${posSpans}`;
    if (h.customValues.length > 0) {
      return 'histogram with exponential schema must not have custom bounds';
    }
  } else {
    return `histogram has an invalid schema ${h.schema}, which must be between ${EXPONENTIAL_SCHEMA_MIN} and ${EXPONENTIAL_SCHEMA_MAX} for exponential buckets, or ${CUSTOM_BUCKETS_SCHEMA} for custom buckets`;
  }
  const pos = countsError(h.positiveBuckets, !h.float, (c) => {
    observed += c;
  });
  if (pos !== undefined) return `positive side: ${pos}`;
  if (h.float) {
    // Float histograms: counts may be estimates, so only signs are checked.
    if (h.zeroCount < 0) {
      return `zero bucket has observation count of ${h.zeroCount}: histogram has a bucket whose observation count is negative`;
    }
    if (h.count < 0) {
      return `observation count is ${h.count}: histogram's observation count is negative`;
    }
    return undefined;
  }
  observed += h.zeroCount;
  if (Number.isNaN(h.sum)) {
    if (observed > h.count) {
      return `${observed} observations found in buckets, but the Count field is ${h.count}: histogram's observation count should be at least the number of observations found in the buckets`;
    }
  } else if (observed !== h.count) {
    return `${observed} observations found in buckets, but the Count field is ${h.count}: histogram's observation count should equal the number of observations found in the buckets (in absence of NaN)`;
  }
  return undefined;
}

function spansError(spans: readonly BucketSpan[], buckets: number): string | undefined {
  let needed = 0;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    if (i > 0 && s.offset < 0) {
      return `span number ${i + 1} with offset ${s.offset}: histogram has a span whose offset is negative`;
    }
    needed += s.length;
  }
  if (needed !== buckets) {
    return `spans need ${needed} buckets, have ${buckets} buckets: histogram spans specify different number of buckets than provided`;
  }
  return undefined;
}

function countsError(
  buckets: readonly number[],
  deltas: boolean,
  add: (count: number) => void,
): string | undefined {
  let count = 0;
  for (let i = 0; i < buckets.length; i++) {
    count = deltas ? count + buckets[i]! : buckets[i]!;
    if (count < 0) {
      return `bucket number ${i + 1} has observation count of ${count}: histogram has a bucket whose observation count is negative`;
    }
    add(count);
  }
  return undefined;
}

function customBoundsError(h: NativeHistogram): string | undefined {
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < h.customValues.length; i++) {
    const bound = h.customValues[i]!;
    if (Number.isNaN(bound)) return 'histogram custom bounds must not be NaN';
    if (i > 0 && bound <= previous) {
      return `previous bound is ${previous} and current is ${bound}: histogram custom bounds must be in strictly increasing order`;
    }
    previous = bound;
  }
  if (previous === Number.POSITIVE_INFINITY) {
    return 'last +Inf bound must not be explicitly defined: histogram custom bounds must be finite';
  }
  let needed = 0;
  let covered = 0;
  for (let i = 0; i < h.positiveSpans.length; i++) {
    const s = h.positiveSpans[i]!;
    if (s.offset < 0) {
      return `span number ${i + 1} with offset ${s.offset}: histogram has a span whose offset is negative`;
    }
    needed += s.length;
    covered += s.length + s.offset;
  }
  if (needed !== h.positiveBuckets.length) {
    return `spans need ${needed} buckets, have ${h.positiveBuckets.length} buckets: histogram spans specify different number of buckets than provided`;
  }
  if (h.customValues.length + 1 < covered) {
    return `only ${h.customValues.length} custom bounds defined which is insufficient to cover total span length of ${covered}: histogram custom bounds are too few`;
  }
  return undefined;
}

/**
 * A native histogram in one line, for people (the `scrape` command): count, sum, then each
 * non-empty bucket as its range and count, lowest first, e.g.
 * `{count:3, sum:1.5, [-0.001,0.001]:1, (0.5,1]:2}`. Negative buckets are (-hi,-lo]-style
 * ranges mirrored from the positive ones; custom buckets use their bounds.
 */
export function formatHistogram(h: NativeHistogram, formatNumber: (n: number) => string): string {
  const parts = [`count:${formatNumber(h.count)}`, `sum:${formatNumber(h.sum)}`];
  const ranges: string[] = [];
  const side = (spans: readonly BucketSpan[], buckets: readonly number[]): [number, number][] => {
    const out: [number, number][] = [];
    let index = 0;
    let b = 0;
    let count = 0;
    for (const span of spans) {
      index += span.offset;
      for (let j = 0; j < span.length; j++, index++, b++) {
        count = h.float ? buckets[b]! : count + buckets[b]!;
        if (count !== 0) out.push([index, count]);
      }
    }
    return out;
  };
  const custom = h.schema === CUSTOM_BUCKETS_SCHEMA;
  const bound = (index: number): number =>
    custom ? (h.customValues[index] ?? Number.POSITIVE_INFINITY) : 2 ** (index * 2 ** -h.schema);
  for (const [index, count] of side(h.negativeSpans, h.negativeBuckets).reverse()) {
    ranges.push(
      `[-${formatNumber(bound(index))},-${formatNumber(bound(index - 1))}):${formatNumber(count)}`,
    );
  }
  if (h.zeroCount !== 0) {
    const z = formatNumber(h.zeroThreshold);
    ranges.push(`[-${z},${z}]:${formatNumber(h.zeroCount)}`);
  }
  for (const [index, count] of side(h.positiveSpans, h.positiveBuckets)) {
    const lower = custom
      ? index === 0
        ? Number.NEGATIVE_INFINITY
        : bound(index - 1)
      : bound(index - 1);
    ranges.push(`(${formatNumber(lower)},${formatNumber(bound(index))}]:${formatNumber(count)}`);
  }
  return `{${[...parts, ...ranges].join(', ')}}`;
}

/** Native histogram fixtures shared by the model, exposition and remote-write tests. */
import type { NativeHistogram } from '../../src/model/histogram.js';

/**
 * A native histogram with every field at its zero value (integer counts, schema 0, reset hint
 * `unknown`, no buckets), then the fields of `over`.
 */
export function nativeHistogram(over: Partial<NativeHistogram> = {}): NativeHistogram {
  return {
    float: false,
    counterResetHint: 'unknown',
    schema: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    count: 0,
    sum: 0,
    positiveSpans: [],
    positiveBuckets: [],
    negativeSpans: [],
    negativeBuckets: [],
    customValues: [],
    ...over,
  };
}

import { formatHistogram, type NativeHistogram } from '../model/histogram.js';
import { formatSeries, type Labels } from '../model/labels.js';
import { formatGoFloat } from './float.js';

/**
 * One sample as `name{a="x", b="y"} value [timestamp]`, the way promtool prints series: labels
 * in the given (sorted) order with `__name__` outside the braces (or quoted inside for a
 * non-legacy name), values escaped; the value in Go's shortest form (`NaN`, `+Inf`, `-Inf`,
 * `1e+06`, …, see {@link formatGoFloat}); the timestamp in integer ms when given. The result
 * parses back with the text parser to the same labels and value. A native histogram is shown
 * as {@link formatHistogram} writes it (that line does not parse back).
 */
export function formatSampleLine(
  labels: Labels,
  value: number | NativeHistogram,
  timestampMs?: number,
): string {
  const shown =
    typeof value === 'number' ? formatGoFloat(value) : formatHistogram(value, formatGoFloat);
  const head = `${formatSeries(labels)} ${shown}`;
  return timestampMs === undefined ? head : `${head} ${Math.trunc(timestampMs)}`;
}

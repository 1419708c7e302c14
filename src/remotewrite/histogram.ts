/**
 * The `Histogram` message shared by remote write 1.0 (prompb/types.proto, `TimeSeries.histograms`
 * = 4) and 2.0 (prompb/io/prometheus/write/v2/types.proto, `TimeSeries.histograms` = 3): fields
 * 1–16 are the same in both, 2.0 adds `start_timestamp` = 17.
 *
 * ```
 * Histogram  { oneof count { uint64 count_int = 1; double count_float = 2; }
 *              double sum = 3; sint32 schema = 4; double zero_threshold = 5;
 *              oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
 *              repeated BucketSpan negative_spans = 8; repeated sint64 negative_deltas = 9;
 *              repeated double negative_counts = 10; repeated BucketSpan positive_spans = 11;
 *              repeated sint64 positive_deltas = 12; repeated double positive_counts = 13;
 *              ResetHint reset_hint = 14; int64 timestamp = 15; repeated double custom_values = 16;
 *              int64 start_timestamp = 17; }          // 17: 2.0 only
 * BucketSpan { sint32 offset = 1; uint32 length = 2; }
 * ```
 *
 * Contract (the same message Prometheus's FromIntHistogram / FromFloatHistogram build):
 * - An integer histogram (`float: false`) uses count_int, zero_count_int and the *_deltas fields;
 *   a float histogram count_float, zero_count_float and the *_counts fields.
 * - The two `oneof` members are always written, even when 0: their presence is what tells a
 *   receiver an integer histogram from a float one (a float histogram with count 0 must stay a
 *   float histogram). Every other field is omitted at its proto3 default (+0.0, 0, empty), as in
 *   encode.ts; a -0.0 double is written.
 * - Repeated scalars are packed. A NaN double (the sum, typically) is written as Prometheus's NaN
 *   bits (encode.ts); the scrape never hands on a stale histogram (staleness is a float row).
 * - counterResetHint 'gauge' → GAUGE (3), 'unknown' → UNKNOWN (0, omitted).
 * - Counts and deltas are integers with |v| < 2^52 (sint64 zigzag is computed in doubles).
 */

import type { BucketSpan, NativeHistogram } from '../model/histogram.js';
import {
  int64Length,
  PROMETHEUS_NAN_BYTES,
  tag,
  uvarintLength,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
  writeInt64,
  writeUvarint,
} from './protobuf.js';

const TAG_COUNT_INT = tag(1, WIRE_VARINT);
const TAG_COUNT_FLOAT = tag(2, WIRE_FIXED64);
const TAG_SUM = tag(3, WIRE_FIXED64);
const TAG_SCHEMA = tag(4, WIRE_VARINT);
const TAG_ZERO_THRESHOLD = tag(5, WIRE_FIXED64);
const TAG_ZERO_COUNT_INT = tag(6, WIRE_VARINT);
const TAG_ZERO_COUNT_FLOAT = tag(7, WIRE_FIXED64);
const TAG_NEGATIVE_SPANS = tag(8, WIRE_LEN);
const TAG_NEGATIVE_DELTAS = tag(9, WIRE_LEN);
const TAG_NEGATIVE_COUNTS = tag(10, WIRE_LEN);
const TAG_POSITIVE_SPANS = tag(11, WIRE_LEN);
const TAG_POSITIVE_DELTAS = tag(12, WIRE_LEN);
const TAG_POSITIVE_COUNTS = tag(13, WIRE_LEN);
const TAG_RESET_HINT = tag(14, WIRE_VARINT);
const TAG_TIMESTAMP = tag(15, WIRE_VARINT);
/** Field 16 and 17 take two tag bytes each. */
const TAG_CUSTOM_VALUES = tag(16, WIRE_LEN);
const TAG_START_TIMESTAMP = tag(17, WIRE_VARINT);
const TAG_SPAN_OFFSET = tag(1, WIRE_VARINT);
const TAG_SPAN_LENGTH = tag(2, WIRE_VARINT);

/** `Histogram.ResetHint` GAUGE. */
const RESET_HINT_GAUGE = 3;

/** protobuf zigzag of an integer (sint32/sint64), in doubles: exact for |v| < 2^52. */
function zigzag(v: number): number {
  return v >= 0 ? 2 * v : -2 * v - 1;
}

/** Is a double field written? Not at +0.0 (the proto3 default). */
function hasDouble(v: number): boolean {
  return v !== 0 || 1 / v < 0;
}

function spanSize(s: BucketSpan): number {
  return (
    (s.offset !== 0 ? 1 + uvarintLength(zigzag(s.offset)) : 0) +
    (s.length !== 0 ? 1 + uvarintLength(s.length) : 0)
  );
}

function spansSize(spans: readonly BucketSpan[]): number {
  let n = 0;
  for (const s of spans) {
    const size = spanSize(s);
    n += 1 + uvarintLength(size) + size;
  }
  return n;
}

function deltasPayload(deltas: readonly number[]): number {
  let n = 0;
  for (const d of deltas) n += uvarintLength(zigzag(d));
  return n;
}

/** Bytes of a packed field with a one-byte tag (absent when empty). */
function packedSize(payload: number, count: number): number {
  return count === 0 ? 0 : 1 + uvarintLength(payload) + payload;
}

/**
 * Payload size of the Histogram message of `h` at `timestampMs`, with `startTimestampMs` (2.0
 * only; 0 = none, and always 0 for 1.0).
 */
export function histogramSize(
  h: NativeHistogram,
  timestampMs: number,
  startTimestampMs: number,
): number {
  let n = h.float ? 9 + 9 : 1 + uvarintLength(h.count) + 1 + uvarintLength(h.zeroCount);
  if (hasDouble(h.sum)) n += 9;
  if (h.schema !== 0) n += 1 + uvarintLength(zigzag(h.schema));
  if (hasDouble(h.zeroThreshold)) n += 9;
  n += spansSize(h.negativeSpans) + spansSize(h.positiveSpans);
  if (h.float) {
    n += packedSize(8 * h.negativeBuckets.length, h.negativeBuckets.length);
    n += packedSize(8 * h.positiveBuckets.length, h.positiveBuckets.length);
  } else {
    n += packedSize(deltasPayload(h.negativeBuckets), h.negativeBuckets.length);
    n += packedSize(deltasPayload(h.positiveBuckets), h.positiveBuckets.length);
  }
  if (h.counterResetHint === 'gauge') n += 2;
  if (timestampMs !== 0) n += 1 + int64Length(timestampMs);
  const cv = h.customValues.length;
  if (cv !== 0) n += 2 + uvarintLength(8 * cv) + 8 * cv;
  if (startTimestampMs !== 0) n += 2 + int64Length(startTimestampMs);
  return n;
}

function writeDouble(buf: Uint8Array, view: DataView, pos: number, v: number): number {
  if (Number.isNaN(v)) buf.set(PROMETHEUS_NAN_BYTES, pos);
  else view.setFloat64(pos, v, true);
  return pos + 8;
}

function writeSpans(buf: Uint8Array, pos: number, fieldTag: number, spans: readonly BucketSpan[]) {
  for (const s of spans) {
    buf[pos++] = fieldTag;
    pos = writeUvarint(buf, pos, spanSize(s));
    if (s.offset !== 0) {
      buf[pos++] = TAG_SPAN_OFFSET;
      pos = writeUvarint(buf, pos, zigzag(s.offset));
    }
    if (s.length !== 0) {
      buf[pos++] = TAG_SPAN_LENGTH;
      pos = writeUvarint(buf, pos, s.length);
    }
  }
  return pos;
}

function writeDeltas(buf: Uint8Array, pos: number, fieldTag: number, deltas: readonly number[]) {
  if (deltas.length === 0) return pos;
  buf[pos++] = fieldTag;
  pos = writeUvarint(buf, pos, deltasPayload(deltas));
  for (const d of deltas) pos = writeUvarint(buf, pos, zigzag(d));
  return pos;
}

function writeDoubles(
  buf: Uint8Array,
  view: DataView,
  pos: number,
  tagBytes: number,
  values: readonly number[],
): number {
  if (values.length === 0) return pos;
  if (tagBytes >= 0x80) {
    buf[pos++] = (tagBytes & 0x7f) | 0x80;
    buf[pos++] = tagBytes >>> 7;
  } else {
    buf[pos++] = tagBytes;
  }
  pos = writeUvarint(buf, pos, 8 * values.length);
  for (const v of values) pos = writeDouble(buf, view, pos, v);
  return pos;
}

/**
 * Writes the payload of `h`'s Histogram message (exactly {@link histogramSize} bytes) at `pos`;
 * returns the position after it. `view` is a DataView over `buf`'s whole buffer.
 */
export function writeHistogram(
  buf: Uint8Array,
  view: DataView,
  pos: number,
  h: NativeHistogram,
  timestampMs: number,
  startTimestampMs: number,
): number {
  if (h.float) {
    buf[pos++] = TAG_COUNT_FLOAT;
    pos = writeDouble(buf, view, pos, h.count);
  } else {
    buf[pos++] = TAG_COUNT_INT;
    pos = writeUvarint(buf, pos, h.count);
  }
  if (hasDouble(h.sum)) {
    buf[pos++] = TAG_SUM;
    pos = writeDouble(buf, view, pos, h.sum);
  }
  if (h.schema !== 0) {
    buf[pos++] = TAG_SCHEMA;
    pos = writeUvarint(buf, pos, zigzag(h.schema));
  }
  if (hasDouble(h.zeroThreshold)) {
    buf[pos++] = TAG_ZERO_THRESHOLD;
    pos = writeDouble(buf, view, pos, h.zeroThreshold);
  }
  if (h.float) {
    buf[pos++] = TAG_ZERO_COUNT_FLOAT;
    pos = writeDouble(buf, view, pos, h.zeroCount);
  } else {
    buf[pos++] = TAG_ZERO_COUNT_INT;
    pos = writeUvarint(buf, pos, h.zeroCount);
  }
  pos = writeSpans(buf, pos, TAG_NEGATIVE_SPANS, h.negativeSpans);
  pos = h.float
    ? writeDoubles(buf, view, pos, TAG_NEGATIVE_COUNTS, h.negativeBuckets)
    : writeDeltas(buf, pos, TAG_NEGATIVE_DELTAS, h.negativeBuckets);
  pos = writeSpans(buf, pos, TAG_POSITIVE_SPANS, h.positiveSpans);
  pos = h.float
    ? writeDoubles(buf, view, pos, TAG_POSITIVE_COUNTS, h.positiveBuckets)
    : writeDeltas(buf, pos, TAG_POSITIVE_DELTAS, h.positiveBuckets);
  if (h.counterResetHint === 'gauge') {
    buf[pos++] = TAG_RESET_HINT;
    buf[pos++] = RESET_HINT_GAUGE;
  }
  if (timestampMs !== 0) {
    buf[pos++] = TAG_TIMESTAMP;
    pos = writeInt64(buf, pos, timestampMs);
  }
  pos = writeDoubles(buf, view, pos, TAG_CUSTOM_VALUES, h.customValues);
  if (startTimestampMs !== 0) {
    buf[pos++] = (TAG_START_TIMESTAMP & 0x7f) | 0x80;
    buf[pos++] = TAG_START_TIMESTAMP >>> 7;
    pos = writeInt64(buf, pos, startTimestampMs);
  }
  return pos;
}

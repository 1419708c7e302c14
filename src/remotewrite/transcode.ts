/**
 * Which protobuf message a compressed request holds, and the 2.0 → 1.0 re-encoding the writer
 * falls back on when a receiver does not take 2.0 (§11.4; spec 2.0-rc.4: "Senders MAY retry on
 * the 415 HTTP status code with a different content type").
 *
 * Bodies are kept compressed wherever a request waits (the Lambda outbox, `run`'s data
 * directory), without a note of their message: the message is read from the body itself. A 2.0
 * Request always starts with its `symbols` (field 4, the empty string first: our encoder writes
 * them first), a 1.0 WriteRequest with `timeseries` (field 1) or `metadata` (field 3); fields
 * 1–3 are reserved in 2.0 so that the two never look alike. Snappy's block format starts with a
 * literal, so the first byte is read without decompressing.
 *
 * The re-encoding keeps every sample byte for byte (values as their 8 bytes: a StaleNaN stays
 * one), every exemplar and histogram, in order, one 1.0 TimeSeries per 2.0 TimeSeries. A
 * histogram keeps its fields 1–16 byte for byte (the Histogram message is the same in both
 * versions up to there). What 1.0 has no field for is left out: start timestamps (of samples and
 * of histograms, `start_timestamp` 3 and 17), and the per-series metadata, which 1.0 sends in
 * `MetricMetadata` requests of its own (`metadata_config`) — the writer does that once it speaks
 * 1.0. Histograms with custom buckets (schema -53) are left out as well, as the writer leaves
 * them out of 1.0 requests (writer.ts), and counted in `histogramsLeftOut`; a TimeSeries left
 * with nothing to carry is not written.
 */

import { REMOTE_WRITE_ERROR_CODES, RemoteWriteError } from './errors.js';
import {
  tag,
  uvarintLength,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
  writeUvarint,
} from './protobuf.js';
import { snappyCompress, snappyDecompress } from './snappy.js';

export const PROTOBUF_MESSAGE_V1 = 'prometheus.WriteRequest';
export const PROTOBUF_MESSAGE_V2 = 'io.prometheus.write.v2.Request';
/** The two messages of remote write (§11.2, §11.4), named as `protobuf_message` names them. */
export type ProtobufMessage = typeof PROTOBUF_MESSAGE_V1 | typeof PROTOBUF_MESSAGE_V2;

const V2_SYMBOLS = tag(4, WIRE_LEN);
const V2_TIMESERIES = tag(5, WIRE_LEN);

/**
 * The message of a snappy-compressed request body: 2.0 when its first protobuf byte is a 2.0
 * Request field (4 or 5), else 1.0 (an empty or unreadable body included: it is sent as it is).
 */
export function protobufMessageOf(body: Uint8Array): ProtobufMessage {
  let pos = 0;
  // The uncompressed length (a varint), then the first element: a literal.
  while (pos < body.length && body[pos]! >= 0x80) pos++;
  pos++;
  const lit = body[pos];
  if (lit === undefined || (lit & 3) !== 0) return PROTOBUF_MESSAGE_V1;
  const len = lit >> 2;
  pos += 1 + (len < 60 ? 0 : len - 59);
  const first = body[pos];
  return first === V2_SYMBOLS || first === V2_TIMESERIES
    ? PROTOBUF_MESSAGE_V2
    : PROTOBUF_MESSAGE_V1;
}

/** A 1.0 body made from a 2.0 one, with what it carries. */
export interface Reencoded {
  /** The snappy-compressed WriteRequest. */
  readonly body: Uint8Array;
  readonly samples: number;
  readonly exemplars: number;
  readonly histograms: number;
  /** Histograms with custom buckets, not carried (see the module comment). */
  readonly histogramsLeftOut: number;
}

/**
 * Re-encodes a snappy-compressed 2.0 Request as a snappy-compressed 1.0 WriteRequest (see the
 * module comment for what is kept). Throws {@link RemoteWriteError} `RW_REENCODE` (not
 * recoverable) when the body is not a well-formed 2.0 Request.
 */
export function requestV2ToV1(body: Uint8Array): Reencoded {
  let raw: Uint8Array;
  try {
    raw = snappyDecompress(body);
  } catch (cause) {
    throw reencodeError('the body does not decompress', cause);
  }
  try {
    return reencode(raw);
  } catch (cause) {
    if (cause instanceof RemoteWriteError) throw cause;
    throw reencodeError(cause instanceof Error ? cause.message : String(cause), cause);
  }
}

function reencodeError(why: string, cause?: unknown): RemoteWriteError {
  return new RemoteWriteError(
    REMOTE_WRITE_ERROR_CODES.reencode,
    `cannot re-encode a remote write 2.0 request as 1.0: ${why}`,
    { recoverable: false, cause },
  );
}

const V1_TIMESERIES = tag(1, WIRE_LEN);
const V1_LABEL = tag(1, WIRE_LEN);
const V1_LABEL_NAME = tag(1, WIRE_LEN);
const V1_LABEL_VALUE = tag(2, WIRE_LEN);
const V1_SAMPLE = tag(2, WIRE_LEN);
const V1_EXEMPLAR = tag(3, WIRE_LEN);
const V1_HISTOGRAM = tag(4, WIRE_LEN);
const VALUE = tag(1, WIRE_FIXED64); // Sample.value
const TIMESTAMP = tag(2, WIRE_VARINT); // Sample.timestamp
const EXEMPLAR_VALUE = tag(2, WIRE_FIXED64);
const EXEMPLAR_TIMESTAMP = tag(3, WIRE_VARINT);
/** Histogram.start_timestamp, 2.0 only (fields 1–16 are the same in both versions). */
const HISTOGRAM_START_FIELD = 17;
/** Histogram.schema (sint32). */
const HISTOGRAM_SCHEMA_FIELD = 4;
/** Schema -53 (custom buckets) as its zigzag varint. */
const CUSTOM_BUCKETS_ZIGZAG = 2 * 53 - 1;

function reencode(raw: Uint8Array): Reencoded {
  const symbols: [number, number][] = [];
  const series: [number, number][] = [];
  for (const f of fields(raw, 0, raw.length)) {
    if (f.field === 4 && f.wire === WIRE_LEN) symbols.push([f.start, f.end]);
    else if (f.field === 5 && f.wire === WIRE_LEN) series.push([f.start, f.end]);
    else if (f.field >= 1 && f.field <= 3) throw new Error('the body is a 1.0 WriteRequest');
  }
  const symbol = (ref: number): Uint8Array => {
    const s = symbols[ref];
    if (s === undefined) throw new Error(`symbol ref ${ref} outside the ${symbols.length} symbols`);
    return raw.subarray(s[0], s[1]);
  };

  const out = new ByteSink(raw.length * 2 + 64);
  const ts = new ByteSink(1024);
  const msg = new ByteSink(256);
  const label = new ByteSink(256);
  let samples = 0;
  let exemplars = 0;
  let histograms = 0;
  let histogramsLeftOut = 0;
  for (const [start, end] of series) {
    ts.reset();
    let carried = false; // a sample, histogram or exemplar written for this TimeSeries
    for (const f of fields(raw, start, end)) {
      if (f.field === 1) {
        writeLabels(ts, refsOf(raw, f), symbol, label);
      } else if (f.field === 2 && f.wire === WIRE_LEN) {
        msg.reset();
        for (const s of fields(raw, f.start, f.end)) {
          if (s.field === 1 && s.wire === WIRE_FIXED64) {
            msg.byte(VALUE);
            msg.bytes(raw.subarray(s.start, s.end));
          } else if (s.field === 2 && s.wire === WIRE_VARINT) {
            msg.byte(TIMESTAMP);
            msg.bytes(raw.subarray(s.start, s.end));
          }
        }
        ts.lenField(V1_SAMPLE, msg.view());
        samples++;
        carried = true;
      } else if (f.field === 3 && f.wire === WIRE_LEN) {
        msg.reset();
        let customBuckets = false;
        for (const h of fields(raw, f.start, f.end)) {
          if (h.field === HISTOGRAM_SCHEMA_FIELD && h.wire === WIRE_VARINT) {
            customBuckets = h.varint === CUSTOM_BUCKETS_ZIGZAG;
          }
          if (h.field !== HISTOGRAM_START_FIELD) msg.bytes(raw.subarray(h.at, h.end));
        }
        if (customBuckets) {
          histogramsLeftOut++;
        } else {
          ts.lenField(V1_HISTOGRAM, msg.view());
          histograms++;
          carried = true;
        }
      } else if (f.field === 4 && f.wire === WIRE_LEN) {
        msg.reset();
        for (const e of fields(raw, f.start, f.end)) {
          if (e.field === 1) {
            writeLabels(msg, refsOf(raw, e), symbol, label);
          } else if (e.field === 2 && e.wire === WIRE_FIXED64) {
            msg.byte(EXEMPLAR_VALUE);
            msg.bytes(raw.subarray(e.start, e.end));
          } else if (e.field === 3 && e.wire === WIRE_VARINT) {
            msg.byte(EXEMPLAR_TIMESTAMP);
            msg.bytes(raw.subarray(e.start, e.end));
          }
        }
        ts.lenField(V1_EXEMPLAR, msg.view());
        exemplars++;
        carried = true;
      }
      // Field 5 (metadata) has no place in a 1.0 TimeSeries; see the module comment.
    }
    if (carried) out.lenField(V1_TIMESERIES, ts.view());
  }
  return {
    body: snappyCompress(out.view()),
    samples,
    exemplars,
    histograms,
    histogramsLeftOut,
  };
}

/** Writes 1.0 Labels (field 1, in `sink`'s message) for refs `[name, value, …]`. */
function writeLabels(
  sink: ByteSink,
  refs: readonly number[],
  symbol: (ref: number) => Uint8Array,
  label: ByteSink,
): void {
  if (refs.length % 2 !== 0) throw new Error('odd number of label refs');
  for (let i = 0; i < refs.length; i += 2) {
    const value = symbol(refs[i + 1]!);
    if (value.length === 0) continue; // empty = absent, as the 1.0 encoder has it
    label.reset();
    label.lenField(V1_LABEL_NAME, symbol(refs[i]!));
    label.lenField(V1_LABEL_VALUE, value);
    sink.lenField(V1_LABEL, label.view());
  }
}

/** The refs of a `repeated uint32` field: packed (LEN) or one varint per field. */
function refsOf(raw: Uint8Array, f: Field): number[] {
  if (f.wire === WIRE_VARINT) return [f.varint];
  if (f.wire !== WIRE_LEN) throw new Error(`labels_refs with wire type ${f.wire}`);
  const out: number[] = [];
  let pos = f.start;
  while (pos < f.end) {
    const [v, next] = readVarint(raw, pos, f.end);
    out.push(v);
    pos = next;
  }
  return out;
}

interface Field {
  readonly field: number;
  readonly wire: number;
  /** Offset of the tag. */
  readonly at: number;
  /** The value: a LEN field's payload, a fixed64's 8 bytes, a varint's bytes. */
  readonly start: number;
  readonly end: number;
  /** A varint field's value (exact up to 2^53; refs and counts are far below). */
  readonly varint: number;
}

function* fields(buf: Uint8Array, from: number, to: number): Generator<Field> {
  let pos = from;
  while (pos < to) {
    const at = pos;
    const [key, afterKey] = readVarint(buf, pos, to);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0) throw new Error('field number 0');
    pos = afterKey;
    if (wire === WIRE_VARINT) {
      const [v, next] = readVarint(buf, pos, to);
      yield { field, wire, at, start: pos, end: next, varint: v };
      pos = next;
    } else if (wire === WIRE_FIXED64) {
      if (pos + 8 > to) throw new Error('truncated fixed64');
      yield { field, wire, at, start: pos, end: pos + 8, varint: 0 };
      pos += 8;
    } else if (wire === WIRE_LEN) {
      const [n, start] = readVarint(buf, pos, to);
      if (start + n > to) throw new Error('truncated length-delimited field');
      yield { field, wire, at, start, end: start + n, varint: 0 };
      pos = start + n;
    } else if (wire === 5) {
      if (pos + 4 > to) throw new Error('truncated fixed32');
      yield { field, wire, at, start: pos, end: pos + 4, varint: 0 };
      pos += 4;
    } else {
      throw new Error(`wire type ${wire}`);
    }
  }
}

function readVarint(buf: Uint8Array, pos: number, end: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new Error('truncated varint');
    const b = buf[pos++]!;
    v += (b & 0x7f) * mul;
    if (b < 0x80) return [v, pos];
    mul *= 128;
  }
  throw new Error('varint longer than 10 bytes');
}

/** A growable byte buffer for the re-encoding (not a hot path). */
class ByteSink {
  private buf: Uint8Array;
  private pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(Math.max(size, 16));
  }
  reset(): void {
    this.pos = 0;
  }
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  /** A length-delimited field (one-byte tag); `payload` must not be a view of this sink. */
  lenField(fieldTag: number, payload: Uint8Array): void {
    this.room(1 + uvarintLength(payload.length) + payload.length);
    this.buf[this.pos++] = fieldTag;
    this.pos = writeUvarint(this.buf, this.pos, payload.length);
    this.buf.set(payload, this.pos);
    this.pos += payload.length;
  }
}

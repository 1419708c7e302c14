/**
 * Remote write 1.0 `WriteRequest` encoder (§11.2), hand-written against the wire format:
 *
 * ```
 * WriteRequest   { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
 * TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3;
 *                  repeated Histogram histograms = 4; }
 * Label          { string name = 1; string value = 2; }
 * Sample         { double value = 1; int64 timestamp = 2; }
 * Exemplar       { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
 * MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
 * ```
 * (`Histogram`: histogram.ts.)
 *
 * Layout decisions:
 * - One TimeSeries per sample, as Prometheus sends them (§11.1). A native histogram row (the
 *   unit's `histograms`) is a TimeSeries with one `histograms` entry and no `samples`. A request never holds two
 *   samples of one series from the same scrape, so sharing a TimeSeries would save nothing in the
 *   steady state, and snappy removes most of the repeated label bytes anyway.
 * - Sizes are computed exactly before writing, so the encoder never backpatches a length.
 * - proto3 default values are omitted like any proto3 marshaller does: a +0.0 value, a 0
 *   timestamp, empty strings, metric type UNKNOWN. -0.0 is written (keeps its sign).
 * - Doubles are little-endian fixed64. NaN payloads are never left to the engine: a stale sample
 *   is written as the exact bytes `02 00 00 00 00 00 f0 7f` and every other NaN as Prometheus's
 *   NaN `01 00 00 00 00 00 f8 7f` (§8.1).
 */

import type { NativeHistogram } from '../model/histogram.js';
import type { Label, Labels } from '../model/labels.js';
import { histogramSize, writeHistogram } from './histogram.js';
import {
  hasValue,
  int64Length,
  lenFieldSize,
  OutputBuffer,
  PROMETHEUS_NAN_BYTES,
  STALE_NAN_BYTES,
  tag,
  utf8Length,
  uvarintLength,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
  writeInt64,
  writeUtf8,
  writeUvarint,
} from './protobuf.js';

const TAG_TIMESERIES = tag(1, WIRE_LEN); // WriteRequest.timeseries
const TAG_METADATA = tag(3, WIRE_LEN); // WriteRequest.metadata
const TAG_LABEL = tag(1, WIRE_LEN); // TimeSeries.labels and Exemplar.labels
const TAG_LABEL_NAME = tag(1, WIRE_LEN);
const TAG_LABEL_VALUE = tag(2, WIRE_LEN);
const TAG_SAMPLE = tag(2, WIRE_LEN); // TimeSeries.samples
const TAG_EXEMPLAR = tag(3, WIRE_LEN); // TimeSeries.exemplars
const TAG_HISTOGRAM = tag(4, WIRE_LEN); // TimeSeries.histograms
const TAG_SAMPLE_VALUE = tag(1, WIRE_FIXED64);
const TAG_SAMPLE_TIMESTAMP = tag(2, WIRE_VARINT);
const TAG_EXEMPLAR_VALUE = tag(2, WIRE_FIXED64);
const TAG_EXEMPLAR_TIMESTAMP = tag(3, WIRE_VARINT);
const TAG_META_TYPE = tag(1, WIRE_VARINT);
const TAG_META_NAME = tag(2, WIRE_LEN);
const TAG_META_HELP = tag(4, WIRE_LEN);
const TAG_META_UNIT = tag(5, WIRE_LEN);

/**
 * Merges external labels into a series: an external label is added only where the series has
 * no label of that name (the series wins, §11.1). Both inputs sorted by name; so is the result.
 * Returns `labels` itself when nothing is added.
 */
export function addExternalLabels(labels: Labels, external: Labels): Labels {
  if (external.length === 0) return labels;
  const out: Label[] = [];
  let i = 0;
  let j = 0;
  let added = false;
  while (i < labels.length || j < external.length) {
    const a = labels[i];
    const b = external[j];
    if (b === undefined || (a !== undefined && a.name < b.name)) {
      out.push(a!);
      i++;
    } else if (a === undefined || b.name < a.name) {
      out.push(b);
      added = true;
      j++;
    } else {
      out.push(a);
      i++;
      j++;
    }
  }
  return added ? out : labels;
}

/**
 * Label bytes are carved out of shared 64 KiB slabs: a separate small Uint8Array per series costs
 * microseconds each in V8 (own ArrayBuffer and backing store), a view on a slab a fraction of it.
 * A slab stays alive while any view on it does, like Node's Buffer pool.
 */
const SLAB_BYTES = 64 * 1024;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

function allocLabelBytes(size: number): Uint8Array {
  if (size > SLAB_BYTES / 8) return new Uint8Array(size);
  if (slabUsed + size > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += size;
  return out;
}

/** UTF-8 lengths of the current label set's names and values (reused; grows). */
let labelLengths = new Int32Array(64);

/**
 * Encodes a label set as the bytes of the protobuf field `repeated Label labels = 1` (each label
 * as `0a <len> 0a <len> name 12 <len> value`), the same bytes for `TimeSeries.labels` and
 * `Exemplar.labels`. With `external`, external labels are merged first (see
 * {@link addExternalLabels}). Labels are written in the given order: the caller passes them sorted
 * (§11.1); empty values are skipped (empty = absent).
 *
 * Meant to be computed once per series and reused for every sample of it. The result is
 * read-only and may share its ArrayBuffer with other results (never use its `.buffer`).
 */
export function encodeLabels(labels: Labels, external?: Labels): Uint8Array {
  const set = external === undefined ? labels : addExternalLabels(labels, external);
  if (labelLengths.length < set.length * 2) labelLengths = new Int32Array(set.length * 4);
  const lengths = labelLengths;
  let size = 0;
  for (let i = 0; i < set.length; i++) {
    const l = set[i]!;
    if (l.value === '') continue;
    const n = utf8Length(l.name);
    const v = utf8Length(l.value);
    lengths[2 * i] = n;
    lengths[2 * i + 1] = v;
    size += lenFieldSize(lenFieldSize(n) + lenFieldSize(v));
  }
  const out = allocLabelBytes(size);
  let pos = 0;
  for (let i = 0; i < set.length; i++) {
    const l = set[i]!;
    if (l.value === '') continue;
    const n = lengths[2 * i]!;
    const v = lengths[2 * i + 1]!;
    out[pos++] = TAG_LABEL;
    pos = writeUvarint(out, pos, lenFieldSize(n) + lenFieldSize(v));
    out[pos++] = TAG_LABEL_NAME;
    pos = writeUvarint(out, pos, n);
    pos = writeUtf8(out, pos, l.name, n);
    out[pos++] = TAG_LABEL_VALUE;
    pos = writeUvarint(out, pos, v);
    pos = writeUtf8(out, pos, l.value, v);
  }
  return out;
}

/** The sample columns the encoder reads (a {@link SampleBatch} satisfies it). */
export interface SampleColumns {
  /** ms since epoch, integers in [-2^53, 2^53]. */
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  /** 1 = stale marker (the value is ignored), 0 = ordinary sample. */
  readonly stale: Uint8Array;
  /**
   * Rows that carry a native histogram instead of a float (their value and stale slots are
   * ignored). Absent or empty: every row is a float sample.
   */
  readonly histograms?: ReadonlyMap<number, NativeHistogram> | undefined;
}

/** Metric types of `MetricMetadata.type` (§11.2). */
export const METRIC_TYPE = {
  unknown: 0,
  counter: 1,
  gauge: 2,
  histogram: 3,
  gaugehistogram: 4,
  summary: 5,
  info: 6,
  stateset: 7,
} as const;
export type MetricType = keyof typeof METRIC_TYPE;

export interface MetricMetadata {
  readonly type: MetricType;
  readonly metricFamilyName: string;
  readonly help: string;
  readonly unit: string;
}

/**
 * Encodes write requests into one reusable, growable buffer. The returned bytes are a view of
 * that buffer: valid until the next `encode*` call on the same encoder (compress or copy them
 * before encoding again). One encoder per concurrent producer; it holds no other state.
 */
export class WriteRequestEncoder extends OutputBuffer {
  /** The current timestamp's bytes (tag and varint), see `encodeSamples`. */
  private readonly tsBytes = new Uint8Array(16);

  constructor(initialBytes = 64 * 1024) {
    super(initialBytes);
  }

  /**
   * Encodes a WriteRequest with one TimeSeries per sample: for each `k` in [start, end), sample
   * `rows[k]` of `columns`, labelled with `seriesLabels[k]` (bytes from {@link encodeLabels}).
   * Exemplars, when given, follow as TimeSeries that carry only labels and one exemplar each,
   * as Prometheus sends them.
   */
  encodeSamples(
    seriesLabels: readonly Uint8Array[],
    rows: ArrayLike<number>,
    start: number,
    end: number,
    columns: SampleColumns,
    exemplars?: readonly ExemplarEntry[],
  ): Uint8Array {
    const { timestamps, values, stale } = columns;
    // Histogram rows are looked up only when the unit has some: float-only units pay one
    // predictable branch per row.
    const histograms = columns.histograms;
    const anyHistogram = histograms !== undefined && histograms.size !== 0;
    // The samples of a unit share one timestamp, as a rule: its varint is written once into
    // `tsBytes` and copied. (A timestamp is a double; handing one per sample to a function that
    // is not inlined boxes it: a 16-byte heap number per sample, measured.)
    const tsBytes = this.tsBytes;
    let lastTs = 0;
    let tsLen = 0; // bytes of the timestamp field (tag and varint); 0 when ts is 0
    let total = 0;
    for (let k = start; k < end; k++) {
      const r = rows[k]!;
      const ts = timestamps[r]!;
      if (anyHistogram) {
        const h = histograms.get(r);
        if (h !== undefined) {
          total += lenFieldSize(seriesLabels[k]!.length + lenFieldSize(histogramSize(h, ts, 0)));
          continue;
        }
      }
      if (ts !== lastTs) {
        lastTs = ts;
        tsLen = 1 + writeInt64(tsBytes, 0, ts);
      }
      const sampleSize = (hasValue(values[r]!, stale[r] === 1) ? 9 : 0) + (ts !== 0 ? tsLen : 0);
      total += lenFieldSize(seriesLabels[k]!.length + lenFieldSize(sampleSize));
    }
    const exemplarSizes: number[] = [];
    if (exemplars !== undefined) {
      for (const e of exemplars) {
        const size = exemplarSize(e);
        exemplarSizes.push(size);
        total += lenFieldSize(e.series.length + lenFieldSize(size));
      }
    }
    this.reserve(total);
    const buf = this.buf;
    const view = this.view;
    let pos = 0;
    lastTs = 0;
    tsLen = 0;
    for (let k = start; k < end; k++) {
      const r = rows[k]!;
      const labels = seriesLabels[k]!;
      const ts = timestamps[r]!;
      if (anyHistogram) {
        const h = histograms.get(r);
        if (h !== undefined) {
          pos = this.writeHistogramSeries(pos, labels, h, ts);
          continue;
        }
      }
      const value = values[r]!;
      const isStale = stale[r] === 1;
      const writeValue = hasValue(value, isStale);
      if (ts !== lastTs) {
        lastTs = ts;
        tsBytes[0] = TAG_SAMPLE_TIMESTAMP;
        tsLen = writeInt64(tsBytes, 1, ts);
      }
      const sampleSize = (writeValue ? 9 : 0) + (ts !== 0 ? tsLen : 0);
      buf[pos++] = TAG_TIMESERIES;
      pos = writeUvarint(buf, pos, labels.length + lenFieldSize(sampleSize));
      buf.set(labels, pos);
      pos += labels.length;
      buf[pos++] = TAG_SAMPLE;
      buf[pos++] = sampleSize; // at most 9 + 11 bytes: a one-byte varint
      if (writeValue) {
        buf[pos++] = TAG_SAMPLE_VALUE;
        // Inline, not writeDouble: passing the double to a call would box it.
        if (isStale) {
          buf.set(STALE_NAN_BYTES, pos);
        } else if (Number.isNaN(value)) {
          buf.set(PROMETHEUS_NAN_BYTES, pos);
        } else {
          view.setFloat64(pos, value, true);
        }
        pos += 8;
      }
      if (ts !== 0) {
        for (let b = 0; b < tsLen; b++) buf[pos++] = tsBytes[b]!;
      }
    }
    if (exemplars !== undefined) {
      for (let k = 0; k < exemplars.length; k++) {
        const e = exemplars[k]!;
        const size = exemplarSizes[k]!;
        buf[pos++] = TAG_TIMESERIES;
        pos = writeUvarint(buf, pos, e.series.length + lenFieldSize(size));
        buf.set(e.series, pos);
        pos += e.series.length;
        buf[pos++] = TAG_EXEMPLAR;
        pos = writeUvarint(buf, pos, size);
        buf.set(e.labels, pos);
        pos += e.labels.length;
        if (hasValue(e.value, false)) {
          buf[pos++] = TAG_EXEMPLAR_VALUE;
          pos = writeDouble(buf, view, pos, e.value, false);
        }
        if (e.timestampMs !== 0) {
          buf[pos++] = TAG_EXEMPLAR_TIMESTAMP;
          pos = writeInt64(buf, pos, e.timestampMs);
        }
      }
    }
    return buf.subarray(0, pos);
  }

  /** A TimeSeries of `labels` and one histogram (room reserved by the caller). */
  private writeHistogramSeries(
    pos: number,
    labels: Uint8Array,
    h: NativeHistogram,
    ts: number,
  ): number {
    const buf = this.buf;
    const size = histogramSize(h, ts, 0);
    buf[pos++] = TAG_TIMESERIES;
    pos = writeUvarint(buf, pos, labels.length + lenFieldSize(size));
    buf.set(labels, pos);
    pos += labels.length;
    buf[pos++] = TAG_HISTOGRAM;
    pos = writeUvarint(buf, pos, size);
    return writeHistogram(buf, this.view, pos, h, ts, 0);
  }

  /** Encodes a WriteRequest that carries only `metadata` (sent in separate requests, §11.1). */
  encodeMetadata(items: readonly MetricMetadata[]): Uint8Array {
    const sizes: number[] = [];
    let total = 0;
    for (const m of items) {
      const name = utf8Length(m.metricFamilyName);
      const help = utf8Length(m.help);
      const unit = utf8Length(m.unit);
      const type = METRIC_TYPE[m.type];
      const size =
        (type !== 0 ? 1 + uvarintLength(type) : 0) +
        (name !== 0 ? lenFieldSize(name) : 0) +
        (help !== 0 ? lenFieldSize(help) : 0) +
        (unit !== 0 ? lenFieldSize(unit) : 0);
      sizes.push(size, name, help, unit);
      total += lenFieldSize(size);
    }
    this.reserve(total);
    const buf = this.buf;
    let pos = 0;
    let k = 0;
    for (const m of items) {
      const size = sizes[k++]!;
      const name = sizes[k++]!;
      const help = sizes[k++]!;
      const unit = sizes[k++]!;
      const type = METRIC_TYPE[m.type];
      buf[pos++] = TAG_METADATA;
      pos = writeUvarint(buf, pos, size);
      if (type !== 0) {
        buf[pos++] = TAG_META_TYPE;
        pos = writeUvarint(buf, pos, type);
      }
      pos = writeStringField(buf, pos, TAG_META_NAME, m.metricFamilyName, name);
      pos = writeStringField(buf, pos, TAG_META_HELP, m.help, help);
      pos = writeStringField(buf, pos, TAG_META_UNIT, m.unit, unit);
    }
    return buf.subarray(0, pos);
  }
}

/** An exemplar with its series' and its own labels already encoded. */
export interface ExemplarEntry {
  /** The series' label bytes ({@link encodeLabels}). */
  readonly series: Uint8Array;
  /** The exemplar's own label bytes ({@link encodeLabels}). */
  readonly labels: Uint8Array;
  readonly value: number;
  /** ms since epoch; 0 = none. */
  readonly timestampMs: number;
}

function exemplarSize(e: ExemplarEntry): number {
  return (
    e.labels.length +
    (hasValue(e.value, false) ? 9 : 0) +
    (e.timestampMs !== 0 ? 1 + int64Length(e.timestampMs) : 0)
  );
}

function writeStringField(
  buf: Uint8Array,
  pos: number,
  fieldTag: number,
  s: string,
  byteLength: number,
): number {
  if (byteLength === 0) return pos;
  buf[pos++] = fieldTag;
  pos = writeUvarint(buf, pos, byteLength);
  return writeUtf8(buf, pos, s, byteLength);
}

function writeDouble(
  buf: Uint8Array,
  view: DataView,
  pos: number,
  v: number,
  isStale: boolean,
): number {
  if (isStale) {
    buf.set(STALE_NAN_BYTES, pos);
  } else if (Number.isNaN(v)) {
    buf.set(PROMETHEUS_NAN_BYTES, pos);
  } else {
    view.setFloat64(pos, v, true);
  }
  return pos + 8;
}

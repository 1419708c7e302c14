/**
 * Remote write 2.0 `io.prometheus.write.v2.Request` encoder (§11.4), hand-written against the
 * wire format of prompb/io/prometheus/write/v2/types.proto (spec 2.0-rc.4):
 *
 * ```
 * Request    { repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
 * TimeSeries { repeated uint32 labels_refs = 1; repeated Sample samples = 2;
 *              repeated Histogram histograms = 3; repeated Exemplar exemplars = 4;
 *              Metadata metadata = 5; }
 * Sample     { double value = 1; int64 timestamp = 2; int64 start_timestamp = 3; }
 * Exemplar   { repeated uint32 labels_refs = 1; double value = 2; int64 timestamp = 3; }
 * Metadata   { MetricType type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; }
 * ```
 *
 * Layout decisions (the 1.0 encoder's, encode.ts, where they apply):
 * - One TimeSeries per sample, as Prometheus sends them; a series' exemplars ride in the
 *   TimeSeries of its sample. An exemplar whose series has no sample in the request goes in a
 *   TimeSeries of its own without samples, as Prometheus does.
 * - `symbols` comes first and holds exactly the strings the request uses, in first-use order
 *   (symbols.ts); `labels_refs` is packed. Sizes are computed before writing: no backpatching.
 * - proto3 defaults are omitted: a +0.0 value, 0 timestamps (0 start timestamp = unset, as the
 *   spec says), an empty `labels_refs`, and the Metadata message when its type, help and unit
 *   are all unset.
 * - Stale markers are the exact bytes of StaleNaN and other NaNs Prometheus's NaN (encode.ts).
 * - A native histogram row (the unit's `histograms`) is one `histograms` entry (field 3, the
 *   Histogram message of histogram.ts with `start_timestamp = 17`) in place of `samples`, never
 *   beside them (the spec forbids both in one TimeSeries). Its exemplars and metadata ride in the
 *   same TimeSeries, as a float sample's do. Start timestamps of float and histogram rows come
 *   from the unit's `startTimestamps` (0 = none, omitted).
 * - Request templates (below) hold only labels_refs and metadata, which do not depend on the
 *   row's kind: a histogram row is written fresh on either path, like a sample.
 */

import type { SampleColumns } from './encode.js';
import { histogramSize, writeHistogram } from './histogram.js';
import {
  hasValue,
  int64Length,
  lenFieldSize,
  OutputBuffer,
  PROMETHEUS_NAN_BYTES,
  STALE_NAN_BYTES,
  tag,
  uvarintLength,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
  writeInt64,
  writeUvarint,
} from './protobuf.js';
import type { SymbolTable } from './symbols.js';

const TAG_SYMBOL = tag(4, WIRE_LEN); // Request.symbols
const TAG_TIMESERIES = tag(5, WIRE_LEN); // Request.timeseries
const TAG_LABELS_REFS = tag(1, WIRE_LEN); // TimeSeries.labels_refs and Exemplar.labels_refs, packed
const TAG_SAMPLE = tag(2, WIRE_LEN); // TimeSeries.samples
const TAG_HISTOGRAM = tag(3, WIRE_LEN); // TimeSeries.histograms
const TAG_EXEMPLAR = tag(4, WIRE_LEN); // TimeSeries.exemplars
const TAG_METADATA = tag(5, WIRE_LEN); // TimeSeries.metadata
const TAG_SAMPLE_VALUE = tag(1, WIRE_FIXED64);
const TAG_SAMPLE_TIMESTAMP = tag(2, WIRE_VARINT);
const TAG_SAMPLE_START = tag(3, WIRE_VARINT);
const TAG_EXEMPLAR_VALUE = tag(2, WIRE_FIXED64);
const TAG_EXEMPLAR_TIMESTAMP = tag(3, WIRE_VARINT);
const TAG_META_TYPE = tag(1, WIRE_VARINT);
const TAG_META_HELP = tag(3, WIRE_VARINT);
const TAG_META_UNIT = tag(4, WIRE_VARINT);

/**
 * A series as the 2.0 encoder takes it: its final labels (external labels and write relabeling
 * applied, sorted by name) as symbol ids, `[epoch, nameId, name0, value0, name1, value1, …]`.
 * `epoch` is the {@link SymbolTable.epoch} the ids belong to; `nameId` the id of `__name__`'s
 * value (0 when there is none), for the metadata lookup. Built by {@link seriesSymbolIds}.
 */
export type SeriesSymbols = Uint32Array;
/** Where the label ids of a {@link SeriesSymbols} start. */
export const SERIES_LABELS_AT = 2;

/**
 * Series ids are carved out of shared slabs, as encode.ts does with label bytes: a typed array
 * of its own per series is slow to make and scatters the hot loop's reads over the heap.
 */
const SLAB_IDS = 16 * 1024;
let slab = new Uint32Array(SLAB_IDS);
let slabUsed = 0;

function allocIds(n: number): Uint32Array {
  if (n > SLAB_IDS / 8) return new Uint32Array(n);
  if (slabUsed + n > SLAB_IDS) {
    slab = new Uint32Array(SLAB_IDS);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  slabUsed += n;
  return out;
}

/** The {@link SeriesSymbols} of a final label set (sorted, no empty values). */
export function seriesSymbolIds(
  labels: readonly { readonly name: string; readonly value: string }[],
  symbols: SymbolTable,
): SeriesSymbols {
  const out = allocIds(SERIES_LABELS_AT + 2 * labels.length);
  out[0] = symbols.epoch;
  let p = SERIES_LABELS_AT;
  for (const l of labels) {
    const value = symbols.intern(l.value);
    if (l.name === '__name__') out[1] = value;
    out[p++] = symbols.intern(l.name);
    out[p++] = value;
  }
  return out;
}

/** The columns the 2.0 encoder reads (a SampleUnit satisfies it). */
export interface SampleColumnsV2 extends SampleColumns {
  /** Start (created) timestamps in ms; 0 = none. Absent: none for every sample. */
  readonly startTimestamps?: Float64Array | undefined;
}

/**
 * Per-request-entry metadata, filled by the caller for entries `k` in [start, end): the
 * Metadata.MetricType number (0 = unspecified) and the symbol ids of help and unit (0 = '').
 */
export interface MetadataColumns {
  readonly type: Uint8Array;
  readonly help: Uint32Array;
  readonly unit: Uint32Array;
}

/** An exemplar with its labels as symbol ids `[name0, value0, …]` (sorted by name). */
export interface ExemplarV2 {
  readonly labels: Uint32Array;
  readonly value: number;
  /** ms since epoch; 0 = none: the sample's timestamp is sent instead (the spec wants one). */
  readonly timestampMs: number;
}

/**
 * Where the encoder keeps the shape of one request between scrapes (see
 * {@link RequestV2Encoder.encode}); the caller owns one per request of each target.
 */
export interface RequestTemplateSlot {
  template?: RequestTemplate;
}

/**
 * What a request's encoding owes to its series and metadata alone: its symbols, and each
 * entry's `labels_refs` and `metadata` fields. The same series (the same {@link SeriesSymbols}
 * objects, in the same order) with the same metadata ids and table epoch give the same bytes.
 */
interface RequestTemplate {
  readonly epoch: number;
  readonly series: readonly SeriesSymbols[];
  readonly meta: MetadataColumns | undefined;
  /** The request's symbol ids in ref order: marked in use on a hit (`SymbolTable.markUsed`). */
  readonly ids: Uint32Array;
  /** The `symbols` fields, as written. */
  readonly symbols: Uint8Array;
  /** Per entry: its labels_refs field, then its metadata field. */
  readonly bytes: Uint8Array;
  /** Per entry `i`: where its labels_refs field ends (its metadata field starts) in `bytes`. */
  readonly labelsEnd: Int32Array;
  /** Per entry `i`: where its bytes end. */
  readonly entryEnd: Int32Array;
}

/**
 * Encodes 2.0 requests into one reusable, growable buffer. The returned bytes are a view of that
 * buffer, valid until the next `encode` on the same encoder (compress or copy them first). The
 * symbol table is the writer's: one encoder per table, one request at a time.
 */
export class RequestV2Encoder extends OutputBuffer {
  /** Per entry of the current request: TimeSeries payload size, labels_refs payload size. */
  private seriesSize = new Int32Array(0);
  private refsSize = new Int32Array(0);
  /** The series' label refs of the current request, entry after entry (pass 1 → pass 2). */
  private labelRefs = new Uint32Array(0);
  /** Per entry of a full encode: labels field start and end, metadata field start and end. */
  private marks = new Int32Array(0);
  private readonly tsBytes = new Uint8Array(16);
  /** Where the symbols of the last full encode end. */
  private symbolsEnd = 0;

  constructor(
    private readonly symbols: SymbolTable,
    initialBytes = 64 * 1024,
  ) {
    super(initialBytes);
  }

  /**
   * Encodes a Request with one TimeSeries per entry `k` in [start, end): the labels
   * `series[k]`, the sample at row `rows[k]` of `columns` (none when the row is -1: then the
   * entry must have exemplars), the metadata of `meta` at `k` and the exemplars
   * `exemplars?.(k)`. Every `series[k]` must belong to the table's current epoch.
   *
   * With `slot` (and no exemplars), the request's shape is kept there: when the next request
   * given the same slot has the same series and metadata — a target scraped again, the usual
   * case — its symbols and labels_refs are copied instead of being worked out label by label,
   * and only the samples are encoded. The bytes are the same either way.
   */
  encode(
    series: readonly SeriesSymbols[],
    rows: ArrayLike<number>,
    start: number,
    end: number,
    columns: SampleColumnsV2,
    meta?: MetadataColumns,
    exemplars?: (k: number) => readonly ExemplarV2[] | undefined,
    slot?: RequestTemplateSlot,
  ): Uint8Array {
    const keep = slot !== undefined && exemplars === undefined;
    if (keep) {
      const t = slot.template;
      if (t !== undefined && this.fits(t, series, start, end, meta)) {
        return this.encodeFromTemplate(t, rows, start, end, columns);
      }
    }
    const out = this.encodeFull(series, rows, start, end, columns, meta, exemplars);
    if (keep) slot.template = this.template(out, series, start, end, meta);
    return out;
  }

  /** Does `t` hold the shape of these entries (same series objects, metadata ids, epoch)? */
  private fits(
    t: RequestTemplate,
    series: readonly SeriesSymbols[],
    start: number,
    end: number,
    meta: MetadataColumns | undefined,
  ): boolean {
    if (t.epoch !== this.symbols.epoch || t.series.length !== end - start) return false;
    if ((t.meta === undefined) !== (meta === undefined)) return false;
    const ts = t.series;
    for (let k = start; k < end; k++) if (ts[k - start] !== series[k]) return false;
    if (meta !== undefined) {
      const m = t.meta!;
      for (let k = start; k < end; k++) {
        const i = k - start;
        if (
          m.type[i] !== meta.type[k] ||
          m.help[i] !== meta.help[k] ||
          m.unit[i] !== meta.unit[k]
        ) {
          return false;
        }
      }
    }
    return true;
  }

  /** The template of a request just encoded in full (`marks` hold its entries' fields). */
  private template(
    out: Uint8Array,
    series: readonly SeriesSymbols[],
    start: number,
    end: number,
    meta: MetadataColumns | undefined,
  ): RequestTemplate {
    const symbols = this.symbols;
    const count = end - start;
    const marks = this.marks;
    const ids = new Uint32Array(symbols.count);
    for (let ref = 0; ref < ids.length; ref++) ids[ref] = symbols.idAt(ref);
    let size = 0;
    for (let i = 0; i < count; i++) {
      size += marks[4 * i + 1]! - marks[4 * i]! + marks[4 * i + 3]! - marks[4 * i + 2]!;
    }
    const bytes = new Uint8Array(size);
    const labelsEnd = new Int32Array(count);
    const entryEnd = new Int32Array(count);
    let p = 0;
    for (let i = 0; i < count; i++) {
      bytes.set(out.subarray(marks[4 * i]!, marks[4 * i + 1]!), p);
      p += marks[4 * i + 1]! - marks[4 * i]!;
      labelsEnd[i] = p;
      bytes.set(out.subarray(marks[4 * i + 2]!, marks[4 * i + 3]!), p);
      p += marks[4 * i + 3]! - marks[4 * i + 2]!;
      entryEnd[i] = p;
    }
    return {
      epoch: symbols.epoch,
      series: series.slice(start, end),
      meta:
        meta === undefined
          ? undefined
          : {
              type: meta.type.slice(start, end),
              help: meta.help.slice(start, end),
              unit: meta.unit.slice(start, end),
            },
      ids,
      symbols: out.slice(0, this.symbolsEnd),
      bytes,
      labelsEnd,
      entryEnd,
    };
  }

  /** {@link encode} of entries whose shape `t` holds: symbols and labels copied, samples written. */
  private encodeFromTemplate(
    t: RequestTemplate,
    rows: ArrayLike<number>,
    start: number,
    end: number,
    columns: SampleColumnsV2,
  ): Uint8Array {
    this.symbols.markUsed(t.ids);
    const { timestamps, values, stale } = columns;
    const starts = columns.startTimestamps;
    const histograms = columns.histograms;
    const anyHistogram = histograms !== undefined && histograms.size !== 0;
    const tsBytes = this.tsBytes;
    const { bytes, labelsEnd, entryEnd } = t;
    // Sizes first, as in the full encode; a sample field is at most 33 bytes.
    let total = t.symbols.length;
    let lastTs = 0;
    let tsLen = 0;
    for (let k = start; k < end; k++) {
      const i = k - start;
      const r = rows[k]!;
      const ts = timestamps[r]!;
      if (anyHistogram) {
        const h = histograms.get(r);
        if (h !== undefined) {
          const st = starts === undefined ? 0 : starts[r]!;
          const entry = entryEnd[i]! - (i === 0 ? 0 : entryEnd[i - 1]!);
          total += lenFieldSize(entry + lenFieldSize(histogramSize(h, ts, st)));
          continue;
        }
      }
      if (ts !== lastTs) {
        lastTs = ts;
        tsLen = 1 + writeInt64(tsBytes, 0, ts);
      }
      const st = starts === undefined ? 0 : starts[r]!;
      const sampleSize =
        (hasValue(values[r]!, stale[r] === 1) ? 9 : 0) +
        (ts !== 0 ? tsLen : 0) +
        (st !== 0 ? 1 + int64Length(st) : 0);
      total += lenFieldSize(entryEnd[i]! - (i === 0 ? 0 : entryEnd[i - 1]!) + 2 + sampleSize);
    }
    this.reserve(total);
    const buf = this.buf;
    const view = this.view;
    buf.set(t.symbols, 0);
    let pos = t.symbols.length;
    lastTs = 0;
    tsLen = 0;
    for (let k = start; k < end; k++) {
      const i = k - start;
      const r = rows[k]!;
      const ts = timestamps[r]!;
      if (anyHistogram) {
        const h = histograms.get(r);
        if (h !== undefined) {
          const st = starts === undefined ? 0 : starts[r]!;
          const from = i === 0 ? 0 : entryEnd[i - 1]!;
          const mid = labelsEnd[i]!;
          const to = entryEnd[i]!;
          const size = histogramSize(h, ts, st);
          buf[pos++] = TAG_TIMESERIES;
          pos = writeUvarint(buf, pos, to - from + lenFieldSize(size));
          for (let b = from; b < mid; b++) buf[pos++] = bytes[b]!;
          buf[pos++] = TAG_HISTOGRAM;
          pos = writeUvarint(buf, pos, size);
          pos = writeHistogram(buf, view, pos, h, ts, st);
          for (let b = mid; b < to; b++) buf[pos++] = bytes[b]!;
          continue;
        }
      }
      const value = values[r]!;
      const isStale = stale[r] === 1;
      const writeValue = hasValue(value, isStale);
      const st = starts === undefined ? 0 : starts[r]!;
      if (ts !== lastTs) {
        lastTs = ts;
        tsBytes[0] = TAG_SAMPLE_TIMESTAMP;
        tsLen = writeInt64(tsBytes, 1, ts);
      }
      const sampleSize =
        (writeValue ? 9 : 0) + (ts !== 0 ? tsLen : 0) + (st !== 0 ? 1 + int64Length(st) : 0);
      const from = i === 0 ? 0 : entryEnd[i - 1]!;
      const mid = labelsEnd[i]!;
      const to = entryEnd[i]!;
      buf[pos++] = TAG_TIMESERIES;
      pos = writeUvarint(buf, pos, to - from + 2 + sampleSize);
      for (let b = from; b < mid; b++) buf[pos++] = bytes[b]!;
      buf[pos++] = TAG_SAMPLE;
      buf[pos++] = sampleSize;
      if (writeValue) {
        buf[pos++] = TAG_SAMPLE_VALUE;
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
      if (st !== 0) {
        buf[pos++] = TAG_SAMPLE_START;
        pos = writeInt64(buf, pos, st);
      }
      for (let b = mid; b < to; b++) buf[pos++] = bytes[b]!;
    }
    return buf.subarray(0, pos);
  }

  private encodeFull(
    series: readonly SeriesSymbols[],
    rows: ArrayLike<number>,
    start: number,
    end: number,
    columns: SampleColumnsV2,
    meta?: MetadataColumns,
    exemplars?: (k: number) => readonly ExemplarV2[] | undefined,
  ): Uint8Array {
    const symbols = this.symbols;
    const { timestamps, values, stale } = columns;
    const starts = columns.startTimestamps;
    const histograms = columns.histograms;
    const anyHistogram = histograms !== undefined && histograms.size !== 0;
    const count = end - start;
    if (this.seriesSize.length < count) {
      this.seriesSize = new Int32Array(Math.max(count, 2 * this.seriesSize.length));
      this.refsSize = new Int32Array(this.seriesSize.length);
    }
    const seriesSize = this.seriesSize;
    const refsSize = this.refsSize;
    const tsBytes = this.tsBytes;
    let refCount = 0;
    for (let k = start; k < end; k++) refCount += series[k]!.length - SERIES_LABELS_AT;
    if (this.labelRefs.length < refCount) {
      this.labelRefs = new Uint32Array(Math.max(refCount, 2 * this.labelRefs.length));
    }
    const labelRefs = this.labelRefs;
    if (this.marks.length < 4 * count)
      this.marks = new Int32Array(Math.max(4 * count, 2 * this.marks.length));
    const marks = this.marks;
    symbols.begin();

    // Pass 1: hand out refs in first-use order and size every TimeSeries.
    let total = 0;
    let lastTs = 0;
    let tsLen = 0; // bytes of the timestamp field (tag and varint)
    let at = 0;
    for (let k = start; k < end; k++) {
      const ids = series[k]!;
      const refs = symbols.refsInto(ids, SERIES_LABELS_AT, labelRefs, at);
      at += ids.length - SERIES_LABELS_AT;
      let size = refs === 0 ? 0 : lenFieldSize(refs);
      const r = rows[k]!;
      let ts = 0;
      const h = anyHistogram && r >= 0 ? histograms.get(r) : undefined;
      if (h !== undefined) {
        ts = timestamps[r]!;
        size += lenFieldSize(histogramSize(h, ts, starts === undefined ? 0 : starts[r]!));
      } else if (r >= 0) {
        ts = timestamps[r]!;
        if (ts !== lastTs) {
          lastTs = ts;
          tsLen = 1 + writeInt64(tsBytes, 0, ts);
        }
        const st = starts === undefined ? 0 : starts[r]!;
        const sampleSize =
          (hasValue(values[r]!, stale[r] === 1) ? 9 : 0) +
          (ts !== 0 ? tsLen : 0) +
          (st !== 0 ? 1 + int64Length(st) : 0);
        size += 2 + sampleSize; // at most 9 + 11 + 11 bytes: a one-byte length
      }
      if (meta !== undefined) size += metadataFieldSize(meta, k, symbols);
      const ex = exemplars?.(k);
      if (ex !== undefined) {
        for (const e of ex) size += lenFieldSize(exemplarSize(e, ts, symbols));
      }
      refsSize[k - start] = refs;
      seriesSize[k - start] = size;
      total += lenFieldSize(size);
    }
    for (let ref = 0; ref < symbols.count; ref++) {
      total += lenFieldSize(symbols.byteLength(symbols.idAt(ref)));
    }

    this.reserve(total);
    const buf = this.buf;
    const view = this.view;
    let pos = 0;
    for (let ref = 0; ref < symbols.count; ref++) {
      const id = symbols.idAt(ref);
      const n = symbols.byteLength(id);
      buf[pos++] = TAG_SYMBOL;
      pos = writeUvarint(buf, pos, n);
      pos = symbols.writeBytes(buf, pos, id);
    }
    this.symbolsEnd = pos;

    // Pass 2: write; every ref is the one handed out in pass 1.
    lastTs = 0;
    tsLen = 0;
    at = 0;
    for (let k = start; k < end; k++) {
      const count = series[k]!.length - SERIES_LABELS_AT;
      buf[pos++] = TAG_TIMESERIES;
      pos = writeUvarint(buf, pos, seriesSize[k - start]!);
      const refs = refsSize[k - start]!;
      marks[4 * (k - start)] = pos;
      if (refs !== 0) {
        buf[pos++] = TAG_LABELS_REFS;
        pos = writeUvarint(buf, pos, refs);
        for (const last = at + count; at < last; at++) {
          const ref = labelRefs[at]!;
          if (ref < 0x80) {
            buf[pos++] = ref;
          } else if (ref < 0x4000) {
            buf[pos++] = (ref & 0x7f) | 0x80;
            buf[pos++] = ref >>> 7;
          } else {
            pos = writeUvarint(buf, pos, ref);
          }
        }
      } else {
        at += count;
      }
      marks[4 * (k - start) + 1] = pos;
      const r = rows[k]!;
      let ts = 0;
      const h = anyHistogram && r >= 0 ? histograms.get(r) : undefined;
      if (h !== undefined) {
        ts = timestamps[r]!;
        const st = starts === undefined ? 0 : starts[r]!;
        buf[pos++] = TAG_HISTOGRAM;
        pos = writeUvarint(buf, pos, histogramSize(h, ts, st));
        pos = writeHistogram(buf, view, pos, h, ts, st);
      } else if (r >= 0) {
        ts = timestamps[r]!;
        const value = values[r]!;
        const isStale = stale[r] === 1;
        const writeValue = hasValue(value, isStale);
        const st = starts === undefined ? 0 : starts[r]!;
        if (ts !== lastTs) {
          lastTs = ts;
          tsBytes[0] = TAG_SAMPLE_TIMESTAMP;
          tsLen = writeInt64(tsBytes, 1, ts);
        }
        buf[pos++] = TAG_SAMPLE;
        buf[pos++] =
          (writeValue ? 9 : 0) + (ts !== 0 ? tsLen : 0) + (st !== 0 ? 1 + int64Length(st) : 0);
        if (writeValue) {
          buf[pos++] = TAG_SAMPLE_VALUE;
          // Inline, as in encode.ts: a double passed to a call is boxed.
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
        if (st !== 0) {
          buf[pos++] = TAG_SAMPLE_START;
          pos = writeInt64(buf, pos, st);
        }
      }
      const ex = exemplars?.(k);
      if (ex !== undefined) {
        for (const e of ex) pos = this.writeExemplar(pos, e, ts);
      }
      marks[4 * (k - start) + 2] = pos;
      if (meta !== undefined) pos = writeMetadata(buf, pos, meta, k, symbols);
      marks[4 * (k - start) + 3] = pos;
    }
    return buf.subarray(0, pos);
  }

  private writeExemplar(pos: number, e: ExemplarV2, sampleTs: number): number {
    const buf = this.buf;
    const symbols = this.symbols;
    buf[pos++] = TAG_EXEMPLAR;
    pos = writeUvarint(buf, pos, exemplarSize(e, sampleTs, symbols));
    const refs = refsLength(e.labels, symbols);
    if (refs !== 0) {
      buf[pos++] = TAG_LABELS_REFS;
      pos = writeUvarint(buf, pos, refs);
      for (const id of e.labels) pos = writeUvarint(buf, pos, symbols.ref(id));
    }
    if (hasValue(e.value, false)) {
      buf[pos++] = TAG_EXEMPLAR_VALUE;
      if (Number.isNaN(e.value)) buf.set(PROMETHEUS_NAN_BYTES, pos);
      else this.view.setFloat64(pos, e.value, true);
      pos += 8;
    }
    const ts = e.timestampMs !== 0 ? e.timestampMs : sampleTs;
    if (ts !== 0) {
      buf[pos++] = TAG_EXEMPLAR_TIMESTAMP;
      pos = writeInt64(buf, pos, ts);
    }
    return pos;
  }
}

/** Bytes of the packed refs of `ids` (refs handed out as a side effect). */
function refsLength(ids: Uint32Array, symbols: SymbolTable): number {
  let n = 0;
  for (const id of ids) n += uvarintLength(symbols.ref(id));
  return n;
}

function exemplarSize(e: ExemplarV2, sampleTs: number, symbols: SymbolTable): number {
  const refs = refsLength(e.labels, symbols);
  const ts = e.timestampMs !== 0 ? e.timestampMs : sampleTs;
  return (
    (refs === 0 ? 0 : lenFieldSize(refs)) +
    (hasValue(e.value, false) ? 9 : 0) +
    (ts !== 0 ? 1 + int64Length(ts) : 0)
  );
}

function metadataSize(meta: MetadataColumns, k: number, symbols: SymbolTable): number {
  const type = meta.type[k]!;
  const help = meta.help[k]!;
  const unit = meta.unit[k]!;
  return (
    (type !== 0 ? 1 + uvarintLength(type) : 0) +
    (help !== 0 ? 1 + uvarintLength(symbols.ref(help)) : 0) +
    (unit !== 0 ? 1 + uvarintLength(symbols.ref(unit)) : 0)
  );
}

function metadataFieldSize(meta: MetadataColumns, k: number, symbols: SymbolTable): number {
  const size = metadataSize(meta, k, symbols);
  return size === 0 ? 0 : 2 + size; // at most 2 + 2 × 6 bytes: a one-byte length
}

function writeMetadata(
  buf: Uint8Array,
  pos: number,
  meta: MetadataColumns,
  k: number,
  symbols: SymbolTable,
): number {
  const size = metadataSize(meta, k, symbols);
  if (size === 0) return pos;
  const type = meta.type[k]!;
  const help = meta.help[k]!;
  const unit = meta.unit[k]!;
  buf[pos++] = TAG_METADATA;
  buf[pos++] = size;
  if (type !== 0) {
    buf[pos++] = TAG_META_TYPE;
    pos = writeUvarint(buf, pos, type);
  }
  if (help !== 0) {
    buf[pos++] = TAG_META_HELP;
    pos = writeUvarint(buf, pos, symbols.ref(help));
  }
  if (unit !== 0) {
    buf[pos++] = TAG_META_UNIT;
    pos = writeUvarint(buf, pos, symbols.ref(unit));
  }
  return pos;
}

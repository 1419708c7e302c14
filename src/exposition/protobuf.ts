/**
 * The protobuf exposition format (§5.3): a body of varint-length-delimited
 * `io.prometheus.client.MetricFamily` messages (client_model's metrics.proto), read straight
 * from the bytes and handed out as the entries Prometheus's protobuf parser yields
 * (model/textparse/protobufparse.go):
 *
 * - per family with at least one metric: HELP (even when empty), UNIT (when not empty), TYPE;
 * - counter, gauge, untyped: one series per metric;
 * - summary: `<name>_count`, `<name>_sum`, then `<name>{quantile=…}` per quantile;
 * - classic histogram: `_count`, `_sum`, then `_bucket{le=…}` per bucket up to the first +Inf
 *   one, and a `le="+Inf"` bucket with the count when there was none;
 * - native histogram (only with `nativeHistograms`): one `Histogram` entry, followed by the
 *   classic series when `keepClassicHistograms` and there are classic buckets;
 * - with `convertClassicHistogramsToNhcb`, a classic histogram becomes a `Histogram` entry with
 *   custom buckets (after its classic series when `keepClassicHistograms`).
 *
 * A histogram is native when it has a span (positive or negative), a zero threshold above 0 or
 * an integer zero count above 0; it is a float histogram when its float count or float zero
 * count is above 0. le/quantile values are written with `formatOpenMetricsFloat`.
 *
 * Untrusted input: every length, count and offset is checked against the enclosing message
 * before use; malformed input (truncated or over-long varints, lengths past the end, wrong wire
 * types for known fields, end-group tags, field number 0, invalid UTF-8 in a family name, help
 * text, label name or label value, an empty family or label name, an unknown metric type, spans
 * that do not match the bucket counts of a native histogram) is an ExpositionParseError, as
 * each of those is an error in Prometheus. Unknown fields are skipped, groups included.
 * Walking the entries is linear in the body size: every `next()` moves forward, and what one
 * metric expands to is bounded by its bytes (spans and buckets are listed, never expanded by
 * index). One thing is not, by the format's nature: every classic series of a summary or
 * histogram carries all of its metric's labels, so `labels()` for each of them costs
 * labels × buckets (so does Prometheus); `label_limit` bounds it for untrusted targets.
 *
 * Where we differ from Prometheus on purpose (README.md lists them): an untyped metric without
 * an `untyped` field has value 0 (Prometheus's decoder repeats the previous metric's value); a
 * family mixing native and classic histograms with `keepClassicHistograms` reads each metric by
 * its own kind (Prometheus's state machine returns the classic one after a native one as a
 * native histogram entry without a histogram, and its scrape then fails).
 */
import { Buffer, isUtf8 } from 'node:buffer';
import {
  type BucketSpan,
  type CounterResetHint,
  compactHistogram,
  type NativeHistogram,
} from '../model/histogram.js';
import { compareLabelNames, type Label, type Labels } from '../model/labels.js';
import { type ClassicBucket, classicToNhcb } from '../model/nhcb.js';
import { ExpositionParseError } from './errors.js';
import { formatOpenMetricsFloat } from './float.js';
import { EntryKind, type Exemplar, type ExpositionParser, type MetricType } from './types.js';

/** The parts of metrics.proto this parser reads (field numbers and enum values are the wire). */
const MetricTypeEnum = {
  COUNTER: 0,
  GAUGE: 1,
  SUMMARY: 2,
  UNTYPED: 3,
  HISTOGRAM: 4,
  GAUGE_HISTOGRAM: 5,
} as const;

const TYPE_NAMES: readonly MetricType[] = [
  'counter',
  'gauge',
  'summary',
  'unknown',
  'histogram',
  'gaugehistogram',
];

const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/** What the current entry of a metric is. */
const Part = {
  None: 0,
  Value: 1,
  Count: 2,
  Sum: 3,
  Quantile: 4,
  Bucket: 5,
  InfBucket: 6,
  Native: 7,
  Nhcb: 8,
} as const;
type Part = (typeof Part)[keyof typeof Part];

/** What `next()` returned last, so what comes next. */
const Step = { Family: 0, AfterHelp: 1, AfterUnit: 2, AfterType: 3, InMetric: 4, End: 5 } as const;
type Step = (typeof Step)[keyof typeof Step];

export interface ProtobufParserOptions {
  readonly nativeHistograms: boolean;
  readonly keepClassicHistograms: boolean;
  readonly convertClassicHistogramsToNhcb: boolean;
}

const NO_EXEMPLARS: readonly Exemplar[] = Object.freeze([]);

/**
 * Buffer's own slice-to-string functions (`toString(encoding, start, end)` ends in them after
 * checking its arguments; our ranges are already checked). Present on every Buffer in Node.
 */
interface RawSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}
const TWO_POW_32 = 4294967296;
/** Family messages are length-prefixed with at most a 32-bit varint (Prometheus's decoder). */
const MAX_LENGTH_PREFIX_BYTES = 5;

/** Label sets larger than this are sorted with Array.prototype.sort. */
const INSERTION_SORT_MAX = 32;

/**
 * Puts `label` into `out[0..size]` keeping it sorted by name (insertion sort: label sets are
 * small and usually come sorted).
 */
function insertSorted(out: Label[], size: number, label: Label): void {
  let j = size;
  while (j > 0 && out[j - 1]!.name > label.name) {
    out[j] = out[j - 1]!;
    j--;
  }
  out[j] = label;
}

/** A growable array of numbers in a typed array (reset by setting `length` to 0). */
class NumberList<T extends Float64Array | Int32Array> {
  length = 0;
  constructor(
    public items: T,
    private readonly make: (n: number) => T,
  ) {}
  push(v: number): void {
    if (this.length === this.items.length) {
      const bigger = this.make(this.items.length * 2);
      bigger.set(this.items);
      this.items = bigger;
    }
    this.items[this.length++] = v;
  }
}

const f64 = (n: number) => new NumberList(new Float64Array(n), (m) => new Float64Array(m));
const i32 = (n: number) => new NumberList(new Int32Array(n), (m) => new Int32Array(m));

export class ProtobufParser implements ExpositionParser {
  private readonly buf: Buffer;
  /** The same bytes, for Buffer's slice functions without `toString`'s argument handling. */
  private readonly raw: RawSlices;
  private readonly view: DataView;
  private readonly end: number;
  private readonly opts: ProtobufParserOptions;

  /** Read position of the varint helpers (they advance it). */
  private p = 0;
  /** Low and high 32 bits of the last {@link varint64}. */
  private lo = 0;
  private hi = 0;

  private step: Step = Step.Family;
  private kind: EntryKind = EntryKind.EOF;
  /** Start of the next family's length prefix. */
  private nextFamilyAt = 0;

  // ------------------------------------------------------------ the current family
  private familyNumber = 0;
  private familyOffset = 0;
  private familyEnd = 0;
  private nameStart = 0;
  private nameEnd = 0;
  private helpStart = 0;
  private helpEnd = 0;
  private unitStart = 0;
  private unitEnd = 0;
  private type = 0;
  private familyName = '';
  /** Position to look for the next metric field from. */
  private metricCursor = 0;
  /** Payload of the metric field found last. */
  private metricStart = 0;
  private metricEnd = 0;
  /** Cache-key prefixes of the family: name bytes (+ suffix) and 0xFF, one per suffix. */
  private keyPlain = '';
  private keyCount = '';
  private keySum = '';
  private keyBucket = '';

  // ------------------------------------------------------------ the current metric
  private part: Part = Part.None;
  private index = 0;
  private emitNative = false;
  private emitClassic = false;
  private emitNhcb = false;
  private nhcb: NativeHistogram | undefined;

  /** Per label: name start, name end, value start, value end (name start -1: no name field). */
  private labelRanges = new Int32Array(64);
  private labelCount = 0;
  /** Where the metric's label fields (tags included) are: one stretch in the common case. */
  private labelsStart = 0;
  private labelsEnd = 0;
  /** False when other fields sit between label fields: then `labelPieces` lists them all. */
  private labelsContiguous = true;
  private readonly labelPieces = i32(8);
  /** Every label byte is ASCII (so every label string is one latin1 slice). */
  private labelsAscii = true;
  /** Per metric: the label fields as latin1 text. */
  private regionCache: string | undefined;
  private timestamp = 0;

  private counterValue = 0;
  private counterExemplarStart = -1;
  private counterExemplarEnd = -1;
  private counterCreated: number | undefined;
  private gaugeValue = 0;
  private untypedValue = 0;

  private summaryCount = 0;
  private summarySum = 0;
  private summaryCreated: number | undefined;
  private readonly quantiles = f64(16);
  /** Per quantile: position of its 8 bytes (-1: absent, 0.0). */
  private readonly quantilePos = i32(16);
  private readonly quantileValues = f64(16);

  private hCount = 0;
  private hCountFloat = 0;
  private hSum = 0;
  private hCreated: number | undefined;
  private hSchema = 0;
  private hZeroThreshold = 0;
  private hZeroCount = 0;
  private hZeroCountFloat = 0;
  private readonly bucketCounts = f64(16);
  private readonly bucketCountsFloat = f64(16);
  private readonly bucketBounds = f64(16);
  private readonly bucketBoundPos = i32(16);
  /** Per bucket: [start, end] of its exemplar message, or [-1, -1]. */
  private readonly bucketExemplars = i32(32);
  private readonly negativeSpans = i32(16);
  private readonly negativeDeltas = f64(16);
  private readonly negativeCounts = f64(16);
  private readonly positiveSpans = i32(16);
  private readonly positiveDeltas = f64(16);
  private readonly positiveCounts = f64(16);
  /** The histogram's own exemplars: [start, end] each. */
  private readonly histogramExemplarRanges = i32(16);

  // ------------------------------------------------------------ per-entry caches
  private keyCache: string | undefined;
  private labelsCache: Labels | undefined;
  private histogramCache: NativeHistogram | undefined;

  constructor(body: Uint8Array, opts: ProtobufParserOptions) {
    this.buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    this.raw = this.buf as unknown as RawSlices;
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    this.end = body.byteLength;
    this.opts = opts;
  }

  // ================================================================== next()

  next(): EntryKind {
    this.keyCache = undefined;
    this.labelsCache = undefined;
    this.histogramCache = undefined;
    for (;;) {
      switch (this.step) {
        case Step.Family:
          if (!this.readFamily()) {
            this.step = Step.End;
            this.kind = EntryKind.EOF;
            return this.kind;
          }
          if (!this.hasMetric()) continue; // Prometheus skips families without metrics.
          this.checkFamily();
          this.step = Step.AfterHelp;
          this.kind = EntryKind.Help;
          return this.kind;
        case Step.AfterHelp:
          this.step = Step.AfterUnit;
          if (this.unitEnd > this.unitStart) {
            this.kind = EntryKind.Unit;
            return this.kind;
          }
          continue;
        case Step.AfterUnit:
          this.step = Step.AfterType;
          this.kind = EntryKind.Type;
          return this.kind;
        case Step.AfterType:
          this.step = Step.InMetric;
          if (!this.startNextMetric()) {
            this.step = Step.Family;
            continue;
          }
          return this.kind;
        case Step.InMetric:
          if (this.advancePart()) return this.kind;
          if (!this.startNextMetric()) {
            this.step = Step.Family;
            continue;
          }
          return this.kind;
        default:
          this.kind = EntryKind.EOF;
          return this.kind;
      }
    }
  }

  // ================================================================== accessors

  seriesText(): string {
    if (this.kind !== EntryKind.Series && this.kind !== EntryKind.Histogram) return '';
    if (this.keyCache === undefined) this.keyCache = this.buildKey();
    return this.keyCache;
  }

  metricName(): string {
    if (this.kind !== EntryKind.Series && this.kind !== EntryKind.Histogram) return '';
    return this.familyName + this.suffix();
  }

  labels(): Labels {
    if (this.kind !== EntryKind.Series && this.kind !== EntryKind.Histogram) return [];
    if (this.labelsCache === undefined) this.labelsCache = this.buildLabels();
    return this.labelsCache;
  }

  value(): number {
    switch (this.part) {
      case Part.Value:
        return this.type === MetricTypeEnum.COUNTER
          ? this.counterValue
          : this.type === MetricTypeEnum.GAUGE
            ? this.gaugeValue
            : this.untypedValue;
      case Part.Count:
        if (this.type === MetricTypeEnum.SUMMARY) return this.summaryCount;
        return this.classicCount();
      case Part.Sum:
        return this.type === MetricTypeEnum.SUMMARY ? this.summarySum : this.hSum;
      case Part.Quantile:
        return this.quantileValues.items[this.index]!;
      case Part.Bucket: {
        const f = this.bucketCountsFloat.items[this.index]!;
        return f !== 0 ? f : this.bucketCounts.items[this.index]!;
      }
      case Part.InfBucket:
        return this.classicCount();
      default:
        return 0;
    }
  }

  timestampMs(): number | undefined {
    if (this.kind !== EntryKind.Series && this.kind !== EntryKind.Histogram) return undefined;
    return this.timestamp !== 0 ? this.timestamp : undefined;
  }

  exemplar(): Exemplar | undefined {
    if (this.kind !== EntryKind.Series) return undefined;
    if (this.part === Part.Value && this.type === MetricTypeEnum.COUNTER) {
      if (this.counterExemplarStart < 0) return undefined;
      return this.decodeExemplar(this.counterExemplarStart, this.counterExemplarEnd);
    }
    if (this.part === Part.Bucket) {
      const start = this.bucketExemplars.items[2 * this.index]!;
      if (start < 0) return undefined;
      return this.decodeExemplar(start, this.bucketExemplars.items[2 * this.index + 1]!);
    }
    return undefined;
  }

  startTimestampMs(): number | undefined {
    if (this.kind !== EntryKind.Series && this.kind !== EntryKind.Histogram) return undefined;
    let ms: number | undefined;
    switch (this.type) {
      case MetricTypeEnum.COUNTER:
        ms = this.counterCreated;
        break;
      case MetricTypeEnum.SUMMARY:
        ms = this.summaryCreated;
        break;
      case MetricTypeEnum.HISTOGRAM:
      case MetricTypeEnum.GAUGE_HISTOGRAM:
        ms = this.hCreated;
        break;
    }
    // Prometheus's StartTimestamp() says 0 for "none"; an explicit 0 reads the same.
    return ms === 0 ? undefined : ms;
  }

  histogram(): NativeHistogram | undefined {
    if (this.kind !== EntryKind.Histogram) return undefined;
    if (this.part === Part.Nhcb) return this.nhcb;
    if (this.histogramCache === undefined) this.histogramCache = this.buildNative();
    return this.histogramCache;
  }

  histogramExemplars(): readonly Exemplar[] {
    if (this.kind !== EntryKind.Histogram) return NO_EXEMPLARS;
    const out: Exemplar[] = [];
    const own = this.histogramExemplarRanges;
    if (own.length > 0) {
      for (let i = 0; i < own.length; i += 2) {
        const ex = this.decodeExemplar(own.items[i]!, own.items[i + 1]!);
        if (ex.timestampMs !== undefined) out.push(ex);
      }
      return out;
    }
    const ranges = this.bucketExemplars;
    for (let i = 0; i < ranges.length; i += 2) {
      const start = ranges.items[i]!;
      if (start < 0) continue;
      const ex = this.decodeExemplar(start, ranges.items[i + 1]!);
      if (ex.timestampMs !== undefined) out.push(ex);
    }
    return out;
  }

  metricFamily(): string {
    const k = this.kind;
    if (k !== EntryKind.Help && k !== EntryKind.Type && k !== EntryKind.Unit) return '';
    return this.familyName;
  }

  metricType(): MetricType {
    const k = this.kind;
    if (k !== EntryKind.Type && k !== EntryKind.Series && k !== EntryKind.Histogram) {
      return 'unknown';
    }
    return TYPE_NAMES[this.type] ?? 'unknown';
  }

  help(): string {
    if (this.kind !== EntryKind.Help) return '';
    return this.raw.utf8Slice(this.helpStart, this.helpEnd);
  }

  unit(): string {
    if (this.kind !== EntryKind.Unit) return '';
    return this.raw.utf8Slice(this.unitStart, this.unitEnd);
  }

  comment(): string {
    return '';
  }

  lineNumber(): number {
    return this.familyNumber;
  }

  // ================================================================== families

  /** Reads the next family message's fields (not its metrics); false at the end of the body. */
  private readFamily(): boolean {
    const start = this.nextFamilyAt;
    if (start >= this.end) return false;
    this.familyNumber++;
    this.familyOffset = start;
    this.p = start;
    const length = this.varint(this.end);
    if (this.p - start > MAX_LENGTH_PREFIX_BYTES) {
      this.fail('the length prefix of a metric family is longer than 5 bytes');
    }
    if (length > this.end - this.p) {
      this.fail(`metric family of ${length} bytes, but only ${this.end - this.p} bytes are left`);
    }
    const end = this.p + length;
    this.familyEnd = end;
    this.nextFamilyAt = end;
    this.metricCursor = this.p;
    this.nameStart = this.nameEnd = this.helpStart = this.helpEnd = 0;
    this.unitStart = this.unitEnd = 0;
    this.type = 0;
    while (this.p < end) {
      const field = this.tag(end);
      const wire = this.wire;
      switch (field) {
        case 1:
          this.expectWire(wire, WireType.LEN, 'MetricFamily.name');
          this.nameEnd = this.lengthDelimited(end);
          this.nameStart = this.p;
          this.p = this.nameEnd;
          break;
        case 2:
          this.expectWire(wire, WireType.LEN, 'MetricFamily.help');
          this.helpEnd = this.lengthDelimited(end);
          this.helpStart = this.p;
          this.p = this.helpEnd;
          break;
        case 3:
          this.expectWire(wire, WireType.VARINT, 'MetricFamily.type');
          this.varint64(end);
          this.type = this.lo | 0; // an enum is an int32: Go keeps the low 32 bits
          break;
        case 4:
          this.expectWire(wire, WireType.LEN, 'MetricFamily.metric');
          this.p = this.lengthDelimited(end);
          break;
        case 5:
          this.expectWire(wire, WireType.LEN, 'MetricFamily.unit');
          this.unitEnd = this.lengthDelimited(end);
          this.unitStart = this.p;
          this.p = this.unitEnd;
          break;
        default:
          this.skip(wire, end);
      }
    }
    return true;
  }

  private hasMetric(): boolean {
    const saved = this.metricCursor;
    const found = this.nextMetricRange();
    this.metricCursor = saved;
    return found;
  }

  /** Validates what Prometheus validates per family (after skipping empty ones). */
  private checkFamily(): void {
    const { nameStart, nameEnd } = this;
    if (nameEnd === nameStart || !this.isUtf8(nameStart, nameEnd)) {
      this.fail(
        `invalid metric name ${JSON.stringify(this.buf.toString('utf8', nameStart, nameEnd))}`,
      );
    }
    this.familyName = this.buf.toString('utf8', nameStart, nameEnd);
    if (!this.isUtf8(this.helpStart, this.helpEnd)) {
      this.fail(`invalid UTF-8 in the help text of metric ${JSON.stringify(this.familyName)}`);
    }
    if (this.type < 0 || this.type > MetricTypeEnum.GAUGE_HISTOGRAM) {
      this.fail(`unknown metric type ${this.type} for metric ${JSON.stringify(this.familyName)}`);
    }
    const nameBytes = this.buf.toString('latin1', nameStart, nameEnd);
    this.keyPlain = `${nameBytes}\xff`;
    this.keyCount = `${nameBytes}_count\xff`;
    this.keySum = `${nameBytes}_sum\xff`;
    this.keyBucket = `${nameBytes}_bucket\xff`;
  }

  /** Finds the next metric field from the cursor: sets `metricStart`/`metricEnd`; false if none. */
  private nextMetricRange(): boolean {
    const end = this.familyEnd;
    this.p = this.metricCursor;
    while (this.p < end) {
      const field = this.tag(end);
      if (field === 4 && this.wire === WireType.LEN) {
        const metricEnd = this.lengthDelimited(end);
        this.metricStart = this.p;
        this.metricEnd = metricEnd;
        this.metricCursor = metricEnd;
        return true;
      }
      this.skip(this.wire, end);
    }
    this.metricCursor = end;
    return false;
  }

  // ================================================================== metrics

  /** Decodes the next metric and sets its first entry; false when the family has no more. */
  private startNextMetric(): boolean {
    if (!this.nextMetricRange()) return false;
    this.decodeMetric(this.metricStart, this.metricEnd);
    const t = this.type;
    this.emitNative = false;
    this.emitClassic = true;
    this.emitNhcb = false;
    if (t === MetricTypeEnum.HISTOGRAM || t === MetricTypeEnum.GAUGE_HISTOGRAM) {
      const native = this.opts.nativeHistograms && this.isNativeHistogram();
      if (native) {
        this.emitNative = true;
        this.emitClassic = this.opts.keepClassicHistograms && this.bucketCounts.length > 0;
      } else if (this.opts.convertClassicHistogramsToNhcb) {
        this.emitNhcb = true;
        this.emitClassic = this.opts.keepClassicHistograms;
      }
    }
    if (this.emitNative) {
      this.checkSpans();
      this.enter(Part.Native, 0);
    } else if (this.emitClassic) {
      this.enter(this.isComplex() ? Part.Count : Part.Value, 0);
    } else {
      this.enterNhcb();
    }
    return true;
  }

  /** Moves to the metric's next entry; false when it has none left. */
  private advancePart(): boolean {
    const nb = this.bucketCounts.length;
    switch (this.part) {
      case Part.Native:
        if (this.emitClassic) {
          this.enter(Part.Count, 0);
          return true;
        }
        return false;
      case Part.Count:
        this.enter(Part.Sum, 0);
        return true;
      case Part.Sum:
        if (this.type === MetricTypeEnum.SUMMARY) {
          if (this.quantiles.length === 0) return false;
          this.enter(Part.Quantile, 0);
        } else {
          this.enter(nb > 0 ? Part.Bucket : Part.InfBucket, 0);
        }
        return true;
      case Part.Quantile:
        if (this.index + 1 >= this.quantiles.length) return false;
        this.enter(Part.Quantile, this.index + 1);
        return true;
      case Part.Bucket:
        if (this.bucketBounds.items[this.index] === Number.POSITIVE_INFINITY) {
          return this.afterClassic();
        }
        this.enter(this.index + 1 < nb ? Part.Bucket : Part.InfBucket, this.index + 1);
        return true;
      case Part.InfBucket:
        return this.afterClassic();
      default:
        return false;
    }
  }

  private afterClassic(): boolean {
    if (!this.emitNhcb) return false;
    this.enterNhcb();
    return true;
  }

  private enter(part: Part, index: number): void {
    this.part = part;
    this.index = index;
    this.kind = part === Part.Native || part === Part.Nhcb ? EntryKind.Histogram : EntryKind.Series;
  }

  /** Converts the classic histogram now: a conversion error fails the parse here, as upstream. */
  private enterNhcb(): void {
    const n = this.bucketCounts.length;
    const buckets: ClassicBucket[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const f = this.bucketCountsFloat.items[i]!;
      buckets[i] = {
        le: this.bucketBounds.items[i]!,
        count: f !== 0 ? f : this.bucketCounts.items[i]!,
      };
    }
    const hint: CounterResetHint =
      this.type === MetricTypeEnum.GAUGE_HISTOGRAM ? 'gauge' : 'unknown';
    const h = classicToNhcb(this.classicCount(), this.hSum, buckets, hint);
    if ('error' in h) {
      this.fail(`histogram ${JSON.stringify(this.familyName)}: cannot convert to NHCB: ${h.error}`);
    }
    this.nhcb = h;
    this.enter(Part.Nhcb, 0);
  }

  private isComplex(): boolean {
    const t = this.type;
    return (
      t === MetricTypeEnum.SUMMARY ||
      t === MetricTypeEnum.HISTOGRAM ||
      t === MetricTypeEnum.GAUGE_HISTOGRAM
    );
  }

  private isNativeHistogram(): boolean {
    return (
      this.positiveSpans.length > 0 ||
      this.negativeSpans.length > 0 ||
      this.hZeroThreshold > 0 ||
      this.hZeroCount > 0
    );
  }

  private isFloatHistogram(): boolean {
    return this.hCountFloat > 0 || this.hZeroCountFloat > 0;
  }

  private classicCount(): number {
    return this.hCountFloat !== 0 ? this.hCountFloat : this.hCount;
  }

  /** Spans must describe exactly as many buckets as the histogram lists (Prometheus's check). */
  private checkSpans(): void {
    const float = this.isFloatHistogram();
    const sides = [
      ['positive', this.positiveSpans, float ? this.positiveCounts : this.positiveDeltas],
      ['negative', this.negativeSpans, float ? this.negativeCounts : this.negativeDeltas],
    ] as const;
    for (const [side, spans, buckets] of sides) {
      let total = 0;
      for (let i = 1; i < spans.length; i += 2) total += spans.items[i]! >>> 0;
      if (total !== buckets.length) {
        this.fail(
          `histogram ${JSON.stringify(this.familyName)}: ${side} side: spans require ${total} buckets, have ${buckets.length}`,
        );
      }
    }
  }

  private suffix(): string {
    switch (this.part) {
      case Part.Count:
        return '_count';
      case Part.Sum:
        return '_sum';
      case Part.Bucket:
      case Part.InfBucket:
        return '_bucket';
      default:
        return '';
    }
  }

  // ================================================================== decoding a metric

  private resetMetric(): void {
    this.labelCount = 0;
    this.labelsStart = this.labelsEnd = 0;
    this.labelsContiguous = true;
    this.labelPieces.length = 0;
    this.labelsAscii = true;
    this.regionCache = undefined;
    this.timestamp = 0;
    this.counterValue = 0;
    this.counterExemplarStart = this.counterExemplarEnd = -1;
    this.counterCreated = undefined;
    this.gaugeValue = 0;
    this.untypedValue = 0;
    this.summaryCount = this.summarySum = 0;
    this.summaryCreated = undefined;
    this.quantiles.length = this.quantilePos.length = this.quantileValues.length = 0;
    this.hCount = this.hCountFloat = this.hSum = 0;
    this.hCreated = undefined;
    this.hSchema = this.hZeroThreshold = this.hZeroCount = this.hZeroCountFloat = 0;
    this.bucketCounts.length = this.bucketCountsFloat.length = 0;
    this.bucketBounds.length = this.bucketBoundPos.length = this.bucketExemplars.length = 0;
    this.negativeSpans.length = this.negativeDeltas.length = this.negativeCounts.length = 0;
    this.positiveSpans.length = this.positiveDeltas.length = this.positiveCounts.length = 0;
    this.histogramExemplarRanges.length = 0;
    this.nhcb = undefined;
  }

  /** Reads every field of one Metric message (merging repeated ones as protobuf does). */
  private decodeMetric(start: number, end: number): void {
    this.resetMetric();
    const buf = this.buf;
    this.p = start;
    while (this.p < end) {
      const fieldStart = this.p;
      if (buf[fieldStart] === 0x0a && this.canonicalLabel(fieldStart, end)) continue;
      const field = this.tag(end);
      const wire = this.wire;
      switch (field) {
        case 1: {
          this.expectWire(wire, WireType.LEN, 'Metric.label');
          const labelEnd = this.lengthDelimited(end);
          this.decodeLabelPair(this.p, labelEnd);
          this.addLabelField(fieldStart, labelEnd);
          this.p = labelEnd;
          break;
        }
        case 2: {
          this.expectWire(wire, WireType.LEN, 'Metric.gauge');
          const e = this.lengthDelimited(end);
          this.gaugeValue = this.decodeSingleValue(this.p, e, this.gaugeValue, 'Gauge');
          this.p = e;
          break;
        }
        case 3: {
          this.expectWire(wire, WireType.LEN, 'Metric.counter');
          const e = this.lengthDelimited(end);
          this.decodeCounter(this.p, e);
          this.p = e;
          break;
        }
        case 4: {
          this.expectWire(wire, WireType.LEN, 'Metric.summary');
          const e = this.lengthDelimited(end);
          this.decodeSummary(this.p, e);
          this.p = e;
          break;
        }
        case 5: {
          this.expectWire(wire, WireType.LEN, 'Metric.untyped');
          const e = this.lengthDelimited(end);
          this.untypedValue = this.decodeSingleValue(this.p, e, this.untypedValue, 'Untyped');
          this.p = e;
          break;
        }
        case 6:
          this.expectWire(wire, WireType.VARINT, 'Metric.timestamp_ms');
          this.varint64(end);
          this.timestamp = (this.hi | 0) * TWO_POW_32 + (this.lo >>> 0);
          break;
        case 7: {
          this.expectWire(wire, WireType.LEN, 'Metric.histogram');
          const e = this.lengthDelimited(end);
          this.decodeHistogram(this.p, e);
          this.p = e;
          break;
        }
        default:
          this.skip(wire, end);
      }
    }
    if (this.labelCount > 0) this.checkLabelText();
  }

  /**
   * The usual encoding of a label field, `0x0a len 0x0a nameLen name 0x12 valueLen value` with
   * one-byte lengths and a non-empty name, read without the general decoder. Returns false
   * (having read nothing) for anything else, which the general decoder then takes.
   */
  private canonicalLabel(fieldStart: number, end: number): boolean {
    const buf = this.buf;
    if (fieldStart + 6 > end) return false;
    const length = buf[fieldStart + 1]!;
    const pairStart = fieldStart + 2;
    const pairEnd = pairStart + length;
    if (length >= 0x80 || pairEnd > end || buf[pairStart] !== 0x0a) return false;
    const nameStart = pairStart + 2;
    const nameEnd = nameStart + buf[pairStart + 1]!;
    if (nameEnd === nameStart || nameEnd + 2 > pairEnd || buf[pairStart + 1]! >= 0x80) return false;
    if (buf[nameEnd] !== 0x12) return false;
    const valueStart = nameEnd + 2;
    if (buf[nameEnd + 1]! >= 0x80 || valueStart + buf[nameEnd + 1]! !== pairEnd) return false;
    this.addLabel(nameStart, nameEnd, valueStart, pairEnd);
    this.addLabelField(fieldStart, pairEnd);
    this.p = pairEnd;
    return true;
  }

  private addLabel(nameStart: number, nameEnd: number, valueStart: number, valueEnd: number): void {
    let r = this.labelRanges;
    const at = this.labelCount * 4;
    if (at + 4 > r.length) {
      const bigger = new Int32Array(r.length * 2);
      bigger.set(r);
      this.labelRanges = r = bigger;
    }
    r[at] = nameStart;
    r[at + 1] = nameEnd;
    r[at + 2] = valueStart;
    r[at + 3] = valueEnd;
    this.labelCount++;
  }

  private addLabelField(start: number, end: number): void {
    if (this.labelCount === 1) {
      this.labelsStart = start;
    } else if (start !== this.labelsEnd || !this.labelsContiguous) {
      if (this.labelsContiguous) {
        this.labelsContiguous = false;
        this.labelPieces.push(this.labelsStart);
        this.labelPieces.push(this.labelsEnd);
      }
      this.labelPieces.push(start);
      this.labelPieces.push(end);
    }
    this.labelsEnd = end;
  }

  /**
   * Prometheus rejects label names and values that are not valid UTF-8. One pass over the label
   * bytes answers for the usual all-ASCII case; otherwise each string is checked.
   */
  private checkLabelText(): void {
    const buf = this.buf;
    let ascii: boolean;
    if (this.labelsContiguous) {
      ascii = this.isAsciiRange(this.labelsStart, this.labelsEnd);
    } else {
      ascii = true;
      const pieces = this.labelPieces.items;
      for (let k = 0; k < this.labelPieces.length; k += 2) {
        ascii = ascii && this.isAsciiRange(pieces[k]!, pieces[k + 1]!);
      }
    }
    if (ascii) return;
    this.labelsAscii = false;
    const r = this.labelRanges;
    for (let i = 0; i < this.labelCount * 4; i += 4) {
      const nameStart = r[i]!;
      const nameEnd = r[i + 1]!;
      if (nameStart >= 0 && !this.isUtf8(nameStart, nameEnd)) {
        this.fail(`invalid label name ${JSON.stringify(buf.toString('utf8', nameStart, nameEnd))}`);
      }
      if (!this.isUtf8(r[i + 2]!, r[i + 3]!)) {
        this.fail(
          `invalid label value ${JSON.stringify(buf.toString('utf8', r[i + 2]!, r[i + 3]!))}`,
        );
      }
    }
  }

  /**
   * A metric's LabelPair (any encoding): records where its name and value are. A name field, when
   * present, must not be empty; UTF-8 is checked for all labels at once by checkLabelText.
   */
  private decodeLabelPair(start: number, end: number): void {
    const buf = this.buf;
    let nameStart = -1;
    let nameEnd = -1;
    let valueStart = 0;
    let valueEnd = 0;
    this.p = start;
    while (this.p < end) {
      const b = buf[this.p]!;
      let field: number;
      let wire: number;
      if (b < 0x80) {
        this.p++;
        field = b >>> 3;
        wire = b & 7;
        if (field === 0) this.fail('field number 0');
        if (wire === WireType.EGROUP) this.fail('unexpected end-group tag');
      } else {
        field = this.tag(end);
        wire = this.wire;
      }
      if (field === 1) {
        this.expectWire(wire, WireType.LEN, 'LabelPair.name');
        nameEnd = this.lengthDelimited(end);
        nameStart = this.p;
        this.p = nameEnd;
      } else if (field === 2) {
        this.expectWire(wire, WireType.LEN, 'LabelPair.value');
        valueEnd = this.lengthDelimited(end);
        valueStart = this.p;
        this.p = valueEnd;
      } else {
        this.skip(wire, end);
      }
    }
    if (nameStart >= 0 && nameEnd === nameStart) this.fail('invalid label name ""');
    this.addLabel(nameStart, nameEnd, valueStart, valueEnd);
  }

  /** Gauge and Untyped: `double value = 1`. Returns the value (the previous one if absent). */
  private decodeSingleValue(start: number, end: number, previous: number, what: string): number {
    let value = previous;
    this.p = start;
    while (this.p < end) {
      const field = this.tag(end);
      if (field === 1) {
        this.expectWire(this.wire, WireType.I64, `${what}.value`);
        value = this.double(end);
      } else {
        this.skip(this.wire, end);
      }
    }
    return value;
  }

  private decodeCounter(start: number, end: number): void {
    this.p = start;
    while (this.p < end) {
      const field = this.tag(end);
      const wire = this.wire;
      switch (field) {
        case 1:
          this.counterValue = this.doubleField(wire, end, 'Counter.value');
          break;
        case 2: {
          this.expectWire(wire, WireType.LEN, 'Counter.exemplar');
          const e = this.lengthDelimited(end);
          this.counterExemplarStart = this.p;
          this.counterExemplarEnd = e;
          this.checkExemplar(this.p, e);
          break;
        }
        case 3:
          this.counterCreated = this.timestampField(wire, end, 'Counter.created_timestamp');
          break;
        default:
          this.skip(wire, end);
      }
    }
  }

  private decodeSummary(start: number, end: number): void {
    this.p = start;
    while (this.p < end) {
      const field = this.tag(end);
      const wire = this.wire;
      switch (field) {
        case 1:
          this.summaryCount = this.uint64Field(wire, end, 'Summary.sample_count');
          break;
        case 2:
          this.summarySum = this.doubleField(wire, end, 'Summary.sample_sum');
          break;
        case 3: {
          this.expectWire(wire, WireType.LEN, 'Summary.quantile');
          const e = this.lengthDelimited(end);
          this.decodeQuantile(this.p, e);
          this.p = e;
          break;
        }
        case 4:
          this.summaryCreated = this.timestampField(wire, end, 'Summary.created_timestamp');
          break;
        default:
          this.skip(wire, end);
      }
    }
  }

  private decodeQuantile(start: number, end: number): void {
    let quantile = 0;
    let quantilePos = -1;
    let value = 0;
    this.p = start;
    while (this.p < end) {
      const field = this.tag(end);
      if (field === 1) {
        quantilePos = this.p;
        quantile = this.doubleField(this.wire, end, 'Quantile.quantile');
      } else if (field === 2) {
        value = this.doubleField(this.wire, end, 'Quantile.value');
      } else {
        this.skip(this.wire, end);
      }
    }
    this.quantiles.push(quantile);
    this.quantilePos.push(quantilePos);
    this.quantileValues.push(value);
  }

  private decodeHistogram(start: number, end: number): void {
    this.p = start;
    while (this.p < end) {
      const field = this.tag(end);
      const wire = this.wire;
      switch (field) {
        case 1:
          this.hCount = this.uint64Field(wire, end, 'Histogram.sample_count');
          break;
        case 2:
          this.hSum = this.doubleField(wire, end, 'Histogram.sample_sum');
          break;
        case 3: {
          this.expectWire(wire, WireType.LEN, 'Histogram.bucket');
          const e = this.lengthDelimited(end);
          this.decodeBucket(this.p, e);
          this.p = e;
          break;
        }
        case 4:
          this.hCountFloat = this.doubleField(wire, end, 'Histogram.sample_count_float');
          break;
        case 5:
          this.expectWire(wire, WireType.VARINT, 'Histogram.schema');
          this.varint64(end);
          this.hSchema = (this.lo >>> 1) ^ -(this.lo & 1);
          break;
        case 6:
          this.hZeroThreshold = this.doubleField(wire, end, 'Histogram.zero_threshold');
          break;
        case 7:
          this.hZeroCount = this.uint64Field(wire, end, 'Histogram.zero_count');
          break;
        case 8:
          this.hZeroCountFloat = this.doubleField(wire, end, 'Histogram.zero_count_float');
          break;
        case 9:
          this.expectWire(wire, WireType.LEN, 'Histogram.negative_span');
          this.decodeSpan(end, this.negativeSpans);
          break;
        case 10:
          this.repeatedSint64(wire, end, this.negativeDeltas, 'Histogram.negative_delta');
          break;
        case 11:
          this.repeatedDouble(wire, end, this.negativeCounts, 'Histogram.negative_count');
          break;
        case 12:
          this.expectWire(wire, WireType.LEN, 'Histogram.positive_span');
          this.decodeSpan(end, this.positiveSpans);
          break;
        case 13:
          this.repeatedSint64(wire, end, this.positiveDeltas, 'Histogram.positive_delta');
          break;
        case 14:
          this.repeatedDouble(wire, end, this.positiveCounts, 'Histogram.positive_count');
          break;
        case 15:
          this.hCreated = this.timestampField(wire, end, 'Histogram.created_timestamp');
          break;
        case 16: {
          this.expectWire(wire, WireType.LEN, 'Histogram.exemplars');
          const e = this.lengthDelimited(end);
          this.histogramExemplarRanges.push(this.p);
          this.histogramExemplarRanges.push(e);
          this.checkExemplar(this.p, e);
          break;
        }
        default:
          this.skip(wire, end);
      }
    }
  }

  private decodeBucket(start: number, end: number): void {
    let count = 0;
    let countFloat = 0;
    let bound = 0;
    let boundPos = -1;
    let exemplarStart = -1;
    let exemplarEnd = -1;
    this.p = start;
    while (this.p < end) {
      const field = this.tag(end);
      const wire = this.wire;
      switch (field) {
        case 1:
          count = this.uint64Field(wire, end, 'Bucket.cumulative_count');
          break;
        case 2:
          boundPos = this.p;
          bound = this.doubleField(wire, end, 'Bucket.upper_bound');
          break;
        case 3: {
          this.expectWire(wire, WireType.LEN, 'Bucket.exemplar');
          const e = this.lengthDelimited(end);
          exemplarStart = this.p;
          exemplarEnd = e;
          this.checkExemplar(this.p, e);
          break;
        }
        case 4:
          countFloat = this.doubleField(wire, end, 'Bucket.cumulative_count_float');
          break;
        default:
          this.skip(wire, end);
      }
    }
    this.bucketCounts.push(count);
    this.bucketCountsFloat.push(countFloat);
    this.bucketBounds.push(bound);
    this.bucketBoundPos.push(boundPos);
    this.bucketExemplars.push(exemplarStart);
    this.bucketExemplars.push(exemplarEnd);
  }

  /** A BucketSpan at `p` (its length prefix): pushes offset (sint32) and length (uint32). */
  private decodeSpan(end: number, into: NumberList<Int32Array>): void {
    const spanEnd = this.lengthDelimited(end);
    let offset = 0;
    let length = 0;
    while (this.p < spanEnd) {
      const field = this.tag(spanEnd);
      if (field === 1) {
        this.expectWire(this.wire, WireType.VARINT, 'BucketSpan.offset');
        this.varint64(spanEnd);
        offset = (this.lo >>> 1) ^ -(this.lo & 1);
      } else if (field === 2) {
        this.expectWire(this.wire, WireType.VARINT, 'BucketSpan.length');
        this.varint64(spanEnd);
        length = this.lo; // uint32 kept in an Int32Array: read back with >>> 0
      } else {
        this.skip(this.wire, spanEnd);
      }
    }
    into.push(offset);
    into.push(length);
  }

  /** `repeated sint64`, packed or not. */
  private repeatedSint64(wire: number, end: number, into: NumberList<Float64Array>, what: string) {
    if (wire === WireType.VARINT) {
      into.push(this.sint64(end));
      return;
    }
    this.expectWire(wire, WireType.LEN, what);
    const packedEnd = this.lengthDelimited(end);
    while (this.p < packedEnd) into.push(this.sint64(packedEnd));
  }

  /** `repeated double`, packed or not. */
  private repeatedDouble(wire: number, end: number, into: NumberList<Float64Array>, what: string) {
    if (wire === WireType.I64) {
      into.push(this.double(end));
      return;
    }
    this.expectWire(wire, WireType.LEN, what);
    const packedEnd = this.lengthDelimited(end);
    if ((packedEnd - this.p) % 8 !== 0)
      this.fail(`${what}: packed doubles of ${packedEnd - this.p} bytes`);
    while (this.p < packedEnd) into.push(this.double(packedEnd));
  }

  /** A `uint64` field whose tag was just read (`wire` its wire type): the value. */
  private uint64Field(wire: number, end: number, what: string): number {
    this.expectWire(wire, WireType.VARINT, what);
    return this.uint64(end);
  }

  /** A `double` field whose tag was just read (`wire` its wire type): the value. */
  private doubleField(wire: number, end: number, what: string): number {
    this.expectWire(wire, WireType.I64, what);
    return this.double(end);
  }

  /** A `google.protobuf.Timestamp` field whose tag was just read: ms; leaves `p` after it. */
  private timestampField(wire: number, end: number, what: string): number {
    this.expectWire(wire, WireType.LEN, what);
    const e = this.lengthDelimited(end);
    const ms = this.decodeTimestamp(this.p, e);
    this.p = e;
    return ms;
  }

  /** google.protobuf.Timestamp → ms (seconds·1000 + nanos/10⁶ truncated, as Prometheus). */
  private decodeTimestamp(start: number, end: number): number {
    let seconds = 0;
    let nanos = 0;
    this.p = start;
    while (this.p < end) {
      const field = this.tag(end);
      if (field === 1) {
        this.expectWire(this.wire, WireType.VARINT, 'Timestamp.seconds');
        this.varint64(end);
        seconds = (this.hi | 0) * TWO_POW_32 + (this.lo >>> 0);
      } else if (field === 2) {
        this.expectWire(this.wire, WireType.VARINT, 'Timestamp.nanos');
        this.varint64(end);
        nanos = this.lo | 0;
      } else {
        this.skip(this.wire, end);
      }
    }
    return seconds * 1000 + Math.trunc(nanos / 1e6);
  }

  /**
   * Walks an Exemplar message to reject malformed ones where Prometheus's decoder does; leaves
   * `p` at `end`.
   */
  private checkExemplar(start: number, end: number): void {
    this.walkExemplar(start, end, undefined);
  }

  private decodeExemplar(start: number, end: number): Exemplar {
    const saved = this.p;
    const labels: Label[] = [];
    const out = this.walkExemplar(start, end, labels);
    this.p = saved;
    labels.sort(compareLabelNames);
    return { labels, value: out.value, timestampMs: out.timestampMs };
  }

  /**
   * Exemplar: `repeated LabelPair label = 1; double value = 2; Timestamp timestamp = 3`. Its
   * label strings are not checked for UTF-8 (Prometheus's decoder does not either); invalid
   * bytes become U+FFFD.
   */
  private walkExemplar(
    start: number,
    end: number,
    labels: Label[] | undefined,
  ): { value: number; timestampMs: number | undefined } {
    let value = 0;
    let timestampMs: number | undefined;
    this.p = start;
    while (this.p < end) {
      const field = this.tag(end);
      const wire = this.wire;
      if (field === 1) {
        this.expectWire(wire, WireType.LEN, 'Exemplar.label');
        const labelEnd = this.lengthDelimited(end);
        let name = '';
        let val = '';
        while (this.p < labelEnd) {
          const f = this.tag(labelEnd);
          if (f === 1 || f === 2) {
            this.expectWire(
              this.wire,
              WireType.LEN,
              f === 1 ? 'LabelPair.name' : 'LabelPair.value',
            );
            const e = this.lengthDelimited(labelEnd);
            if (labels !== undefined) {
              const s = this.buf.toString('utf8', this.p, e);
              if (f === 1) name = s;
              else val = s;
            }
            this.p = e;
          } else {
            this.skip(this.wire, labelEnd);
          }
        }
        labels?.push({ name, value: val });
      } else if (field === 2) {
        this.expectWire(wire, WireType.I64, 'Exemplar.value');
        value = this.double(end);
      } else if (field === 3) {
        this.expectWire(wire, WireType.LEN, 'Exemplar.timestamp');
        const e = this.lengthDelimited(end);
        timestampMs = this.decodeTimestamp(this.p, e);
        this.p = e;
      } else {
        this.skip(wire, end);
      }
    }
    return { value, timestampMs };
  }

  // ================================================================== building results

  /**
   * The cache key: name bytes (+ suffix), 0xFF, the metric's label fields as encoded, and for a
   * bucket or quantile 0xFF plus the 8 bytes of its bound (or `+Inf` for the added bucket).
   * Valid UTF-8 never holds 0xFF and no label field starts with it (wire type 7 does not
   * exist), so equal keys mean equal series.
   */
  private buildKey(): string {
    let prefix: string;
    switch (this.part) {
      case Part.Count:
        prefix = this.keyCount;
        break;
      case Part.Sum:
        prefix = this.keySum;
        break;
      case Part.Bucket:
      case Part.InfBucket:
        prefix = this.keyBucket;
        break;
      default:
        prefix = this.keyPlain;
    }
    let key = prefix + this.region();
    if (this.part === Part.Bucket)
      key += `\xff${this.doubleBytes(this.bucketBoundPos.items[this.index]!)}`;
    else if (this.part === Part.InfBucket) key += '\xff+Inf';
    else if (this.part === Part.Quantile)
      key += `\xff${this.doubleBytes(this.quantilePos.items[this.index]!)}`;
    return key;
  }

  /** The metric's label fields as latin1 text (one char per byte), once per metric. */
  private region(): string {
    if (this.regionCache !== undefined) return this.regionCache;
    let s: string;
    if (this.labelsContiguous) {
      s = this.raw.latin1Slice(this.labelsStart, this.labelsEnd);
    } else {
      const pieces = this.labelPieces.items;
      s = '';
      for (let k = 0; k < this.labelPieces.length; k += 2) {
        s += this.raw.latin1Slice(pieces[k]!, pieces[k + 1]!);
      }
    }
    this.regionCache = s;
    return s;
  }

  private doubleBytes(pos: number): string {
    return pos < 0 ? '\0\0\0\0\0\0\0\0' : this.raw.latin1Slice(pos, pos + 8);
  }

  /** `__name__`, the metric's labels and le/quantile, sorted by name. */
  private buildLabels(): Labels {
    const n = this.labelCount;
    let extra: Label | undefined;
    if (this.part === Part.Bucket) {
      extra = { name: 'le', value: formatOpenMetricsFloat(this.bucketBounds.items[this.index]!) };
    } else if (this.part === Part.InfBucket) {
      extra = { name: 'le', value: '+Inf' };
    } else if (this.part === Part.Quantile) {
      extra = {
        name: 'quantile',
        value: formatOpenMetricsFloat(this.quantiles.items[this.index]!),
      };
    }
    const out: Label[] = new Array(extra === undefined ? n + 1 : n + 2);
    out[0] = { name: '__name__', value: this.familyName + this.suffix() };
    // All-ASCII labels in one stretch are slices of the region string (no further copies).
    const base = this.labelsAscii && this.labelsContiguous ? this.labelsStart : -1;
    const region = base >= 0 ? this.region() : '';
    const r = this.labelRanges;
    let size = 1;
    for (let i = 0; i < n; i++) {
      const ns = r[4 * i]!;
      const ne = r[4 * i + 1]!;
      const vs = r[4 * i + 2]!;
      const ve = r[4 * i + 3]!;
      const label: Label =
        base >= 0
          ? {
              name: ns < 0 ? '' : region.slice(ns - base, ne - base),
              value: region.slice(vs - base, ve - base),
            }
          : { name: ns < 0 ? '' : this.string(ns, ne), value: this.string(vs, ve) };
      if (n > INSERTION_SORT_MAX) out[size++] = label;
      else insertSorted(out, size++, label);
    }
    // Insertion sort is the fast choice for the usual handful of labels, but quadratic.
    if (n > INSERTION_SORT_MAX) {
      if (extra !== undefined) out[size] = extra;
      out.sort(compareLabelNames);
    } else if (extra !== undefined) {
      insertSorted(out, size, extra);
    }
    return out;
  }

  /** The native histogram of the current metric, compacted as Prometheus does (maxEmpty 0). */
  private buildNative(): NativeHistogram {
    const float = this.isFloatHistogram();
    const spans = (list: NumberList<Int32Array>): BucketSpan[] => {
      const out: BucketSpan[] = [];
      for (let i = 0; i < list.length; i += 2) {
        out.push({ offset: list.items[i]!, length: list.items[i + 1]! >>> 0 });
      }
      return out;
    };
    const values = (list: NumberList<Float64Array>): number[] =>
      Array.from(list.items.subarray(0, list.length));
    const h: NativeHistogram = {
      float,
      counterResetHint: this.type === MetricTypeEnum.GAUGE_HISTOGRAM ? 'gauge' : 'unknown',
      schema: this.hSchema,
      zeroThreshold: this.hZeroThreshold,
      zeroCount: float ? this.hZeroCountFloat : this.hZeroCount,
      count: float ? this.hCountFloat : this.hCount,
      sum: this.hSum,
      positiveSpans: spans(this.positiveSpans),
      positiveBuckets: values(float ? this.positiveCounts : this.positiveDeltas),
      negativeSpans: spans(this.negativeSpans),
      negativeBuckets: values(float ? this.negativeCounts : this.negativeDeltas),
      customValues: [],
    };
    return compactHistogram(h, 0);
  }

  // ================================================================== wire primitives

  /** Wire type of the last {@link tag}. */
  private wire = 0;

  /**
   * Reads a field tag at `p` (before `end`) and returns its field number; the wire type is left
   * in `wire`. Field number 0 (or one that is not a positive int32) and end-group tags fail, as
   * in Prometheus's decoder.
   */
  private tag(end: number): number {
    const buf = this.buf;
    if (this.p < end) {
      const b = buf[this.p]!;
      if (b < 0x80) {
        this.p++;
        const field = b >>> 3;
        this.wire = b & 7;
        if (field === 0) this.fail('field number 0');
        if (this.wire === WireType.EGROUP) this.fail('unexpected end-group tag');
        return field;
      }
    }
    this.varint64(end);
    const field = (this.lo >>> 3) | (this.hi << 29) | 0;
    this.wire = this.lo & 7;
    if (field <= 0) this.fail(`illegal field number ${field}`);
    if (this.wire === WireType.EGROUP) this.fail('unexpected end-group tag');
    return field;
  }

  private expectWire(wire: number, expected: number, what: string): void {
    if (wire !== expected) this.fail(`${what}: wire type ${wire}, want ${expected}`);
  }

  /** Reads a length prefix at `p`; returns where the payload ends (checked against `end`). */
  private lengthDelimited(end: number): number {
    const length = this.varint(end);
    if (length > end - this.p) {
      this.fail(`length ${length} runs past the end of its message (${end - this.p} bytes left)`);
    }
    return this.p + length;
  }

  /** A varint as a number (exact up to 2⁵³; used for lengths and tags). */
  private varint(end: number): number {
    const buf = this.buf;
    let p = this.p;
    if (p >= end) this.fail('truncated varint');
    let b = buf[p++]!;
    if (b < 0x80) {
      this.p = p;
      return b;
    }
    let value = b & 0x7f;
    let scale = 128;
    for (let i = 1; i < 10; i++) {
      if (p >= end) this.fail('truncated varint');
      b = buf[p++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.p = p;
        return value;
      }
      scale *= 128;
    }
    this.fail('varint longer than 10 bytes');
  }

  /** A varint's low 64 bits into `lo`/`hi` (bits past 64 are dropped, as in Go). */
  private varint64(end: number): void {
    const buf = this.buf;
    let p = this.p;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (p >= end) this.fail('truncated varint');
      const b = buf[p++]!;
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) {
        this.p = p;
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    this.fail('varint longer than 10 bytes');
  }

  /** uint64 → number, rounded once as Go's float64(uint64) rounds. */
  private uint64(end: number): number {
    this.varint64(end);
    return this.hi * TWO_POW_32 + this.lo;
  }

  /** sint64 (zigzag) → number. */
  private sint64(end: number): number {
    this.varint64(end);
    const lo = this.lo;
    const hi = this.hi;
    const negative = (lo & 1) === 1;
    let mlo = ((lo >>> 1) | (hi << 31)) >>> 0;
    let mhi = hi >>> 1;
    if (negative) {
      mlo = ~mlo >>> 0;
      mhi = ~mhi >>> 0;
    }
    return (mhi | 0) * TWO_POW_32 + mlo;
  }

  private double(end: number): number {
    const p = this.p;
    if (end - p < 8) this.fail('truncated double');
    this.p = p + 8;
    return this.view.getFloat64(p, true);
  }

  /** Skips one field of an unknown number (groups included), as Prometheus's decoder does. */
  private skip(wire: number, end: number): void {
    let depth = 0;
    for (;;) {
      switch (wire) {
        case WireType.VARINT:
          this.varint64(end);
          break;
        case WireType.I64:
          if (end - this.p < 8) this.fail('truncated fixed64');
          this.p += 8;
          break;
        case WireType.LEN:
          this.p = this.lengthDelimited(end);
          break;
        case WireType.SGROUP:
          depth++;
          break;
        case WireType.EGROUP:
          if (depth === 0) this.fail('unexpected end-group tag');
          depth--;
          break;
        case WireType.I32:
          if (end - this.p < 4) this.fail('truncated fixed32');
          this.p += 4;
          break;
        default:
          this.fail(`illegal wire type ${wire}`);
      }
      if (depth === 0) return;
      // Inside a group: the next tag, whatever its field number.
      this.varint64(end);
      wire = this.lo & 7;
    }
  }

  /** UTF-8 check of a byte range, with an ASCII fast path. */
  private isUtf8(start: number, end: number): boolean {
    const buf = this.buf;
    for (let i = start; i < end; i++) {
      if (buf[i]! >= 0x80) return isUtf8(buf.subarray(start, end));
    }
    return true;
  }

  /** A string field (already checked where Prometheus checks it). */
  private string(start: number, end: number): string {
    return this.isAscii(start, end)
      ? this.raw.latin1Slice(start, end)
      : this.raw.utf8Slice(start, end);
  }

  private isAscii(start: number, end: number): boolean {
    const buf = this.buf;
    for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return false;
    return true;
  }

  /** The same, eight bytes a step (the label bytes of every sample go through here). */
  private isAsciiRange(start: number, end: number): boolean {
    const view = this.view;
    let bits = 0;
    let i = start;
    for (const last = end - 8; i <= last; i += 8) {
      bits |= view.getUint32(i, true) | view.getUint32(i + 4, true);
    }
    if (i + 4 <= end) {
      bits |= view.getUint32(i, true);
      i += 4;
    }
    const buf = this.buf;
    for (; i < end; i++) bits |= buf[i]!;
    return (bits & 0x80808080) === 0;
  }

  private fail(detail: string): never {
    throw new ExpositionParseError(detail, this.familyNumber, {
      where: `metric family ${this.familyNumber} (byte ${this.familyOffset})`,
    });
  }
}

import type { NativeHistogram } from '../model/histogram.js';
import type { Labels } from '../model/labels.js';

/**
 * Metric family types across the formats (§5). `untyped` in text 0.0.4 and `UNTYPED` in
 * protobuf map to `unknown`.
 */
export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'unknown';

/** What {@link ExpositionParser.next} found. */
export const EntryKind = {
  EOF: 0,
  Series: 1,
  Type: 2,
  Help: 3,
  Unit: 4,
  Comment: 5,
  /** A native histogram sample (protobuf only): read it with `histogram()`. */
  Histogram: 6,
} as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

export interface Exemplar {
  readonly labels: Labels;
  readonly value: number;
  /** Milliseconds, or undefined when the exemplar had no timestamp. */
  readonly timestampMs: number | undefined;
}

export type ExpositionFormat = 'prometheus-text' | 'openmetrics' | 'protobuf';

/** Options of `createParser`. */
export interface ExpositionParserOptions {
  /**
   * OpenMetrics only: also enforce the OpenMetrics 1.0 family rules Prometheus does not check
   * (grouping, histogram structure, counter values, exemplar placement, …; see
   * src/exposition/README.md). Default false: accept exactly what Prometheus accepts.
   */
  readonly strict?: boolean;
  /**
   * OpenMetrics only: do not return the `_created` series of counter/summary/histogram families
   * (Prometheus's start-timestamp mode, §5.2); read them through `startTimestampMs()` instead.
   * Default false: `_created` lines are ordinary series.
   */
  readonly skipCreatedSeries?: boolean;
  /**
   * Text format only: decode the body in windows of about this many bytes whatever its size
   * (tests use small windows to put boundaries everywhere). Default: windows of 64 KiB for ASCII
   * bodies of 1 MiB or more (decode.ts says why), other bodies whole.
   */
  readonly windowBytes?: number;
  /**
   * Protobuf only (`scrape_native_histograms`): return the native part of a histogram as one
   * `Histogram` entry. Default false: native parts are ignored and every histogram is read as a
   * classic one (Prometheus's parser with native histograms off, §5.3).
   */
  readonly nativeHistograms?: boolean;
  /**
   * Protobuf only (`always_scrape_classic_histograms`): also return the classic series of a
   * histogram that has a native part, and keep them beside a converted one (below). Default false.
   */
  readonly keepClassicHistograms?: boolean;
  /**
   * Protobuf only (`convert_classic_histograms_to_nhcb`): return a classic histogram as one
   * `Histogram` entry with custom buckets (schema -53) instead of its series (unless
   * `keepClassicHistograms`). A histogram whose buckets cannot be converted fails the parse, as in
   * Prometheus. Default false.
   */
  readonly convertClassicHistogramsToNhcb?: boolean;
}

/**
 * A pull parser over one exposition body, in the style of Prometheus's textparse.Parser: call
 * `next()` until it returns `EntryKind.EOF`; after each call the accessors describe the entry
 * just returned and are valid until the next call. No per-entry object is built unless an
 * accessor that returns one is called.
 *
 * Errors: `next()` throws {@link ExpositionParseError} (errors.ts, with a 1-based line number)
 * on the first malformed input and nothing else, whatever the body; the parser is unusable
 * afterwards. Accessors never throw. Work is linear in the body size.
 */
export interface ExpositionParser {
  next(): EntryKind;
  /**
   * Series/Histogram: a string that identifies the series within this target's bodies (cache
   * key, §6.4). Text formats: the series text exactly as in the body, from line start through
   * `}` or the name. Protobuf: the metric name's bytes, then the series' label fields as
   * encoded (and the le/quantile field), one byte per char — equal keys mean equal label sets,
   * and no key equals a text-format series text.
   */
  seriesText(): string;
  /**
   * Series: labels including `__name__`, unescaped, sorted by name. Label pairs with an empty
   * value are included as written (the scrape removes them, §6.1 4). le/quantile values are
   * normalised as §5.1 describes. Duplicate names are returned as written: Prometheus's parser
   * accepts them and its append rejects the series (§5.1), so the scrape must check. Built on
   * the first call per entry, then cached until `next()`.
   */
  labels(): Labels;
  /** Series/Histogram: the metric name alone, unescaped (no label array is built). */
  metricName(): string;
  /** Series: the sample value. NaN from the body keeps JS's NaN (the encoder writes the bits). */
  value(): number;
  /**
   * Series/Histogram: explicit timestamp in ms (OpenMetrics seconds converted, §5.2), else
   * undefined. Protobuf: a `timestamp_ms` of 0 counts as none, as in Prometheus.
   */
  timestampMs(): number | undefined;
  /**
   * Series: the exemplar on this line, if any (OpenMetrics; protobuf: a counter's exemplar and a
   * classic bucket's). Its labels are not checked
   * against the 128-character limit except in strict mode; Prometheus drops such an exemplar at
   * append time without failing the scrape (§5.2).
   */
  exemplar(): Exemplar | undefined;
  /**
   * Series (OpenMetrics): the start timestamp in ms taken from the family's `_created` line,
   * found the way Prometheus's look-ahead finds it (§5.2); undefined when there is none (where
   * Prometheus says 0) and always for the text format. Only meaningful for counter, summary and
   * histogram families. Costs a look-ahead, so call it only when start timestamps are wanted.
   * Protobuf (Series and Histogram): the `created_timestamp` of a counter, summary or histogram,
   * for each of its series; cheap.
   */
  startTimestampMs(): number | undefined;
  /**
   * Histogram: the native histogram (protobuf only; compacted as Prometheus's parser compacts
   * it). Undefined for other entries. Built on the first call per entry.
   */
  histogram(): NativeHistogram | undefined;
  /**
   * Histogram: its exemplars, those with a timestamp only (Prometheus drops the others for
   * native histograms, §6.1 10): the histogram's own exemplar list, or when it has none its
   * classic buckets' exemplars. Empty for other entries.
   */
  histogramExemplars(): readonly Exemplar[];
  /** Type/Help/Unit: the metric family name the line names. */
  metricFamily(): string;
  /**
   * Type: the type; Series/Histogram: the type in effect for this series' family (`unknown` if
   * none).
   */
  metricType(): MetricType;
  /** Help: the unescaped text. */
  help(): string;
  /** Unit: the unit (may be ''). */
  unit(): string;
  /** Comment (text format only): the raw comment line. */
  comment(): string;
  /** 1-based line number of the current entry (protobuf: of its metric family message). */
  lineNumber(): number;
}

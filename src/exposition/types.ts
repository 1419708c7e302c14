import type { Labels } from '../model/labels.js';

/** Metric family types across both text formats (§5). `untyped` in text 0.0.4 maps to `unknown`. */
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
} as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

export interface Exemplar {
  readonly labels: Labels;
  readonly value: number;
  /** Milliseconds, or undefined when the exemplar had no timestamp. */
  readonly timestampMs: number | undefined;
}

export type ExpositionFormat = 'prometheus-text' | 'openmetrics';

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
  /** Series: the series text exactly as in the body, from line start through `}` or the name (cache key, §6.4). */
  seriesText(): string;
  /**
   * Series: labels including `__name__`, unescaped, sorted by name. Label pairs with an empty
   * value are included as written (the scrape removes them, §6.1 4). le/quantile values are
   * normalised as §5.1 describes. Duplicate names are returned as written: Prometheus's parser
   * accepts them and its append rejects the series (§5.1), so the scrape must check. Built on
   * the first call per entry, then cached until `next()`.
   */
  labels(): Labels;
  /** Series: the metric name alone, unescaped (no label array is built). */
  metricName(): string;
  /** Series: the sample value. NaN from the body keeps JS's NaN (the encoder writes the bits). */
  value(): number;
  /** Series: explicit timestamp in ms (OpenMetrics seconds converted, §5.2), else undefined. */
  timestampMs(): number | undefined;
  /**
   * Series: the exemplar on this line, if any (OpenMetrics only). Its labels are not checked
   * against the 128-character limit except in strict mode; Prometheus drops such an exemplar at
   * append time without failing the scrape (§5.2).
   */
  exemplar(): Exemplar | undefined;
  /**
   * Series (OpenMetrics): the start timestamp in ms taken from the family's `_created` line,
   * found the way Prometheus's look-ahead finds it (§5.2); undefined when there is none (where
   * Prometheus says 0) and always for the text format. Only meaningful for counter, summary and
   * histogram families. Costs a look-ahead, so call it only when start timestamps are wanted.
   */
  startTimestampMs(): number | undefined;
  /** Type/Help/Unit: the metric family name the line names. */
  metricFamily(): string;
  /** Type: the type; Series: the type in effect for this series' family (`unknown` if none). */
  metricType(): MetricType;
  /** Help: the unescaped text. */
  help(): string;
  /** Unit: the unit (may be ''). */
  unit(): string;
  /** Comment (text format only): the raw comment line. */
  comment(): string;
  /** 1-based line number of the current entry (for messages). */
  lineNumber(): number;
}

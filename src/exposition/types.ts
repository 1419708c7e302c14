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

/**
 * A pull parser over one exposition body, in the style of Prometheus's textparse.Parser: call
 * `next()` until it returns `EntryKind.EOF`; after each call the accessors describe the entry
 * just returned and are valid until the next call. No per-entry object is built unless an
 * accessor that returns one is called.
 *
 * Errors: `next()` throws {@link ExpositionParseError} (with a 1-based line number) on the
 * first malformed input; the parser is unusable afterwards.
 */
export interface ExpositionParser {
  next(): EntryKind;
  /** Series: the series text exactly as in the body, from line start through `}` or the name (cache key, §6.4). */
  seriesText(): string;
  /**
   * Series: labels including `__name__`, unescaped, sorted by name. Label pairs with an empty
   * value are included as written (the scrape removes them, §6.1 4). le/quantile values are
   * normalised as §5.1 describes.
   */
  labels(): Labels;
  /** Series: the sample value. NaN from the body keeps JS's NaN (the encoder writes the bits). */
  value(): number;
  /** Series: explicit timestamp in ms (OpenMetrics seconds converted, §5.2), else undefined. */
  timestampMs(): number | undefined;
  /** Series: the exemplar on this line, if any (OpenMetrics only). */
  exemplar(): Exemplar | undefined;
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

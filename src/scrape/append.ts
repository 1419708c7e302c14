/**
 * Turning one parsed exposition into samples: §6.1 step by step, with the all-or-nothing rule
 * of §6.2 left to the caller (on error the caller discards the batch).
 */
import type { ValidationScheme } from '../config/types.js';
import {
  EntryKind,
  type ExpositionParser,
  type Exemplar as ParsedExemplar,
} from '../exposition/types.js';
import {
  bucketCount,
  EXPONENTIAL_SCHEMA_MIN,
  histogramError,
  isExponentialSchema,
  type NativeHistogram,
  reduceResolution,
} from '../model/histogram.js';
import type { Label, Labels } from '../model/labels.js';
import {
  formatSeries,
  isLegacyLabelName,
  isLegacyMetricName,
  isWellFormedUtf16,
  METRIC_NAME_LABEL,
} from '../model/labels.js';
import { createSeriesEntry, type Exemplar, type SampleBatch, type SeriesEntry } from './batch.js';
import type { ScrapeCache } from './cache.js';
import { mergeTargetLabels } from './merge.js';
import type { TrackedSeries } from './state.js';

/** Samples more than this far ahead of the append start are refused (§6.1 6). */
const MAX_FUTURE_MS = 10 * 60 * 1000;

export interface AppendOptions {
  readonly targetLabels: Labels;
  readonly honorLabels: boolean;
  readonly honorTimestamps: boolean;
  readonly trackTimestampsStaleness: boolean;
  readonly sampleLimit: number;
  readonly labelLimit: number;
  readonly labelNameLengthLimit: number;
  readonly labelValueLengthLimit: number;
  readonly validationScheme: ValidationScheme;
  /** metric_relabel_configs; returns null to drop. Called once per new series text. */
  readonly relabel: ((labels: Labels) => Labels | null) | undefined;
  /** native_histogram_bucket_limit (0 = none). */
  readonly bucketLimit: number;
  /** The highest schema a native histogram is stored at (from native_histogram_min_bucket_factor). */
  readonly maxSchema: number;
  /** Read each sample's start (created) timestamp into the batch (costs a look-ahead in OpenMetrics). */
  readonly startTimestamps: boolean;
}

export interface AppendCounts {
  /** scrape_samples_scraped */
  total: number;
  /** scrape_samples_post_metric_relabeling */
  added: number;
  /** scrape_series_added */
  seriesAdded: number;
  /** Samples refused as duplicates within this scrape (§6.1 5). */
  duplicates: number;
  /** Samples refused as too far in the future (§6.1 6). */
  outOfBounds: number;
}

export class AppendError extends Error {
  readonly code:
    | 'PARSE'
    | 'INVALID_SERIES'
    | 'INVALID_HISTOGRAM'
    | 'LABEL_LIMIT'
    | 'SAMPLE_LIMIT'
    | 'BUCKET_LIMIT';
  constructor(code: AppendError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Appends every sample of `parser` to `batch`, recording tracked series in `seen` (§8.2:
 * series without an explicit timestamp, or all with track_timestamps_staleness).
 *
 * Returns the counts; on a fatal error (§6.2) throws {@link AppendError} after setting
 * `counts` to what was reached — the caller rolls the batch back but keeps `seen`, because
 * series processed before the failure still count as seen (§8.2).
 */
export function appendSamples(
  parser: ExpositionParser,
  scrapeTimeMs: number,
  opts: AppendOptions,
  cache: ScrapeCache,
  batch: SampleBatch,
  seen: TrackedSeries,
  counts: AppendCounts,
): void {
  const appendStart = Date.now();
  let appended = 0;
  let sampleLimitHit = false;
  let bucketLimitHit = false;
  for (;;) {
    let kind: number;
    try {
      kind = parser.next();
    } catch (err) {
      throw new AppendError('PARSE', err instanceof Error ? err.message : String(err), {
        cause: err,
      });
    }
    if (kind === EntryKind.EOF) break;
    if (kind !== EntryKind.Series && kind !== EntryKind.Histogram) {
      recordMetadata(parser, kind, cache);
      continue;
    }
    counts.total++;
    const explicitTs = opts.honorTimestamps ? parser.timestampMs() : undefined;
    const t = explicitTs ?? scrapeTimeMs;
    const text = parser.seriesText();

    const slot = cache.lookup(text);
    let entry: SeriesEntry;
    let isNew = false;
    if (slot !== undefined) {
      if (slot.entry === null) {
        cache.markSeen(slot);
        continue;
      }
      if (cache.seenThisScrape(slot) && explicitTs === undefined) {
        counts.duplicates++;
        counts.added++;
        continue;
      }
      cache.markSeen(slot);
      entry = slot.entry;
    } else {
      const final = finalLabels(parser.labels(), opts);
      if (final === null) {
        cache.addDropped(text);
        continue;
      }
      entry = createSeriesEntry(final);
      isNew = true;
    }

    counts.added++;
    if (t > appendStart + MAX_FUTURE_MS) {
      counts.outOfBounds++;
      continue;
    }
    let histogram: NativeHistogram | undefined;
    if (kind === EntryKind.Histogram) {
      histogram = limitedHistogram(parser.histogram(), opts);
      if (histogram === undefined) {
        // Keep reading so the counts are right, then fail (§6.3).
        bucketLimitHit = true;
        continue;
      }
    }
    if (opts.sampleLimit > 0 && appended >= opts.sampleLimit) {
      sampleLimitHit = true;
      continue;
    }
    appended++;
    const start = opts.startTimestamps ? (parser.startTimestampMs() ?? 0) : 0;
    if (histogram === undefined) batch.push(entry, parser.value(), t, false, start);
    else batch.pushHistogram(entry, histogram, t, start);
    if (isNew) {
      cache.addSeries(text, entry);
      if (!sampleLimitHit && !bucketLimitHit) counts.seriesAdded++;
    }
    if (explicitTs === undefined || opts.trackTimestampsStaleness) seen.track(entry);
    if (histogram === undefined) {
      const e = parser.exemplar();
      if (e !== undefined) addExemplar(batch, cache, entry, e, t);
    } else {
      for (const e of sortedExemplars(parser.histogramExemplars())) {
        addExemplar(batch, cache, entry, e, t);
      }
    }
  }
  // The sample limit's error wins when both are hit, as in Prometheus.
  if (sampleLimitHit) throw new AppendError('SAMPLE_LIMIT', 'sample limit exceeded');
  if (bucketLimitHit) {
    throw new AppendError('BUCKET_LIMIT', 'histogram bucket limit exceeded');
  }
}

/**
 * A scraped native histogram as it is stored (§5.3): refused when Prometheus's storage would
 * refuse it; its schema lowered to the job's `native_histogram_min_bucket_factor`; then lowered
 * one step at a time while it has more than `native_histogram_bucket_limit` buckets. Returns
 * undefined when the limit cannot be met (custom buckets, or schema -4 reached).
 */
function limitedHistogram(
  scraped: NativeHistogram | undefined,
  opts: AppendOptions,
): NativeHistogram | undefined {
  if (scraped === undefined) throw new AppendError('PARSE', 'histogram entry without histogram');
  const invalid = histogramError(scraped);
  if (invalid !== undefined) throw new AppendError('INVALID_HISTOGRAM', invalid);
  let h = scraped;
  if (isExponentialSchema(h.schema) && h.schema > opts.maxSchema) {
    h = reduceResolution(h, opts.maxSchema);
  }
  if (opts.bucketLimit <= 0) return h;
  if (bucketCount(h) > opts.bucketLimit && !isExponentialSchema(h.schema)) return undefined;
  while (bucketCount(h) > opts.bucketLimit) {
    if (h.schema <= EXPONENTIAL_SCHEMA_MIN) return undefined;
    h = reduceResolution(h, h.schema - 1);
  }
  return h;
}

/** Longest exemplar label set, in characters of names and values together (OpenMetrics). */
const EXEMPLAR_MAX_LABEL_SET_LENGTH = 128;

/**
 * Adds an exemplar of an appended sample to the batch, as Prometheus's storage accepts one: a
 * missing timestamp becomes the sample's (`sampleTimeMs`); empty label values are dropped;
 * an exemplar with a repeated label name or longer labels than the limit is dropped without
 * failing the scrape. As Prometheus's exemplar storage decides, one equal to the series' last
 * exemplar is a repeat and one older than it is out of order: neither is sent (so a target
 * that repeats its exemplars scrape after scrape sends each once; the agent drops repeats only).
 */
function addExemplar(
  batch: SampleBatch,
  cache: ScrapeCache,
  entry: SeriesEntry,
  scraped: ParsedExemplar,
  sampleTimeMs: number,
): void {
  const labels = scraped.labels.filter((l) => l.value !== '');
  let length = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    for (let j = 0; j < i; j++) if (labels[j]!.name === l.name) return;
    length += runeCount(l.name) + runeCount(l.value);
  }
  if (length > EXEMPLAR_MAX_LABEL_SET_LENGTH) return;
  const exemplar: Exemplar = {
    labels,
    value: scraped.value,
    timestampMs: scraped.timestampMs ?? sampleTimeMs,
  };
  const last = cache.lastExemplars.get(entry);
  if (last !== undefined) {
    if (exemplar.timestampMs < last.timestampMs || sameExemplar(last, exemplar)) return;
  }
  cache.lastExemplars.set(entry, exemplar);
  batch.addExemplar(entry, exemplar);
}

function sameExemplar(a: Exemplar, b: Exemplar): boolean {
  if (a.timestampMs !== b.timestampMs || !Object.is(a.value, b.value)) return false;
  if (a.labels.length !== b.labels.length) return false;
  for (let i = 0; i < a.labels.length; i++) {
    if (a.labels[i]!.name !== b.labels[i]!.name || a.labels[i]!.value !== b.labels[i]!.value) {
      return false;
    }
  }
  return true;
}

/** A native histogram's exemplars by timestamp, then value (they all have timestamps). */
function sortedExemplars(exemplars: readonly ParsedExemplar[]): readonly ParsedExemplar[] {
  if (exemplars.length < 2) return exemplars;
  return [...exemplars].sort(
    (a, b) => (a.timestampMs ?? 0) - (b.timestampMs ?? 0) || a.value - b.value,
  );
}

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function recordMetadata(parser: ExpositionParser, kind: number, cache: ScrapeCache): void {
  if (kind === EntryKind.Type) {
    cache.setMetadata(parser.metricFamily(), { type: parser.metricType() });
  } else if (kind === EntryKind.Help) {
    cache.setMetadata(parser.metricFamily(), { help: parser.help() });
  } else if (kind === EntryKind.Unit) {
    cache.setMetadata(parser.metricFamily(), { unit: parser.unit() });
  }
}

/**
 * §6.1 4a–4e for a series seen for the first time: merge target labels, relabel, then check
 * name, validity, uniqueness and the label limits. Returns null when relabeling drops it;
 * throws {@link AppendError} when the whole scrape must fail.
 */
function finalLabels(scraped: Labels, opts: AppendOptions): Labels | null {
  const merged = mergeTargetLabels(scraped, opts.targetLabels, opts.honorLabels);
  assertUniqueNames(merged);
  const lset = opts.relabel === undefined ? merged : opts.relabel(merged);
  if (lset === null) return null;
  let name: string | undefined;
  for (const l of lset) if (l.name === METRIC_NAME_LABEL) name = l.value;
  if (name === undefined || name === '') {
    throw new AppendError('INVALID_SERIES', 'missing metric name (__name__ label)');
  }
  if (!isValidSeries(lset, name, opts.validationScheme)) {
    throw new AppendError(
      'INVALID_SERIES',
      `invalid metric name or label names: ${truncate(formatSeries(lset), 200)}`,
    );
  }
  checkLabelLimits(lset, name, opts);
  return lset;
}

function assertUniqueNames(labels: readonly Label[]): void {
  for (let i = 1; i < labels.length; i++) {
    if (labels[i]!.name === labels[i - 1]!.name) {
      throw new AppendError('INVALID_SERIES', `label name "${labels[i]!.name}" is not unique`);
    }
  }
}

function isValidSeries(labels: Labels, name: string, scheme: ValidationScheme): boolean {
  if (scheme === 'legacy') {
    if (!isLegacyMetricName(name)) return false;
    for (const l of labels) if (!isLegacyLabelName(l.name)) return false;
    return true;
  }
  for (const l of labels) {
    if (l.name === '' || !isWellFormedUtf16(l.name) || !isWellFormedUtf16(l.value)) return false;
  }
  return true;
}

const utf8 = new TextEncoder();
function byteLength(s: string): number {
  // Fast path: ASCII strings have as many bytes as code units.
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return utf8.encode(s).length;
  return s.length;
}

function checkLabelLimits(labels: Labels, name: string, opts: AppendOptions): void {
  const metric = truncate(name, 50);
  if (opts.labelLimit > 0 && labels.length > opts.labelLimit) {
    throw new AppendError(
      'LABEL_LIMIT',
      `label_limit exceeded (metric: ${metric}, number of labels: ${labels.length}, limit: ${opts.labelLimit})`,
    );
  }
  if (opts.labelNameLengthLimit <= 0 && opts.labelValueLengthLimit <= 0) return;
  for (const l of labels) {
    const nameLen = byteLength(l.name);
    if (opts.labelNameLengthLimit > 0 && nameLen > opts.labelNameLengthLimit) {
      throw new AppendError(
        'LABEL_LIMIT',
        `label_name_length_limit exceeded (metric: ${metric}, label name: ${truncate(l.name, 50)}, length: ${nameLen}, limit: ${opts.labelNameLengthLimit})`,
      );
    }
    const valueLen = byteLength(l.value);
    if (opts.labelValueLengthLimit > 0 && valueLen > opts.labelValueLengthLimit) {
      throw new AppendError(
        'LABEL_LIMIT',
        `label_value_length_limit exceeded (metric: ${metric}, label name: ${truncate(l.name, 50)}, value: ${JSON.stringify(truncate(l.value, 50))}, length: ${valueLen}, limit: ${opts.labelValueLengthLimit})`,
      );
    }
  }
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n);
}

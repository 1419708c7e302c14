/**
 * Turning one parsed exposition into samples: §6.1 step by step, with the all-or-nothing rule
 * of §6.2 left to the caller (on error the caller discards the batch).
 */
import type { ValidationScheme } from '../config/types.js';
import { EntryKind, type ExpositionParser } from '../exposition/types.js';
import type { Label, Labels } from '../model/labels.js';
import {
  formatSeries,
  isLegacyLabelName,
  isLegacyMetricName,
  isWellFormedUtf16,
  METRIC_NAME_LABEL,
} from '../model/labels.js';
import { createSeriesEntry, type SampleBatch, type SeriesEntry } from './batch.js';
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
  /**
   * Native histogram samples (protobuf `Histogram` entries, §5.3) skipped: they are not
   * appended yet. Each also counts in `total`, as in Prometheus, but not in `added`.
   */
  nativeHistograms: number;
}

export class AppendError extends Error {
  readonly code: 'PARSE' | 'INVALID_SERIES' | 'LABEL_LIMIT' | 'SAMPLE_LIMIT';
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
    if (kind === EntryKind.Histogram) {
      // Not appended yet: a native histogram (or one converted to custom buckets) is counted
      // as scraped and then dropped, the way metric relabeling drops a sample. It is not
      // tracked for staleness and takes no share of sample_limit.
      counts.total++;
      counts.nativeHistograms++;
      continue;
    }
    if (kind !== EntryKind.Series) {
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
    if (opts.sampleLimit > 0 && appended >= opts.sampleLimit) {
      // Keep reading so the counts are right, then fail (§6.3).
      sampleLimitHit = true;
      continue;
    }
    appended++;
    batch.push(entry, parser.value(), t);
    if (isNew) {
      cache.addSeries(text, entry);
      if (!sampleLimitHit) counts.seriesAdded++;
    }
    if (explicitTs === undefined || opts.trackTimestampsStaleness) seen.track(entry);
  }
  if (sampleLimitHit) throw new AppendError('SAMPLE_LIMIT', 'sample limit exceeded');
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

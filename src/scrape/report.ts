/**
 * The report series written after every scrape attempt (§7), and their metadata.
 */
import type { Labels } from '../model/labels.js';
import { compareLabelNames, labelsKey, METRIC_NAME_LABEL } from '../model/labels.js';
import type { SampleBatch, SeriesEntry } from './batch.js';

export interface ReportValues {
  up: number;
  durationSeconds: number;
  samplesScraped: number;
  samplesPostMetricRelabeling: number;
  seriesAdded: number;
  /** Extra series (extra_scrape_metrics). */
  timeoutSeconds: number;
  sampleLimit: number;
  /** -1 when body_size_limit was exceeded; 0 for other HTTP failures (§7). */
  bodySizeBytes: number;
}

export const REPORT_SERIES = [
  {
    name: 'up',
    unit: 'targets',
    help: 'Health of the scrape target: 1 when the last scrape succeeded, 0 when it failed.',
    value: (r: ReportValues) => r.up,
  },
  {
    name: 'scrape_duration_seconds',
    unit: 'seconds',
    help: 'Duration of the last scrape in seconds.',
    value: (r: ReportValues) => r.durationSeconds,
  },
  {
    name: 'scrape_samples_scraped',
    unit: 'samples',
    help: 'Number of samples in the last scrape.',
    value: (r: ReportValues) => r.samplesScraped,
  },
  {
    name: 'scrape_samples_post_metric_relabeling',
    unit: 'samples',
    help: 'Number of samples left after metric relabeling.',
    value: (r: ReportValues) => r.samplesPostMetricRelabeling,
  },
  {
    name: 'scrape_series_added',
    unit: 'series',
    help: 'Number of series first seen in the last scrape.',
    value: (r: ReportValues) => r.seriesAdded,
  },
] as const;

export const EXTRA_REPORT_SERIES = [
  {
    name: 'scrape_timeout_seconds',
    unit: 'seconds',
    help: 'The scrape timeout configured for the target.',
    value: (r: ReportValues) => r.timeoutSeconds,
  },
  {
    name: 'scrape_sample_limit',
    unit: 'samples',
    help: 'The sample limit configured for the target; zero means no limit.',
    value: (r: ReportValues) => r.sampleLimit,
  },
  {
    name: 'scrape_body_size_bytes',
    unit: 'bytes',
    help: 'Uncompressed size of the last scrape response; -1 when body_size_limit was exceeded, 0 for other failures.',
    value: (r: ReportValues) => r.bodySizeBytes,
  },
] as const;

/**
 * Report series entries for a target: `__name__` plus the target's public labels (§7). Built
 * once per target and reused, like cached scraped series.
 */
export function reportEntries(targetLabels: Labels, extra: boolean): SeriesEntry[] {
  const defs = extra ? [...REPORT_SERIES, ...EXTRA_REPORT_SERIES] : REPORT_SERIES;
  return defs.map((d) => {
    const labels = [{ name: METRIC_NAME_LABEL, value: d.name }, ...targetLabels].sort(
      compareLabelNames,
    );
    return { labels, key: labelsKey(labels) };
  });
}

export function appendReport(
  batch: SampleBatch,
  entries: readonly SeriesEntry[],
  values: ReportValues,
  timestampMs: number,
): void {
  const defs = [...REPORT_SERIES, ...EXTRA_REPORT_SERIES];
  for (let i = 0; i < entries.length; i++) {
    batch.push(entries[i]!, defs[i]!.value(values), timestampMs);
  }
}

/** Stale markers for the report series (end of run, §8.3). */
export function appendReportStale(
  batch: SampleBatch,
  entries: readonly SeriesEntry[],
  timestampMs: number,
): void {
  for (const e of entries) batch.push(e, Number.NaN, timestampMs, true);
}

/**
 * The report series written after every scrape attempt (§7), and their metadata.
 */
import type { Labels } from '../model/labels.js';
import { compareLabelNames, METRIC_NAME_LABEL } from '../model/labels.js';
import {
  createSeriesEntry,
  type FamilyMetadataView,
  type SampleBatch,
  type SeriesEntry,
} from './batch.js';

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

interface ReportSeriesDef {
  readonly name: string;
  readonly unit: string;
  readonly help: string;
  /** Only written when extra_scrape_metrics is on. */
  readonly extra: boolean;
  readonly value: (r: ReportValues) => number;
}

const def = (
  name: string,
  unit: string,
  help: string,
  extra: boolean,
  value: (r: ReportValues) => number,
): ReportSeriesDef => ({ name, unit, help, extra, value });

/** The report series in the order they are written (§7); all are gauges. */
export const REPORT_SERIES: readonly ReportSeriesDef[] = [
  def(
    'up',
    'targets',
    'Health of the scrape target: 1 when the last scrape succeeded, 0 when it failed.',
    false,
    (r) => r.up,
  ),
  def(
    'scrape_duration_seconds',
    'seconds',
    'Duration of the last scrape in seconds.',
    false,
    (r) => r.durationSeconds,
  ),
  def(
    'scrape_samples_scraped',
    'samples',
    'Number of samples in the last scrape.',
    false,
    (r) => r.samplesScraped,
  ),
  def(
    'scrape_samples_post_metric_relabeling',
    'samples',
    'Number of samples left after metric relabeling.',
    false,
    (r) => r.samplesPostMetricRelabeling,
  ),
  def(
    'scrape_series_added',
    'series',
    'Number of series first seen in the last scrape.',
    false,
    (r) => r.seriesAdded,
  ),
  def(
    'scrape_timeout_seconds',
    'seconds',
    'The scrape timeout configured for the target.',
    true,
    (r) => r.timeoutSeconds,
  ),
  def(
    'scrape_sample_limit',
    'samples',
    'The sample limit configured for the target; zero means no limit.',
    true,
    (r) => r.sampleLimit,
  ),
  def(
    'scrape_body_size_bytes',
    'bytes',
    'Uncompressed size of the last scrape response; -1 when body_size_limit was exceeded, 0 for other failures.',
    true,
    (r) => r.bodySizeBytes,
  ),
];

function reportDefs(extra: boolean): readonly ReportSeriesDef[] {
  return extra ? REPORT_SERIES : REPORT_SERIES.filter((d) => !d.extra);
}

/** The report series' metadata by name (all gauges, §7), as remote write sends it. */
export function reportMetadata(extra: boolean): ReadonlyMap<string, FamilyMetadataView> {
  return new Map(
    reportDefs(extra).map((d) => [d.name, { type: 'gauge', help: d.help, unit: d.unit }] as const),
  );
}

/**
 * Report series entries for a target: `__name__` plus the target's public labels (§7). Built
 * once per target and reused, like cached scraped series.
 */
export function reportEntries(targetLabels: Labels, extra: boolean): SeriesEntry[] {
  return reportDefs(extra).map((d) => {
    const labels = [{ name: METRIC_NAME_LABEL, value: d.name }, ...targetLabels].sort(
      compareLabelNames,
    );
    return createSeriesEntry(labels);
  });
}

export function appendReport(
  batch: SampleBatch,
  entries: readonly SeriesEntry[],
  values: ReportValues,
  timestampMs: number,
): void {
  // `entries` come from reportEntries, in REPORT_SERIES order, so index i is REPORT_SERIES[i].
  for (let i = 0; i < entries.length; i++) {
    batch.push(entries[i]!, REPORT_SERIES[i]!.value(values), timestampMs);
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

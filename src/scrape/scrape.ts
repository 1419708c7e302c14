/**
 * One scrape of one target (§4, §6, §7, §8): request, parse, apply, report, staleness.
 */
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { formatSeconds } from '../config/duration.js';
import type { Config, ScrapeConfig } from '../config/types.js';
import {
  createParser,
  type ExpositionParserOptions,
  loadParser,
  selectFormat,
} from '../exposition/index.js';
import { requestHeaders } from '../http/client.js';
import { FetchError, FetchErrorCode, fetchBody } from '../http/fetch.js';
import { USER_AGENT } from '../http/user-agent.js';
import { schemaForBucketFactor } from '../model/histogram.js';
import { getLabel, type Labels, labelsFromKey } from '../model/labels.js';
import { applyRelabel, compileRelabelConfigs } from '../relabel/index.js';
import { TargetLabel } from '../targets/discovered.js';
import type { Target } from '../targets/types.js';
import { buildAcceptHeader } from './accept.js';
import { type AppendCounts, AppendError, type AppendOptions, appendSamples } from './append.js';
import {
  type FamilyMetadataView,
  type MetadataSource,
  SampleBatch,
  type SeriesEntry,
} from './batch.js';
import { ScrapeCache } from './cache.js';
import {
  appendReport,
  appendReportStale,
  type ReportValues,
  reportEntries,
  reportMetadata,
} from './report.js';
import { ScrapeState, TrackedSeries } from './state.js';

/** What a job contributes to every scrape of its targets, prepared once per config. */
export interface ScrapeJob {
  readonly config: ScrapeConfig;
  readonly acceptHeader: string;
  readonly dispatcher: Dispatcher;
  /** metric_relabel_configs compiled once; undefined when the job has none. */
  readonly relabel: ((labels: Labels) => Labels | null) | undefined;
  /** Decoded-body limit in bytes actually applied (0 = none): `body_size_limit`, or the ceiling. */
  readonly bodySizeLimit: number;
  /** Set when the limit is the driver's ceiling rather than the job's own: said in the error. */
  readonly bodySizeCeilingNote: string | undefined;
  /** The highest schema native histograms are stored at (`native_histogram_min_bucket_factor`). */
  readonly maxHistogramSchema: number;
  /** Samples carry their start (created) timestamps ({@link ScrapeJobOptions.startTimestamps}). */
  readonly startTimestamps: boolean;
}

export interface ScrapeJobOptions {
  /**
   * Bytes a decoded body may reach when the job's `body_size_limit` is 0 (unlimited), so one
   * target cannot exhaust a process with a bounded memory (the Lambda driver sets it from the
   * function's memory, {@link lambdaBodySizeCeiling}). A job's own non-zero limit is never
   * raised or lowered by it. @default 0 (none, as in Prometheus)
   */
  readonly bodySizeCeiling?: number;
  /**
   * Read each sample's start (created) timestamp (protobuf `created_timestamp`, OpenMetrics
   * `_created` lines, which stay series of their own as in Prometheus) into the unit. Only remote
   * write 2.0 can send them, and in OpenMetrics each costs a look-ahead, so the drivers turn it on
   * when a remote write speaks 2.0 ({@link wantsStartTimestamps}). @default false
   */
  readonly startTimestamps?: boolean;
}

/** True when a remote write of `config` sends 2.0 requests, which carry start timestamps. */
export function wantsStartTimestamps(config: Pick<Config, 'remoteWrite'>): boolean {
  return config.remoteWrite.some((rw) => rw.protobufMessage === 'io.prometheus.write.v2.Request');
}

/**
 * The ceiling for a Lambda function of `memoryMb`: an eighth of its memory. The raw body, its
 * decoded text (one or two bytes a character) and the parse of it must fit beside everything
 * else a task holds; the largest exporters (~100,000 series, ~10 MB) stay far below it.
 */
export function lambdaBodySizeCeiling(memoryMb: number): number {
  return Math.floor((memoryMb * 1024 * 1024) / 8);
}

export function prepareScrapeJob(
  config: ScrapeConfig,
  dispatcher: Dispatcher,
  options: ScrapeJobOptions = {},
): ScrapeJob {
  const ceiling = options.bodySizeCeiling ?? 0;
  const useCeiling = config.bodySizeLimit === 0 && ceiling > 0;
  const program =
    config.metricRelabelConfigs.length > 0
      ? compileRelabelConfigs(config.metricRelabelConfigs, config.metricNameValidationScheme)
      : undefined;
  return {
    config,
    acceptHeader: buildAcceptHeader(config.scrapeProtocols, config.metricNameEscapingScheme),
    dispatcher,
    relabel: program === undefined ? undefined : (labels) => applyRelabel(program, labels),
    bodySizeLimit: useCeiling ? ceiling : config.bodySizeLimit,
    bodySizeCeilingNote: useCeiling
      ? `lambdascrape's ceiling of ${ceiling} bytes applies because body_size_limit is 0`
      : undefined,
    maxHistogramSchema: schemaForBucketFactor(config.nativeHistogramMinBucketFactor),
    startTimestamps: options.startTimestamps ?? false,
  };
}

/**
 * What a caller keeps per target in memory: the scrape cache and the report entries. Safe to
 * lose (a cold Lambda container rebuilds it); must be rebuilt when the target's labels or the
 * job's config change.
 */
export class TargetScrapeCache {
  readonly cache = new ScrapeCache();
  readonly report: SeriesEntry[];
  /** The target's metadata as its units carry it: the scrape cache's, then the report series'. */
  readonly metadata: MetadataSource;
  constructor(target: Target, extraScrapeMetrics: boolean) {
    this.report = reportEntries(target.publicLabels, extraScrapeMetrics);
    this.metadata = new TargetMetadata(this.cache.metadata, reportMetadata(extraScrapeMetrics));
  }
}

/**
 * A target's families: the report series' own metadata (§7) wins over a family of the same
 * name in the body, as the report series are the scraper's, not the target's.
 */
class TargetMetadata implements MetadataSource {
  constructor(
    private readonly scraped: ReadonlyMap<string, FamilyMetadataView>,
    private readonly report: ReadonlyMap<string, FamilyMetadataView>,
  ) {}

  get(family: string): FamilyMetadataView | undefined {
    return this.report.get(family) ?? this.scraped.get(family);
  }

  forEach(fn: (metadata: FamilyMetadataView, family: string) => void): void {
    this.scraped.forEach((m, family) => {
      if (!this.report.has(family)) fn(m, family);
    });
    this.report.forEach(fn);
  }
}

export interface ScrapeResult {
  /** Everything to write: samples, stale markers, report series. */
  readonly batch: SampleBatch;
  /** The state to keep for the next scrape of this target. */
  readonly state: ScrapeState;
  readonly up: boolean;
  /** Why the scrape failed, when it did. */
  readonly error: string | undefined;
  readonly report: ReportValues;
}

export interface ScrapeOptions {
  /** The scheduled scrape time in ms: the timestamp of samples without their own (§4.3, §9). */
  readonly scrapeTimeMs: number;
  /** An error forced on the scrape without a request, e.g. target_limit exceeded (§2.6). */
  readonly forcedError?: string | undefined;
}

/** Scrapes a target once. Never throws for anything the target does; failures become `up=0`. */
export async function scrapeTarget(
  job: ScrapeJob,
  target: Target,
  memory: TargetScrapeCache,
  previous: ScrapeState,
  opts: ScrapeOptions,
): Promise<ScrapeResult> {
  const cfg = job.config;
  const start = performance.now();
  // Sized for last time's samples plus report series and some churn, so it rarely grows.
  const batch = new SampleBatch(memory.cache.lastScrapeTexts + 64);
  batch.metadata = memory.metadata;
  const seen = new TrackedSeries();
  const counts: AppendCounts = {
    total: 0,
    added: 0,
    seriesAdded: 0,
    duplicates: 0,
    outOfBounds: 0,
  };
  let error: string | undefined;
  let bodySize = 0;
  let emptyBody = false;
  memory.cache.beginScrape();
  try {
    if (opts.forcedError !== undefined)
      throw new FetchError(FetchErrorCode.Network, opts.forcedError);
    const headers = {
      ...(await requestHeaders(cfg.httpClient)),
      accept: job.acceptHeader,
      'accept-encoding': cfg.enableCompression ? 'gzip' : 'identity',
      'user-agent': USER_AGENT,
      'x-prometheus-scrape-timeout-seconds': formatSeconds(target.timeoutMs),
    };
    const res = await fetchBody({
      url: target.url,
      headers,
      dispatcher: job.dispatcher,
      timeoutMs: target.timeoutMs,
      bodySizeLimit: job.bodySizeLimit,
    });
    bodySize = res.body.length;
    emptyBody = bodySize === 0;
    if (!emptyBody) {
      const selected = selectFormat(res.contentType, cfg.fallbackScrapeProtocol);
      if ('error' in selected) throw new AppendError('PARSE', selected.error);
      await loadParser(selected.format);
      const parser = createParser(selected.format, res.body, parserOptions(cfg, target));
      appendSamples(
        parser,
        opts.scrapeTimeMs,
        appendOptions(job, target),
        memory.cache,
        batch,
        seen,
        counts,
      );
    }
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
    if (err instanceof FetchError) {
      bodySize = err.code === FetchErrorCode.BodySizeLimit ? -1 : 0;
      if (bodySize === -1 && job.bodySizeCeilingNote !== undefined) {
        error = `${error} (${job.bodySizeCeilingNote})`;
      }
    } else if (!(err instanceof AppendError)) {
      // Credential files and other local problems: still a failed scrape, not a crash.
      bodySize = 0;
    }
    batch.clear();
  }
  memory.cache.endScrape(error === undefined, emptyBody);

  const sameSeries = appendStaleMarkers(previous, seen, batch, opts.scrapeTimeMs);

  const report: ReportValues = {
    up: error === undefined ? 1 : 0,
    durationSeconds: (performance.now() - start) / 1000,
    samplesScraped: counts.total,
    samplesPostMetricRelabeling: counts.added,
    seriesAdded: counts.seriesAdded,
    timeoutSeconds: target.timeoutMs / 1000,
    sampleLimit: cfg.sampleLimit,
    bodySizeBytes: bodySize,
  };
  appendReport(batch, memory.report, report, opts.scrapeTimeMs);
  return {
    batch,
    state: new ScrapeState(
      opts.scrapeTimeMs,
      undefined,
      seen,
      sameSeries ? previous.seriesDigest : undefined,
    ),
    up: error === undefined,
    error,
    report,
  };
}

/**
 * The histogram options of the protobuf parser (§5.3; the text parsers ignore them): the job's
 * settings, overridden per target by the `__scrape_native_histograms__`,
 * `__always_scrape_classic_histograms__` and `__convert_classic_histograms_to_nhcb__` labels
 * left after relabeling, as in Prometheus 3 (a value that is not a Go boolean keeps the job's
 * setting; target building has refused those already, §2.2).
 */
function parserOptions(cfg: ScrapeConfig, target: Target): ExpositionParserOptions {
  return {
    nativeHistograms: targetFlag(
      target,
      TargetLabel.scrapeNativeHistograms,
      cfg.scrapeNativeHistograms,
    ),
    keepClassicHistograms: targetFlag(
      target,
      TargetLabel.alwaysScrapeClassicHistograms,
      cfg.alwaysScrapeClassicHistograms,
    ),
    convertClassicHistogramsToNhcb: targetFlag(
      target,
      TargetLabel.convertClassicHistogramsToNhcb,
      cfg.convertClassicHistogramsToNhcb,
    ),
  };
}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function targetFlag(target: Target, name: string, fallback: boolean): boolean {
  const value = getLabel(target.labels, name);
  if (GO_TRUE.has(value)) return true;
  if (GO_FALSE.has(value)) return false;
  return fallback;
}

/**
 * Staleness (§8.2): every series tracked by the previous scrape and not by this one gets a
 * marker at this scrape's time. On failure `seen` holds what was processed before the
 * failure point.
 *
 * A warm target's previous state holds the cache entries themselves: those stamped by this
 * scrape are present, and only the others need a look by key (an exporter may spell the same
 * series differently). A state read back from storage holds keys only.
 *
 * Returns true when this scrape tracked exactly the previous scrape's entries (so the same
 * series set), known without comparing keys; false says nothing.
 */
function appendStaleMarkers(
  previous: ScrapeState,
  seen: TrackedSeries,
  batch: SampleBatch,
  timestampMs: number,
): boolean {
  const prevEntries = previous.tracked?.entries;
  if (prevEntries !== undefined) {
    const candidates = prevEntries.filter((e) => !seen.has(e));
    // Every previous entry tracked again, and no other: entries are unique per scrape.
    if (candidates.length === 0) return seen.entries.length === prevEntries.length;
    const current = new Set(seen.entries.map((e) => e.key));
    for (const e of candidates)
      if (!current.has(e.key)) batch.push(e, Number.NaN, timestampMs, true);
    return false;
  }
  if (previous.series.size === 0) return false;
  const current = new Set(seen.entries.map((e) => e.key));
  let missing = 0;
  for (const key of previous.series) {
    if (!current.has(key)) {
      missing++;
      batch.push({ labels: labelsFromKey(key), key }, Number.NaN, timestampMs, true);
    }
  }
  return missing === 0 && current.size === previous.series.size;
}

function appendOptions(job: ScrapeJob, target: Target): AppendOptions {
  const cfg = job.config;
  return {
    targetLabels: target.publicLabels,
    honorLabels: cfg.honorLabels,
    honorTimestamps: cfg.honorTimestamps,
    trackTimestampsStaleness: cfg.trackTimestampsStaleness,
    sampleLimit: cfg.sampleLimit,
    labelLimit: cfg.labelLimit,
    labelNameLengthLimit: cfg.labelNameLengthLimit,
    labelValueLengthLimit: cfg.labelValueLengthLimit,
    validationScheme: cfg.metricNameValidationScheme,
    relabel: job.relabel,
    bucketLimit: cfg.nativeHistogramBucketLimit,
    maxSchema: job.maxHistogramSchema,
    startTimestamps: job.startTimestamps,
  };
}

/**
 * Stale markers for a target that is gone (§8.3): every series of its last scrape plus its
 * report series, at `staleTimeMs` (Prometheus: about one interval after the last scrape).
 * Nothing when the target never completed a scrape.
 */
export function endOfRunMarkers(
  target: Target,
  previous: ScrapeState,
  staleTimeMs: number,
  extraScrapeMetrics: boolean,
): SampleBatch {
  const batch = new SampleBatch();
  if (previous.lastScrapeTimeMs === undefined) return batch;
  for (const key of previous.series) {
    batch.push({ labels: labelsFromKey(key), key }, Number.NaN, staleTimeMs, true);
  }
  appendReportStale(batch, reportEntries(target.publicLabels, extraScrapeMetrics), staleTimeMs);
  return batch;
}

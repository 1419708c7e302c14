/**
 * The runner's own metrics (`/metrics`), all prefixed `lambdascrape_`, followed on `/metrics`
 * by the process-wide `process_*` and `nodejs_*` ones (process-metrics.ts). Counters and histograms
 * are updated as things happen; target counts and remote-write totals are read at render time
 * from the runner and its sink.
 */
import type { DeliveryOutcome } from '../engine/delivery.js';
import {
  type MetricSpec,
  SCRAPE_DURATION_BUCKETS,
  SCRAPE_LATENESS_BUCKETS,
  SCRAPE_METRICS,
  type ScrapeObservation,
  type ScrapeObserver,
  type SlotSkipReason,
} from '../engine/scrape-metrics.js';
import { EGRESS_REFUSAL_REASONS, egressRefusals } from '../http/egress-guard.js';
import { LAMBDASCRAPE_VERSION } from '../remotewrite/index.js';
import {
  Counter,
  CounterFunc,
  Gauge,
  GaugeFunc,
  Histogram,
  type LabelValues,
  MetricsRegistry,
} from './metrics.js';
import { processMetricsText } from './process-metrics.js';
import type { SinkStats } from './sink.js';

/** Per job: targets up, down and not scraped yet, and dropped targets. */
export interface JobTargetCounts {
  readonly job: string;
  readonly up: number;
  readonly down: number;
  readonly unknown: number;
  readonly dropped: number;
}

export interface RunnerMetricSources {
  targetCounts(): Iterable<JobTargetCounts>;
  sinkStats(): readonly SinkStats[];
  /** With a data directory: export its families (`lambdascrape_remote_write_storage_*`). */
  readonly storage?: boolean;
}

const DISCOVERY_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

function counter(spec: MetricSpec): Counter {
  return new Counter(spec.name, spec.help, spec.labels);
}

/**
 * The runner's metrics. The scrape-level families come from the engine's vocabulary
 * (`SCRAPE_METRICS`), so `run` and the Lambda functions export the same series.
 */
export class RunnerMetrics implements ScrapeObserver {
  readonly registry = new MetricsRegistry();

  private readonly scrapes = this.registry.register(counter(SCRAPE_METRICS.scrapes));
  private readonly samplesScraped = this.registry.register(counter(SCRAPE_METRICS.samplesScraped));
  private readonly scrapeDuration = this.registry.register(
    new Histogram(
      SCRAPE_METRICS.duration.name,
      SCRAPE_METRICS.duration.help,
      SCRAPE_METRICS.duration.labels,
      SCRAPE_DURATION_BUCKETS,
    ),
  );
  private readonly lateness = this.registry.register(
    new Histogram(
      SCRAPE_METRICS.lateness.name,
      SCRAPE_METRICS.lateness.help,
      SCRAPE_METRICS.lateness.labels,
      SCRAPE_LATENESS_BUCKETS,
    ),
  );
  private readonly skippedSlots = this.registry.register(counter(SCRAPE_METRICS.slotsSkipped));
  private readonly endOfRun = this.registry.register(counter(SCRAPE_METRICS.endOfRunMarkers));
  readonly discoveryFailures = this.registry.register(
    new Counter(
      'lambdascrape_discovery_refresh_failures_total',
      'Service discovery refreshes that failed (previous targets kept), by job and mechanism.',
      ['job', 'mechanism'],
    ),
  );
  readonly discoveryDuration = this.registry.register(
    new Histogram(
      'lambdascrape_discovery_refresh_duration_seconds',
      'Duration of service discovery refreshes, by mechanism.',
      ['mechanism'],
      DISCOVERY_DURATION_BUCKETS,
    ),
  );
  readonly reloads = this.registry.register(
    new Counter('lambdascrape_config_reloads_total', 'Configuration reloads, by result.', [
      'result',
    ]),
  );
  readonly lastReloadSuccessful = this.registry.register(
    new Gauge(
      'lambdascrape_config_last_reload_successful',
      'Whether the last configuration reload attempt was successful.',
    ),
  );
  readonly lastReloadSuccessTime = this.registry.register(
    new Gauge(
      'lambdascrape_config_last_reload_success_timestamp_seconds',
      'Timestamp of the last successful configuration reload.',
    ),
  );

  constructor(sources: RunnerMetricSources) {
    const r = this.registry;
    const egress = SCRAPE_METRICS.egressRefused;
    r.register(
      new CounterFunc(egress.name, egress.help, egress.labels, () => {
        const counts = egressRefusals();
        return EGRESS_REFUSAL_REASONS.map((reason) => [[reason], counts[reason]] as const);
      }),
    );
    r.register(
      new GaugeFunc(
        'lambdascrape_build_info',
        'Always 1; labelled with the version.',
        ['version'],
        () => [[[LAMBDASCRAPE_VERSION], 1]],
      ),
    );
    r.register(
      new GaugeFunc(
        'lambdascrape_targets',
        'Active targets by job and state of their last scrape (unknown = not scraped yet).',
        ['job', 'state'],
        () =>
          [...sources.targetCounts()].flatMap((c) => [
            [[c.job, 'up'], c.up] as const,
            [[c.job, 'down'], c.down] as const,
            [[c.job, 'unknown'], c.unknown] as const,
          ]),
      ),
    );
    r.register(
      new GaugeFunc(
        'lambdascrape_targets_dropped',
        'Targets dropped by relabeling, by job.',
        ['job'],
        () => [...sources.targetCounts()].map((c) => [[c.job], c.dropped] as const),
      ),
    );
    const sink = (pick: (s: SinkStats) => number) => (): [LabelValues, number][] =>
      sources.sinkStats().map((s) => [[s.name], pick(s)]);
    const rw = SCRAPE_METRICS.remoteWriteSamples;
    r.register(
      new CounterFunc(rw.name, rw.help, rw.labels, () =>
        sources.sinkStats().flatMap((s): [LabelValues, number][] => [
          [[s.name, 'sent'], s.samplesSent],
          [[s.name, 'rejected'], s.samplesRejected],
          [[s.name, 'dropped'], s.samplesDropped],
        ]),
      ),
    );
    r.register(
      new CounterFunc(
        'lambdascrape_remote_write_samples_retried_total',
        'Samples sent again after a recoverable failure, per attempt.',
        ['remote_name'],
        sink((s) => s.samplesRetried),
      ),
    );
    r.register(
      new GaugeFunc(
        'lambdascrape_remote_write_samples_pending',
        'Samples accepted for remote write and not yet delivered or given up on.',
        ['remote_name'],
        sink((s) => s.samplesPending),
      ),
    );
    if (sources.storage === true) this.registerStorage(sources);
  }

  /** The data directory's queues (`--storage.path`), per remote_write. */
  private registerStorage(sources: RunnerMetricSources): void {
    const r = this.registry;
    const each = <T>(pick: (s: NonNullable<SinkStats['storage']>) => T) =>
      sources
        .sinkStats()
        .flatMap((s) => (s.storage === undefined ? [] : [[s.name, pick(s.storage)] as const]));
    r.register(
      new GaugeFunc(
        'lambdascrape_remote_write_storage_bytes',
        'Bytes of the segment files of the remote_write queue in the data directory.',
        ['remote_name'],
        () => each((q) => q.bytes).map(([name, v]): [LabelValues, number] => [[name], v]),
      ),
    );
    r.register(
      new CounterFunc(
        'lambdascrape_remote_write_storage_units_replayed_total',
        'Units found undelivered in the data directory at start, sent before newer ones.',
        ['remote_name'],
        () => each((q) => q.unitsReplayed).map(([name, v]): [LabelValues, number] => [[name], v]),
      ),
    );
    r.register(
      new CounterFunc(
        'lambdascrape_remote_write_storage_samples_replayed_total',
        'Samples in the units found undelivered in the data directory at start.',
        ['remote_name'],
        () => each((q) => q.samplesReplayed).map(([name, v]): [LabelValues, number] => [[name], v]),
      ),
    );
    r.register(
      new CounterFunc(
        'lambdascrape_remote_write_storage_records_skipped_total',
        'Damaged records skipped when the data directory was read at start, by kind (torn: the cut-off end of the newest segment; corrupt: elsewhere).',
        ['remote_name', 'kind'],
        () =>
          each((q) => q.recordsSkipped).flatMap(([name, k]): [LabelValues, number][] => [
            [[name, 'torn'], k.torn],
            [[name, 'corrupt'], k.corrupt],
          ]),
      ),
    );
    r.register(
      new CounterFunc(
        'lambdascrape_remote_write_storage_samples_dropped_total',
        'Samples the data directory gave up on, by reason (expired: older than the retention time; full: over the size limit; failed: not writable or readable). Also counted as dropped in lambdascrape_remote_write_samples_total.',
        ['remote_name', 'reason'],
        () =>
          each((q) => q.samplesDropped).flatMap(([name, d]): [LabelValues, number][] => [
            [[name, 'expired'], d.expired],
            [[name, 'full'], d.full],
            [[name, 'failed'], d.failed],
          ]),
      ),
    );
  }

  // ---- ScrapeObserver ------------------------------------------------------------------------

  scraped(o: ScrapeObservation): void {
    this.scrapes.inc([o.job, o.up ? 'up' : 'down']);
    this.samplesScraped.inc([o.job], o.samplesScraped);
    this.scrapeDuration.observe([o.job], o.durationSeconds);
    this.lateness.observe([o.job], o.latenessMs / 1000);
  }

  slotsSkipped(job: string, reason: SlotSkipReason, count: number): void {
    this.skippedSlots.inc([job, reason], count);
  }

  endOfRunMarkers(job: string, markers: number): void {
    this.endOfRun.inc([job], markers);
  }

  /** Remote-write totals are read from the sink's stats when rendered. */
  delivered(_outcome: DeliveryOutcome): void {}

  /** Records a reload attempt (the initial load counts as one). */
  reloaded(ok: boolean, nowMs: number): void {
    this.reloads.inc([ok ? 'success' : 'failure']);
    this.lastReloadSuccessful.set([], ok ? 1 : 0);
    if (ok) this.lastReloadSuccessTime.set([], nowMs / 1000);
  }

  /** The runner's own families (`lambdascrape_*`). */
  render(): string {
    return this.registry.render();
  }

  /** What `/metrics` serves: {@link render}, then the `process_*` and `nodejs_*` families. */
  async renderWithProcess(): Promise<string> {
    return this.render() + (await processMetricsText());
  }
}

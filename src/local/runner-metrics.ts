/**
 * The runner's own metrics (`/metrics`), all prefixed `lambdascrape_`. Counters and histograms
 * are updated as things happen; target counts and remote-write totals are read at render time
 * from the runner and its sink.
 */
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
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LATENESS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

export class RunnerMetrics {
  readonly registry = new MetricsRegistry();

  readonly scrapes = this.registry.register(
    new Counter('lambdascrape_scrapes_total', 'Scrapes attempted, by job.', ['job']),
  );
  readonly scrapeFailures = this.registry.register(
    new Counter('lambdascrape_scrape_failures_total', 'Scrapes that failed (up=0), by job.', [
      'job',
    ]),
  );
  readonly samplesScraped = this.registry.register(
    new Counter(
      'lambdascrape_scrape_samples_scraped_total',
      'Samples parsed from scrape responses, by job.',
      ['job'],
    ),
  );
  readonly scrapeDuration = this.registry.register(
    new Histogram(
      'lambdascrape_scrape_duration_seconds',
      'Duration of scrapes (request, parse, apply), by job.',
      ['job'],
      DURATION_BUCKETS,
    ),
  );
  readonly lateness = this.registry.register(
    new Histogram(
      'lambdascrape_scrape_lateness_seconds',
      'How long after its slot a scrape started, by job. Samples still carry the slot time.',
      ['job'],
      LATENESS_BUCKETS,
    ),
  );
  readonly skippedSlots = this.registry.register(
    new Counter(
      'lambdascrape_scrape_slots_skipped_total',
      'Scrape slots not run, by job and reason: busy = the previous scrape of the target was still running, missed = the timer fired after a later slot.',
      ['job', 'reason'],
    ),
  );
  readonly endOfRunMarkers = this.registry.register(
    new Counter(
      'lambdascrape_end_of_run_stale_markers_total',
      'Stale markers written for targets that went away, by job.',
      ['job'],
    ),
  );
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
      DURATION_BUCKETS,
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
    r.register(
      new CounterFunc(
        'lambdascrape_remote_write_samples_sent_total',
        'Samples (stale markers included) delivered to the remote_write endpoint.',
        ['remote_name'],
        sink((s) => s.samplesSent),
      ),
    );
    r.register(
      new CounterFunc(
        'lambdascrape_remote_write_samples_failed_total',
        'Samples rejected by the endpoint or dropped before delivery.',
        ['remote_name'],
        sink((s) => s.samplesFailed),
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
        'Samples accepted for remote write and not yet delivered or failed.',
        ['remote_name'],
        sink((s) => s.samplesPending),
      ),
    );
  }

  /** Records a reload attempt (the initial load counts as one). */
  reloaded(ok: boolean, nowMs: number): void {
    this.reloads.inc([ok ? 'success' : 'failure']);
    this.lastReloadSuccessful.set([], ok ? 1 : 0);
    if (ok) this.lastReloadSuccessTime.set([], nowMs / 1000);
  }

  render(): string {
    return this.registry.render();
  }
}

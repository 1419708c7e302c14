/**
 * The engine's own metrics, one vocabulary for both drivers: `run` serves them on `/metrics`,
 * the Lambda functions send them through remote write, with the same names, labels and buckets,
 * so one dashboard or alert serves both. The job a series is about is the `scrape_job` label (as
 * in Prometheus's own per-pool metrics): `job` is the scraper's own job where its metrics land.
 * The engine reports what happens through a {@link ScrapeObserver}; `run`'s metrics implement
 * it, the Lambda functions fold each task's outcome into the same families.
 */
import type { DeliveryOutcome } from './delivery.js';

/** One metric family of the vocabulary. */
export interface MetricSpec {
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];
}

/** Upper bounds (s) of the scrape duration histogram (+Inf added). */
export const SCRAPE_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];
/** Upper bounds (s) of the lateness histogram (+Inf added): ms matter, seconds are trouble. */
export const SCRAPE_LATENESS_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export const SCRAPE_METRICS = {
  scrapes: {
    name: 'lambdascrape_scrapes_total',
    help: 'Scrapes attempted, by scrape_job and result (up, down).',
    labels: ['scrape_job', 'result'],
  },
  samplesScraped: {
    name: 'lambdascrape_scrape_samples_scraped_total',
    help: 'Samples parsed from scrape responses, by scrape_job.',
    labels: ['scrape_job'],
  },
  duration: {
    name: 'lambdascrape_scrape_duration_seconds',
    help: 'Duration of scrapes (request, parse, apply), by scrape_job.',
    labels: ['scrape_job'],
  },
  lateness: {
    name: 'lambdascrape_scrape_lateness_seconds',
    help: 'How long after its slot a scrape started, by scrape_job. Samples still carry the slot time.',
    labels: ['scrape_job'],
  },
  slotsSkipped: {
    name: 'lambdascrape_scrape_slots_skipped_total',
    help: 'Scrape slots not run, by scrape_job and reason: busy = the previous scrape of the target was still running, missed = the timer fired after a later slot, late = the slot was too far past when its turn came, duplicate = the same slot was delivered twice.',
    labels: ['scrape_job', 'reason'],
  },
  endOfRunMarkers: {
    name: 'lambdascrape_end_of_run_stale_markers_total',
    help: 'Stale markers written for targets that went away, by scrape_job.',
    labels: ['scrape_job'],
  },
  remoteWriteSamples: {
    name: 'lambdascrape_remote_write_samples_total',
    help: 'Samples handed to remote write, by remote_write and what became of them: sent, rejected (refused for good by the receiver), parked (kept in the outbox for later), dropped (given up on: queue full, shutdown, not kept).',
    labels: ['remote_name', 'result'],
  },
  egressRefused: {
    name: 'lambdascrape_egress_refused_total',
    help: 'Connections refused by the egress guard before connecting, by reason: runtime_api = the Lambda Runtime API, denied_range = an address in a denied range (LAMBDASCRAPE_DENY_CIDRS, --deny-cidrs).',
    labels: ['reason'],
  },
} as const satisfies Record<string, MetricSpec>;

export type SlotSkipReason = 'busy' | 'missed' | 'late' | 'duplicate';
export type RemoteWriteSampleResult = 'sent' | 'rejected' | 'parked' | 'dropped';

/** What one scrape reports to the metrics. */
export interface ScrapeObservation {
  readonly job: string;
  readonly up: boolean;
  readonly durationSeconds: number;
  readonly samplesScraped: number;
  /** Scrape start − slot; a start a little early (within the start tolerance) counts as 0. */
  readonly latenessMs: number;
}

/** Where the engine reports; observe methods never throw. */
export interface ScrapeObserver {
  scraped(o: ScrapeObservation): void;
  slotsSkipped(job: string, reason: SlotSkipReason, count: number): void;
  endOfRunMarkers(job: string, markers: number): void;
  delivered(outcome: DeliveryOutcome): void;
}

/** An observer that records nothing. */
export const NO_OBSERVER: ScrapeObserver = {
  scraped: () => {},
  slotsSkipped: () => {},
  endOfRunMarkers: () => {},
  delivered: () => {},
};

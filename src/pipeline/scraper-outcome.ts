/**
 * What the scrape worker (`scraper.ts`) reports for a task: one outcome per target and the
 * task's counters. The scraper handler logs them and feeds the self-metrics with them.
 */
import { type DeliveryOutcome, totalOutcome } from '../engine/delivery.js';
import type { ScrapeTask } from '../ports.js';

/** Remote-write totals of one unit across every writer. */
export interface DeliveryTotals {
  /** Samples delivered, summed over writers. */
  readonly samplesSent: number;
  /** Samples rejected for good (logged with the backend's message). */
  readonly samplesRejected: number;
  /** Requests parked in the outbox. */
  readonly parked: number;
  readonly samplesParked: number;
  /** Requests that could be neither delivered nor parked (lost; logged as errors). */
  readonly parkFailed: number;
}

export const NO_DELIVERY: DeliveryTotals = {
  samplesSent: 0,
  samplesRejected: 0,
  parked: 0,
  samplesParked: 0,
  parkFailed: 0,
};

/** The totals of a unit's outcomes, one per writer. */
export function deliveryTotals(outcomes: readonly DeliveryOutcome[]): DeliveryTotals {
  const t = totalOutcome(outcomes);
  return {
    samplesSent: t.sent,
    samplesRejected: t.rejected,
    parked: t.deferredRequests,
    samplesParked: t.deferred,
    parkFailed: t.lostRequests,
  };
}

export type StateWriteOutcome = 'written' | 'unchanged' | 'conflict' | 'error';

export type TargetOutcome =
  | {
      readonly kind: 'scraped';
      readonly targetId: string;
      readonly job: string;
      readonly slotMs: number;
      /** Scrape start − slot on the worker's clock (≥ −startToleranceMs). */
      readonly latenessMs: number;
      /** Time this target waited for its slot. */
      readonly waitedMs: number;
      readonly up: boolean;
      readonly error: string | undefined;
      /** Samples in the unit: scraped, stale markers and report series. */
      readonly samples: number;
      /** Samples parsed from the body (`scrape_samples_scraped`, §7). */
      readonly samplesScraped: number;
      readonly durationSeconds: number;
      readonly state: StateWriteOutcome;
      readonly delivery: DeliveryTotals;
      /** One per remote_write. */
      readonly deliveries: readonly DeliveryOutcome[];
    }
  | {
      /** Not scraped: its slot was too far past (on arrival, or when its turn came). */
      readonly kind: 'late';
      readonly targetId: string;
      readonly job: string;
      readonly slotMs: number;
      readonly latenessMs: number;
    }
  | {
      /**
       * Not scraped: its job is not in this worker's config, or the slot of its series stream
       * is taken already (an SQS redelivery, or the stream twice in the task).
       */
      readonly kind: 'skipped';
      readonly targetId: string;
      readonly job: string;
      readonly reason: 'unknown-job' | 'duplicate';
    }
  | {
      readonly kind: 'retired';
      readonly targetId: string;
      readonly job: string;
      /** End-of-run markers written (0 when the target had no state). */
      readonly markers: number;
      readonly delivery: DeliveryTotals;
      readonly deliveries: readonly DeliveryOutcome[];
    };

export interface TaskCounters {
  scrapes: number;
  up: number;
  failed: number;
  lateDropped: number;
  skipped: number;
  /** Largest scrape start − slot among the scraped targets (0 when none). */
  maxLatenessMs: number;
  /** Longest wait for a slot: targets wait concurrently, so this is the billed idle time. */
  waitedMs: number;
  stateWrites: number;
  stateUnchanged: number;
  stateConflicts: number;
  stateErrors: number;
  /** Retire: end-of-run markers written. */
  markers: number;
  samplesSent: number;
  samplesRejected: number;
  /** Requests parked in the outbox. */
  parked: number;
  samplesParked: number;
  parkFailed: number;
}

export interface TaskOutcome {
  readonly kind: ScrapeTask['kind'];
  readonly targets: readonly TargetOutcome[];
  readonly counters: Readonly<TaskCounters>;
}

/** A task's counters, all zero. */
export function newTaskCounters(): TaskCounters {
  return {
    scrapes: 0,
    up: 0,
    failed: 0,
    lateDropped: 0,
    skipped: 0,
    maxLatenessMs: 0,
    waitedMs: 0,
    stateWrites: 0,
    stateUnchanged: 0,
    stateConflicts: 0,
    stateErrors: 0,
    markers: 0,
    samplesSent: 0,
    samplesRejected: 0,
    parked: 0,
    samplesParked: 0,
    parkFailed: 0,
  };
}

export function addDelivery(c: TaskCounters, d: DeliveryTotals): void {
  c.samplesSent += d.samplesSent;
  c.samplesRejected += d.samplesRejected;
  c.parked += d.parked;
  c.samplesParked += d.samplesParked;
  c.parkFailed += d.parkFailed;
}

export function countState(c: TaskCounters, s: StateWriteOutcome): void {
  if (s === 'written') c.stateWrites++;
  else if (s === 'unchanged') c.stateUnchanged++;
  else if (s === 'conflict') c.stateConflicts++;
  else c.stateErrors++;
}

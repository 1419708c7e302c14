/**
 * Delivery of one scrape unit (§11): the interface both drivers' remote-write paths implement
 * and the one outcome type they report. A unit is everything one scrape of one target (or one
 * end-of-run of a retired target) writes; it goes to every remote_write of the config.
 *
 * - `run`'s delivery (`src/local/remote-write-sink.ts`) retries a recoverable failure until
 *   delivered, in order per target, like a Prometheus queue;
 * - the Lambda flow's (`src/pipeline/parking-delivery.ts`) retries briefly, then parks what is
 *   left in the outbox, where the stream's later units queue behind it (decision 13).
 * Both count what became of every sample in a {@link DeliveryOutcome} per destination.
 */
import type { Labels } from '../model/labels.js';
import type { SampleBatch } from '../scrape/batch.js';

/** What a unit is and where it came from. */
export interface UnitMeta {
  /** `scrape`: one scrape attempt; `end-of-run`: the stale markers of a retired target (§8.3). */
  readonly kind: 'scrape' | 'end-of-run';
  readonly job: string;
  /** Stable per series stream: units with the same key reach a destination in call order. */
  readonly targetKey: string;
  readonly url: string;
  /** Labels attached to every series of the target (§2.3). */
  readonly targetLabels: Labels;
  /** The slot time (ms) the samples without their own timestamp carry (§4.3, §9). */
  readonly timestampMs: number;
  /** Scrape outcome; for `end-of-run` units: up = false, samplesScraped = 0. */
  readonly up: boolean;
  readonly error: string | undefined;
  readonly durationSeconds: number;
  /** Samples parsed from the body (`scrape_samples_scraped`, §7). */
  readonly samplesScraped: number;
}

/** What became of one unit's samples at one destination. */
export interface DeliveryOutcome {
  /** The remote_write's name. */
  readonly remote: string;
  /** Samples the receiver accepted. */
  readonly sent: number;
  /** Samples the receiver refused for good (a 4xx other than 429, §11.3); logged. */
  readonly rejected: number;
  /** Samples not delivered yet but kept to be sent later (the outbox), in `deferredRequests`. */
  readonly deferred: number;
  readonly deferredRequests: number;
  /** Samples given up on by us: a full queue, a shutdown, a request that could not be kept. */
  readonly lost: number;
  readonly lostRequests: number;
}

export interface DeliveryOptions {
  /**
   * Epoch ms (`Date.now()` clock) after which recoverable failures are not retried any more
   * and what is left is deferred or lost. @default retry until delivered or closed
   */
  readonly retryUntil?: number;
  /**
   * The unit's place in its series stream, for a delivery that keeps a stream's units in order
   * across processes (the Lambda flow, docs/design.md decision 13). Absent: the delivery keeps
   * order by itself (`run`: one unit after the other per target).
   */
  readonly sequence?: UnitSequence;
}

/** Where a unit stands among the units of its stream (see {@link DeliveryOptions.sequence}). */
export interface UnitSequence {
  /** The series stream (`seriesStreamKey`). */
  readonly stream: string;
  /** The slot of the stream's next scrape; absent for end-of-run markers (there is none). */
  readonly nextSlotMs?: number;
  /**
   * The remote_writes that still hold earlier units of this stream: the unit must queue behind
   * them there, not be sent directly. `'all'` when that could not be told.
   */
  readonly queuedBehind: ReadonlySet<string> | 'all';
}

export interface Delivery {
  /**
   * Takes one unit: the caller never touches `unit` again. Settles with one outcome per
   * destination when the unit is delivered, deferred or given up on; never rejects.
   */
  deliver(
    unit: SampleBatch,
    meta: UnitMeta,
    options?: DeliveryOptions,
  ): Promise<readonly DeliveryOutcome[]>;
}

/** An outcome with every count 0. */
export function emptyOutcome(remote: string): DeliveryOutcome {
  return {
    remote,
    sent: 0,
    rejected: 0,
    deferred: 0,
    deferredRequests: 0,
    lost: 0,
    lostRequests: 0,
  };
}

/** The outcomes of a unit added up over its destinations (`remote` is `''`). */
export function totalOutcome(outcomes: readonly DeliveryOutcome[]): DeliveryOutcome {
  let sent = 0;
  let rejected = 0;
  let deferred = 0;
  let deferredRequests = 0;
  let lost = 0;
  let lostRequests = 0;
  for (const o of outcomes) {
    sent += o.sent;
    rejected += o.rejected;
    deferred += o.deferred;
    deferredRequests += o.deferredRequests;
    lost += o.lost;
    lostRequests += o.lostRequests;
  }
  return { remote: '', sent, rejected, deferred, deferredRequests, lost, lostRequests };
}

/**
 * The few things the Lambda flow (`src/pipeline/`) needs from the outside world
 * (docs/architecture.md), each a small interface. Their AWS adapters live in `src/aws/` (the
 * only place that imports the AWS SDK, besides SigV4 signing and EC2 discovery); `simulate`
 * runs the same adapters against in-process stand-ins. The local runner needs none of them.
 */
import type { Labels } from './model/labels.js';
import type { ScrapeState } from './scrape/state.js';
import type { Target } from './targets/types.js';

/** The discovered, relabeled targets of every job (DynamoDB table "targets"). */
export interface TargetStore {
  /** Every stored target. */
  list(): Promise<Target[]>;
  /**
   * Writes a diff against what {@link list} returned: `put` holds new and changed targets,
   * `remove` the ids of targets that are gone. Unchanged targets are not written.
   */
  apply(diff: {
    readonly put: readonly Target[];
    readonly remove: readonly string[];
  }): Promise<void>;
}

/** A target's scrape state as stored, with what a conditional write needs. */
export interface StoredScrapeState {
  readonly state: ScrapeState;
  /** Incremented by every write; the condition of the next write. */
  readonly version: number;
  /** Digest of the series set (order-independent), so an unchanged set is not written. */
  readonly digest: string;
}

/** Result of a conditional state write. */
export type StateWriteResult =
  | { readonly written: true; readonly version: number; readonly digest: string }
  /** Nothing to write: the series set has the digest already stored. */
  | { readonly written: false; readonly reason: 'unchanged' }
  /** Another writer got there first (at-least-once delivery, overlapping scrapes). */
  | { readonly written: false; readonly reason: 'conflict' };

/**
 * Previous-series state per series stream (`seriesStreamKey`: job + public labels, so a target
 * whose identity changes keeps it) between Lambda invocations (§8), in DynamoDB table
 * "scrape state". Stored compressed and chunked under the 400 KB item limit. A write costs in
 * proportion to the change and nothing when the series set is unchanged.
 */
export interface ScrapeStateStore {
  /**
   * States under these keys (absent keys have none); reads in batches. `consistent: false`
   * allows a read that may miss a write of the last second or so, at half the read cost.
   * @default consistent
   */
  getMany(
    keys: readonly string[],
    options?: { readonly consistent?: boolean },
  ): Promise<Map<string, StoredScrapeState>>;
  /**
   * Stores `state` under `key` if the stored version is still `expected` (undefined = no
   * state stored yet). Skips the write when the digest equals `expected`'s digest.
   */
  put(
    key: string,
    state: ScrapeState,
    expected: StoredScrapeState | undefined,
  ): Promise<StateWriteResult>;
  /** Removes the state of a retired target's stream. */
  remove(key: string): Promise<void>;
}

/**
 * Which series streams' stored states may have moved, by the slot their next scrape reads them
 * at (docs/design.md decision 12). A scraper container that scraped a stream's previous slot
 * itself holds that stream's state live, and needs the stored head only if some other writer
 * (a duplicate delivery of that slot to another container) wrote it since: every writer records
 * the stream here before it writes the head, and a task asks once for the slots of all its
 * targets instead of reading one head per target.
 */
export interface StateChangeLog {
  /**
   * Records that `stream`'s state is about to be written as `version` by the scrape whose next
   * scrape is at `nextSlotMs`. Must resolve before the state is written; a failure means "do
   * not write".
   */
  record(stream: string, nextSlotMs: number, version: number): Promise<void>;
  /**
   * Of `wanted` (stream → the slot it is about to be scraped at and the version this process
   * holds), the streams with a record for exactly that slot of another version — the holder's
   * own write is not a change to it — or `'all'` when the log cannot tell (a full record).
   * Eventually consistent reads may miss a record of the last second or so: use them only for
   * streams whose previous scrape is at least that old.
   */
  changed(
    wanted: ReadonlyMap<string, { readonly slotMs: number; readonly version: number }>,
    options?: { readonly consistent?: boolean },
  ): Promise<ReadonlySet<string> | 'all'>;
}

/** A unit of work on the scrape queue. */
export type ScrapeTask =
  | {
      readonly kind: 'scrape';
      /**
       * Start of the task's one-second bucket (ms since epoch; the window's start for a bucket
       * that began before it). Each target is scraped at its own fixed-phase slot, its first at
       * or after this (`taskTargetSlot`, §9): that slot is its scrape time and the timestamp of
       * its samples.
       */
      readonly slotMs: number;
      /** The targets of this slot, in full: the scraper reads no targets table. */
      readonly targets: readonly Target[];
      /**
       * Active targets of each job of this task, as the dispatcher listed them: the scraper
       * enforces the job's target_limit with it (§2.6: over the limit, every scrape of the job
       * fails with `target_limit exceeded`). Absent: no limit is checked.
       */
      readonly jobTargets?: Readonly<Record<string, number>>;
    }
  | {
      readonly kind: 'retire';
      /** A target removed from discovery: end-of-run stale markers, then its state goes (§8.3). */
      readonly target: Target;
      /** When the markers are stamped (≈ one interval after its last slot). */
      readonly staleTimeMs: number;
    };

/** The scrape queue (SQS). */
export interface TaskQueue {
  /**
   * Enqueues tasks, each delivered after its delay (whole seconds, 0–900). Sends in batches;
   * throws if any task could not be enqueued (after retrying those the queue refused).
   */
  send(
    tasks: readonly { readonly task: ScrapeTask; readonly delaySeconds: number }[],
  ): Promise<void>;
}

/**
 * A remote-write request that could not be delivered yet, parked for replay in order
 * (docs/design.md decision 13): the requests of one remote_write and one series stream are
 * replayed in the order they were parked.
 */
export interface ParkedWrite {
  /** The remote_write's name in the config. */
  readonly remoteWrite: string;
  /** The snappy-compressed WriteRequest, exactly as it would be sent. */
  readonly body: Uint8Array;
  readonly samples: number;
  /** When it was first parked (ms); it expires to the dead-letter queue after a bound. */
  readonly firstParkedMs: number;
  /** The series stream the request belongs to (`seriesStreamKey`): its order group. */
  readonly stream: string;
  /** The slot of its unit (ms): with `part`, what makes a duplicate park recognisable. */
  readonly slotMs: number;
  /** Its index among the requests of its unit. */
  readonly part: number;
  /**
   * The slot of the stream's next scrape, where the backlog record holding that scrape back
   * was written ({@link DeliveryBacklog}); absent when none was (end-of-run markers).
   */
  readonly nextSlotMs?: number;
}

/** Parked remote writes (SQS FIFO queue "outbox"), replayed in order per stream. */
export interface Outbox {
  /**
   * Parks `writes` in their order (all of one remote_write and stream). Throws when any was not
   * stored; those before it were.
   */
  park(writes: readonly ParkedWrite[]): Promise<void>;
}

/**
 * Which series streams have units waiting in the outbox, per remote_write (docs/design.md
 * decision 13). A scrape that parks its unit records that the stream's next scrape must queue
 * behind it; the outbox function clears the record once that unit is delivered or given up.
 * Each record concerns one slot, so a record left behind holds back one scrape only.
 */
export interface DeliveryBacklog {
  /** Records that the scrape of `stream` at `nextSlotMs` must queue behind a parked unit. */
  hold(stream: string, nextSlotMs: number, remoteWrite: string): Promise<void>;
  /** Clears that record (idempotent). */
  release(stream: string, nextSlotMs: number, remoteWrite: string): Promise<void>;
  /**
   * Of `wanted` (stream → the slot about to be scraped), the remote_writes each stream must
   * queue behind (streams without a record are absent), or `'all'` when the records cannot be
   * told (an overflowed bin): every stream queues behind every remote_write then. Eventually
   * consistent reads (`consistent: false`) may miss a hold of the last second or so: use them
   * only where the previous scrape is at least that old. @default consistent
   */
  held(
    wanted: ReadonlyMap<string, number>,
    options?: { readonly consistent?: boolean },
  ): Promise<ReadonlyMap<string, ReadonlySet<string>> | 'all'>;
}

/**
 * Why the outbox replayer gave a write up (docs/design.md decision 5: kept for inspection, never
 * dropped silently):
 * - `expired`: still failing with a retryable error after the maximum age;
 * - `rejected`: the backend refused it for good (4xx, §11.3);
 * - `unknown-remote-write`: its remote_write is no longer in the config;
 * - `malformed`: the outbox message did not decode.
 */
export type DeadLetterReason = 'expired' | 'rejected' | 'unknown-remote-write' | 'malformed';

export interface DeadLetter {
  readonly reason: DeadLetterReason;
  /** One line on why, e.g. the backend's status and message (already truncated by the sender). */
  readonly detail: string;
  /** The parked write as received; for `malformed`, the raw message text that did not decode. */
  readonly write: ParkedWrite | string;
}

/** Where the outbox replayer puts what it gives up on (SQS queue "outbox DLQ"). */
export interface DeadLetterQueue {
  /** Throws when the letter was not stored: the caller must keep the write and try again. */
  send(letter: DeadLetter): Promise<void>;
}

/**
 * Claims of planned windows, so a duplicated or late schedule invocation never plans the same
 * window twice (one conditional write per window).
 */
export interface WindowLedger {
  /** True if this caller claimed the window starting at `windowStartMs`; false if taken. */
  claim(windowStartMs: number, shard: number): Promise<boolean>;
}

/**
 * A target's health as last recorded (docs/deploy.md "Seeing what the deployment does"). The
 * scraper writes a record only when a scrape's health differs from the recorded one, or its
 * error differs in more than numbers: a healthy steady target costs no write per scrape.
 */
export interface TargetHealth {
  readonly up: boolean;
  /** The first slot (ms) of this health: when the target went up or down. */
  readonly sinceMs: number;
  /** The slot (ms) of the scrape that wrote the record: `sinceMs`, or a later error change. */
  readonly slotMs: number;
  /** The scrape error of that scrape, URLs redacted and bounded; '' when up. */
  readonly error: string;
  /** How long that scrape took, seconds. */
  readonly durationSeconds: number;
  /** How late that scrape started after its slot, ms. */
  readonly latenessMs: number;
}

/** The recorded health of each target (in the state table). */
export interface TargetHealthStore {
  /**
   * The records of these targets (absent: none recorded); reads in batches. @default consistent
   */
  getMany(
    targetIds: readonly string[],
    options?: { readonly consistent?: boolean },
  ): Promise<Map<string, TargetHealth>>;
  /**
   * Stores `health` as the target's record unless the stored one is of the same or a later
   * slot (a duplicate or an overtaken delivery); resolves false then.
   */
  put(targetId: string, health: TargetHealth): Promise<boolean>;
  /** Removes the records of these targets (retired); absent ones are no error. */
  remove(targetIds: readonly string[]): Promise<void>;
}

/** What discovery dropped of one job, bounded (Prometheus's `/service-discovery`). */
export interface DroppedTargetsSummary {
  readonly job: string;
  /** Every target the job's relabeling dropped in the last discovery. */
  readonly count: number;
  /** Discovered labels of the first of them, at most a bounded number and size. */
  readonly discoveredLabels: readonly Labels[];
}

/** The dropped-target summary of each job (in the state table), written only when it changes. */
export interface DroppedTargetsStore {
  /** Every stored summary. */
  list(): Promise<DroppedTargetsSummary[]>;
  /** Writes changed summaries and removes those of jobs no longer in the config. */
  apply(diff: {
    readonly put: readonly DroppedTargetsSummary[];
    readonly remove: readonly string[];
  }): Promise<void>;
}

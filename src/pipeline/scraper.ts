/**
 * The Lambda driver of the scrape engine (`src/engine/`), behind `functions/scraper`: one
 * instance per Lambda container, one `handleTask` per SQS message. It adds what the queue and
 * the state store need around the engine; the engine scrapes, observes and delivers.
 *
 * Scrape task (ports.ts `ScrapeTask`, kind 'scrape'):
 * 1. Each target's slot is `taskTargetSlot(target, task.slotMs)` (§9). A job over its
 *    target_limit by the task's `jobTargets` count fails each scrape without a request (§2.6).
 *    A target whose slot is more than `min(interval / 2, lateToleranceMs)` past is not scraped
 *    at the wrong time: it is dropped and counted (`lateDropped`), like a tick a slow
 *    Prometheus loop skips. A task whose targets are all late reads and writes nothing.
 * 2. Each target claims its series stream's slot (`SlotClaims`): the same slot taken already in
 *    this container (an SQS redelivery, or the stream twice in one task) is skipped as
 *    `duplicate` and logged; a later slot waits for this container's earlier ones.
 * 3. The worker waits until the task's earliest slot is at most `max(startToleranceMs,
 *    stateReadLeadMs)` (700 ms) away — a task delivered on time waits for nothing — and until
 *    those earlier scrapes are done (decision 3: waiting is billed; `waitedMs`), then takes the
 *    states of the streams this container scraped at their previous slot from memory, unless
 *    the change log (one read for the task, decision 12) lists another write of them, and reads
 *    the states of the remaining streams with ONE `getMany` — that late, so the previous scrape of a
 *    stream, here or in another container, has written the state this one compares against
 *    (§8), and that early, so the read is done by the slot — eventually consistent when every
 *    target's interval is at least 10 s (half the read units), else strongly. A failure there
 *    throws `SCRAPER_STATE_READ` (retryable): nothing has been scraped or written yet. Each target
 *    is scraped by the engine at once when its slot is at most `startToleranceMs` (700 ms, the
 *    dispatcher's lead) ahead, else when it is that close, with `scrapeTimeMs = slot`. At most `concurrency` scrapes run at once (decision 6). A
 *    target's scrape failure is not a task failure: it yields `up=0`, the report series and
 *    stale markers (§6.2, §7, §8.2).
 * 4. The unit goes to every remote writer through `ParkingDelivery` (decision 13): a stream the
 *    backlog holds for a writer (read once for the task, with the states) queues there at once;
 *    else the unit is retried directly for at most `directSendMs`, and never past the earlier of
 *    the budget (`deadlineMs − safetyMarginMs`) and the moment the stream's next scrape reads
 *    the backlog (`nextSlot − stateReadLeadMs − safetyMarginMs`), then parked behind a hold for
 *    that next scrape. A backlog that cannot be read queues every stream. Concurrently, the
 *    stream's new state is written with `put(stream, state, expected)` where `expected` is what
 *    `getMany` returned or memory held (decision 4), after recording the stream in the change
 *    log for its next slot unless the set is known unchanged (an unrecorded change is not
 *    written): `unchanged` costs nothing, `conflict` means another scrape
 *    of the same stream won (at-least-once delivery) — counted and logged, not an error.
 * 5. With a health store (`deps.health`), each target's record before its slot is read with the
 *    states for the targets this container did not scrape at their previous slot, and written
 *    after the scrape only when the health changed (`target-health.ts`): nothing per healthy
 *    scrape. A retired target's record is removed.
 *
 * After the state read the task never throws for one target's trouble: a failed state write or a
 * failed park is counted (`stateErrors`, `parkFailed`) and logged with what was lost. A retry of
 * the message would come after the slot and be dropped as late anyway.
 *
 * Retire task (kind 'retire', §8.3; sent by the discovery run for a target the engine's
 * `reconcileTargets` retired): reads the stream's state, delivers the engine's end-of-run
 * markers, then `states.remove(stream)`. Every step may be repeated, so any failure (read,
 * park, remove) throws a retryable {@link ScraperError} and SQS delivers the task again.
 * A removal is not recorded in the change log: a container that still holds the stream warm
 * (a scrape task planned before the target went away) diffs against what it holds and its
 * conditional write then conflicts with the missing head, so nothing stale is written back.
 *
 * State keys are series streams (`seriesStreamKey`), not target ids: a target whose identity
 * changed but whose labels did not continues its stream's state (`series-stream.ts`).
 *
 * Time: the worker's clock (`Clock`) decides slots, waits and lateness; `budget.deadlineMs` is
 * on that clock too. The remote-write sender's `retryUntil` is on `Date.now()`; the worker
 * converts (`Date.now() + remaining`), so an offset test clock works.
 */

import { ConcurrencyLimiter } from '../concurrency.js';
import type { Config } from '../config/types.js';
import { type DispatcherFactory, type JobRuntime, JobRuntimes } from '../engine/job-runtime.js';
import { ScrapeEngine } from '../engine/scrape-engine.js';
import { seriesStreamKey } from '../engine/series-stream.js';
import { type SlotClaim, SlotClaims } from '../engine/slot-claims.js';
import { DEFAULT_MAX_CACHED_TARGETS, StreamStates, TargetCaches } from '../engine/target-memory.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type {
  DeliveryBacklog,
  Outbox,
  ScrapeStateStore,
  ScrapeTask,
  StateChangeLog,
  StoredScrapeState,
  TargetHealthStore,
} from '../ports.js';
import { type Clock, systemClock } from '../schedule/clock.js';
import type { ScrapeState } from '../scrape/state.js';
import type { Target } from '../targets/types.js';
import { ParkingDelivery, type ScrapeWriter } from './parking-delivery.js';
import { DEFAULT_START_TOLERANCE_MS, taskTargetSlot } from './plan.js';
import { SCRAPER_ERROR_CODES, ScraperError } from './scraper-errors.js';
import {
  addDelivery,
  countState,
  deliveryTotals,
  newTaskCounters,
  type StateWriteOutcome,
  type TargetOutcome,
  type TaskCounters,
  type TaskOutcome,
} from './scraper-outcome.js';
import { type PriorHealth, TargetHealthRecorder } from './target-health.js';

export type { ScrapeWriter } from './parking-delivery.js';
export { SCRAPER_ERROR_CODES, ScraperError, type ScraperErrorCode } from './scraper-errors.js';

/** Upper bound of the late tolerance; the effective one is `min(interval / 2, this)`. */
export const DEFAULT_LATE_TOLERANCE_MS = 10_000;
export const DEFAULT_SCRAPE_CONCURRENCY = 32;
/**
 * Time kept back from the budget for what follows the remote-write retries: parking, the state
 * write and the SQS batch response.
 */
export const DEFAULT_SAFETY_MARGIN_MS = 1_000;
/**
 * How long before a task's earliest slot its states are read: a BatchGetItem of 50 heads takes
 * tens of ms, so the read is done when the slot comes, and the previous slot's write (one
 * interval earlier, §9) is long finished unless the interval is shorter than its scrape.
 */
export const DEFAULT_STATE_READ_LEAD_MS = 250;
/**
 * Shortest interval whose states are read eventually consistent (half the read units): the
 * previous write of such a stream is normally seconds old, far beyond DynamoDB's usual
 * propagation of about a second. A stale read is safe: the conditional write then conflicts
 * (counted), and the next scrape compares against the winner.
 */
export const EVENTUALLY_CONSISTENT_MIN_INTERVAL_MS = 10_000;

export interface ScrapeWorkerOptions {
  /** A task this close to its slot (or later) is scraped at once. @default 50 */
  readonly startToleranceMs?: number;
  /** Cap of the late tolerance `min(interval / 2, this)`. @default 10_000 */
  readonly lateToleranceMs?: number;
  /** States are read this long before the task's earliest slot. @default 250 */
  readonly stateReadLeadMs?: number;
  /** Scrapes in flight at once per task. @default 32 */
  readonly concurrency?: number;
  /** Kept back from `budget.deadlineMs` for remote-write retries. @default 1_000 */
  readonly safetyMarginMs?: number;
  /** Targets whose scrape cache (and streams whose live state) is kept (LRU). @default 10_000 */
  readonly maxCachedTargets?: number;
  /** Longest direct retry of a unit before it is parked. @default DEFAULT_DIRECT_SEND_MS */
  readonly directSendMs?: number;
  /** HTTP dispatcher of a job's scrapes. @default createDispatcherSync (src/http/client.ts) */
  readonly createDispatcher?: DispatcherFactory;
  /** Decoded-body ceiling for jobs without a body_size_limit (`ScrapeJobOptions`). @default 0 */
  readonly bodySizeCeiling?: number;
}

export interface ScrapeWorkerDeps {
  readonly config: Config;
  readonly states: ScrapeStateStore;
  /**
   * Lets a warm container skip the state reads of streams it scraped last (decision 12).
   * Absent: every scrape reads its stream's head.
   */
  readonly changes?: StateChangeLog;
  readonly outbox: Outbox;
  /**
   * Which streams queue behind units parked earlier (decision 13). Absent: none is held and
   * none recorded (a deployment without the outbox's order).
   */
  readonly backlog?: DeliveryBacklog;
  /**
   * Where each target's health is recorded when it changes (`target-health.ts`), for
   * `lambdascrape status`. Absent: nothing is recorded.
   */
  readonly health?: TargetHealthStore;
  /** One per remote_write of the config, built once per container. */
  readonly writers: readonly ScrapeWriter[];
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
  readonly options?: ScrapeWorkerOptions;
}

/** What one invocation may spend on a task. */
export interface TaskBudget {
  /** When the invocation ends, on the worker's clock (Lambda: now + remaining time). */
  readonly deadlineMs: number;
}

/** A target of a task that will be scraped, with its claim on its stream's slot. */
interface Planned {
  readonly target: Target;
  readonly stream: string;
  readonly job: JobRuntime;
  readonly slotMs: number;
  readonly claim: SlotClaim;
  /** Set when the job is over its target_limit: the scrape fails without a request (§2.6). */
  readonly forcedError: string | undefined;
}

export class ScrapeWorker {
  private readonly states: ScrapeStateStore;
  private readonly changes: StateChangeLog | undefined;
  private readonly backlog: DeliveryBacklog | undefined;
  private readonly health: TargetHealthRecorder | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly startToleranceMs: number;
  private readonly stateReadLeadMs: number;
  private readonly lateToleranceMs: number;
  private readonly safetyMarginMs: number;
  private readonly concurrency: number;
  private readonly jobs: JobRuntimes;
  private readonly caches: TargetCaches;
  private readonly known: StreamStates;
  private readonly claims = new SlotClaims();
  private readonly engine: ScrapeEngine;

  constructor(deps: ScrapeWorkerDeps) {
    const o = deps.options ?? {};
    this.states = deps.states;
    this.changes = deps.changes;
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? silentLogger;
    this.startToleranceMs = nonNegative(
      'startToleranceMs',
      o.startToleranceMs,
      DEFAULT_START_TOLERANCE_MS,
    );
    this.stateReadLeadMs = nonNegative(
      'stateReadLeadMs',
      o.stateReadLeadMs,
      DEFAULT_STATE_READ_LEAD_MS,
    );
    this.lateToleranceMs = nonNegative(
      'lateToleranceMs',
      o.lateToleranceMs,
      DEFAULT_LATE_TOLERANCE_MS,
    );
    this.safetyMarginMs = nonNegative('safetyMarginMs', o.safetyMarginMs, DEFAULT_SAFETY_MARGIN_MS);
    this.concurrency = o.concurrency ?? DEFAULT_SCRAPE_CONCURRENCY;
    if (!(Number.isSafeInteger(this.concurrency) && this.concurrency >= 1)) {
      throw invalidOption('concurrency must be a positive integer');
    }
    const maxCached = o.maxCachedTargets ?? DEFAULT_MAX_CACHED_TARGETS;
    if (!(Number.isSafeInteger(maxCached) && maxCached >= 1)) {
      throw invalidOption('maxCachedTargets must be a positive integer');
    }
    this.caches = new TargetCaches(maxCached);
    this.known = new StreamStates(maxCached);
    this.health =
      deps.health === undefined
        ? undefined
        : new TargetHealthRecorder(deps.health, this.logger, maxCached);
    this.jobs = new JobRuntimes(deps.config, o.createDispatcher, {
      bodySizeCeiling: o.bodySizeCeiling ?? 0,
    });
    this.backlog = deps.backlog;
    const delivery = new ParkingDelivery({
      writers: deps.writers,
      outbox: deps.outbox,
      ...(deps.backlog === undefined ? {} : { backlog: deps.backlog }),
      clock: this.clock,
      logger: this.logger,
      ...(o.directSendMs === undefined
        ? {}
        : { directSendMs: nonNegative('directSendMs', o.directSendMs, 0) }),
    });
    this.engine = new ScrapeEngine({
      caches: this.caches,
      delivery: () => delivery,
      logger: this.logger,
    });
  }

  /** Targets whose scrape cache this container holds. */
  get cachedTargets(): number {
    return this.caches.size;
  }

  /**
   * Runs one task within `budget`. Resolves with per-target outcomes and counters; throws a
   * {@link ScraperError} only when SQS should deliver the task again (`retryable`) or it can
   * never succeed (`SCRAPER_INVALID_TASK`). See the file comment for the contract.
   */
  async handleTask(task: ScrapeTask, budget: TaskBudget): Promise<TaskOutcome> {
    if (!Number.isFinite(budget.deadlineMs)) {
      throw invalidTask('budget.deadlineMs is not finite');
    }
    if (task.kind === 'scrape') return this.scrapeTask(task, budget);
    if (task.kind === 'retire') return this.retireTask(task, budget);
    throw invalidTask(`unknown task kind ${JSON.stringify((task as { kind: unknown }).kind)}`);
  }

  /** Closes every job's HTTP dispatcher (container shutdown, tests). */
  close(): Promise<void> {
    return this.jobs.close();
  }

  // ---- scrape -------------------------------------------------------------------------------

  private async scrapeTask(
    task: Extract<ScrapeTask, { kind: 'scrape' }>,
    budget: TaskBudget,
  ): Promise<TaskOutcome> {
    if (!Number.isFinite(task.slotMs)) throw invalidTask('scrape task slotMs is not finite');
    const counters = newTaskCounters();
    const outcomes: TargetOutcome[] = [];
    const planned = this.plan(task, counters, outcomes);
    if (planned.length === 0) return { kind: 'scrape', targets: outcomes, counters };
    try {
      // The states are read once the slots are near and earlier slots of these streams are
      // done, not on arrival: the previous scrape of a stream (here or in another container)
      // has then written the state this one must compare against (§8).
      const preWaitedMs = await this.waitForSlots(planned, counters);
      const consistent = planned.some(
        (p) => p.target.intervalMs < EVENTUALLY_CONSISTENT_MIN_INTERVAL_MS,
      );
      const [stored, held, health] = await Promise.all([
        this.previousStates(planned, consistent),
        this.heldStreams(new Map(planned.map((p) => [p.stream, p.slotMs])), consistent),
        this.health?.prepare(
          planned.map((p) => ({
            targetId: p.target.id,
            slotMs: p.slotMs,
            intervalMs: p.target.intervalMs,
          })),
          consistent,
        ),
      ]);
      const retryUntil = this.retryUntil(budget);
      const limiter = new ConcurrencyLimiter(this.concurrency);
      const results = await Promise.all(
        planned.map((p) =>
          this.scrapeAtSlot(
            p,
            stored.get(p.stream),
            limiter,
            {
              retryUntil,
              queuedBehind: queuedBehind(held, p.stream),
              health: health?.get(p.target.id),
            },
            preWaitedMs,
            counters,
          ),
        ),
      );
      outcomes.push(...results);
    } finally {
      for (const p of planned) p.claim.release();
    }
    return { kind: 'scrape', targets: outcomes, counters };
  }

  /**
   * Decides what happens to each target of the task (late, unknown job, duplicate, or planned
   * with its claim). Synchronous, so the claims are registered before the first await.
   */
  private plan(
    task: Extract<ScrapeTask, { kind: 'scrape' }>,
    counters: TaskCounters,
    outcomes: TargetOutcome[],
  ): Planned[] {
    const planned: Planned[] = [];
    const arrivedMs = this.clock.now();
    for (const target of task.targets) {
      const slotMs = taskTargetSlot(target, task.slotMs);
      if (this.isLate(target, slotMs, arrivedMs)) {
        outcomes.push(this.late(target, slotMs, arrivedMs, counters));
        continue;
      }
      const job = this.jobs.get(target.job);
      if (job === undefined) {
        this.logger.warn('scrape task target of a job not in the config: skipped', {
          job: target.job,
          target: target.id,
        });
        outcomes.push(skipped(target, 'unknown-job', counters));
        continue;
      }
      const stream = seriesStreamKey(target);
      const claim = this.claims.claim(stream, slotMs, target.id);
      if (claim === undefined) {
        // The same slot twice: an SQS redelivery or a repeated stream. Once is what Prometheus
        // scrapes; the other copy is dropped and said so.
        this.logger.warn('scrape task repeats a target slot already taken: skipped', {
          job: target.job,
          target: target.id,
          slotMs,
        });
        outcomes.push(skipped(target, 'duplicate', counters));
        continue;
      }
      planned.push({
        target,
        stream,
        job,
        slotMs,
        claim,
        forcedError: targetLimitError(task, job),
      });
    }
    return planned;
  }

  /**
   * Waits until the earliest planned slot is `stateReadLeadMs` away (at least
   * `startToleranceMs`), so the state read is done by the slot, and until the earlier slots
   * this container is scraping of the same streams are done. Returns the time waited.
   */
  private async waitForSlots(planned: readonly Planned[], counters: TaskCounters): Promise<number> {
    const before = this.clock.now();
    const earliest = Math.min(...planned.map((p) => p.slotMs));
    const waitMs = earliest - before - Math.max(this.stateReadLeadMs, this.startToleranceMs);
    if (waitMs > 0) await this.sleep(waitMs);
    await Promise.all(planned.map((p) => p.claim.after));
    const waitedMs = this.clock.now() - before;
    counters.waitedMs = Math.max(counters.waitedMs, waitedMs);
    return waitedMs;
  }

  /** True when `slotMs` is more than `min(interval / 2, lateToleranceMs)` before `nowMs`. */
  private isLate(target: Target, slotMs: number, nowMs: number): boolean {
    return nowMs - slotMs > Math.min(target.intervalMs / 2, this.lateToleranceMs);
  }

  private late(
    target: Target,
    slotMs: number,
    nowMs: number,
    counters: TaskCounters,
  ): TargetOutcome {
    counters.lateDropped++;
    this.logger.warn('scrape slot missed: target dropped, not scraped late', {
      job: target.job,
      target: target.id,
      slotMs,
      latenessMs: nowMs - slotMs,
    });
    return {
      kind: 'late',
      targetId: target.id,
      job: target.job,
      slotMs,
      latenessMs: nowMs - slotMs,
    };
  }

  private async scrapeAtSlot(
    p: Planned,
    stored: StoredScrapeState | undefined,
    limiter: ConcurrencyLimiter,
    send: StreamSend,
    preWaitedMs: number,
    counters: TaskCounters,
  ): Promise<TargetOutcome> {
    const waitMs = p.slotMs - this.clock.now();
    let waitedMs = preWaitedMs;
    if (waitMs > this.startToleranceMs) {
      const before = this.clock.now();
      await this.sleep(waitMs);
      waitedMs += this.clock.now() - before;
      counters.waitedMs = Math.max(counters.waitedMs, waitedMs);
    }
    return limiter.run(async () => {
      const startMs = this.clock.now();
      // The concurrency bound or the state read may have held it past its tolerance.
      if (this.isLate(p.target, p.slotMs, startMs)) {
        return this.late(p.target, p.slotMs, startMs, counters);
      }
      return this.scrapeOne(p, stored, startMs - p.slotMs, waitedMs, send, counters);
    });
  }

  private async scrapeOne(
    p: Planned,
    stored: StoredScrapeState | undefined,
    latenessMs: number,
    waitedMs: number,
    send: StreamSend,
    counters: TaskCounters,
  ): Promise<TargetOutcome> {
    const { target, slotMs } = p;
    const nextSlotMs = slotMs + target.intervalMs;
    const { result, delivered } = await this.engine.scrape(
      {
        job: p.job,
        target,
        slotMs,
        latenessMs,
        previous: this.known.againstStored(p.stream, stored),
        forcedError: p.forcedError,
      },
      {
        // Parked, if at all, before the next scrape of the stream reads the backlog (a quarter
        // of the interval is the margin for the hold where the interval is short).
        retryUntil: Math.min(
          send.retryUntil,
          this.asDateNow(
            nextSlotMs -
              this.stateReadLeadMs -
              Math.min(this.safetyMarginMs, target.intervalMs / 4),
          ),
        ),
        sequence: { stream: p.stream, nextSlotMs, queuedBehind: send.queuedBehind },
      },
    );
    counters.scrapes++;
    counters.maxLatenessMs = Math.max(counters.maxLatenessMs, latenessMs);
    // The failure itself is in the handler's one line per scrape (`scrapeLogFields`).
    if (result.up) counters.up++;
    else counters.failed++;
    const [deliveries, state] = await Promise.all([
      delivered,
      this.putState(p, result.state, stored),
      send.health === undefined
        ? undefined
        : this.health?.observe(target.id, slotMs, send.health, {
            up: result.up,
            error: result.error,
            durationSeconds: result.report.durationSeconds,
            latenessMs,
          }),
    ]);
    const delivery = deliveryTotals(deliveries);
    addDelivery(counters, delivery);
    countState(counters, state);
    return {
      kind: 'scraped',
      targetId: target.id,
      job: target.job,
      slotMs,
      latenessMs,
      waitedMs,
      up: result.up,
      error: result.error,
      samples: result.batch.length,
      samplesScraped: result.report.samplesScraped,
      durationSeconds: result.report.durationSeconds,
      state,
      delivery,
      deliveries,
    };
  }

  /**
   * The stored state of each planned stream (absent: none stored). A stream this container
   * scraped at its previous slot is taken from memory unless the change log lists a write of
   * it (decision 12): one read for the whole task. The others are read from the store with
   * one `getMany`. The change log unreadable → every stream is read from the store.
   */
  private async previousStates(
    planned: readonly Planned[],
    consistent: boolean,
  ): Promise<Map<string, StoredScrapeState>> {
    const out = new Map<string, StoredScrapeState>();
    if (this.changes !== undefined) {
      const warm = new Map<string, StoredScrapeState>();
      const slots = new Map<string, { slotMs: number; version: number }>();
      for (const p of planned) {
        const known = this.known.warmState(p.stream, p.target, p.slotMs);
        if (known === undefined) continue;
        warm.set(p.stream, known);
        slots.set(p.stream, { slotMs: p.slotMs, version: known.version });
      }
      if (warm.size > 0) {
        const changed = await this.changedStreams(slots, consistent);
        if (changed !== 'all') {
          for (const [stream, known] of warm) if (!changed.has(stream)) out.set(stream, known);
        }
      }
    }
    const cold = planned.filter((p) => !out.has(p.stream)).map((p) => p.stream);
    if (cold.length > 0) {
      for (const [stream, stored] of await this.readStates(cold, consistent)) {
        out.set(stream, stored);
      }
    }
    return out;
  }

  private async changedStreams(
    slots: ReadonlyMap<string, { readonly slotMs: number; readonly version: number }>,
    consistent: boolean,
  ): Promise<ReadonlySet<string> | 'all'> {
    try {
      return await this.changes!.changed(slots, { consistent });
    } catch (err) {
      this.logger.warn('state change log unreadable: reading every state', { err });
      return 'all';
    }
  }

  /**
   * Conditional write of a stream's new state (decision 4), recorded in the change log first
   * when it may change the stored set (decision 12); updates the container's memory.
   */
  private async putState(
    p: Planned,
    state: ScrapeState,
    expected: StoredScrapeState | undefined,
  ): Promise<StateWriteOutcome> {
    const { target, stream } = p;
    this.known.delete(stream);
    const scrapedAs = { targetId: target.id, slotMs: p.slotMs };
    try {
      // The store writes nothing then (the same rule): no record either.
      if (this.changes !== undefined && !state.knownToHaveDigest(expected?.digest)) {
        try {
          // The version the store will give it: one more than expected (ports.ts).
          const version = (expected?.version ?? 0) + 1;
          await this.changes.record(stream, p.slotMs + target.intervalMs, version);
        } catch (err) {
          // Unrecorded, the write could go unseen by a container holding the old state.
          this.logger.error('scrape state not written: recording the change failed', {
            job: target.job,
            target: target.id,
            err,
          });
          return 'error';
        }
      }
      const r = await this.states.put(stream, state, expected);
      if (r.written) {
        this.known.set(stream, {
          state,
          stored: { version: r.version, digest: r.digest },
          scrapedAs,
        });
        return 'written';
      }
      if (r.reason === 'unchanged') {
        if (expected !== undefined) {
          this.known.set(stream, {
            state,
            stored: { version: expected.version, digest: expected.digest },
            scrapedAs,
          });
        }
        return 'unchanged';
      }
      this.logger.info('scrape state conflict: another scrape of the target won', {
        job: target.job,
        target: target.id,
      });
      return 'conflict';
    } catch (err) {
      // The samples went out; the next scrape diffs against the older stored state, which
      // at worst repeats stale markers (§8.2) for series already marked.
      this.logger.error('scrape state write failed', { job: target.job, target: target.id, err });
      return 'error';
    }
  }

  // ---- retire -------------------------------------------------------------------------------

  private async retireTask(
    task: Extract<ScrapeTask, { kind: 'retire' }>,
    budget: TaskBudget,
  ): Promise<TaskOutcome> {
    if (!Number.isFinite(task.staleTimeMs)) {
      throw invalidTask('retire task staleTimeMs is not finite');
    }
    const { target } = task;
    const stream = seriesStreamKey(target);
    const counters = newTaskCounters();
    const [states, held] = await Promise.all([
      this.readStates([stream]),
      this.heldStreams(new Map([[stream, task.staleTimeMs]])),
    ]);
    const stored = states.get(stream);
    let markers = 0;
    let deliveries: Awaited<ReturnType<ScrapeEngine['endOfRun']>>['outcomes'] = [];
    if (stored !== undefined) {
      const extra = this.jobs.config(target.job)?.extraScrapeMetrics ?? false;
      const r = await this.engine.endOfRun(target, extra, stored.state, task.staleTimeMs, {
        retryUntil: this.retryUntil(budget),
        sequence: { stream, queuedBehind: queuedBehind(held, stream) },
      });
      markers = r.markers;
      deliveries = r.outcomes;
    }
    const delivery = deliveryTotals(deliveries);
    if (delivery.parkFailed > 0) {
      throw new ScraperError(
        SCRAPER_ERROR_CODES.parkFailed,
        `end-of-run markers of target ${target.id}: ${delivery.parkFailed} undelivered requests could not be parked`,
        { retryable: true },
      );
    }
    try {
      await this.states.remove(stream);
    } catch (err) {
      throw new ScraperError(
        SCRAPER_ERROR_CODES.stateRemove,
        `removing the state of retired target ${target.id} failed: ${message(err)}`,
        { retryable: true, cause: err },
      );
    }
    this.caches.delete(target.id);
    this.known.delete(stream);
    await this.health?.forget(target.id);
    counters.markers = markers;
    addDelivery(counters, delivery);
    return {
      kind: 'retire',
      targets: [
        { kind: 'retired', targetId: target.id, job: target.job, markers, delivery, deliveries },
      ],
      counters,
    };
  }

  // ---- shared -------------------------------------------------------------------------------

  private async readStates(
    keys: readonly string[],
    consistent = true,
  ): Promise<Map<string, StoredScrapeState>> {
    try {
      return await this.states.getMany(keys, { consistent });
    } catch (err) {
      throw new ScraperError(
        SCRAPER_ERROR_CODES.stateRead,
        `reading the scrape state of ${keys.length} targets failed: ${message(err)}`,
        { retryable: true, cause: err },
      );
    }
  }

  /** `budget.deadlineMs − safetyMarginMs` on the worker's clock, as a Date.now time. */
  private retryUntil(budget: TaskBudget): number {
    return this.asDateNow(budget.deadlineMs - this.safetyMarginMs);
  }

  /** A time on the worker's clock as a Date.now time (the sender's clock). */
  private asDateNow(workerMs: number): number {
    return Date.now() + (workerMs - this.clock.now());
  }

  /**
   * The remote_writes each stream (→ the slot it is scraped at) queues behind (decision 13):
   * none without a backlog, `'all'` when it cannot be read — parking keeps the order and loses
   * nothing, a direct send might overtake a parked unit.
   */
  private async heldStreams(
    slots: ReadonlyMap<string, number>,
    consistent = true,
  ): Promise<ReadonlyMap<string, ReadonlySet<string>> | 'all'> {
    if (this.backlog === undefined) return NOTHING_HELD;
    try {
      return await this.backlog.held(slots, { consistent });
    } catch (err) {
      this.logger.warn('delivery backlog unreadable: every stream queues in the outbox', { err });
      return 'all';
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.clock.setTimer(resolve, ms);
    });
  }
}

/** How a stream's unit is to be sent: the budget's end and what it queues behind. */
interface StreamSend {
  /** Date.now time past which the task's budget has no room for retries. */
  readonly retryUntil: number;
  readonly queuedBehind: ReadonlySet<string> | 'all';
  /** The target's health record before this slot; undefined when none is kept. */
  readonly health: PriorHealth | undefined;
}

const NOTHING_HELD: ReadonlyMap<string, ReadonlySet<string>> = new Map();
const NO_WRITERS: ReadonlySet<string> = new Set();

function queuedBehind(
  held: ReadonlyMap<string, ReadonlySet<string>> | 'all',
  stream: string,
): ReadonlySet<string> | 'all' {
  return held === 'all' ? 'all' : (held.get(stream) ?? NO_WRITERS);
}

/**
 * §2.6: a job with more active targets than its target_limit (> 0) fails every scrape with
 * Prometheus's message; the count is the dispatcher's (`ScrapeTask.jobTargets`).
 */
function targetLimitError(
  task: Extract<ScrapeTask, { kind: 'scrape' }>,
  job: JobRuntime,
): string | undefined {
  const limit = job.config.targetLimit;
  const n = task.jobTargets?.[job.name];
  if (limit <= 0 || n === undefined || n <= limit) return undefined;
  return `target_limit exceeded (number of targets: ${n}, limit: ${limit})`;
}

function skipped(
  target: Target,
  reason: 'unknown-job' | 'duplicate',
  counters: TaskCounters,
): TargetOutcome {
  counters.skipped++;
  return { kind: 'skipped', targetId: target.id, job: target.job, reason };
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(Number.isFinite(v) && v >= 0)) throw invalidOption(`${name} must be a finite number ≥ 0`);
  return v;
}

function invalidOption(text: string): ScraperError {
  return new ScraperError(SCRAPER_ERROR_CODES.invalidOptions, text, { retryable: false });
}

function invalidTask(text: string): ScraperError {
  return new ScraperError(SCRAPER_ERROR_CODES.invalidTask, text, { retryable: false });
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

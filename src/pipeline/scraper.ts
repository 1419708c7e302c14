/**
 * The scrape worker behind `functions/scraper` (DESIGN.md "The flow", decisions 2–6): one
 * instance per Lambda container, one `handleTask` per SQS message.
 *
 * Scrape task (ports.ts `ScrapeTask`, kind 'scrape'):
 * 1. Each target's slot is `taskTargetSlot(target, task.slotMs)` (§9). A job over its
 *    target_limit by the task's `jobTargets` count fails each scrape without a request (§2.6). A target whose slot is
 *    more than `min(interval / 2, lateToleranceMs)` past is not scraped at the wrong time: it
 *    is dropped and counted (`lateDropped`), like a tick a slow Prometheus loop skips. A task
 *    whose targets are all late reads and writes nothing.
 * 2. A target whose same slot is already taken in this container (an SQS redelivery, or the
 *    target twice in one task) is skipped as `duplicate` and logged. A later slot of a target
 *    this container is still scraping waits for that scrape to finish (a target's scrapes never
 *    overlap, like one Prometheus loop).
 * 3. The worker waits until the task's earliest slot is `stateReadLeadMs` (250 ms) away and
 *    those earlier scrapes are done (decision 3: waiting is billed; `waitedMs`), then reads the
 *    states of the remaining targets with ONE `getMany` — that late, so the previous scrape of
 *    a target, here or in another container, has written the state this one compares against
 *    (§8), and that early, so the read is done by the slot. A failure there throws `SCRAPER_STATE_READ` (retryable): nothing has been scraped or
 *    written yet. Each target then waits for its own slot (all lie in one delivery second) and
 *    is scraped with `scrapeTimeMs = slot` (samples stamped with the slot, §4.3, §9). Scrapes run
 *    concurrently, at most `concurrency` at a time (decision 6). A target's scrape failure is
 *    not a task failure: it yields `up=0`, the report series and stale markers (§6.2, §7, §8.2).
 * 4. Each target's batch goes to every remote writer (one unit = one scrape of one target,
 *    §11), retried until the budget (`deadlineMs − safetyMarginMs`, §11.3). Requests still
 *    undelivered then are parked in the outbox (decision 5) with `nextOutboxDelaySeconds(0)`.
 * 5. Concurrently, its new state is written with `put(id, state, expected)` where `expected` is
 *    what `getMany` returned (decision 4): `unchanged` costs nothing, `conflict` means another
 *    scrape of the same target won (at-least-once delivery) — counted and logged, not an error.
 *
 * After the state read the task never throws for one target's trouble: a failed state write or a
 * failed park is counted (`stateErrors`, `parkFailed`) and logged with what was lost. A retry
 * of the message would come after the slot and be dropped as late anyway.
 *
 * Retire task (kind 'retire', §8.3): reads the target's state, writes
 * `endOfRunMarkers(target, state, staleTimeMs)` to every writer (parked as above), then
 * `states.remove(id)`. Every step may be repeated, so any failure (read, park, remove) throws a
 * retryable {@link ScraperError} and SQS delivers the task again.
 *
 * Time: the worker's clock (`Clock`) decides slots, waits and lateness; `budget.deadlineMs` is
 * on that clock too. The remote-write sender's `retryUntil` is on `Date.now()`; the worker
 * converts (`Date.now() + remaining`), so an offset test clock works.
 *
 * Memory (decision 8, §6.4): per target a bounded LRU of scrape caches and the state this
 * container last stored (`scraper-memory.ts`); per job the prepared `ScrapeJob` and its HTTP
 * dispatcher, created on first use. `close()` releases the dispatchers.
 */
import type { Dispatcher } from 'undici';
import type { Config, HttpClientConfig } from '../config/types.js';
import { createDispatcherSync } from '../http/client.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { redactTargetUrl } from '../log/redact.js';
import type { Outbox, ScrapeStateStore, ScrapeTask, StoredScrapeState } from '../ports.js';
import type { SampleUnit } from '../remotewrite/batch.js';
import type { SendOptions } from '../remotewrite/send.js';
import type { WriteResult } from '../remotewrite/writer.js';
import { type Clock, systemClock } from '../schedule/clock.js';
import {
  endOfRunMarkers,
  prepareScrapeJob,
  type ScrapeJob,
  scrapeTarget,
} from '../scrape/scrape.js';
import { EMPTY_SCRAPE_STATE, type ScrapeState } from '../scrape/state.js';
import type { Target } from '../targets/types.js';
import { nextOutboxDelaySeconds } from './outbox-policy.js';
import { DEFAULT_START_TOLERANCE_MS, taskTargetSlot } from './plan.js';
import { SCRAPER_ERROR_CODES, ScraperError } from './scraper-errors.js';
import { ConcurrencyLimiter } from './scraper-limiter.js';
import {
  DEFAULT_MAX_CACHED_TARGETS,
  type TargetMemory,
  TargetMemoryCache,
} from './scraper-memory.js';

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
/** Delay of a freshly parked write: the outbox's first replay delay (30 s). */
export const DEFAULT_PARK_DELAY_SECONDS = nextOutboxDelaySeconds(0);

/** One remote_write destination as the worker uses it; `RemoteWriter` fits. */
export interface ScrapeWriter {
  /** The remote_write's name (the outbox replays to the writer of this name). */
  readonly name: string;
  /** Sends one unit; reads it synchronously during the call; never rejects. */
  write(unit: SampleUnit, options: SendOptions): Promise<WriteResult>;
}

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
  /** Targets whose scrape cache is kept (LRU). @default 10_000 */
  readonly maxCachedTargets?: number;
  /** DelaySeconds of a parked write. @default nextOutboxDelaySeconds(0) = 30 */
  readonly parkDelaySeconds?: number;
  /** HTTP dispatcher of a job's scrapes. @default createDispatcherSync (src/http/client.ts) */
  readonly createDispatcher?: (config: HttpClientConfig) => Dispatcher;
}

export interface ScrapeWorkerDeps {
  readonly config: Config;
  readonly states: ScrapeStateStore;
  readonly outbox: Outbox;
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

export type StateWriteOutcome = 'written' | 'unchanged' | 'conflict' | 'error';

export type TargetOutcome =
  | {
      readonly kind: 'scraped';
      readonly targetId: string;
      readonly slotMs: number;
      /** Scrape start − slot on the worker's clock (≥ −startToleranceMs). */
      readonly latenessMs: number;
      /** Time this target waited for its slot. */
      readonly waitedMs: number;
      readonly up: boolean;
      readonly error: string | undefined;
      /** Samples in the unit: scraped, stale markers and report series. */
      readonly samples: number;
      readonly state: StateWriteOutcome;
      readonly delivery: DeliveryTotals;
    }
  | {
      /** Not scraped: its slot was too far past (on arrival, or when its turn came). */
      readonly kind: 'late';
      readonly targetId: string;
      readonly slotMs: number;
      readonly latenessMs: number;
    }
  | {
      /** Not scraped: its job is not in this worker's config, or the target repeats in the task. */
      readonly kind: 'skipped';
      readonly targetId: string;
      readonly reason: 'unknown-job' | 'duplicate';
    }
  | {
      readonly kind: 'retired';
      readonly targetId: string;
      /** End-of-run markers written (0 when the target had no state). */
      readonly markers: number;
      readonly delivery: DeliveryTotals;
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

interface JobRuntime {
  readonly scrapeJob: ScrapeJob;
  readonly dispatcher: Dispatcher;
}

interface Planned {
  readonly target: Target;
  readonly job: JobRuntime;
  readonly slotMs: number;
  /** Settles when this container's scrape of an earlier slot of the target is done. */
  readonly after: Promise<void> | undefined;
  /** Set when the job is over its target_limit: the scrape fails without a request (§2.6). */
  readonly forcedError: string | undefined;
}

/**
 * §2.6: a job with more active targets than its target_limit (> 0) fails every scrape with
 * Prometheus's message; the count is the dispatcher's (`ScrapeTask.jobTargets`).
 */
function targetLimitError(
  task: Extract<ScrapeTask, { kind: 'scrape' }>,
  job: JobRuntime,
): string | undefined {
  const limit = job.scrapeJob.config.targetLimit;
  const n = task.jobTargets?.[job.scrapeJob.config.jobName];
  if (limit <= 0 || n === undefined || n <= limit) return undefined;
  return `target_limit exceeded (number of targets: ${n}, limit: ${limit})`;
}

/** A target being scraped (or waiting for its slot) in this container. */
interface InFlight {
  readonly slotMs: number;
  /** Settles when that scrape is done (state written or given up), never rejects. */
  readonly done: Promise<void>;
}

export class ScrapeWorker {
  private readonly config: Config;
  private readonly states: ScrapeStateStore;
  private readonly outbox: Outbox;
  private readonly writers: readonly ScrapeWriter[];
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly startToleranceMs: number;
  private readonly stateReadLeadMs: number;
  private readonly lateToleranceMs: number;
  private readonly safetyMarginMs: number;
  private readonly parkDelaySeconds: number;
  private readonly concurrency: number;
  private readonly createDispatcher: (config: HttpClientConfig) => Dispatcher;
  private readonly memory: TargetMemoryCache;
  private readonly jobs = new Map<string, JobRuntime>();
  /** Targets being scraped by this container now (overlapping tasks must not share a cache). */
  /** Per target id, its slots in flight here (a later slot's scrape waits for earlier ones). */
  private readonly inFlight = new Map<string, InFlight[]>();

  constructor(deps: ScrapeWorkerDeps) {
    const o = deps.options ?? {};
    this.config = deps.config;
    this.states = deps.states;
    this.outbox = deps.outbox;
    this.writers = deps.writers;
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
    this.parkDelaySeconds = o.parkDelaySeconds ?? DEFAULT_PARK_DELAY_SECONDS;
    if (
      !(
        Number.isSafeInteger(this.parkDelaySeconds) &&
        this.parkDelaySeconds >= 0 &&
        this.parkDelaySeconds <= 900
      )
    ) {
      throw invalidOption('parkDelaySeconds must be a whole number in [0, 900]');
    }
    this.concurrency = o.concurrency ?? DEFAULT_SCRAPE_CONCURRENCY;
    if (!(Number.isSafeInteger(this.concurrency) && this.concurrency >= 1)) {
      throw invalidOption('concurrency must be a positive integer');
    }
    const maxCached = o.maxCachedTargets ?? DEFAULT_MAX_CACHED_TARGETS;
    if (!(Number.isSafeInteger(maxCached) && maxCached >= 1)) {
      throw invalidOption('maxCachedTargets must be a positive integer');
    }
    this.memory = new TargetMemoryCache(maxCached);
    this.createDispatcher = o.createDispatcher ?? ((c) => createDispatcherSync(c));
  }

  /** Targets whose scrape cache this container holds. */
  get cachedTargets(): number {
    return this.memory.size;
  }

  /**
   * Runs one task within `budget`. Resolves with per-target outcomes and counters; throws a
   * {@link ScraperError} only when SQS should deliver the task again (`retryable`) or it can
   * never succeed (`SCRAPER_INVALID_TASK`). See the file comment for the contract.
   */
  async handleTask(task: ScrapeTask, budget: TaskBudget): Promise<TaskOutcome> {
    if (!Number.isFinite(budget.deadlineMs)) {
      throw new ScraperError(SCRAPER_ERROR_CODES.invalidTask, 'budget.deadlineMs is not finite', {
        retryable: false,
      });
    }
    if (task.kind === 'scrape') return this.scrapeTask(task, budget);
    if (task.kind === 'retire') return this.retireTask(task, budget);
    throw new ScraperError(
      SCRAPER_ERROR_CODES.invalidTask,
      `unknown task kind ${JSON.stringify((task as { kind: unknown }).kind)}`,
      { retryable: false },
    );
  }

  /** Closes every job's HTTP dispatcher (container shutdown, tests). */
  async close(): Promise<void> {
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    await Promise.all(jobs.map((j) => j.dispatcher.close()));
  }

  // ---- scrape -------------------------------------------------------------------------------

  private async scrapeTask(
    task: Extract<ScrapeTask, { kind: 'scrape' }>,
    budget: TaskBudget,
  ): Promise<TaskOutcome> {
    if (!Number.isFinite(task.slotMs)) {
      throw new ScraperError(SCRAPER_ERROR_CODES.invalidTask, 'scrape task slotMs is not finite', {
        retryable: false,
      });
    }
    const counters = newTaskCounters();
    const outcomes: TargetOutcome[] = [];
    const planned: Planned[] = [];
    const seen = new Set<string>();
    const arrivedMs = this.clock.now();
    for (const target of task.targets) {
      const slotMs = taskTargetSlot(target, task.slotMs);
      const running = this.inFlight.get(target.id) ?? [];
      if (seen.has(target.id) || running.some((r) => r.slotMs === slotMs)) {
        // The same slot twice: an SQS redelivery or a repeated target. Once is what Prometheus
        // scrapes; the other copy is dropped and said so.
        this.logger.warn('scrape task repeats a target slot already taken: skipped', {
          job: target.job,
          target: target.id,
          slotMs,
        });
        outcomes.push({ kind: 'skipped', targetId: target.id, reason: 'duplicate' });
        counters.skipped++;
        continue;
      }
      seen.add(target.id);
      if (this.isLate(target, slotMs, arrivedMs)) {
        outcomes.push(this.late(target, slotMs, arrivedMs, counters));
        continue;
      }
      const job = this.job(target.job);
      if (job === undefined) {
        this.logger.warn('scrape task target of a job not in the config: skipped', {
          job: target.job,
          target: target.id,
        });
        outcomes.push({ kind: 'skipped', targetId: target.id, reason: 'unknown-job' });
        counters.skipped++;
        continue;
      }
      // An earlier slot of this target still running here (intervals shorter than the
      // dispatcher's lead, or a backed-up queue): scrape after it, like a Prometheus loop that
      // never overlaps its own scrapes. A later slot already waiting is not waited for.
      const earlier = running.filter((r) => r.slotMs < slotMs).map((r) => r.done);
      const after = earlier.length === 0 ? undefined : Promise.all(earlier).then(() => {});
      planned.push({ target, job, slotMs, after, forcedError: targetLimitError(task, job) });
    }
    if (planned.length === 0) return { kind: 'scrape', targets: outcomes, counters };

    // Registered before the first await, so a task arriving meanwhile sees these slots.
    const finished: (() => void)[] = [];
    const mine: InFlight[] = [];
    for (const p of planned) {
      let finish!: () => void;
      const entry: InFlight = {
        slotMs: p.slotMs,
        done: new Promise<void>((resolve) => {
          finish = resolve;
        }),
      };
      const list = this.inFlight.get(p.target.id);
      if (list === undefined) this.inFlight.set(p.target.id, [entry]);
      else list.push(entry);
      finished.push(finish);
      mine.push(entry);
    }
    try {
      // The states are read once the slots are near and earlier slots of these targets are
      // done, not on arrival: the previous scrape of a target (here or in another container)
      // has then written the state this one must compare against (§8).
      const preWaitedMs = await this.waitForSlots(planned, counters);
      const stored = await this.readStates(planned.map((p) => p.target.id));
      const retryUntil = this.retryUntil(budget);
      const limiter = new ConcurrencyLimiter(this.concurrency);
      const results = await Promise.all(
        planned.map((p) =>
          this.scrapeAtSlot(p, stored.get(p.target.id), limiter, retryUntil, preWaitedMs, counters),
        ),
      );
      outcomes.push(...results);
    } finally {
      for (const [i, p] of planned.entries()) {
        const list = this.inFlight.get(p.target.id) ?? [];
        const rest = list.filter((entry) => entry !== mine[i]);
        if (rest.length === 0) this.inFlight.delete(p.target.id);
        else this.inFlight.set(p.target.id, rest);
        finished[i]!();
      }
    }
    return { kind: 'scrape', targets: outcomes, counters };
  }

  /**
   * Waits until the earliest planned slot is `stateReadLeadMs` away (at least
   * `startToleranceMs`), so the state read is done by the slot, and until the earlier slots
   * this container is scraping of the same targets are done. Returns the time waited.
   */
  private async waitForSlots(planned: readonly Planned[], counters: TaskCounters): Promise<number> {
    const before = this.clock.now();
    const earliest = Math.min(...planned.map((p) => p.slotMs));
    const waitMs = earliest - before - Math.max(this.stateReadLeadMs, this.startToleranceMs);
    if (waitMs > 0) await this.sleep(waitMs);
    await Promise.all(planned.map((p) => p.after));
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
    return { kind: 'late', targetId: target.id, slotMs, latenessMs: nowMs - slotMs };
  }

  private async scrapeAtSlot(
    p: Planned,
    stored: StoredScrapeState | undefined,
    limiter: ConcurrencyLimiter,
    retryUntil: number,
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
      if (this.isLate(p.target, p.slotMs, startMs))
        return this.late(p.target, p.slotMs, startMs, counters);
      return this.scrapeOne(p, stored, startMs - p.slotMs, waitedMs, retryUntil, counters);
    });
  }

  private async scrapeOne(
    p: Planned,
    stored: StoredScrapeState | undefined,
    latenessMs: number,
    waitedMs: number,
    retryUntil: number,
    counters: TaskCounters,
  ): Promise<TargetOutcome> {
    const { target, job, slotMs } = p;
    const memory = this.memory.get(target, job.scrapeJob.config.extraScrapeMetrics);
    const previous = previousState(memory, stored);
    const result = await scrapeTarget(job.scrapeJob, target, memory.cache, previous, {
      scrapeTimeMs: slotMs,
      forcedError: p.forcedError,
    });
    counters.scrapes++;
    counters.maxLatenessMs = Math.max(counters.maxLatenessMs, latenessMs);
    // The failure itself is in the handler's one line per scrape (`scrapeLogFields`).
    if (result.up) counters.up++;
    else counters.failed++;
    const log = { job: target.job, target: target.id, url: redactTargetUrl(target.url), slotMs };
    // The unit is read synchronously by every writer before `deliver` first awaits.
    const [delivery, state] = await Promise.all([
      this.deliver(result.batch, retryUntil, log),
      this.putState(target, result.state, stored, memory),
    ]);
    addDelivery(counters, delivery);
    countState(counters, state);
    return {
      kind: 'scraped',
      targetId: target.id,
      slotMs,
      latenessMs,
      waitedMs,
      up: result.up,
      error: result.error,
      samples: result.batch.length,
      state,
      delivery,
    };
  }

  /** Conditional write of a target's new state (decision 4); updates the container's memory. */
  private async putState(
    target: Target,
    state: ScrapeState,
    expected: StoredScrapeState | undefined,
    memory: TargetMemory,
  ): Promise<StateWriteOutcome> {
    memory.known = undefined;
    try {
      const r = await this.states.put(target.id, state, expected);
      if (r.written) {
        memory.known = { state, version: r.version, digest: r.digest };
        return 'written';
      }
      if (r.reason === 'unchanged') {
        if (expected !== undefined) {
          memory.known = { state, version: expected.version, digest: expected.digest };
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
      throw new ScraperError(
        SCRAPER_ERROR_CODES.invalidTask,
        'retire task staleTimeMs is not finite',
        {
          retryable: false,
        },
      );
    }
    const { target } = task;
    const counters = newTaskCounters();
    const stored = (await this.readStates([target.id])).get(target.id);
    let markers = 0;
    let delivery = NO_DELIVERY;
    if (stored !== undefined) {
      const extra =
        this.config.scrapeConfigs.find((c) => c.jobName === target.job)?.extraScrapeMetrics ??
        false;
      const batch = endOfRunMarkers(target, stored.state, task.staleTimeMs, extra);
      markers = batch.length;
      if (markers > 0) {
        delivery = await this.deliver(batch, this.retryUntil(budget), {
          job: target.job,
          target: target.id,
          url: redactTargetUrl(target.url),
          staleTimeMs: task.staleTimeMs,
        });
        if (delivery.parkFailed > 0) {
          throw new ScraperError(
            SCRAPER_ERROR_CODES.parkFailed,
            `end-of-run markers of target ${target.id}: ${delivery.parkFailed} undelivered requests could not be parked`,
            { retryable: true },
          );
        }
      }
    }
    try {
      await this.states.remove(target.id);
    } catch (err) {
      throw new ScraperError(
        SCRAPER_ERROR_CODES.stateRemove,
        `removing the state of retired target ${target.id} failed: ${message(err)}`,
        { retryable: true, cause: err },
      );
    }
    this.memory.delete(target.id);
    counters.markers = markers;
    addDelivery(counters, delivery);
    return {
      kind: 'retire',
      targets: [{ kind: 'retired', targetId: target.id, markers, delivery }],
      counters,
    };
  }

  // ---- shared -------------------------------------------------------------------------------

  private async readStates(ids: readonly string[]): Promise<Map<string, StoredScrapeState>> {
    try {
      return await this.states.getMany(ids);
    } catch (err) {
      throw new ScraperError(
        SCRAPER_ERROR_CODES.stateRead,
        `reading the scrape state of ${ids.length} targets failed: ${message(err)}`,
        { retryable: true, cause: err },
      );
    }
  }

  /**
   * Sends one unit to every writer (retries until `retryUntil`, Date.now clock), then parks
   * what is still undelivered. Never rejects: rejections and lost parks are logged and counted.
   */
  private async deliver(
    unit: SampleUnit,
    retryUntil: number,
    log: Readonly<Record<string, unknown>>,
  ): Promise<DeliveryTotals> {
    const results = await Promise.all(this.writers.map((w) => w.write(unit, { retryUntil })));
    let samplesSent = 0;
    let samplesRejected = 0;
    let parked = 0;
    let samplesParked = 0;
    let parkFailed = 0;
    const parks: Promise<void>[] = [];
    for (let i = 0; i < results.length; i++) {
      const writer = this.writers[i]!;
      const r = results[i]!;
      samplesSent += r.delivered;
      samplesRejected += r.rejected;
      for (const error of r.errors) {
        this.logger.error('remote write rejected samples', {
          ...log,
          remote: writer.name,
          err: error,
        });
      }
      for (const request of r.parked) {
        parks.push(
          this.outbox
            .park(
              {
                remoteWrite: writer.name,
                body: request.body,
                samples: request.samples,
                attempts: 0,
                firstParkedMs: Math.floor(this.clock.now()),
              },
              this.parkDelaySeconds,
            )
            .then(
              () => {
                parked++;
                samplesParked += request.samples;
              },
              (err: unknown) => {
                parkFailed++;
                this.logger.error('undelivered remote write could not be parked: samples lost', {
                  ...log,
                  remote: writer.name,
                  samples: request.samples,
                  reason: message(request.error),
                  err,
                });
              },
            ),
        );
      }
    }
    await Promise.all(parks);
    if (parked > 0) {
      this.logger.warn('remote write not delivered in time: parked in the outbox', {
        ...log,
        requests: parked,
        samples: samplesParked,
      });
    }
    return { samplesSent, samplesRejected, parked, samplesParked, parkFailed };
  }

  /** `budget.deadlineMs − safetyMarginMs` on the worker's clock, as a Date.now time. */
  private retryUntil(budget: TaskBudget): number {
    return Date.now() + (budget.deadlineMs - this.safetyMarginMs - this.clock.now());
  }

  private job(name: string): JobRuntime | undefined {
    let job = this.jobs.get(name);
    if (job !== undefined) return job;
    const config = this.config.scrapeConfigs.find((c) => c.jobName === name);
    if (config === undefined) return undefined;
    const dispatcher = this.createDispatcher(config.httpClient);
    job = { scrapeJob: prepareScrapeJob(config, dispatcher), dispatcher };
    this.jobs.set(name, job);
    return job;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.clock.setTimer(resolve, ms);
    });
  }
}

const NO_DELIVERY: DeliveryTotals = {
  samplesSent: 0,
  samplesRejected: 0,
  parked: 0,
  samplesParked: 0,
  parkFailed: 0,
};

/**
 * The state to diff against (§8.2): this container's live state when the store still holds
 * exactly what it last wrote or confirmed, else what the store returned (keys only), else none.
 */
function previousState(memory: TargetMemory, stored: StoredScrapeState | undefined): ScrapeState {
  if (stored === undefined) return EMPTY_SCRAPE_STATE;
  const known = memory.known;
  if (known !== undefined && known.version === stored.version && known.digest === stored.digest) {
    return known.state;
  }
  return stored.state;
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

function addDelivery(c: TaskCounters, d: DeliveryTotals): void {
  c.samplesSent += d.samplesSent;
  c.samplesRejected += d.samplesRejected;
  c.parked += d.parked;
  c.samplesParked += d.samplesParked;
  c.parkFailed += d.parkFailed;
}

function countState(c: TaskCounters, s: StateWriteOutcome): void {
  if (s === 'written') c.stateWrites++;
  else if (s === 'unchanged') c.stateUnchanged++;
  else if (s === 'conflict') c.stateConflicts++;
  else c.stateErrors++;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(Number.isFinite(v) && v >= 0)) throw invalidOption(`${name} must be a finite number ≥ 0`);
  return v;
}

function invalidOption(text: string): ScraperError {
  return new ScraperError(SCRAPER_ERROR_CODES.invalidOptions, text, { retryable: false });
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

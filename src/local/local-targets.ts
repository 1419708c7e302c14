/**
 * The local runner's targets: the in-memory side of the engine for `run`. It holds every
 * scheduled target, fires its fixed-phase slots (§9, `SlotScheduler`), keeps the states per
 * series stream (the only copy) and the scrape caches per target, and carries out what the
 * engine's `reconcileTargets` decides when a job's target list changes:
 * - a kept target keeps its cache unless its job's config changed (a fresh one then, by
 *   `TargetCaches`);
 * - a new identity whose series stream was active continues that stream's state; the old
 *   identity gets no end-of-run markers (`series-stream.ts` says why);
 * - a retired target gets end-of-run markers (§8.3) stamped and written at
 *   `endOfRunTimes(target, now + 1)`, cancelled if its stream is active again before then. None
 *   for a target that never completed a scrape, none at shutdown (as Prometheus).
 */
import type { ScrapeConfig } from '../config/types.js';
import type { JobRuntime } from '../engine/job-runtime.js';
import { ScrapeEngine } from '../engine/scrape-engine.js';
import type { ScrapeObserver } from '../engine/scrape-metrics.js';
import { endOfRunTimes, reconcileTargets, seriesStreamKey } from '../engine/series-stream.js';
import { SlotClaims } from '../engine/slot-claims.js';
import { StreamStates, TargetCaches } from '../engine/target-memory.js';
import { redactTargetUrl, redactUrlsInText } from '../log/index.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../schedule/clock.js';
import { type SlotEvent, SlotScheduler } from '../schedule/slot-scheduler.js';
import type { QueuedTimer, TimerQueue } from '../schedule/timer-queue.js';
import type { Target } from '../targets/types.js';
import type { ScrapeFailureLog } from './scrape-failure-log.js';
import type { SampleSink } from './sink.js';

/** What the targets of one job share; the runner's job owns it. */
export interface TargetJob {
  readonly runtime: JobRuntime;
  /** target_limit exceeded: every scrape fails with this (§2.6). */
  readonly forcedError: string | undefined;
}

export interface LastScrape {
  readonly startedMs: number;
  readonly up: boolean;
  readonly error: string | undefined;
  readonly durationSeconds: number;
}

/** One scheduled target. */
export interface LocalTarget {
  /** Scheduler key: job and target id. */
  readonly key: string;
  readonly stream: string;
  target: Target;
  job: TargetJob;
  /** The scrape in progress, if any. */
  running: Promise<void> | undefined;
  last: LastScrape | undefined;
}

/** A retired target whose end-of-run markers are pending (§8.3). */
interface Retirement {
  readonly target: Target;
  readonly config: ScrapeConfig;
  readonly staleTimeMs: number;
  readonly timer: QueuedTimer;
}

export interface LocalTargetsDeps {
  readonly clock: Clock;
  /** Shared with the runner's other timers. */
  readonly queue: TimerQueue;
  readonly logger: Logger;
  readonly observer: ScrapeObserver;
  /** The current sink; read at every unit (a reload may replace it). */
  readonly sink: () => SampleSink | undefined;
  /** True once the runner is shutting down: no end-of-run markers then. */
  readonly stopping: () => boolean;
  /** Where each failed scrape of a job with `scrape_failure_log_file` is written. */
  readonly failureLog?: ScrapeFailureLog;
}

export class LocalTargets {
  private readonly scheduler: SlotScheduler;
  private readonly engine: ScrapeEngine;
  private readonly caches = new TargetCaches(Number.POSITIVE_INFINITY);
  private readonly states = new StreamStates(Number.POSITIVE_INFINITY);
  private readonly claims = new SlotClaims();
  /** Every scheduled target, by key. */
  private readonly targets = new Map<string, LocalTarget>();
  /** Pending end-of-run markers, by series stream. */
  private readonly retiring = new Map<string, Retirement>();

  constructor(private readonly deps: LocalTargetsDeps) {
    this.scheduler = new SlotScheduler({
      clock: deps.clock,
      queue: deps.queue,
      run: (key, slotMs) => this.scrape(key, slotMs),
      onSlot: (event) => this.onSlot(event),
      onError: (key, err) => deps.logger.error('scrape crashed', { target: key, err }),
    });
    this.engine = new ScrapeEngine({
      caches: this.caches,
      delivery: deps.sink,
      observer: deps.observer,
      logger: deps.logger,
    });
  }

  /** Scheduled targets. */
  get size(): number {
    return this.targets.size;
  }

  /** Scrapes running right now. */
  get inFlight(): number {
    return this.scheduler.inFlight;
  }

  /**
   * Makes `job`'s targets `next`, given its `current` ones (by id); returns the new map by id.
   * The engine decides which targets are kept, added, continued or retired.
   */
  apply(
    jobName: string,
    job: TargetJob,
    current: ReadonlyMap<string, LocalTarget>,
    next: readonly Target[],
  ): Map<string, LocalTarget> {
    const changes = reconcileTargets(
      [...current.values()].map((t) => t.target),
      next,
    );
    const result = new Map<string, LocalTarget>();
    for (const { after } of changes.kept) {
      const t = current.get(after.id)!;
      t.target = after;
      t.job = job;
      result.set(after.id, t);
      this.scheduler.set(t.key, after);
    }
    for (const target of changes.added) {
      const t: LocalTarget = {
        key: `${jobName}/${target.id}`,
        stream: seriesStreamKey(target),
        target,
        job,
        running: undefined,
        last: undefined,
      };
      result.set(target.id, t);
      this.targets.set(t.key, t);
      this.scheduler.set(t.key, target);
    }
    for (const stream of changes.activeStreams) this.cancelRetirement(stream);
    for (const target of changes.removed) {
      const t = current.get(target.id)!;
      this.scheduler.delete(t.key);
      this.targets.delete(t.key);
      this.caches.delete(target.id);
    }
    for (const target of changes.retired) {
      this.retire(target, current.get(target.id)!.job.runtime.config);
    }
    return result;
  }

  /** No new slots; scrapes in progress finish. Pending end-of-run markers are not written. */
  stop(): void {
    this.scheduler.stop();
    for (const r of this.retiring.values()) this.deps.queue.cancel(r.timer);
    this.retiring.clear();
  }

  /** Settles when no scrape runs. */
  idle(): Promise<void> {
    return this.scheduler.idle();
  }

  /** Forgets every target (after `stop()` and `idle()`). */
  clear(): void {
    this.targets.clear();
  }

  // ---- retirement ---------------------------------------------------------------------------

  /** Schedules a retired target's end-of-run markers (§8.3). */
  private retire(target: Target, config: ScrapeConfig): void {
    const stream = seriesStreamKey(target);
    this.cancelRetirement(stream);
    const { staleTimeMs, writeAtMs } = endOfRunTimes(target, this.deps.clock.now() + 1);
    const timer = this.deps.queue.schedule(writeAtMs, () => {
      this.writeEndOfRun(stream).catch((err: unknown) =>
        this.deps.logger.error('end-of-run markers failed', {
          job: target.job,
          url: target.url,
          err,
        }),
      );
    });
    this.retiring.set(stream, { target, config, staleTimeMs, timer });
  }

  private cancelRetirement(stream: string): void {
    const r = this.retiring.get(stream);
    if (r === undefined) return;
    this.deps.queue.cancel(r.timer);
    this.retiring.delete(stream);
  }

  private async writeEndOfRun(stream: string): Promise<void> {
    const r = this.retiring.get(stream);
    if (r === undefined) return;
    this.retiring.delete(stream);
    // After the stream's last scrape: its slots are all before the stale time.
    const claim = this.claims.claim(stream, r.staleTimeMs);
    if (claim === undefined) return;
    try {
      await claim.after;
      if (this.deps.stopping()) return;
      const state = this.states.current(stream);
      this.states.delete(stream);
      await this.engine.endOfRun(r.target, r.config.extraScrapeMetrics, state, r.staleTimeMs);
    } finally {
      claim.release();
    }
  }

  // ---- scraping -----------------------------------------------------------------------------

  private async scrape(key: string, slotMs: number): Promise<void> {
    const t = this.targets.get(key);
    if (t === undefined) return;
    const claim = this.claims.claim(t.stream, slotMs, t.key);
    if (claim === undefined) return;
    const run = this.scrapeClaimed(t, slotMs, claim.after).finally(() => claim.release());
    t.running = run;
    try {
      await run;
    } finally {
      if (t.running === run) t.running = undefined;
    }
  }

  private async scrapeClaimed(
    t: LocalTarget,
    slotMs: number,
    after: Promise<void> | undefined,
  ): Promise<void> {
    // Another identity of the stream may still be scraping (a target whose interval changed).
    if (after !== undefined) await after;
    const startedMs = this.deps.clock.now();
    const { job, target } = t;
    const { result } = await this.engine.scrape({
      job: job.runtime,
      target,
      slotMs,
      latenessMs: startedMs - slotMs,
      previous: this.states.current(t.stream),
      forcedError: job.forcedError,
    });
    this.states.set(t.stream, { state: result.state });
    const wasUp = t.last?.up;
    t.last = {
      startedMs,
      up: result.up,
      error: result.error,
      durationSeconds: result.report.durationSeconds,
    };
    if (!result.up) {
      this.deps.failureLog?.record(
        job.runtime.config.scrapeFailureLogFile,
        redactTargetUrl(target.url),
        redactUrlsInText(result.error ?? ''),
      );
    }
    const log = { job: job.runtime.name, url: target.url };
    if (result.up && wasUp === false) {
      this.deps.logger.info('target is up again', log);
    } else if (!result.up && wasUp !== false) {
      this.deps.logger.warn('scrape failed', { ...log, err: result.error });
    }
  }

  private onSlot(event: SlotEvent): void {
    if (event.kind !== 'skipped') return;
    const job = this.targets.get(event.key)?.job.runtime.name;
    if (job === undefined) return;
    this.deps.observer.slotsSkipped(job, event.reason, event.count);
    this.deps.logger.debug('scrape slot skipped', {
      job,
      target: event.key,
      reason: event.reason,
      slots: event.count,
    });
  }
}

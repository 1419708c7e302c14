/**
 * Fixed-phase scrape slots for a set of targets (§9), in one process.
 *
 * Each entry (one target) is run at the wall-clock instants `T = k·interval + offset`. The run
 * is handed `T` itself, not the time the timer fired, so samples stamped with it are exactly one
 * interval apart even when the timer fires a few ms late (§4.3, §9: Prometheus snaps to the
 * ideal tick within a 2 ms tolerance; we always snap, as the serverless design does).
 *
 * Rules:
 * - Never two runs of one key at once: a slot that comes while the key's previous run is still
 *   going is skipped (reason `busy`), as Prometheus's ticker drops ticks of a slow loop.
 * - A late timer still runs the most recent slot that has come (lateness < interval); older
 *   slots it overtook are skipped (reason `missed`): after an event-loop stall we scrape once,
 *   not once per lost slot.
 * - Lateness (start − slot) is reported for every run.
 *
 * All slots share one {@link TimerQueue}, hence one clock timer. Timers wait on the monotonic
 * clock while slots are wall-clock instants: after the wall clock steps back, slots resume once
 * the wall clock has caught up with them (at most the size of the step).
 */
import { nextScrapeTime, phaseProblem, ScheduleError } from '../targets/offset.js';
import type { Clock } from './clock.js';
import { type QueuedTimer, TimerQueue } from './timer-queue.js';

export interface SlotPhase {
  /** Positive whole milliseconds. */
  readonly intervalMs: number;
  /** Phase within the interval, whole ms in `[0, intervalMs)` (Target.offsetMs). */
  readonly offsetMs: number;
}

export const SkipReason = {
  /** The previous run of the key was still going. */
  busy: 'busy',
  /** The timer fired after a later slot had already come. */
  missed: 'missed',
} as const;
export type SkipReason = (typeof SkipReason)[keyof typeof SkipReason];

export type SlotEvent =
  | {
      readonly kind: 'started';
      readonly key: string;
      readonly slotMs: number;
      /** Clock time at start minus the slot time, ≥ 0. */
      readonly latenessMs: number;
    }
  | {
      readonly kind: 'skipped';
      readonly key: string;
      /** The first skipped slot; `count` consecutive slots from it were skipped. */
      readonly slotMs: number;
      readonly count: number;
      readonly reason: SkipReason;
    };

export interface SlotSchedulerOptions {
  readonly clock: Clock;
  /**
   * Runs `key` for the slot `slotMs`. The scheduler waits for the returned promise before it
   * runs the key again; a rejection is passed to `onError` and otherwise ignored.
   */
  readonly run: (key: string, slotMs: number) => Promise<void>;
  /** Told about every started and skipped slot (metrics). Must not throw. */
  readonly onSlot?: (event: SlotEvent) => void;
  /** Receives rejections of `run`. @default ignored */
  readonly onError?: (key: string, err: unknown) => void;
  /** Share a timer queue with other users (the runner's one-shot timers). @default own queue */
  readonly queue?: TimerQueue;
}

/** Thrown by {@link SlotScheduler.set}; defined with the phase rules in `src/targets`. */
export { ScheduleError };

interface SlotEntry {
  phase: SlotPhase;
  nextSlotMs: number;
  timer: QueuedTimer;
}

export class SlotScheduler {
  private readonly clock: Clock;
  private readonly queue: TimerQueue;
  private readonly entries = new Map<string, SlotEntry>();
  /** Runs in progress by key; survives `delete`/`set` so a re-added key still waits for it. */
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly options: SlotSchedulerOptions) {
    this.clock = options.clock;
    this.queue = options.queue ?? new TimerQueue(options.clock);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Runs in progress right now. */
  get inFlight(): number {
    return this.running.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The next slot `key` will run at (epoch ms), or undefined when it is not scheduled. */
  nextSlot(key: string): number | undefined {
    return this.entries.get(key)?.nextSlotMs;
  }

  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  /**
   * Adds `key` or changes its phase. A new key (or a changed phase) gets the first slot at or
   * after now; an unchanged phase keeps its pending slot.
   * @throws {ScheduleError} when the interval is not a positive integer or the offset is out of range.
   */
  set(key: string, phase: SlotPhase): void {
    if (this.stopped) return;
    const problem = phaseProblem(phase);
    if (problem !== undefined) throw new ScheduleError(problem);
    const { intervalMs, offsetMs } = phase;
    const current = this.entries.get(key);
    if (current !== undefined) {
      if (current.phase.intervalMs === intervalMs && current.phase.offsetMs === offsetMs) return;
      this.queue.cancel(current.timer);
    }
    const slot = nextScrapeTime(phase, this.clock.now());
    const entry: SlotEntry = {
      phase: { intervalMs, offsetMs },
      nextSlotMs: slot,
      timer: undefined!,
    };
    entry.timer = this.queue.schedule(slot, () => this.due(key, entry));
    this.entries.set(key, entry);
  }

  /** Stops scheduling `key`. A run in progress finishes; returns false when `key` was unknown. */
  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.queue.cancel(entry.timer);
    this.entries.delete(key);
    return true;
  }

  /** The promise of the run of `key` in progress, if any (settles, never rejects). */
  runOf(key: string): Promise<void> | undefined {
    return this.running.get(key);
  }

  /** Stops every slot; runs in progress finish. See {@link idle} to wait for them. */
  stop(): void {
    this.stopped = true;
    for (const entry of this.entries.values()) this.queue.cancel(entry.timer);
    this.entries.clear();
  }

  /** Settles once no run is in progress (immediately when none is). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  private due(key: string, entry: SlotEntry): void {
    if (this.entries.get(key) !== entry) return;
    const now = this.clock.now();
    const { intervalMs } = entry.phase;
    let slot = entry.nextSlotMs;
    // Slots overtaken by a late timer: keep only the most recent one that has come.
    const behind = Math.floor((now - slot) / intervalMs);
    if (behind > 0) {
      this.options.onSlot?.({
        kind: 'skipped',
        key,
        slotMs: slot,
        count: behind,
        reason: SkipReason.missed,
      });
      slot += behind * intervalMs;
    }
    entry.nextSlotMs = slot + intervalMs;
    entry.timer = this.queue.schedule(entry.nextSlotMs, () => this.due(key, entry));

    if (this.running.has(key)) {
      this.options.onSlot?.({
        kind: 'skipped',
        key,
        slotMs: slot,
        count: 1,
        reason: SkipReason.busy,
      });
      return;
    }
    this.options.onSlot?.({
      kind: 'started',
      key,
      slotMs: slot,
      latenessMs: Math.max(now - slot, 0),
    });
    const run = this.start(key, slot);
    this.running.set(key, run);
  }

  private async start(key: string, slotMs: number): Promise<void> {
    try {
      await this.options.run(key, slotMs);
    } catch (err) {
      this.options.onError?.(key, err);
    } finally {
      this.running.delete(key);
    }
  }
}

/**
 * A clock for tests: time moves only when told. `advance`/`advanceTo` fire due timers in order
 * of due time, each with `now()` equal to the time it was due (plus `lateByMs`, to play a timer
 * that fires late).
 */
import type { Clock, TimerHandle } from '../../src/schedule/clock.js';

interface Timer {
  readonly id: number;
  readonly dueMs: number;
  readonly fn: () => void;
}

export class ManualClock implements Clock {
  private t: number;
  private timers: Timer[] = [];
  private nextId = 1;
  /** Timers created so far (to check that many slots share one timer). */
  created = 0;
  /** Added to `now()` while a timer fires: simulates a late timer. */
  lateByMs = 0;

  constructor(startMs: number) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  /** Timers pending now. */
  get pending(): number {
    return this.timers.length;
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const timer = { id: this.nextId++, dueMs: this.t + Math.max(delayMs, 0), fn };
    this.timers.push(timer);
    this.created++;
    return timer.id;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Moves time to `targetMs`, firing every timer due by then. */
  advanceTo(targetMs: number): void {
    for (;;) {
      const due = this.timers
        .filter((t) => t.dueMs <= targetMs)
        .sort((a, b) => a.dueMs - b.dueMs || a.id - b.id)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.t = Math.max(this.t, due.dueMs + this.lateByMs);
      due.fn();
    }
    this.t = Math.max(this.t, targetMs);
  }

  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }
}

/** Lets pending promise callbacks (and I/O callbacks that are ready) run. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

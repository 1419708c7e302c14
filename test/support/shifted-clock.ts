import type { Clock } from '../../src/schedule/clock.js';

/**
 * The wall clock shifted so that it reads `startMs` now; `set` jumps it. Timers are real, so
 * waits in code under test are real and short.
 */
export class ShiftedClock implements Clock {
  private shift: number;
  constructor(startMs: number) {
    this.shift = startMs - Date.now();
  }
  set(ms: number): void {
    this.shift = ms - Date.now();
  }
  now(): number {
    return Date.now() + this.shift;
  }
  setTimer(fn: () => void, delayMs: number): unknown {
    return setTimeout(fn, Math.max(0, delayMs));
  }
  clearTimer(handle: unknown): void {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  }
}

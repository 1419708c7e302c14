/**
 * Many one-shot timers on one clock timer: a binary min-heap ordered by due time (then by
 * insertion), with a single `setTimer` armed for the earliest entry. Adding, cancelling and
 * firing cost O(log n), so 10,000 targets each with a pending slot are cheap, and the process
 * holds one timer instead of one per target.
 *
 * Cancellation is lazy: a cancelled entry stays in the heap, marked, until it reaches the top.
 */
import type { Clock, TimerHandle } from './clock.js';
import { MAX_TIMER_DELAY_MS } from './clock.js';

interface Entry {
  readonly dueMs: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** What {@link TimerQueue.schedule} returns: pass it to {@link TimerQueue.cancel}. */
export interface QueuedTimer {
  readonly dueMs: number;
}

export class TimerQueue {
  private readonly heap: Entry[] = [];
  private seq = 0;
  private live = 0;
  private handle: TimerHandle | undefined;
  /** Due time the clock timer is armed for; +Infinity when none is armed. */
  private armedFor = Number.POSITIVE_INFINITY;
  private stopped = false;
  /** True while {@link fire} runs callbacks: it re-arms once at the end. */
  private firing = false;

  constructor(private readonly clock: Clock) {}

  /** Pending (not cancelled, not fired) timers. */
  get size(): number {
    return this.live;
  }

  /**
   * Calls `fn` once the clock reaches `dueMs` (epoch ms). Timers due at the same time fire in
   * the order they were scheduled. `fn` must not throw (an exception would escape to the clock's
   * timer callback); after {@link stop} nothing is scheduled.
   */
  schedule(dueMs: number, fn: () => void): QueuedTimer {
    const entry: Entry = { dueMs, seq: this.seq++, fn, cancelled: this.stopped };
    if (this.stopped) return entry;
    this.push(entry);
    this.live++;
    if (!this.firing && dueMs < this.armedFor) this.arm();
    return entry;
  }

  /** Cancels a pending timer; no effect when it already fired or was cancelled. */
  cancel(timer: QueuedTimer): void {
    const entry = timer as Entry;
    if (entry.cancelled) return;
    entry.cancelled = true;
    this.live--;
  }

  /** Cancels every timer and disarms the clock timer; later `schedule` calls do nothing. */
  stop(): void {
    this.stopped = true;
    for (const e of this.heap) e.cancelled = true;
    this.heap.length = 0;
    this.live = 0;
    this.disarm();
  }

  private fire = (): void => {
    this.handle = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    this.firing = true;
    try {
      for (;;) {
        const top = this.heap[0];
        if (top === undefined || top.dueMs > now || this.stopped) break;
        this.pop();
        if (top.cancelled) continue;
        top.cancelled = true;
        this.live--;
        top.fn();
      }
    } finally {
      this.firing = false;
      this.arm();
    }
  };

  /** Arms the clock timer for the earliest live entry (dropping cancelled ones on top). */
  private arm(): void {
    while (this.heap[0]?.cancelled) this.pop();
    const top = this.heap[0];
    if (top === undefined || this.stopped) {
      this.disarm();
      return;
    }
    if (this.handle !== undefined && this.armedFor <= top.dueMs) return;
    this.disarm();
    const delay = Math.min(Math.max(top.dueMs - this.clock.now(), 0), MAX_TIMER_DELAY_MS);
    this.armedFor = top.dueMs;
    this.handle = this.clock.setTimer(this.fire, delay);
  }

  private disarm(): void {
    if (this.handle !== undefined) this.clock.clearTimer(this.handle);
    this.handle = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = entry;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const child = r < h.length && before(h[r]!, h[l]!) ? r : l;
      if (!before(h[child]!, last)) break;
      h[i] = h[child]!;
      i = child;
    }
    h[i] = last;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);
}

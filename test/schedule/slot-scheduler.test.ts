import { describe, expect, it } from 'vitest';
import { type SlotEvent, SlotScheduler } from '../../src/schedule/slot-scheduler.js';
import { nextScrapeTime } from '../../src/targets/offset.js';
import { flushMicrotasks, ManualClock } from './manual-clock.js';

/** 2026-01-01T00:00:00Z: a round number, so slot arithmetic in the cases is easy to read. */
const T0 = Date.UTC(2026, 0, 1);

function setup(opts: { hold?: boolean } = {}) {
  const clock = new ManualClock(T0);
  const runs: { key: string; slotMs: number; startedMs: number }[] = [];
  const events: SlotEvent[] = [];
  const release: (() => void)[] = [];
  const scheduler = new SlotScheduler({
    clock,
    run: async (key, slotMs) => {
      runs.push({ key, slotMs, startedMs: clock.now() });
      if (opts.hold) await new Promise<void>((r) => release.push(r));
    },
    onSlot: (e) => events.push(e),
  });
  return { clock, runs, events, release, scheduler };
}

describe('slot phase (§9)', () => {
  it.each([
    {
      name: 'offset ahead in this interval',
      interval: 15_000,
      offset: 4_000,
      now: T0 + 1_000,
      want: T0 + 4_000,
    },
    {
      name: 'offset already passed',
      interval: 15_000,
      offset: 4_000,
      now: T0 + 5_000,
      want: T0 + 19_000,
    },
    {
      name: 'exactly on a slot',
      interval: 15_000,
      offset: 4_000,
      now: T0 + 4_000,
      want: T0 + 4_000,
    },
    { name: 'zero offset', interval: 60_000, offset: 0, now: T0 + 1, want: T0 + 60_000 },
    {
      name: 'fractional now rounds up',
      interval: 1_000,
      offset: 999,
      now: T0 + 999.5,
      want: T0 + 1_999,
    },
  ])('$name', ({ interval, offset, now, want }) => {
    expect(nextScrapeTime({ intervalMs: interval, offsetMs: offset }, now)).toBe(want);
    const clock = new ManualClock(now);
    const s = new SlotScheduler({ clock, run: async () => {} });
    s.set('t', { intervalMs: interval, offsetMs: offset });
    expect(s.nextSlot('t')).toBe(want);
    expect((s.nextSlot('t')! - offset) % interval).toBe(0);
  });

  it.each([
    { name: 'zero interval', phase: { intervalMs: 0, offsetMs: 0 } },
    { name: 'fractional interval', phase: { intervalMs: 1.5, offsetMs: 0 } },
    { name: 'offset ≥ interval', phase: { intervalMs: 1_000, offsetMs: 1_000 } },
    { name: 'negative offset', phase: { intervalMs: 1_000, offsetMs: -1 } },
  ])('rejects $name', ({ phase }) => {
    const s = new SlotScheduler({ clock: new ManualClock(T0), run: async () => {} });
    expect(() => s.set('t', phase)).toThrow(
      expect.objectContaining({ code: 'SCHEDULE_INVALID_PHASE' }),
    );
  });
});

describe('SlotScheduler', () => {
  it('hands every run its ideal slot time, exactly one interval apart, even when timers fire late', async () => {
    const { clock, runs, events, scheduler } = setup();
    scheduler.set('a', { intervalMs: 10_000, offsetMs: 2_500 });
    clock.lateByMs = 7;
    for (let i = 0; i < 5; i++) {
      clock.advance(10_000);
      await flushMicrotasks();
    }
    expect(runs.map((r) => r.slotMs - T0)).toEqual([2_500, 12_500, 22_500, 32_500, 42_500]);
    for (const r of runs) expect(r.startedMs - r.slotMs).toBeGreaterThanOrEqual(7);
    const lateness = events.flatMap((e) => (e.kind === 'started' ? [e.latenessMs] : []));
    expect(lateness.length).toBe(5);
    expect(lateness.every((l) => l >= 7 && l < 10_000)).toBe(true);
  });

  it('reports lateness as start minus slot', async () => {
    const { clock, events, scheduler } = setup();
    scheduler.set('a', { intervalMs: 1_000, offsetMs: 0 });
    clock.lateByMs = 42;
    clock.advanceTo(T0);
    expect(events).toEqual([{ kind: 'started', key: 'a', slotMs: T0, latenessMs: 42 }]);
  });

  it('never runs a key twice at once: a slot during a run is skipped and counted', async () => {
    const { clock, runs, events, release, scheduler } = setup({ hold: true });
    scheduler.set('a', { intervalMs: 1_000, offsetMs: 0 });
    clock.advanceTo(T0); // slot T0 starts and hangs
    clock.advanceTo(T0 + 2_000); // slots T0+1s, T0+2s come while it runs
    expect(runs.map((r) => r.slotMs - T0)).toEqual([0]);
    expect(scheduler.isRunning('a')).toBe(true);
    const skipped = events.filter((e) => e.kind === 'skipped');
    expect(skipped).toEqual([
      { kind: 'skipped', key: 'a', slotMs: T0 + 1_000, count: 1, reason: 'busy' },
      { kind: 'skipped', key: 'a', slotMs: T0 + 2_000, count: 1, reason: 'busy' },
    ]);
    release.shift()!();
    await flushMicrotasks();
    expect(scheduler.isRunning('a')).toBe(false);
    clock.advanceTo(T0 + 3_000);
    expect(runs.map((r) => r.slotMs - T0)).toEqual([0, 3_000]);
  });

  it('after a stall, runs the latest slot once and counts the overtaken ones as missed', () => {
    const { clock, runs, events, scheduler } = setup();
    scheduler.set('a', { intervalMs: 1_000, offsetMs: 100 });
    clock.lateByMs = 3_500; // the timer for T0+100 fires at T0+3600
    clock.advanceTo(T0 + 100);
    expect(runs.map((r) => r.slotMs - T0)).toEqual([3_100]);
    expect(events[0]).toEqual({
      kind: 'skipped',
      key: 'a',
      slotMs: T0 + 100,
      count: 3,
      reason: 'missed',
    });
    expect(events[1]).toEqual({ kind: 'started', key: 'a', slotMs: T0 + 3_100, latenessMs: 500 });
    expect(scheduler.nextSlot('a')).toBe(T0 + 4_100);
  });

  it('keeps the pending slot when set() repeats the phase and moves it when the phase changes', () => {
    const { clock, scheduler } = setup();
    scheduler.set('a', { intervalMs: 10_000, offsetMs: 5_000 });
    clock.advanceTo(T0 + 1_000);
    scheduler.set('a', { intervalMs: 10_000, offsetMs: 5_000 });
    expect(scheduler.nextSlot('a')).toBe(T0 + 5_000);
    scheduler.set('a', { intervalMs: 10_000, offsetMs: 500 });
    expect(scheduler.nextSlot('a')).toBe(T0 + 10_500);
  });

  it('delete stops a key; a re-added key still waits for its run in progress', async () => {
    const { clock, runs, events, release, scheduler } = setup({ hold: true });
    scheduler.set('a', { intervalMs: 1_000, offsetMs: 0 });
    clock.advanceTo(T0);
    expect(scheduler.delete('a')).toBe(true);
    expect(scheduler.delete('a')).toBe(false);
    clock.advanceTo(T0 + 5_000);
    expect(runs).toHaveLength(1);
    scheduler.set('a', { intervalMs: 1_000, offsetMs: 0 });
    clock.advanceTo(T0 + 6_000);
    expect(runs).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ kind: 'skipped', reason: 'busy' });
    release.shift()!();
    await scheduler.idle();
  });

  it('runs 10,000 targets on one clock timer, each once per interval at its own phase', async () => {
    const { clock, runs, scheduler } = setup();
    const interval = 15_000;
    for (let i = 0; i < 10_000; i++) {
      scheduler.set(`t${i}`, { intervalMs: interval, offsetMs: (i * 7_919) % interval });
    }
    expect(clock.pending).toBe(1);
    clock.advance(interval);
    await flushMicrotasks();
    expect(runs).toHaveLength(10_000);
    expect(new Set(runs.map((r) => r.key)).size).toBe(10_000);
    for (const r of runs) {
      const i = Number(r.key.slice(1));
      expect((r.slotMs - ((i * 7_919) % interval)) % interval).toBe(0);
    }
    expect(clock.pending).toBe(1);
  });

  it('stop() ends scheduling; idle() waits for runs in progress', async () => {
    const { clock, runs, release, scheduler } = setup({ hold: true });
    scheduler.set('a', { intervalMs: 1_000, offsetMs: 0 });
    scheduler.set('b', { intervalMs: 1_000, offsetMs: 500 });
    clock.advanceTo(T0 + 500);
    expect(scheduler.inFlight).toBe(2);
    scheduler.stop();
    let idle = false;
    const waiting = scheduler.idle().then(() => {
      idle = true;
    });
    clock.advanceTo(T0 + 10_000);
    expect(runs).toHaveLength(2);
    await flushMicrotasks();
    expect(idle).toBe(false);
    for (const r of release.splice(0)) r();
    await waiting;
    expect(idle).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('passes a failed run to onError and keeps scheduling', async () => {
    const clock = new ManualClock(T0);
    const errors: unknown[] = [];
    let n = 0;
    const s = new SlotScheduler({
      clock,
      run: async () => {
        n++;
        throw new Error('boom');
      },
      onError: (_key, err) => errors.push(err),
    });
    s.set('a', { intervalMs: 1_000, offsetMs: 0 });
    clock.advanceTo(T0);
    await flushMicrotasks();
    clock.advanceTo(T0 + 1_000);
    await flushMicrotasks();
    expect(n).toBe(2);
    expect(errors).toHaveLength(2);
  });
});

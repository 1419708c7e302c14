import { describe, expect, it } from 'vitest';
import { TimerQueue } from '../../src/schedule/timer-queue.js';
import { ManualClock } from './manual-clock.js';

describe('TimerQueue', () => {
  it.each([
    { name: 'in due order', dues: [30, 10, 20], want: [10, 20, 30] },
    { name: 'equal dues in insertion order', dues: [10, 10, 5, 10], want: [5, 10, 10, 10] },
    {
      name: 'many, shuffled',
      dues: [9, 3, 7, 1, 8, 2, 6, 4, 5, 0],
      want: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    },
  ])('fires $name', ({ dues, want }) => {
    const clock = new ManualClock(0);
    const q = new TimerQueue(clock);
    const fired: number[] = [];
    for (const d of dues) q.schedule(d, () => fired.push(clock.now()));
    clock.advanceTo(100);
    expect(fired).toEqual(want);
    expect(q.size).toBe(0);
  });

  it('keeps a single clock timer armed for the earliest entry', () => {
    const clock = new ManualClock(0);
    const q = new TimerQueue(clock);
    for (let i = 0; i < 10_000; i++) q.schedule(1_000 + (i % 97), () => {});
    expect(clock.pending).toBe(1);
    expect(q.size).toBe(10_000);
    clock.advanceTo(2_000);
    expect(q.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('cancel stops a timer and re-arms past cancelled entries', () => {
    const clock = new ManualClock(0);
    const q = new TimerQueue(clock);
    const fired: string[] = [];
    const a = q.schedule(10, () => fired.push('a'));
    q.schedule(20, () => fired.push('b'));
    q.cancel(a);
    q.cancel(a);
    expect(q.size).toBe(1);
    clock.advanceTo(15);
    expect(fired).toEqual([]);
    clock.advanceTo(20);
    expect(fired).toEqual(['b']);
  });

  it('runs a timer scheduled from a callback when it is already due', () => {
    const clock = new ManualClock(0);
    const q = new TimerQueue(clock);
    const fired: number[] = [];
    q.schedule(10, () => {
      fired.push(1);
      q.schedule(5, () => fired.push(2));
      q.schedule(50, () => fired.push(3));
    });
    clock.advanceTo(10);
    expect(fired).toEqual([1, 2]);
    clock.advanceTo(50);
    expect(fired).toEqual([1, 2, 3]);
  });

  it('does nothing after stop', () => {
    const clock = new ManualClock(0);
    const q = new TimerQueue(clock);
    const fired: number[] = [];
    q.schedule(10, () => fired.push(1));
    q.stop();
    q.schedule(20, () => fired.push(2));
    clock.advanceTo(100);
    expect(fired).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});

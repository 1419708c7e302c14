import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LEAD_MS,
  DEFAULT_WINDOW_MARGIN_MS,
  delaySecondsFor,
  MAX_DELAY_SECONDS,
  PlanError,
  type PlannedTask,
  planShard,
  planWindow,
  shardCount,
  shardOf,
  TASK_BUCKET_MS,
  taskTargetSlot,
  windowFor,
} from '../../src/pipeline/plan.js';
import { ScheduleError } from '../../src/targets/offset.js';
import type { Target } from '../../src/targets/types.js';

/** 2026-01-01T00:00:00Z: a round number, so slot arithmetic in the cases is easy to read. */
const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;

function idOf(n: number): string {
  return n.toString(16).padStart(16, '0');
}

function target(n: number, intervalMs: number, offsetMs: number): Target {
  return {
    job: 'j',
    labels: [],
    publicLabels: [],
    discoveredLabels: [],
    url: `http://t${n}/metrics`,
    intervalMs,
    timeoutMs: Math.min(intervalMs, 10_000),
    id: idOf(n),
    offsetMs,
  };
}

/** (slot, target id) of every target in every task, in output order. */
function pairs(tasks: readonly PlannedTask[]): [number, string][] {
  return tasks.flatMap(({ task }) =>
    task.targets.map((t): [number, string] => [taskTargetSlot(t, task.slotMs), t.id]),
  );
}

/** Plans `count` consecutive windows starting at `startMs`, each from its on-time invocation. */
function planWindows(
  targets: readonly Target[],
  startMs: number,
  windowMs: number,
  count: number,
  maxTargetsPerTask = 1000,
): PlannedTask[][] {
  const out: PlannedTask[][] = [];
  for (let w = 0; w < count; w++) {
    const s = startMs + w * windowMs;
    out.push(
      planWindow(
        targets,
        { startMs: s, endMs: s + windowMs },
        {
          maxTargetsPerTask,
          nowMs: s - DEFAULT_WINDOW_MARGIN_MS,
        },
      ),
    );
  }
  return out;
}

/** Brute force: every T in [from, to) with T ≡ offset (mod interval). */
function bruteSlots(intervalMs: number, offsetMs: number, from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = from; t < to; t++) {
    if ((((t - offsetMs) % intervalMs) + intervalMs) % intervalMs === 0) out.push(t);
  }
  return out;
}

describe('planWindow: slots (§9)', () => {
  it.each([
    { name: '15 s', interval: 15_000, offset: 4_321, windows: 3, perWindow: [4, 4, 4] },
    { name: '60 s', interval: 60_000, offset: 59_999, windows: 3, perWindow: [1, 1, 1] },
    {
      name: '45 s (does not divide a minute)',
      interval: 45_000,
      offset: 10_000,
      windows: 4,
      perWindow: [2, 1, 1, 2],
    },
    { name: '90 s', interval: 90_000, offset: 0, windows: 4, perWindow: [1, 1, 0, 1] },
    { name: '7 s', interval: 7_000, offset: 3_000, windows: 3, perWindow: [9, 8, 9] },
    { name: '2 m', interval: 120_000, offset: 70_000, windows: 4, perWindow: [0, 1, 0, 1] },
    { name: '1 ms', interval: 1, offset: 0, windows: 2, perWindow: [MIN, MIN] },
  ])(
    '$name: exact slots in each of $windows consecutive windows',
    ({ interval, offset, windows, perWindow }) => {
      const t = target(1, interval, offset);
      const planned = planWindows([t], T0, MIN, windows);
      const slots = planned.map((tasks) =>
        tasks.map((p) => taskTargetSlot(p.task.targets[0]!, p.task.slotMs)),
      );
      expect(slots.map((s) => s.length)).toEqual(perWindow);
      planned.forEach((tasks, w) => {
        for (const { task } of tasks) {
          expect(task.slotMs).toBeGreaterThanOrEqual(T0 + w * MIN);
          expect(task.slotMs).toBeLessThan(T0 + (w + 1) * MIN);
        }
      });
      // Union over the windows = all slots of the covered range, each once, in order.
      expect(slots.flat()).toEqual(bruteSlots(interval, offset, T0, T0 + windows * MIN));
    },
  );

  it('a window not aligned to the interval still gets exactly its slots', () => {
    const t = target(1, 45_000, 44_999);
    const start = T0 + 1_234;
    const tasks = planWindow(
      [t],
      { startMs: start, endMs: start + 100_000 },
      {
        maxTargetsPerTask: 10,
        nowMs: start,
      },
    );
    expect(tasks.map((p) => taskTargetSlot(t, p.task.slotMs))).toEqual(
      bruteSlots(45_000, 44_999, start, start + 100_000),
    );
  });

  it('plans a slot exactly at startMs and none at endMs (half-open)', () => {
    const t = target(1, 30_000, 0);
    const tasks = planWindow(
      [t],
      { startMs: T0, endMs: T0 + 30_000 },
      {
        maxTargetsPerTask: 10,
        nowMs: T0 - 10_000,
      },
    );
    expect(tasks.map((p) => p.task.slotMs)).toEqual([T0]);
  });

  it('orders tasks by slot; the output does not depend on input order', () => {
    const targets = [target(3, 15_000, 5_000), target(1, 15_000, 5_000), target(2, 10_000, 1_000)];
    const a = planWindow(
      targets,
      { startMs: T0, endMs: T0 + MIN },
      { maxTargetsPerTask: 10, nowMs: T0, leadMs: 0 },
    );
    const b = planWindow(
      [...targets].reverse(),
      { startMs: T0, endMs: T0 + MIN },
      {
        maxTargetsPerTask: 10,
        nowMs: T0,
        leadMs: 0,
      },
    );
    expect(a).toEqual(b);
    const slots = a.map((p) => p.task.slotMs);
    expect(slots).toEqual([...slots].sort((x, y) => x - y));
    expect(a[0]!.task.slotMs).toBe(T0 + 1_000);
    expect(a.find((p) => p.task.slotMs === T0 + 5_000)!.task.targets.map((t) => t.id)).toEqual([
      idOf(1),
      idOf(3),
    ]);
  });

  it('returns no tasks for no targets', () => {
    expect(
      planWindow([], { startMs: T0, endMs: T0 + MIN }, { maxTargetsPerTask: 1, nowMs: T0 }),
    ).toEqual([]);
  });
});

describe('planWindow: grouping (decision 6)', () => {
  it.each([
    { n: 1, max: 50, sizes: [1] },
    { n: 50, max: 50, sizes: [50] },
    { n: 51, max: 50, sizes: [26, 25] },
    { n: 101, max: 50, sizes: [34, 34, 33] },
    { n: 200, max: 50, sizes: [50, 50, 50, 50] },
    { n: 7, max: 1, sizes: [1, 1, 1, 1, 1, 1, 1] },
    { n: 10, max: 3, sizes: [3, 3, 2, 2] },
  ])('$n targets of one slot, at most $max a task → $sizes', ({ n, max, sizes }) => {
    // Ids deliberately given in reverse: tasks hold them in id order.
    const targets = Array.from({ length: n }, (_, i) => target(n - i, 60_000, 30_000));
    const tasks = planWindow(
      targets,
      { startMs: T0, endMs: T0 + MIN },
      { maxTargetsPerTask: max, nowMs: T0, leadMs: 0 },
    );
    expect(tasks.map((p) => p.task.targets.length)).toEqual(sizes);
    expect(tasks.every((p) => p.task.kind === 'scrape' && p.task.slotMs === T0 + 30_000)).toBe(
      true,
    );
    expect(pairs(tasks).map(([, id]) => id)).toEqual(
      Array.from({ length: n }, (_, i) => idOf(i + 1)),
    );
  });

  it('groups the slots of one delivery second; each target keeps its own slot, in full', () => {
    const targets = [target(1, 15_000, 100), target(2, 15_000, 100), target(3, 15_000, 999)];
    const tasks = planWindow(
      targets,
      { startMs: T0, endMs: T0 + MIN },
      { maxTargetsPerTask: 10, nowMs: T0, leadMs: 0 },
    );
    // Offsets 100 and 999 ms fall in the same second: 4 tasks of 3, not 8.
    expect(tasks.map((p) => p.task.targets.length)).toEqual([3, 3, 3, 3]);
    for (const { task } of tasks) {
      expect(task.slotMs % 1000).toBe(T0 % 1000);
      for (const t of task.targets) {
        const slot = taskTargetSlot(t, task.slotMs);
        expect((slot - t.offsetMs) % t.intervalMs).toBe(0);
        expect(slot - task.slotMs).toBeLessThan(TASK_BUCKET_MS);
        expect(targets).toContain(t); // the very object, every field included
      }
    }
  });

  it('batches targets spread over millisecond offsets (decision 6)', () => {
    const targets = Array.from({ length: 1000 }, (_, i) =>
      target(i + 1, 60_000, (i * 7919) % 60_000),
    );
    const tasks = planWindow(
      targets,
      { startMs: T0, endMs: T0 + MIN },
      { maxTargetsPerTask: 50, nowMs: T0 },
    );
    // 1000 slots spread over 60 seconds (61 buckets: the first starts before the window).
    expect(tasks.length).toBeLessThanOrEqual(61);
    expect(tasks.reduce((n, p) => n + p.task.targets.length, 0)).toBe(1000);
  });

  it('keeps exact-slot tasks for intervals under a second', () => {
    const t = target(1, 250, 10);
    const tasks = planWindow(
      [t],
      { startMs: T0, endMs: T0 + 1000 },
      { maxTargetsPerTask: 10, nowMs: T0 },
    );
    expect(tasks.map((p) => p.task.slotMs - T0)).toEqual([10, 260, 510, 760]);
  });
});

describe('planWindow: delays', () => {
  const t = target(1, MIN, 30_000); // slot T0 + 30 s
  const plan = (nowMs: number, leadMs?: number) =>
    planWindow(
      [t],
      { startMs: T0 + 30_000, endMs: T0 + 30_001 },
      {
        maxTargetsPerTask: 1,
        nowMs,
        ...(leadMs === undefined ? {} : { leadMs }),
      },
    )[0]!.delaySeconds;

  it.each([
    // Default lead 700 ms, sent at a whole second: buckets start 700 ms into a second, the
    // slot's bucket is [29.7 s, 30.7 s), its message visible at 30.7 − 0.7 = 30 s.
    {
      name: 'default lead: visible 700 ms before the bucket ends',
      now: T0,
      lead: undefined,
      delay: 30,
    },
    { name: 'lead 0: visible at the bucket end', now: T0, lead: 0, delay: 31 },
    { name: 'lead 0, sent 1 ms later: the grid moves with it', now: T0 + 1, lead: 0, delay: 30 },
    { name: 'lead 1000: visible at the bucket start', now: T0, lead: 1_000, delay: 30 },
    { name: 'lead 1001', now: T0, lead: 1_001, delay: 29 },
    { name: 'slot within the lead → 0', now: T0 + 29_500, lead: undefined, delay: 0 },
    { name: 'slot already past → 0', now: T0 + 45_000, lead: undefined, delay: 0 },
    { name: 'more than 900 s away, lead 0 → 900', now: T0 + 30_000 - 900_000, lead: 0, delay: 900 },
  ])('$name', ({ now, lead, delay }) => {
    expect(plan(now, lead)).toBe(delay);
  });

  it('a message sent at once is visible exactly `lead` before its bucket ends: each target is read from `lead` before its slot to `1 s − lead` after it', () => {
    const targets = Array.from({ length: 200 }, (_, i) =>
      target(i + 1, 15_000, (i * 977) % 15_000),
    );
    for (const lead of [0, 300, DEFAULT_LEAD_MS, 1_000]) {
      for (let now = T0 - 20_000; now < T0 - 15_000; now += 137) {
        const tasks = planWindow(
          targets,
          { startMs: T0, endMs: T0 + MIN },
          { maxTargetsPerTask: 50, nowMs: now, leadMs: lead },
        );
        for (const { task, delaySeconds } of tasks) {
          const visible = now + delaySeconds * 1000;
          for (const t of task.targets) {
            const slot = taskTargetSlot(t, task.slotMs);
            expect(slot - visible).toBeLessThanOrEqual(lead);
            expect(visible - slot).toBeLessThan(TASK_BUCKET_MS - lead + 1);
          }
        }
      }
    }
  });

  it('delaySecondsFor clamps to [0, 900]', () => {
    expect(delaySecondsFor(T0 + 10_000_000, T0, 0)).toBe(MAX_DELAY_SECONDS);
    expect(delaySecondsFor(T0 - 10_000, T0, 0)).toBe(0);
    expect(delaySecondsFor(T0 + 2_999, T0)).toBe(3);
  });

  it('rejects a window reaching more than 900 s ahead', () => {
    const far = { startMs: T0, endMs: T0 + MIN };
    expect(() =>
      planWindow([t], far, { maxTargetsPerTask: 1, nowMs: T0 + MIN - 1 - 900_000 }),
    ).not.toThrow();
    expect(() =>
      planWindow([t], far, { maxTargetsPerTask: 1, nowMs: T0 + MIN - 2 - 900_000 }),
    ).toThrow(PlanError);
  });
});

describe('planWindow: validation', () => {
  const w = { startMs: T0, endMs: T0 + MIN };
  it.each([
    { name: 'empty window', window: { startMs: T0, endMs: T0 }, max: 1 },
    { name: 'fractional window', window: { startMs: T0 + 0.5, endMs: T0 + MIN }, max: 1 },
    { name: 'zero per task', window: w, max: 0 },
    { name: 'fractional per task', window: w, max: 1.5 },
  ])('$name → PlanError', ({ window, max }) => {
    expect(() => planWindow([], window, { maxTargetsPerTask: max, nowMs: T0 })).toThrow(PlanError);
  });

  it.each([
    { interval: 0, offset: 0 },
    { interval: 1000, offset: 1000 },
    { interval: 1000, offset: -1 },
    { interval: 1000.5, offset: 0 },
  ])('interval $interval offset $offset → ScheduleError', ({ interval, offset }) => {
    expect(() =>
      planWindow([target(1, interval, offset)], w, { maxTargetsPerTask: 1, nowMs: T0 }),
    ).toThrow(ScheduleError);
  });
});

describe('windowFor', () => {
  const next = { startMs: T0 + MIN, endMs: T0 + 2 * MIN };
  it.each([
    { name: 'on time', now: T0 + 300, window: next },
    { name: 'exactly on the boundary', now: T0, window: next },
    { name: 'late by 30 s', now: T0 + 30_000, window: next },
    { name: 'late by 50 s (60 s − margin)', now: T0 + 50_000, window: next },
    {
      name: 'later than 60 s − margin: the window after',
      now: T0 + 50_001,
      window: { startMs: T0 + 2 * MIN, endMs: T0 + 3 * MIN },
    },
    { name: 'early by 2 s', now: T0 - 2_000, window: next },
  ])('$name', ({ now, window }) => {
    expect(windowFor(now, MIN)).toEqual(window);
  });

  it('a duplicate invocation gets the same window (the ledger key)', () => {
    expect(windowFor(T0 + 120, MIN).startMs).toBe(windowFor(T0 + 4_500, MIN).startMs);
  });

  it('successive on-time invocations plan contiguous windows', () => {
    for (let m = 0; m < 5; m++) {
      expect(windowFor(T0 + m * MIN + 200, MIN).endMs).toBe(
        windowFor(T0 + (m + 1) * MIN + 900, MIN).startMs,
      );
    }
  });

  it('a late invocation plans only slots that are still ahead (by at least the margin)', () => {
    const now = T0 + 30_000;
    const window = windowFor(now, MIN);
    const tasks = planWindow([target(1, 7_000, 0)], window, { maxTargetsPerTask: 1, nowMs: now });
    expect(tasks.length).toBeGreaterThan(0);
    for (const { task, delaySeconds } of tasks) {
      expect(task.slotMs - now).toBeGreaterThanOrEqual(DEFAULT_WINDOW_MARGIN_MS);
      expect(delaySeconds).toBeGreaterThan(0);
    }
  });

  it('honours a custom margin and rejects bad windows', () => {
    expect(windowFor(T0 + 55_000, MIN, 0).startMs).toBe(T0 + MIN);
    expect(() => windowFor(T0, 0)).toThrow(PlanError);
    expect(() => windowFor(T0, MIN, -1)).toThrow(PlanError);
  });
});

describe('sharding (decision 7)', () => {
  it.each([
    { count: 0, shards: 1 },
    { count: 1, shards: 1 },
    { count: 50_000, shards: 1 },
    { count: 50_001, shards: 2 },
    { count: 100_000, shards: 2 },
    { count: 1_000_000, shards: 20 },
  ])('shardCount($count) = $shards', ({ count, shards }) => {
    expect(shardCount(count)).toBe(shards);
  });

  it('shardOf is stable and in range', () => {
    expect(shardOf('0123456789abcdef', 7)).toBe(shardOf('0123456789abcdef', 7));
    expect(shardOf('anything', 1)).toBe(0);
    // FNV-1a 32 of "a" = 0xe40c292c.
    expect(shardOf('a', 1000)).toBe(0xe40c292c % 1000);
    expect(() => shardOf('a', 0)).toThrow(PlanError);
  });

  it.each([1, 2, 3, 7, 16])('%i shards plan every target exactly once, evenly', (shards) => {
    const targets = Array.from({ length: 3_000 }, (_, i) =>
      target(i * 7919 + 1, 60_000, (i * 37) % 60_000),
    );
    const window = { startMs: T0, endMs: T0 + MIN };
    const all = pairs(planWindow(targets, window, { maxTargetsPerTask: 5, nowMs: T0 }));
    const perShard = Array.from({ length: shards }, (_, shard) =>
      pairs(planShard(targets, window, { maxTargetsPerTask: 5, nowMs: T0, shard, shards })),
    );
    const bySlotThenId = ([a, x]: [number, string], [b, y]: [number, string]) =>
      a - b || (x < y ? -1 : x > y ? 1 : 0);
    expect(perShard.flat().sort(bySlotThenId)).toEqual([...all].sort(bySlotThenId));
    for (const p of perShard) expect(p.length).toBeGreaterThan((all.length / shards) * 0.8);
  });

  it('rejects a shard out of range', () => {
    const w = { startMs: T0, endMs: T0 + MIN };
    expect(() =>
      planShard([], w, { maxTargetsPerTask: 1, nowMs: T0, shard: 2, shards: 2 }),
    ).toThrow(PlanError);
    expect(() =>
      planShard([], w, { maxTargetsPerTask: 1, nowMs: T0, shard: -1, shards: 2 }),
    ).toThrow(PlanError);
  });
});

describe('planWindow: properties', () => {
  it('each slot appears exactly once across consecutive windows, T ≡ offset (mod interval)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .integer({ min: 1, max: 200_000 }) // a 1 ms interval is many slots; rare but allowed
            .chain((interval) =>
              fc.tuple(fc.constant(interval), fc.integer({ min: 0, max: interval - 1 })),
            ),
          { minLength: 1, maxLength: 8 },
        ),
        fc.integer({ min: 1_000, max: 120_000 }), // window length
        fc.integer({ min: -1_000_000, max: 1_000_000 }), // where the first window starts
        fc.integer({ min: 1, max: 5 }), // consecutive windows
        fc.integer({ min: 1, max: 4 }), // max targets per task
        (phases, windowMs, shift, count, max) => {
          const targets = phases.map(([interval, offset], i) => target(i + 1, interval, offset));
          const start = T0 + shift;
          const got = planWindows(targets, start, windowMs, count, max).flat();
          const end = start + windowMs * count;
          const seen = new Map<string, number[]>(targets.map((t) => [t.id, []]));
          let ok = true;
          for (const { task } of got) {
            if (task.targets.length > max) ok = false;
            for (const t of task.targets) {
              const slot = taskTargetSlot(t, task.slotMs);
              if ((slot - t.offsetMs) % t.intervalMs !== 0) ok = false; // T ≡ offset
              seen.get(t.id)!.push(slot);
            }
          }
          expect(ok).toBe(true);
          for (const t of targets) {
            // Expected by stepping k·interval + offset over the covered range (no nextScrapeTime).
            const expected: number[] = [];
            for (
              let s = Math.floor(start / t.intervalMs) * t.intervalMs + t.offsetMs;
              s < end;
              s += t.intervalMs
            ) {
              if (s >= start) expected.push(s);
            }
            expect(seen.get(t.id)).toEqual(expected);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

/**
 * Dispatcher planning cost (docs/design.md decisions 6, 7): `planWindow` over N synthetic targets
 * with mixed intervals (15 s / 30 s / 60 s / 120 s, a quarter each) and hashed-looking offsets,
 * for one 60 s window. Reports the median and worst time per plan, the tasks and slots
 * produced, the RSS once the fixture is built, the process's peak RSS, and the heap held by
 * one plan's output (with --expose-gc).
 *
 * Usage: npx tsx bench/plan.bench.ts [--targets N] [--rounds R] [--max M] [--shards S]
 *        node --expose-gc --import tsx bench/plan.bench.ts …   (adds outputHeapMB)
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { planShard, planWindow, shardOf, windowFor } from '../src/pipeline/plan.js';
import type { Target } from '../src/targets/types.js';

const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '10' },
    max: { type: 'string', default: '50' },
    shards: { type: 'string', default: '1' },
  },
});
const count = Number(values.targets);
const rounds = Number(values.rounds);
const maxTargetsPerTask = Number(values.max);
const shards = Number(values.shards);

const INTERVALS = [15_000, 30_000, 60_000, 120_000];
const targets: Target[] = [];
for (let i = 0; i < count; i++) {
  const id = (BigInt(i + 1) * 0x9e3779b97f4a7c15n).toString(16).slice(-16).padStart(16, '0');
  const intervalMs = INTERVALS[i % INTERVALS.length]!;
  // Offsets spread like the §9 hash: a multiplicative hash of the index mod the interval.
  const offsetMs = Number((BigInt(i + 1) * 0xbf58476d1ce4e5b9n) % BigInt(intervalMs));
  const labels = [{ name: 'instance', value: `host-${i}:9100` }];
  targets.push({
    job: 'node',
    labels,
    publicLabels: labels,
    discoveredLabels: labels,
    url: `http://host-${i}:9100/metrics`,
    intervalMs,
    timeoutMs: 10_000,
    id,
    offsetMs,
  });
}

const nowMs = Date.UTC(2026, 0, 1, 12, 0, 0, 300);
const window = windowFor(nowMs, 60_000);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

const fixtureRssMB = mb(process.memoryUsage().rss);
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const times: number[] = [];
let tasks = 0;
let slots = 0;
let kept: unknown;
for (let r = 0; r < rounds; r++) {
  const t0 = performance.now();
  const planned =
    shards === 1
      ? planWindow(targets, window, { maxTargetsPerTask, nowMs })
      : Array.from({ length: shards }, (_, shard) =>
          planShard(targets, window, { maxTargetsPerTask, nowMs, shard, shards }),
        ).flat();
  times.push(performance.now() - t0);
  tasks = planned.length;
  slots = planned.reduce((n, p) => n + p.task.targets.length, 0);
  kept = planned;
}
gc?.();
const heapHeld = process.memoryUsage().heapUsed - heapBefore;
times.sort((a, b) => a - b);
const perShard = Array.from({ length: shards }, () => 0);
for (const t of targets) perShard[shardOf(t.id, shards)]!++;

console.log(
  JSON.stringify(
    {
      targets: count,
      window,
      maxTargetsPerTask,
      shards,
      targetsPerShard: perShard,
      slots,
      tasks,
      meanTargetsPerTask: Number((slots / tasks).toFixed(2)),
      medianMs: Number(times[Math.floor(times.length / 2)]!.toFixed(1)),
      fastestMs: Number(times[0]!.toFixed(1)),
      worstMs: Number(times[times.length - 1]!.toFixed(1)),
      outputHeapMB: gc ? mb(heapHeld) : 'run with --expose-gc',
      fixtureRssMB,
      peakRssMB: mb(process.resourceUsage().maxRSS * 1024),
    },
    null,
    2,
  ),
);
void kept;

/**
 * Window planning for the dispatcher (docs/design.md "The flow", decisions 3, 6 and 7; §9).
 *
 * The dispatcher runs about once a minute and plans the NEXT window `[startMs, endMs)`: every
 * fixed-phase slot `T = k·interval + offset` (§9) of every target with `startMs ≤ T < endMs`,
 * grouped into scrape tasks (one SQS message each) of one *bucket*: a second of slots, the
 * message visible `leadMs` before the bucket's end, so the scraper scrapes every target on
 * arrival — within `leadMs` before its slot to `1 s − leadMs` after it — and stamps samples
 * with `T` (§9 "Serverless recommendation", decision 3: waiting is billed, so it does not wait).
 *
 * Contracts:
 * - Windows are half-open and aligned to multiples of `windowMs` ({@link windowFor}), so
 *   consecutive windows are contiguous: every slot falls in exactly one window and is planned
 *   exactly once, whatever the interval (shorter or longer than the window, dividing it or not).
 * - Tasks are ordered by slot, then by the id of their first target; within a slot, targets are
 *   ordered by id (byte order: ids are 16 lowercase hex digits, §2.6) and split into the fewest
 *   tasks of at most `maxTargetsPerTask`, sizes differing by at most one. The output depends
 *   only on the set of targets, not on their input order.
 * - A task carries its targets in full (ScrapeTask, ports.ts): the scraper reads no table.
 * - Target ids are assumed unique (the target store is keyed by id); a repeated id is planned
 *   once per occurrence.
 */
import type { ScrapeTask } from '../ports.js';
import { nextScrapeTime, phaseProblem, ScheduleError } from '../targets/offset.js';
import type { Target } from '../targets/types.js';

/** SQS `DelaySeconds` upper bound (whole seconds). */
export const MAX_DELAY_SECONDS = 900;

/**
 * Default lead: a task's message becomes visible 700 ms before the end of its bucket (the
 * second its slots lie in), i.e. 300 ms after the bucket's first possible slot. Buckets are laid
 * on the dispatcher's own sub-second phase, so with whole-second `DelaySeconds` the message
 * becomes visible at exactly that point when it is sent at once. A scraper that scrapes on
 * arrival then reads each target between 700 ms before and 300 ms after its slot, plus the
 * delivery time (SQS → Lambda, tens to a few hundred ms; a cold start more), and waits for
 * nothing: waiting is billed (decision 3). A longer lead makes targets wait for their slot.
 */
export const DEFAULT_LEAD_MS = 700;

/**
 * Scraper-side tolerance (decision 3): a target whose slot is at most this far ahead when its
 * task arrives is scraped at once and still stamped `T`; one further ahead waits until
 * `T − tolerance`. Equal to the default lead, so a task delivered on time waits for nothing.
 */
export const DEFAULT_START_TOLERANCE_MS = DEFAULT_LEAD_MS;

/**
 * Default safety margin of {@link windowFor}: the planned window starts at least this long
 * after the invocation, which must cover planning, sending every task (earliest slots first)
 * and the lead. With one-minute windows an invocation may be up to `60 s − margin` = 50 s late
 * and still plan the window it was meant to plan.
 */
export const DEFAULT_WINDOW_MARGIN_MS = 10_000;

/**
 * Targets one dispatcher shard plans (decision 7). Planning 100,000 targets for a minute takes
 * well under a second (bench/plan.bench.ts); the bound is set by sending: 50,000 targets at
 * mixed intervals are ~95,000 slots a minute, i.e. thousands of SendMessageBatch calls that
 * must finish within the window margin.
 */
export const DEFAULT_TARGETS_PER_SHARD = 50_000;

/** One task to enqueue: TaskQueue.send's element type. */
export interface PlannedTask {
  readonly task: Extract<ScrapeTask, { kind: 'scrape' }>;
  /** Whole seconds in `[0, MAX_DELAY_SECONDS]`. */
  readonly delaySeconds: number;
}

/** A half-open planning window `[startMs, endMs)` in Unix ms. */
export interface PlanWindow {
  readonly startMs: number;
  readonly endMs: number;
}

export interface PlanOptions {
  /** Positive integer: the most targets one task (one SQS message) carries (decision 6). */
  readonly maxTargetsPerTask: number;
  /** The time delays are measured from: when the tasks are sent (Unix ms). */
  readonly nowMs: number;
  /**
   * How long before its bucket's end a message becomes visible, ≥ 0 (see
   * {@link DEFAULT_LEAD_MS}). @default DEFAULT_LEAD_MS
   */
  readonly leadMs?: number;
}

export interface ShardOptions extends PlanOptions {
  /** This invocation's shard, an integer in `[0, shards)`. */
  readonly shard: number;
  /** Number of shards, a positive integer; must be the same for every shard of a window. */
  readonly shards: number;
}

/** Invalid window or options (the per-target phase errors are {@link ScheduleError}s). */
export class PlanError extends Error {
  override readonly name = 'PlanError';
  readonly code = 'SCHEDULE_INVALID_PLAN';
}

/** 2^32: slot keys pack `(bucket − grid)·2^32 + targetIndex` into one exact double. */
const INDEX_SPAN = 4_294_967_296;
/** Longest window whose relative slot times fit the key (2^20 ms ≈ 17.5 min > 900 s). */
const MAX_WINDOW_MS = 1_048_576;

function isWholeNumber(n: number): boolean {
  return Number.isSafeInteger(n);
}

/**
 * The window the dispatcher invocation at `nowMs` plans: the first window of length `windowMs`
 * (aligned to multiples of `windowMs` since the epoch) starting at or after `nowMs + marginMs`.
 *
 * - On time (`nowMs` just after a minute boundary): the next minute.
 * - Late by up to `windowMs − marginMs` (e.g. 30 s): still the next minute, whose slots all lie
 *   at least `marginMs` ahead, so none is already past when planned.
 * - Twice (EventBridge delivers at least once): both get the same window; `startMs` is the
 *   idempotency key, so `WindowLedger.claim(startMs, shard)` lets only the first plan it.
 * - Later than that, or a skipped minute: the window it would have planned is not planned (its
 *   slots are missed, like ticks a slow Prometheus loop drops); the next one is, and the next
 *   regular invocation's claim of it fails.
 *
 * `windowMs` must not change while windows planned with the old length are pending: windows
 * of different lengths are not contiguous with each other.
 */
export function windowFor(
  nowMs: number,
  windowMs: number,
  marginMs: number = DEFAULT_WINDOW_MARGIN_MS,
): PlanWindow {
  if (!isWholeNumber(windowMs) || windowMs <= 0 || windowMs > MAX_WINDOW_MS) {
    throw new PlanError(`window must be a whole number of ms in (0, ${MAX_WINDOW_MS}]`);
  }
  if (!Number.isFinite(nowMs) || !Number.isFinite(marginMs) || marginMs < 0) {
    throw new PlanError('now and margin must be finite, margin ≥ 0');
  }
  const startMs = Math.ceil((nowMs + marginMs) / windowMs) * windowMs;
  return { startMs, endMs: startMs + windowMs };
}

/**
 * Delay of the message of the bucket starting at `bucketMs`: `floor((bucketMs + 1 s − leadMs −
 * nowMs) / 1000)` clamped to `[0, MAX_DELAY_SECONDS]`. It becomes visible at `bucket end −
 * lead` exactly when the bucket lies on the grid of {@link bucketPhaseMs}`(nowMs, leadMs)`, else
 * up to a second earlier.
 */
export function delaySecondsFor(bucketMs: number, nowMs: number, leadMs = DEFAULT_LEAD_MS): number {
  const delay = Math.floor((bucketMs + TASK_BUCKET_MS - leadMs - nowMs) / 1000);
  return Math.min(Math.max(delay, 0), MAX_DELAY_SECONDS);
}

/**
 * Where buckets start within a second, in `[0, 1000)`: the phase at which a message sent at
 * `nowMs` with a whole-second delay becomes visible `leadMs` before its bucket's end.
 */
export function bucketPhaseMs(nowMs: number, leadMs = DEFAULT_LEAD_MS): number {
  const phase = (Math.floor(nowMs) + Math.round(leadMs)) % TASK_BUCKET_MS;
  return phase < 0 ? phase + TASK_BUCKET_MS : phase;
}

function checkPhase(target: Target): void {
  const problem = phaseProblem(target);
  if (problem !== undefined) throw new ScheduleError(`target ${target.id}: ${problem}`);
}

function compareById(a: Target, b: Target): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Sorts one slot's targets by id in place: insertion sort for the usual few, else `sort`. */
function sortById(group: Target[]): void {
  const n = group.length;
  if (n > 16) {
    group.sort(compareById);
    return;
  }
  for (let i = 1; i < n; i++) {
    const item = group[i]!;
    let j = i - 1;
    while (j >= 0 && group[j]!.id > item.id) {
      group[j + 1] = group[j]!;
      j--;
    }
    group[j + 1] = item;
  }
}

/**
 * Plans every slot in `window` of every target into tasks (see the module contracts).
 *
 * Slots before `nowMs + leadMs` (a window planned late) get delay 0; the scraper decides what
 * to do with a task that arrives after its slot.
 *
 * Cost: two passes over the targets and one typed-array sort over the slots; besides the
 * output (tasks and their target arrays) it allocates two typed arrays, nothing per slot.
 *
 * @throws {PlanError} for a malformed window or options, or a slot more than 900 s after
 *   `nowMs` (SQS cannot delay it that long).
 * @throws {ScheduleError} for a target whose interval or offset is invalid (as SlotScheduler).
 */
/** Slots of one bucket share a task (a second: the granularity of SQS DelaySeconds). */
export const TASK_BUCKET_MS = 1000;

/**
 * The slot at which a task's target is scraped: its first fixed-phase slot at or after the
 * task's `slotMs`, the bucket start (§9). Unique because a task spans at most
 * {@link TASK_BUCKET_MS} and only targets whose interval is at least that share a bucket.
 */
export function taskTargetSlot(target: Target, taskSlotMs: number): number {
  return nextScrapeTime(target, taskSlotMs);
}

export function planWindow(
  targets: readonly Target[],
  window: PlanWindow,
  options: PlanOptions,
): PlannedTask[] {
  const { startMs, endMs } = window;
  const { maxTargetsPerTask, nowMs } = options;
  const leadMs = options.leadMs ?? DEFAULT_LEAD_MS;
  if (!isWholeNumber(startMs) || !isWholeNumber(endMs) || endMs <= startMs) {
    throw new PlanError(`window must be whole ms with start < end, got [${startMs}, ${endMs})`);
  }
  if (endMs - startMs > MAX_WINDOW_MS) {
    throw new PlanError(`window longer than ${MAX_WINDOW_MS} ms: [${startMs}, ${endMs})`);
  }
  if (!isWholeNumber(maxTargetsPerTask) || maxTargetsPerTask <= 0) {
    throw new PlanError(`maxTargetsPerTask must be a positive integer, got ${maxTargetsPerTask}`);
  }
  if (!Number.isFinite(nowMs) || !Number.isFinite(leadMs) || leadMs < 0) {
    throw new PlanError('now and lead must be finite, lead ≥ 0');
  }
  // The last possible slot is endMs − 1; SQS cannot hold it back further than 900 s.
  if (endMs - 1 - nowMs > MAX_DELAY_SECONDS * 1000) {
    throw new PlanError(
      `window [${startMs}, ${endMs}) reaches more than ${MAX_DELAY_SECONDS} s past now (${nowMs})`,
    );
  }
  const n = targets.length;
  if (n >= INDEX_SPAN) throw new PlanError('too many targets for one plan');

  // Pass 1: first slot per target and the number of slots in the window.
  const first = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const target = targets[i]!;
    checkPhase(target);
    const t = nextScrapeTime(target, startMs);
    first[i] = t;
    if (t < endMs) total += Math.floor((endMs - 1 - t) / target.intervalMs) + 1;
  }

  // Pass 2: one packed key per slot, (bucket − gridMs)·2^32 + i; sorting the keys orders by
  // bucket. Offsets are spread over milliseconds, so grouping by exact slot would put about one
  // target in each message; instead the slots of one bucket share a task, whose slotMs is the
  // bucket start, and each target is scraped at its own slot in it (taskTargetSlot). Buckets
  // lie on the send phase (bucketPhaseMs), so each message becomes visible `lead` before its
  // bucket's end; the first bucket may start up to a second before the window. A target with
  // an interval under a second could have two slots in one bucket, so it keeps exact-slot tasks.
  const phase = bucketPhaseMs(nowMs, leadMs);
  const sinceGrid = (((startMs - phase) % TASK_BUCKET_MS) + TASK_BUCKET_MS) % TASK_BUCKET_MS;
  /** The last bucket start on the grid at or before the window start. */
  const gridMs = startMs - sinceGrid;
  const keys = new Float64Array(total);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const step = targets[i]!.intervalMs;
    for (let t = first[i]!; t < endMs; t += step) {
      const rel = t - gridMs;
      const bucket = step >= TASK_BUCKET_MS ? rel - (rel % TASK_BUCKET_MS) : rel;
      keys[k++] = bucket * INDEX_SPAN + i;
    }
  }
  keys.sort();

  const out: PlannedTask[] = [];
  let j = 0;
  while (j < total) {
    const rel = Math.floor(keys[j]! / INDEX_SPAN);
    const base = rel * INDEX_SPAN;
    let end = j + 1;
    while (end < total && keys[end]! - base < INDEX_SPAN) end++;
    const bucketMs = gridMs + rel;
    const delaySeconds = delaySecondsFor(bucketMs, nowMs, leadMs);
    // The first bucket may start before the window; its task starts at the window.
    const slotMs = Math.max(bucketMs, startMs);
    const group: Target[] = new Array(end - j);
    for (let g = 0; g < group.length; g++) group[g] = targets[keys[j + g]! - base]!;
    sortById(group);
    pushChunks(out, group, slotMs, delaySeconds, maxTargetsPerTask);
    j = end;
  }
  return out;
}

/** Splits one slot's targets into the fewest tasks of ≤ max, sizes differing by at most one. */
function pushChunks(
  out: PlannedTask[],
  group: Target[],
  slotMs: number,
  delaySeconds: number,
  max: number,
): void {
  if (group.length <= max) {
    out.push({ task: { kind: 'scrape', slotMs, targets: group }, delaySeconds });
    return;
  }
  const chunks = Math.ceil(group.length / max);
  const small = Math.floor(group.length / chunks);
  const bigger = group.length - small * chunks; // the first `bigger` chunks get one more
  let from = 0;
  for (let c = 0; c < chunks; c++) {
    const to = from + small + (c < bigger ? 1 : 0);
    out.push({ task: { kind: 'scrape', slotMs, targets: group.slice(from, to) }, delaySeconds });
    from = to;
  }
}

/**
 * The shard of a target (decision 7): FNV-1a 32 over the id's UTF-16 code units (ids are ASCII
 * hex, so these are its bytes), modulo `shards`. Stable across processes and invocations. A
 * separate hash, not bits of the id, so the shard is independent of the target's phase (which
 * is derived from the same identity hash, §9).
 */
export function shardOf(targetId: string, shards: number): number {
  if (!isWholeNumber(shards) || shards <= 0) {
    throw new PlanError(`shards must be a positive integer, got ${shards}`);
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < targetId.length; i++) {
    h ^= targetId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/**
 * Number of dispatcher shards for `targetCount` targets: `max(1, ceil(targetCount /
 * targetsPerShard))`. The coordinating invocation decides it once per window and passes it to
 * every shard: all shards of a window must use the same count, or a target may be planned
 * twice or not at all (the ledger key `(windowStartMs, shard)` does not include the count).
 */
export function shardCount(
  targetCount: number,
  targetsPerShard: number = DEFAULT_TARGETS_PER_SHARD,
): number {
  if (!isWholeNumber(targetsPerShard) || targetsPerShard <= 0) {
    throw new PlanError(`targetsPerShard must be a positive integer, got ${targetsPerShard}`);
  }
  return Math.max(1, Math.ceil(targetCount / targetsPerShard));
}

/**
 * {@link planWindow} over the targets with `shardOf(id, shards) === shard`. Across the shards
 * `0 … shards − 1` of one window every target is planned exactly once.
 */
export function planShard(
  targets: readonly Target[],
  window: PlanWindow,
  options: ShardOptions,
): PlannedTask[] {
  const { shard, shards } = options;
  if (!isWholeNumber(shards) || shards <= 0 || !isWholeNumber(shard) || shard < 0) {
    throw new PlanError(`shard must be an integer in [0, shards), got ${shard} of ${shards}`);
  }
  if (shard >= shards) {
    throw new PlanError(`shard must be an integer in [0, shards), got ${shard} of ${shards}`);
  }
  const mine = shards === 1 ? targets : targets.filter((t) => shardOf(t.id, shards) === shard);
  return planWindow(mine, window, options);
}

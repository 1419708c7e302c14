/**
 * The dispatcher step of the serverless flow (docs/design.md "The flow", right column; decisions 3,
 * 6 and 7; §9): claim the next window, read the targets, plan their fixed-phase slots
 * (`planShard`) and enqueue the tasks with their delays. Pure engine logic against the ports
 * (`TargetStore`, `TaskQueue`, `WindowLedger`); no AWS import here.
 *
 * Contracts:
 * - Idempotent per `(window.startMs, shard)`: a duplicated or late invocation that finds the
 *   window claimed returns `{ skipped: 'already planned' }` without reading or sending anything.
 * - Everything that can be checked without I/O (window length, task size, shard numbers) is
 *   checked before the claim, so bad options never burn a window.
 * - Delays are measured from the clock read after listing and planning, just before sending
 *   (SQS counts `DelaySeconds` from the send), not from the invocation's start.
 * - A failure after the claim throws {@link DispatchError} (`DISPATCH_FAILED_AFTER_CLAIM`, cause
 *   attached): that window's tasks that were not enqueued are lost — their slots are missed,
 *   like ticks a slow Prometheus loop drops (plan.ts `windowFor`) — and the next window is
 *   planned normally by the next scheduled invocation. The claim is NOT released (the
 *   WindowLedger port has no release): a retry of this invocation skips the window, which is
 *   what we want when some tasks were already sent (a re-plan would enqueue them twice). A
 *   `release` for failures before the first send (list or plan failed) would let a retry within
 *   the window margin save the window; not done yet.
 * - Sharding (decision 7): every shard of one window must be given the same `shards`; the
 *   shards plan disjoint sets of targets whose union is all targets (`planShard`).
 */
import type { TargetStore, TaskQueue, WindowLedger } from '../ports.js';
import type { Target } from '../targets/types.js';
import { type PlannedTask, type PlanWindow, planShard, shardOf, windowFor } from './plan.js';

export const DISPATCH_ERROR_CODES = {
  /** The options are invalid; nothing was claimed. */
  invalidOptions: 'DISPATCH_INVALID_OPTIONS',
  /** The window could not be claimed (ledger failure); nothing was planned or sent. */
  claim: 'DISPATCH_CLAIM_FAILED',
  /** Listing, planning or sending failed after the claim: the window is (partly) lost. */
  afterClaim: 'DISPATCH_FAILED_AFTER_CLAIM',
} as const;
export type DispatchErrorCode = (typeof DISPATCH_ERROR_CODES)[keyof typeof DISPATCH_ERROR_CODES];

/** The one error class of this module. */
export class DispatchError extends Error {
  override readonly name = 'DispatchError';
  readonly code: DispatchErrorCode;
  constructor(
    code: DispatchErrorCode,
    message: string,
    /** The window concerned, when one was computed. */
    readonly window?: PlanWindow,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
  }
}

/** Default window length: one minute, the schedule's period. */
export const DEFAULT_WINDOW_MS = 60_000;
/** Default targets per task (one SQS message, decision 6). */
export const DEFAULT_MAX_TARGETS_PER_TASK = 50;

export interface DispatchOptions {
  readonly targets: TargetStore;
  readonly queue: TaskQueue;
  readonly ledger: WindowLedger;
  /** Wall clock, ms since the epoch; read at the start (window) and before sending (delays). */
  readonly now?: () => number;
  /** @default DEFAULT_WINDOW_MS */
  readonly windowMs?: number;
  /** @default DEFAULT_MAX_TARGETS_PER_TASK */
  readonly maxTargetsPerTask?: number;
  /** How long before its first slot a task becomes visible. @default DEFAULT_LEAD_MS (plan.ts) */
  readonly leadMs?: number;
  /** This invocation's shard in `[0, shards)`. @default 0 */
  readonly shard?: number;
  /** Number of shards, the same for every shard of a window. @default 1 */
  readonly shards?: number;
}

export type DispatchResult =
  | { readonly skipped: 'already planned'; readonly window: PlanWindow; readonly shard: number }
  | {
      readonly skipped?: undefined;
      readonly window: PlanWindow;
      readonly shard: number;
      /** Targets of this shard. */
      readonly targets: number;
      /** Tasks enqueued (one message each, unless the queue adapter splits an oversized one). */
      readonly tasks: number;
      /** Scrapes planned: the sum over the tasks of their targets. */
      readonly scrapes: number;
    };

function positiveInt(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0;
}

/** Plans and enqueues the next window of one shard (see the module contracts). */
export async function dispatchWindow(options: DispatchOptions): Promise<DispatchResult> {
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  const maxTargetsPerTask = options.maxTargetsPerTask ?? DEFAULT_MAX_TARGETS_PER_TASK;
  const shard = options.shard ?? 0;
  const shards = options.shards ?? 1;
  if (!positiveInt(maxTargetsPerTask)) {
    throw new DispatchError(
      DISPATCH_ERROR_CODES.invalidOptions,
      `maxTargetsPerTask must be a positive integer, got ${maxTargetsPerTask}`,
    );
  }
  if (!positiveInt(shards) || !Number.isSafeInteger(shard) || shard < 0 || shard >= shards) {
    throw new DispatchError(
      DISPATCH_ERROR_CODES.invalidOptions,
      `shard must be an integer in [0, shards), got ${shard} of ${shards}`,
    );
  }
  let window: PlanWindow;
  try {
    window = windowFor(now(), windowMs);
  } catch (err) {
    throw new DispatchError(
      DISPATCH_ERROR_CODES.invalidOptions,
      (err as Error).message,
      undefined,
      {
        cause: err,
      },
    );
  }

  let claimed: boolean;
  try {
    claimed = await options.ledger.claim(window.startMs, shard);
  } catch (err) {
    throw new DispatchError(
      DISPATCH_ERROR_CODES.claim,
      `claiming window ${window.startMs} of shard ${shard} failed: ${(err as Error).message}`,
      window,
      { cause: err },
    );
  }
  if (!claimed) return { skipped: 'already planned', window, shard };

  try {
    const all = await options.targets.list();
    const nowMs = now();
    const planned = withJobTargets(
      planShard(all, window, {
        maxTargetsPerTask,
        nowMs,
        shard,
        shards,
        ...(options.leadMs === undefined ? {} : { leadMs: options.leadMs }),
      }),
      countByJob(all),
    );
    const targets =
      shards === 1 ? all.length : all.filter((t) => shardOf(t.id, shards) === shard).length;
    await options.queue.send(planned);
    let scrapes = 0;
    for (const p of planned) scrapes += p.task.targets.length;
    return { window, shard, targets, tasks: planned.length, scrapes };
  } catch (err) {
    throw new DispatchError(
      DISPATCH_ERROR_CODES.afterClaim,
      `window ${window.startMs} of shard ${shard} claimed but not fully planned and sent; its ` +
        `unsent slots are lost, the next window is planned normally: ${(err as Error).message}`,
      window,
      { cause: err },
    );
  }
}

/** Active targets per job, over all shards (target_limit counts the whole job, §2.6). */
function countByJob(targets: readonly Target[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of targets) counts.set(t.job, (counts.get(t.job) ?? 0) + 1);
  return counts;
}

/** Each task with the target counts of the jobs it holds (`ScrapeTask.jobTargets`). */
function withJobTargets(
  planned: readonly PlannedTask[],
  counts: ReadonlyMap<string, number>,
): PlannedTask[] {
  return planned.map((p) => {
    const jobTargets: Record<string, number> = {};
    for (const t of p.task.targets) jobTargets[t.job] = counts.get(t.job) ?? 0;
    return { ...p, task: { ...p.task, jobTargets } };
  });
}

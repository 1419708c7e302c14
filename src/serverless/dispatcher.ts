/**
 * The dispatcher function: scheduled every minute, it plans the next window's scrape tasks
 * (`dispatchWindow`, idempotent per window). Logs `dispatch done` (the result) or `dispatch
 * failed`; `outbox depth not read` (warn) when GetQueueAttributes fails, which does not fail
 * the invocation.
 */
import { DynamoDbWindowLedger } from '../aws/dynamodb-window-ledger.js';
import { readQueueDepth } from '../aws/sqs-queue-depth.js';
import { type DispatchResult, dispatchWindow } from '../pipeline/dispatcher.js';
import type { SelfMetrics } from '../pipeline/self-metrics.js';
import type { ServerlessEnv } from './env.js';
import { observeCapacity, observeSqsSent } from './observe.js';
import { type PlanningAdapters, planningAdapters } from './planning.js';
import { createRuntimeBase, type RuntimeBase, type RuntimeOptions, withParts } from './runtime.js';

/** How long a window claim is kept (s): far beyond the longest window (2^20 ms). */
export const LEDGER_TTL_SECONDS = 3_600;

export interface DispatcherParts extends PlanningAdapters {
  /** Which windows are planned (one claim per window). */
  readonly ledger: DynamoDbWindowLedger;
}

export type DispatcherRuntime = RuntimeBase & DispatcherParts;

export function dispatcherParts(
  base: RuntimeBase,
  planning: PlanningAdapters = planningAdapters(base),
): DispatcherParts {
  return {
    ...planning,
    ledger: new DynamoDbWindowLedger(base.dynamodb, base.env.stateTable, {
      ttlSeconds: LEDGER_TTL_SECONDS,
    }),
  };
}

/** The dispatcher's runtime; throws as `createRuntimeBase` does. */
export async function createDispatcherRuntime(
  env: ServerlessEnv,
  options: RuntimeOptions = {},
): Promise<DispatcherRuntime> {
  return withParts(await createRuntimeBase(env, options), dispatcherParts);
}

/**
 * Plans the next window. Throws `DispatchError` (logged first). Reads the outbox depth
 * (GetQueueAttributes) once per invocation, concurrently with the planning; a failed read is
 * logged at warn and observed as nothing.
 */
export async function handleDispatch(runtime: DispatcherRuntime): Promise<DispatchResult> {
  const metrics = runtime.monitoring.metrics('dispatcher');
  const depth = observeOutboxDepth(runtime, metrics);
  try {
    const result = await dispatchWindow({
      targets: runtime.targets,
      queue: runtime.queue,
      ledger: runtime.ledger,
      windowMs: runtime.env.windowMs,
      maxTargetsPerTask: runtime.env.maxTargetsPerTask,
      leadMs: runtime.env.leadMs,
    });
    metrics.observeDispatch(result);
    runtime.logger.info('dispatch done', { ...result, window: result.window.startMs });
    return result;
  } catch (err) {
    runtime.logger.error('dispatch failed', { err });
    throw err;
  } finally {
    await depth;
    const m = runtime.monitoring;
    observeSqsSent(m, metrics, 'scrape', runtime.queue.counters.messagesSent);
    observeCapacity(m, metrics, 'targets', runtime.targets.consumedCapacity());
    observeCapacity(m, metrics, 'ledger', runtime.ledger.consumedCapacity());
    await m.flush('dispatcher');
  }
}

/** Reads the outbox queue's depth into `metrics`. Never rejects. */
async function observeOutboxDepth(runtime: DispatcherRuntime, metrics: SelfMetrics): Promise<void> {
  try {
    const depth = await readQueueDepth(runtime.sqs, runtime.env.outboxQueueUrl);
    metrics.observeOutboxDepth(depth.total);
  } catch (err) {
    runtime.logger.warn('outbox depth not read', { err });
  }
}

/**
 * The discovery function: scheduled every minute, one `DiscoveryRun.run()` per event
 * (service discovery → target relabeling → the targets table). A failure throws; the next
 * minute's run recomputes from the stored state (src/pipeline/discovery.ts contracts). Logs the
 * run's own `discovery done` / `discovery error` lines, and `discovery failed`.
 */
import { DynamoDbDroppedTargetsStore } from '../aws/dynamodb-health-store.js';
import type { DiscoveryRun, DiscoverySummary } from '../pipeline/discovery.js';
import type { ServerlessEnv } from './env.js';
import { observeCapacity, observeEgress, observeSqsSent } from './observe.js';
import { type PlanningAdapters, planningAdapters } from './planning.js';
import { createRuntimeBase, type RuntimeBase, type RuntimeOptions, withParts } from './runtime.js';

export interface DiscoveryParts extends PlanningAdapters {
  /** Each job's dropped targets, written on change (state table; `lambdascrape status`). */
  readonly dropped: DynamoDbDroppedTargetsStore;
  /**
   * The discovery run, built on first call: its module and every discovery mechanism are
   * imported then (lazy chunks of the bundle), not at INIT.
   */
  discovery(): Promise<DiscoveryRun>;
  /** Closes the run's discoverers, if it was built. */
  close(): Promise<void>;
}

export type DiscoveryRuntime = RuntimeBase & DiscoveryParts;

export function discoveryParts(
  base: RuntimeBase,
  planning: PlanningAdapters = planningAdapters(base),
): DiscoveryParts {
  const dropped = new DynamoDbDroppedTargetsStore(base.dynamodb, base.env.stateTable);
  let run: Promise<DiscoveryRun> | undefined;
  const discovery = (): Promise<DiscoveryRun> => {
    run ??= Promise.all([
      import('../pipeline/discovery.js'),
      import('../discovery/kubernetes/mechanism.js'),
    ]).then(
      ([{ DiscoveryRun }, { lazyDefaultEksTokenSource }]) =>
        new DiscoveryRun({
          config: base.config,
          targets: planning.targets,
          queue: planning.queue,
          deploymentId: base.env.deploymentId,
          logger: base.logger,
          windowMs: base.env.windowMs,
          dropped,
          // EKS tokens (kubeconfig `aws eks get-token`) signed with the function role's
          // credentials; the kubeconfig's --region picks the STS endpoint.
          discoveryDeps: { kubernetes: { eksToken: lazyDefaultEksTokenSource(undefined) } },
        }),
    );
    return run;
  };
  return {
    ...planning,
    dropped,
    discovery,
    async close() {
      await run?.then((r) => r.close());
    },
  };
}

/** The discovery function's runtime; throws as `createRuntimeBase` does. */
export async function createDiscoveryRuntime(
  env: ServerlessEnv,
  options: RuntimeOptions = {},
): Promise<DiscoveryRuntime> {
  return withParts(await createRuntimeBase(env, options), discoveryParts);
}

/** One discovery pass. Throws `DiscoveryRunError` (logged first). */
export async function handleDiscovery(runtime: DiscoveryRuntime): Promise<DiscoverySummary> {
  const metrics = runtime.monitoring.metrics('discovery');
  try {
    const summary = await (await runtime.discovery()).run();
    metrics.observeDiscovery(summary);
    return summary;
  } catch (err) {
    runtime.logger.error('discovery failed', { err });
    throw err;
  } finally {
    // Retire tasks go to the scrape queue; the targets table is read and written.
    observeSqsSent(runtime.monitoring, metrics, 'scrape', runtime.queue.counters.messagesSent);
    observeCapacity(runtime.monitoring, metrics, 'targets', runtime.targets.consumedCapacity());
    observeCapacity(runtime.monitoring, metrics, 'dropped', runtime.dropped.consumedCapacity());
    observeEgress(runtime.monitoring, metrics);
    await runtime.monitoring.flush('discovery');
  }
}

/**
 * The four functions' runtimes in one: what `lambdascrape simulate` (and the tests) run, where
 * the functions share one process. Discovery and the dispatcher share the planning adapters,
 * the scraper and the outbox function the delivery adapters, as the deployed functions share
 * their tables and queues. The Lambda functions never import this module: each builds its own
 * runtime (functions/*.ts), so its bundle holds only its own code.
 */
import { deliveryAdapters } from './delivery.js';
import { type DiscoveryParts, discoveryParts } from './discovery.js';
import { type DispatcherParts, dispatcherParts } from './dispatcher.js';
import type { ServerlessEnv } from './env.js';
import { type OutboxParts, outboxParts } from './outbox.js';
import { planningAdapters } from './planning.js';
import { createRuntimeBase, type RuntimeBase, type RuntimeOptions, withParts } from './runtime.js';
import { type ScraperParts, scraperParts } from './scraper.js';

export type ServerlessRuntime = RuntimeBase &
  DiscoveryParts &
  DispatcherParts &
  ScraperParts &
  OutboxParts;

/**
 * Builds every function's runtime on one base. Throws as `createRuntimeBase` does, and
 * `OutboxReplayError` for invalid `replayerOptions`; nothing is left open when it throws.
 */
export async function createRuntime(
  env: ServerlessEnv,
  options: RuntimeOptions = {},
): Promise<ServerlessRuntime> {
  return withParts(await createRuntimeBase(env, options), (base) => {
    const planning = planningAdapters(base);
    const delivery = deliveryAdapters(base);
    const outbox = outboxParts(base, options.replayerOptions, delivery);
    const discovery = discoveryParts(base, planning);
    const scraper = scraperParts(base, options, delivery);
    return {
      ...discovery,
      ...dispatcherParts(base, planning),
      ...scraper,
      ...outbox,
      async close() {
        await Promise.allSettled([discovery.close(), scraper.close()]);
      },
    };
  });
}

/** The hooks through which `simulate` tells a report what its functions did (simulate.ts). */
import type { DispatchResult } from '../pipeline/dispatcher.js';
import type { ReplayOutcome } from '../pipeline/outbox-replayer.js';
import type { TaskOutcome } from '../pipeline/scraper-outcome.js';
import type { ScrapeTask } from '../ports.js';

/**
 * What a report of the run learns from the simulated functions. Each hook runs synchronously in
 * the function's invocation, after its work: it must be quick and must not throw, and what it
 * writes must not go through the simulated functions' logger (that would be billed to them).
 */
export interface SimulationObserver {
  /** Each dispatcher run that planned a window (a run that found it planned already is not). */
  dispatched?(result: DispatchResult & { readonly skipped?: undefined }): void;
  /** Each scrape task done by the worker: the task (its targets and URLs) and its outcome. */
  taskDone?(task: ScrapeTask, outcome: TaskOutcome): void;
  /** Each outbox batch replayed: one outcome per record. */
  replayed?(outcomes: readonly ReplayOutcome[]): void;
}

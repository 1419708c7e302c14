/**
 * What a `simulate` run measures for its cost report (`src/serverless/cost.ts` prices it).
 *
 * Each simulated invocation runs inside {@link SimulationMeter.invoke}, which times it (billed
 * duration = wall time rounded up to a whole ms) and makes it the current invocation of its
 * async context (AsyncLocalStorage), so what happens inside is charged to its function:
 * - SQS: a middleware on each runtime's SQS client counts every call (SendMessage(Batch),
 *   ReceiveMessage, DeleteMessageBatch, GetQueueAttributes, …) in 64 KiB chunks of its payload:
 *   the input as JSON, or for a receive the bodies it returned. The poll loops run their
 *   receives through {@link SimulationMeter.poll}: they are charged to the queue's function, and
 *   a receive that returned nothing is counted apart (it is per time, not per scrape).
 * - log and EMF lines: their bytes, when the caller's logger hands each line to
 *   {@link SimulationMeter.logLine} (lines outside an invocation are simulate's own, not billed);
 *   EMF lines also give the distinct metrics (namespace, name, dimension values).
 * - DynamoDB: the adapters' own `consumedCapacity()` totals (every request asks for
 *   `ReturnConsumedCapacity`). The targets table and the window ledger are used only by
 *   discovery and dispatch, which never overlap, so the increase across each invocation is
 *   theirs; the state store and the state change log are used only by the scraper.
 * - scrape outcomes: a wrapper around each runtime's `worker.handleTask` records every
 *   `scraped` outcome's lateness and, per invocation, the longest wait of its tasks (tasks of a
 *   batch wait concurrently, so that is the invocation's billed idle time).
 *
 * Periods: counting starts in a warm-up period; {@link SimulationMeter.startSteady} starts the
 * measured one, so one-off work (the first discovery filling the targets table, the first
 * scrape of each target writing its state) is not extrapolated to a month.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import type { SQSClient } from '../aws/clients.js';
import type { ScrapeWorker } from '../pipeline/scraper.js';
import type { TaskOutcome } from '../pipeline/scraper-outcome.js';
import {
  type CostMeasurement,
  FUNCTION_NAMES,
  type FunctionMeasurement,
  type FunctionName,
  sqsBilledRequests,
} from '../serverless/cost.js';

interface CapacityTotals {
  readonly readUnits: number;
  readonly writeUnits: number;
}

/** An adapter that reports its consumed DynamoDB capacity. */
export interface CapacityCounter {
  consumedCapacity(): CapacityTotals;
}

interface Counting {
  invocations: number;
  billedMs: number[];
  waitedMs: number;
  sqsRequests: number;
  /** Of `sqsRequests`, those on a FIFO queue (the outbox, its DLQ): priced apart. */
  fifoSqsRequests: number;
  emptyReceives: number;
  readUnits: number;
  writeUnits: number;
  logBytes: number;
  peakConcurrency: number;
}

interface Period {
  readonly startMs: number;
  readonly functions: Record<FunctionName, Counting>;
  /** The scraper's state-store capacity when the period started. */
  readonly statesAtStart: CapacityTotals;
  scrapes: number;
  readonly latenessMs: number[];
}

interface Invocation {
  readonly fn: FunctionName;
  /** Longest wait for a slot among its tasks, ms. */
  waitedMs: number;
  /** A poll loop's receive, not an invocation: empty receives are counted apart. */
  readonly poller: boolean;
}

const newCounting = (): Counting => ({
  invocations: 0,
  billedMs: [],
  waitedMs: 0,
  sqsRequests: 0,
  fifoSqsRequests: 0,
  emptyReceives: 0,
  readUnits: 0,
  writeUnits: 0,
  logBytes: 0,
  peakConcurrency: 0,
});

export class SimulationMeter {
  readonly #context = new AsyncLocalStorage<Invocation>();
  readonly #inFlight: Record<FunctionName, number> = {
    discovery: 0,
    dispatcher: 0,
    scraper: 0,
    outbox: 0,
  };
  readonly #states: CapacityCounter[] = [];
  readonly #metrics = new Set<string>();
  readonly #initMs: number[] = [];
  readonly #now: () => number;
  #period: Period;
  #steady = false;
  #scrapesPerSecond = 0;
  #onScraped: ((slotMs: number) => void) | undefined;

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.#period = this.#newPeriod();
  }

  /** True once {@link startSteady} has been called. */
  get steady(): boolean {
    return this.#steady;
  }

  /** Starts the measured period: what was counted so far is warm-up. */
  startSteady(): void {
    this.#steady = true;
    this.#period = this.#newPeriod();
  }

  /** The scrape rate of the deployment's targets (the last dispatch's planned scrapes). */
  setScrapesPerSecond(rate: number): void {
    this.#scrapesPerSecond = rate;
  }

  /** Called with the slot of every scraped outcome (simulate starts the steady period). */
  onScraped(listener: (slotMs: number) => void): void {
    this.#onScraped = listener;
  }

  /** The function whose invocation (or poller) runs the current code, if any. */
  currentFunction(): FunctionName | undefined {
    return this.#context.getStore()?.fn;
  }

  /** One runtime built: its set-up time (INIT) and its adapters and clients to observe. */
  deployed(
    initMs: number,
    parts: {
      sqs: SQSClient;
      states: CapacityCounter;
      stateChanges?: CapacityCounter;
      backlog?: CapacityCounter;
      worker: ScrapeWorker;
    },
  ): void {
    this.#initMs.push(initMs);
    this.#states.push(parts.states);
    if (parts.stateChanges !== undefined) this.#states.push(parts.stateChanges);
    if (parts.backlog !== undefined) this.#states.push(parts.backlog);
    this.#observeSqs(parts.sqs);
    this.#observeWorker(parts.worker);
  }

  /**
   * Runs one invocation of `fn`, timed and charged to it. `capacity` lists the adapters whose
   * increase across the invocation is the function's (only for functions that never overlap
   * another user of them).
   */
  async invoke<T>(
    fn: FunctionName,
    work: () => Promise<T>,
    capacity: readonly CapacityCounter[] = [],
  ): Promise<T> {
    const inv: Invocation = { fn, waitedMs: 0, poller: false };
    const before = totalCapacity(capacity);
    this.#inFlight[fn]++;
    const c = this.#period.functions[fn];
    c.peakConcurrency = Math.max(c.peakConcurrency, this.#inFlight[fn]);
    const startMs = performance.now();
    try {
      return await this.#context.run(inv, work);
    } finally {
      const billedMs = Math.ceil(performance.now() - startMs);
      this.#inFlight[fn]--;
      const after = totalCapacity(capacity);
      const end = this.#period.functions[fn];
      end.invocations++;
      end.billedMs.push(billedMs);
      end.waitedMs += Math.min(inv.waitedMs, billedMs);
      end.readUnits += after.readUnits - before.readUnits;
      end.writeUnits += after.writeUnits - before.writeUnits;
    }
  }

  /** Runs one receive of `fn`'s poll loop (charged to `fn`, not an invocation). */
  poll<T>(fn: FunctionName, receive: () => Promise<T>): Promise<T> {
    return this.#context.run({ fn, waitedMs: 0, poller: true }, receive);
  }

  /** One log line as written (newline included); charged to the current invocation. */
  logLine(line: string): void {
    const inv = this.#context.getStore();
    if (inv === undefined) return;
    this.#period.functions[inv.fn].logBytes += Buffer.byteLength(line);
  }

  /** One EMF line as written: its bytes, as a log line, and the metrics it defines. */
  emfLine(line: string): void {
    this.logLine(line);
    for (const key of emfMetricKeys(line)) this.#metrics.add(key);
  }

  /** What the current period measured, for `estimateMonthlyCost`. */
  measurement(scrapesPerSecond: number = this.#scrapesPerSecond): CostMeasurement {
    const p = this.#period;
    const states = this.#statesTotal();
    const initMs =
      this.#initMs.length === 0 ? 0 : this.#initMs.reduce((a, b) => a + b, 0) / this.#initMs.length;
    const functions = {} as Record<FunctionName, FunctionMeasurement>;
    for (const fn of FUNCTION_NAMES) {
      const c = p.functions[fn];
      functions[fn] = {
        ...c,
        billedMs: [...c.billedMs],
        // Invocations in flight when the period started are counted, so at least them.
        peakConcurrency: Math.max(c.peakConcurrency, c.invocations > 0 ? 1 : 0),
        initMs,
        ...(fn === 'scraper'
          ? {
              readUnits: c.readUnits + states.readUnits - p.statesAtStart.readUnits,
              writeUnits: c.writeUnits + states.writeUnits - p.statesAtStart.writeUnits,
            }
          : {}),
      };
    }
    return {
      durationMs: Math.max(0, this.#now() - p.startMs),
      functions,
      scrapes: p.scrapes,
      scrapesPerSecond,
      customMetrics: this.#metrics.size,
      latenessMs: [...p.latenessMs],
      // maxRSS is in KiB.
      peakRssBytes: process.resourceUsage().maxRSS * 1_024,
    };
  }

  #newPeriod(): Period {
    const functions = {} as Record<FunctionName, Counting>;
    for (const fn of FUNCTION_NAMES) functions[fn] = newCounting();
    return {
      startMs: this.#now(),
      functions,
      statesAtStart: this.#statesTotal(),
      scrapes: 0,
      latenessMs: [],
    };
  }

  #statesTotal(): CapacityTotals {
    return totalCapacity(this.#states);
  }

  #observeSqs(client: SQSClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const inv = this.#context.getStore();
        if (inv !== undefined) {
          const c = this.#period.functions[inv.fn];
          const fifo = String((args.input as { QueueUrl?: unknown }).QueueUrl ?? '').endsWith(
            '.fifo',
          );
          const charge = (requests: number): void => {
            c.sqsRequests += requests;
            if (fifo) c.fifoSqsRequests += requests;
          };
          const output = result.output as { Messages?: readonly { Body?: string }[] };
          if (context.commandName === 'ReceiveMessageCommand') {
            const bodies = (output.Messages ?? []).reduce(
              (n, m) => n + Buffer.byteLength(m.Body ?? ''),
              0,
            );
            if ((output.Messages ?? []).length === 0 && inv.poller) c.emptyReceives++;
            else charge(sqsBilledRequests(bodies));
          } else {
            charge(sqsBilledRequests(Buffer.byteLength(JSON.stringify(args.input))));
          }
        }
        return result;
      },
      { step: 'initialize', name: 'lambdascrapeSimulateCostMeter' },
    );
  }

  #observeWorker(worker: ScrapeWorker): void {
    const handleTask = worker.handleTask.bind(worker);
    worker.handleTask = async (task, budget) => {
      const outcome = await handleTask(task, budget);
      this.#taskDone(outcome);
      return outcome;
    };
  }

  #taskDone(outcome: TaskOutcome): void {
    const inv = this.#context.getStore();
    if (inv !== undefined) inv.waitedMs = Math.max(inv.waitedMs, outcome.counters.waitedMs);
    for (const o of outcome.targets) {
      if (o.kind !== 'scraped') continue;
      this.#period.scrapes++;
      this.#period.latenessMs.push(o.latenessMs);
      this.#onScraped?.(o.slotMs);
    }
  }
}

function totalCapacity(counters: readonly CapacityCounter[]): CapacityTotals {
  let readUnits = 0;
  let writeUnits = 0;
  for (const c of counters) {
    const t = c.consumedCapacity();
    readUnits += t.readUnits;
    writeUnits += t.writeUnits;
  }
  return { readUnits, writeUnits };
}

interface EmfDirective {
  readonly Namespace?: string;
  readonly Dimensions?: readonly (readonly string[])[];
  readonly Metrics?: readonly { readonly Name?: string }[];
}

/**
 * The CloudWatch metrics an EMF line defines: one per metric name and dimension set, named by
 * namespace, metric and the dimensions' values (CloudWatch bills each such combination as one
 * custom metric). Not an EMF line: none.
 */
export function emfMetricKeys(line: string): string[] {
  let doc: { _aws?: { CloudWatchMetrics?: readonly EmfDirective[] } } & Record<string, unknown>;
  try {
    doc = JSON.parse(line);
  } catch {
    return [];
  }
  const keys: string[] = [];
  for (const d of doc._aws?.CloudWatchMetrics ?? []) {
    const dimensionSets = d.Dimensions?.length ? d.Dimensions : [[]];
    for (const m of d.Metrics ?? []) {
      for (const dims of dimensionSets) {
        const values = dims.map((name) => `${name}=${String(doc[name])}`).join(',');
        keys.push(`${d.Namespace}/${m.Name}{${values}}`);
      }
    }
  }
  return keys;
}

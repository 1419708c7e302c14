/**
 * `lambdascrape simulate`: the serverless deployment on one machine, to try a prometheus.yml
 * before `cdk deploy`. DynamoDB and SQS are in-process stand-ins (dynalite, fauxqs — dev
 * dependencies, loaded only by this command); the four Lambda functions are the same handlers
 * (`src/serverless/<function>.ts`) on one runtime joining theirs (`all-functions.ts`), driven
 * on the real clock: discovery and dispatch once at start and then like a cron schedule (EventBridge's "every
 * minute"), at each multiple of `periodMs` since the epoch plus {@link scheduleOffsetMs}; the
 * scrape queue and the outbox queue each long polled (10 messages per receive), each receive
 * handed to `handleScrapeBatch` or `handleOutboxBatch` like one Lambda invocation (batches run
 * concurrently, as Lambda's pollers do); the records not in `batchItemFailures` are deleted,
 * the others come back after the visibility timeout. The outbox queue redrives to the outbox DLQ
 * (queue `outbox-dlq.fifo`, also OUTBOX_DLQ_URL, where the replayer puts what it gives up on) after
 * {@link OUTBOX_MAX_RECEIVE_COUNT} receives, as a deployed outbox queue should.
 *
 * Self-metrics: the runtime keeps one registry per function, so each handler flushes its own
 * (`function` label discovery, dispatcher, scraper, outbox; `instance` `lambdascrape:<id>`):
 * EMF lines to `writeEmf`, the remote-write units through the config's remote_write.
 *
 * Cost: every invocation runs under a {@link SimulationMeter} (`simulate-meter.ts`), which
 * counts what the deployment would be billed for; {@link Simulation.costReport} prices it
 * (`src/serverless/cost.ts`). The measured period starts once every target has been scraped
 * (the first scraped slot plus the longest scrape interval), or after the first dispatch when
 * there is nothing to scrape: what comes before is one-off work (the targets table filled, the
 * first state of each target written) and is not extrapolated.
 *
 * Report: an optional {@link SimulationObserver} is told each planned window, each scrape task's
 * outcome and each outbox replay; the command's `SimulateReport` (`simulate-report.ts`) turns
 * them into what a person or a script reads.
 *
 * Not simulated: the scrape queue's DLQ, the scheduler's at-least-once duplicates.
 */
import { performance } from 'node:perf_hooks';
import { createDynamoDbClient } from '../aws/clients.js';
import { createTable } from '../aws/dynamodb-tables.js';
import { readQueueDepth } from '../aws/sqs-queue-depth.js';
import { deleteMessages, type ReceivedMessage, receiveMessages } from '../aws/sqs-receive.js';
import { ConfigError, parseDuration } from '../config/index.js';
import { SKIP_UNSUPPORTED_DISCOVERY_FLAG } from '../discovery/check.js';
import { createLogger, type Logger } from '../log/logger.js';
import { OUTBOX_MAX_RECEIVE_COUNT } from '../pipeline/outbox-policy.js';
import type { OutboxReplayerOptions } from '../pipeline/outbox-replayer.js';
import { createRuntime, type ServerlessRuntime } from '../serverless/all-functions.js';
import {
  type CostModelOptions,
  type CostReport,
  DEFAULT_COST_MODEL,
  DEFAULT_MEMORY_MB,
  detailedMonitoringModel,
  estimateMonthlyCost,
  type FunctionName,
  formatCostReport,
  parseMemory,
  parsePrices,
} from '../serverless/cost.js';
import { handleDiscovery } from '../serverless/discovery.js';
import { handleDispatch } from '../serverless/dispatcher.js';
import { readServerlessEnv } from '../serverless/env.js';
import { handleOutboxBatch } from '../serverless/outbox.js';
import { handleScrapeBatch } from '../serverless/scraper.js';
import type {
  InvocationContext,
  SqsBatchEvent,
  SqsBatchResponse,
} from '../serverless/sqs-batch.js';
import { parseCommand } from './command.js';
import { type CliIo, UsageError } from './io.js';
import type { SignalSource } from './run.js';
import { SIMULATE_COMMAND } from './simulate-command.js';
import { type FaultDecider, injectFaults } from './simulate-faults.js';
import { SimulationMeter } from './simulate-meter.js';
import type { SimulationObserver } from './simulate-observer.js';
import { SimulateReport, simulateLogFormat } from './simulate-report.js';

export const SIMULATE_ERROR_CODES = {
  /** dynalite or fauxqs is not installed (production install without dev dependencies). */
  missingDevDependency: 'SIMULATE_MISSING_DEV_DEPENDENCY',
} as const;

export class SimulateError extends Error {
  override readonly name = 'SimulateError';
  constructor(
    readonly code: (typeof SIMULATE_ERROR_CODES)[keyof typeof SIMULATE_ERROR_CODES],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SimulationOptions {
  readonly configPath: string;
  readonly logger: Logger;
  /** WINDOW_MS of the simulated deployment. @default 60_000 */
  readonly windowMs?: number;
  /** Period of the discovery and dispatch runs (EventBridge's "every minute"). @default 60_000 */
  readonly periodMs?: number;
  /** Long-polling wait of each receive, whole seconds in [0, 20]. @default 20 */
  readonly pollWaitSeconds?: number;
  /** Simulated Lambda timeout of one scrape or outbox batch. @default 60_000 */
  readonly invocationTimeoutMs?: number;
  /** @default 'simulate' */
  readonly deploymentId?: string;
  /** Environment the config's `${VAR}` expand from. @default process.env */
  readonly configEnv?: Readonly<Record<string, string | undefined>>;
  /**
   * AWS_LAMBDA_RUNTIME_API of the rehearsal: `host:port` the egress guard refuses, as Lambda's
   * own Runtime API is refused in a deployment (tests point it at a fixture). @default none
   */
  readonly runtimeApi?: string;
  /** LAMBDASCRAPE_DENY_CIDRS of the rehearsal (src/http/egress-guard.ts). @default '' */
  readonly denyCidrs?: string;
  /**
   * LAMBDASCRAPE_SKIP_UNSUPPORTED_DISCOVERY of the rehearsal: skip jobs whose only discovery is a
   * mechanism lambdascrape lacks, as a deployment with the CDK context key
   * `skipUnsupportedDiscovery` does. @default false
   */
  readonly skipUnsupportedDiscovery?: boolean;
  /** Receives each self-metrics EMF line, newline included. @default process.stdout.write */
  readonly writeEmf?: (line: string) => void;
  /**
   * Write the self-metrics as EMF lines, as a deployment with `detailedMonitoring` does.
   * @default false, as a default deployment
   */
  readonly emfMetrics?: boolean;
  /**
   * Decides which AWS requests of the simulated functions fail (`simulate-faults.ts`): the
   * fault-injection harness of docs/reliability.md. @default none fails
   */
  readonly faults?: FaultDecider;
  /** Options of the outbox replayer (tests shorten its backoff). @default the deployment's */
  readonly replayerOptions?: OutboxReplayerOptions;
  /**
   * Counts what the run would be billed for. Give the same meter to the logger's `write`
   * (`meter.logLine`) to count log bytes. @default a new meter (log bytes not counted)
   */
  readonly meter?: SimulationMeter;
  /** Told what the simulated functions did, for a report of the run. @default none */
  readonly observer?: SimulationObserver;
}

export interface Simulation {
  /** The runtime the functions use now (the latest deployment's). */
  readonly runtime: ServerlessRuntime;
  /**
   * Deploys the config file again, as `cdk deploy` of a changed prometheus.yml would: new
   * function containers with the new config, the same tables and queues. Invocations from now
   * on use them; those in flight finish on the old ones. Rejects (and changes nothing) when the
   * config does not load.
   */
  redeploy(): Promise<void>;
  /** Stops the schedule and polling, waits for batches in flight, closes everything. */
  stop(): Promise<void>;
  readonly meter: SimulationMeter;
  /**
   * Messages on the outbox queue now (visible, delayed and in flight): parked writes not yet
   * delivered. Read outside any invocation, so not billed; undefined when the read fails.
   */
  outboxDepth(): Promise<number | undefined>;
  /**
   * The monthly cost of what the measured period did, extrapolated to the targets' scrape
   * rate (that of the last dispatch, unless `scrapesPerSecond` is given).
   */
  costReport(model?: CostModelOptions, scrapesPerSecond?: number): CostReport;
}

interface Closable {
  stop(): Promise<void>;
}

const LOCAL = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'simulate', secretAccessKey: 'simulate' },
} as const;

/**
 * Starts the stand-ins, creates the tables and queues and starts the loops. Throws
 * {@link SimulateError} when the dev dependencies are missing, `ConfigError` for a bad config.
 */
export async function startSimulation(options: SimulationOptions): Promise<Simulation> {
  const periodMs = options.periodMs ?? 60_000;
  const pollWaitSeconds = options.pollWaitSeconds ?? 20;
  const invocationTimeoutMs = options.invocationTimeoutMs ?? 60_000;
  const log = options.logger;
  const meter = options.meter ?? new SimulationMeter();
  const writeEmf = options.writeEmf ?? ((line: string) => process.stdout.write(line));
  quietSdkNodeVersionNotice();
  const started: Closable[] = [];
  let runtime: ServerlessRuntime | undefined;
  let deploy!: () => Promise<ServerlessRuntime>;
  try {
    const dynamo = await startDynalite();
    started.push(dynamo);
    const sqs = await startSqs();
    started.push(sqs);
    const bootstrap = createDynamoDbClient({ ...LOCAL, endpoint: dynamo.endpoint });
    try {
      await createTable(bootstrap, 'targets', ['pk']);
      await createTable(bootstrap, 'state', ['pk', 'sk']);
    } finally {
      bootstrap.destroy();
    }
    // FIFO, as deployed (decision 13); a FIFO queue's dead-letter queue is FIFO too.
    const outboxDlq = sqs.createQueue('outbox-dlq.fifo', { FifoQueue: 'true' });
    const visibility = String(Math.ceil((6 * invocationTimeoutMs) / 1_000));
    const env = readServerlessEnv({
      LAMBDASCRAPE_CONFIG: options.configPath,
      TARGETS_TABLE: 'targets',
      STATE_TABLE: 'state',
      // 6 × the invocation timeout, like the CDK stack's visibility timeouts.
      SCRAPE_QUEUE_URL: sqs.createQueue('scrape', { VisibilityTimeout: visibility }).url,
      OUTBOX_QUEUE_URL: sqs.createQueue('outbox.fifo', {
        FifoQueue: 'true',
        VisibilityTimeout: visibility,
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: outboxDlq.arn,
          maxReceiveCount: OUTBOX_MAX_RECEIVE_COUNT,
        }),
      }).url,
      OUTBOX_DLQ_URL: outboxDlq.url,
      DEPLOYMENT_ID: options.deploymentId ?? 'simulate',
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      SQS_ENDPOINT: sqs.endpoint,
      WINDOW_MS: String(options.windowMs ?? 60_000),
      EMF_METRICS: options.emfMetrics === true ? 'on' : 'off',
      AWS_LAMBDA_RUNTIME_API: options.runtimeApi,
      // One runtime plays every function; its scrapes get the scraper's default memory ceiling.
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(DEFAULT_MEMORY_MB.scraper),
      LAMBDASCRAPE_DENY_CIDRS: options.denyCidrs,
      LAMBDASCRAPE_SKIP_UNSUPPORTED_DISCOVERY:
        options.skipUnsupportedDiscovery === true ? 'on' : 'off',
    });
    deploy = async () => {
      const startMs = performance.now();
      const deployed = await createRuntime(env, {
        logger: log,
        ...LOCAL,
        ...(options.configEnv === undefined ? {} : { configEnv: options.configEnv }),
        ...(options.replayerOptions === undefined
          ? {}
          : { replayerOptions: options.replayerOptions }),
        selfMetrics: {
          writeEmf: (line) => {
            meter.emfLine(line);
            writeEmf(line);
          },
        },
      });
      meter.deployed(performance.now() - startMs, deployed);
      if (options.faults !== undefined) {
        injectFaults(deployed, options.faults, () => meter.currentFunction());
      }
      if (options.observer !== undefined) observe(deployed, options.observer);
      return deployed;
    };
    runtime = await deploy();
  } catch (err) {
    await Promise.allSettled(started.reverse().map((s) => s.stop()));
    throw err;
  }
  const createDeployment = deploy;
  /** The first deployment's runtime: its SQS client polls the queues for all of them. */
  const first = runtime;
  /** The current deployment; earlier ones are closed at `stop()`. */
  let rt = runtime;
  const deployments: ServerlessRuntime[] = [runtime];

  let stopped = false;
  const abort = new AbortController();
  const inFlight = new Set<Promise<void>>();
  const track = (batch: Promise<void>, what: string): void => {
    const p: Promise<void> = batch
      .catch((err: unknown) => log.error(`${what} batch failed`, { err }))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  // Discovery then dispatch, like the two schedules firing in the same minute. Each logs its
  // own failure; the schedule goes on, as the next scheduled invocation would. A run that
  // takes longer than the period delays the next (they are chained), it never overlaps it.
  let scheduled = Promise.resolve();
  const tick = (): void => {
    scheduled = scheduled.then(async () => {
      if (stopped) return;
      const d = rt;
      await meter.invoke('discovery', () => handleDiscovery(d), [d.targets]).catch(() => {});
      if (stopped) return;
      const result = await meter
        .invoke('dispatcher', () => handleDispatch(rt), [rt.targets, rt.ledger])
        .catch(() => undefined);
      if (result === undefined || result.skipped !== undefined) return;
      options.observer?.dispatched?.(result);
      const { startMs, endMs } = result.window;
      meter.setScrapesPerSecond((result.scrapes * 1_000) / (endMs - startMs));
      // Nothing to scrape: no one-off scrape work to wait for.
      if (result.scrapes === 0 && !meter.steady) meter.startSteady();
    });
  };
  let steadyTimer: NodeJS.Timeout | undefined;
  meter.onScraped((slotMs) => {
    if (steadyTimer !== undefined || meter.steady) return;
    const longestMs = Math.max(0, ...rt.config.scrapeConfigs.map((c) => c.scrapeInterval));
    steadyTimer = setTimeout(() => meter.startSteady(), slotMs + longestMs - Date.now());
  });
  let timer: NodeJS.Timeout | undefined;
  /** Arms the timer for the first scheduled time after both now and `afterMs`. */
  const arm = (afterMs: number): void => {
    const now = Date.now();
    // From `afterMs` too: a timer that fires a millisecond early must not fire twice.
    const at = nextScheduleMs(Math.max(now, afterMs), periodMs);
    timer = setTimeout(() => {
      if (stopped) return;
      tick();
      arm(at);
    }, at - now);
  };
  tick();
  arm(Date.now());

  /** Long polls one queue, like Lambda's SQS poller, handing each receive to `queue.handle`. */
  const poll = async (queue: QueueFunction): Promise<void> => {
    while (!stopped) {
      let messages: ReceivedMessage[];
      try {
        messages = await meter.poll(queue.fn, () =>
          receiveMessages(first.sqs, queue.url, {
            maxMessages: 10,
            waitSeconds: pollWaitSeconds,
            abortSignal: abort.signal,
          }),
        );
      } catch (err) {
        if (stopped) return;
        log.error(`receiving from the ${queue.name} queue failed`, { err });
        await new Promise((r) => setTimeout(r, 1_000));
        continue;
      }
      if (messages.length > 0) {
        track(invoke(rt, meter, queue, messages, invocationTimeoutMs), queue.name);
      }
    }
  };
  const polling = Promise.all([
    poll({
      name: 'scrape',
      fn: 'scraper',
      url: rt.env.scrapeQueueUrl,
      handle: (event, context) => handleScrapeBatch(rt, event, context),
    }),
    poll({
      name: 'outbox',
      fn: 'outbox',
      url: rt.env.outboxQueueUrl,
      handle: (event, context) => handleOutboxBatch(rt, event, context),
    }),
  ]);

  return {
    get runtime() {
      return rt;
    },
    meter,
    async outboxDepth() {
      try {
        return (await readQueueDepth(first.sqs, first.env.outboxQueueUrl)).total;
      } catch {
        return undefined;
      }
    },
    costReport(model = DEFAULT_COST_MODEL, scrapesPerSecond) {
      return estimateMonthlyCost(meter.measurement(scrapesPerSecond), model);
    },
    async redeploy() {
      const next = await createDeployment();
      deployments.push(next);
      rt = next;
      log.info('redeployed: new invocations use the config as it is now', {
        config: options.configPath,
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      clearTimeout(steadyTimer);
      abort.abort();
      await polling;
      await scheduled;
      await Promise.allSettled([...inFlight]);
      await Promise.allSettled(deployments.map((d) => d.close()));
      await Promise.allSettled(started.reverse().map((s) => s.stop()));
    },
  };
}

/**
 * Offset of the scheduled runs after each multiple of the period: 1% of it, at most 500 ms.
 * Firing exactly on the boundary would let timer jitter fall on either side of it, and a run
 * just before a window boundary plans a different window than one just after (plan.ts
 * `windowFor`); a small fixed offset keeps every run on the same side, so with period = window
 * each run plans the next window exactly once, none skipped or planned twice.
 */
export function scheduleOffsetMs(periodMs: number): number {
  return Math.min(periodMs / 100, 500);
}

/**
 * The first scheduled time after `nowMs`: the next `k × periodMs + scheduleOffsetMs(periodMs)`
 * (ms since the epoch, k whole) strictly later than `nowMs`.
 */
export function nextScheduleMs(nowMs: number, periodMs: number): number {
  const offset = scheduleOffsetMs(periodMs);
  return (Math.floor((nowMs - offset) / periodMs) + 1) * periodMs + offset;
}

/**
 * The AWS SDK warns once per process, on stderr, when Node is older than the versions its
 * future releases support (a nine-line NodeVersionSupportWarning on Node 20). The clients of a
 * rehearsal talk to the in-process stand-ins, so the notice says nothing about the rehearsal;
 * the SDK's own switch turns it off before the first client is built. A value the user set is
 * kept (`false` brings the notice back).
 */
function quietSdkNodeVersionNotice(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** Hands what a deployment's worker and replayer do to `observer` (see SimulationObserver). */
function observe(rt: ServerlessRuntime, observer: SimulationObserver): void {
  if (observer.taskDone !== undefined) {
    const handleTask = rt.worker.handleTask.bind(rt.worker);
    rt.worker.handleTask = async (task, budget) => {
      const outcome = await handleTask(task, budget);
      observer.taskDone?.(task, outcome);
      return outcome;
    };
  }
  if (observer.replayed !== undefined) {
    const replayBatch = rt.replayer.replayBatch.bind(rt.replayer);
    rt.replayer.replayBatch = async (records, budget) => {
      const outcomes = await replayBatch(records, budget);
      observer.replayed?.(outcomes);
      return outcomes;
    };
  }
}

/** An SQS-triggered function: its queue and its handler. */
interface QueueFunction {
  readonly name: string;
  /** The function its records go to. */
  readonly fn: FunctionName;
  readonly url: string;
  handle(event: SqsBatchEvent, context: InvocationContext): Promise<SqsBatchResponse>;
}

/**
 * One simulated invocation: the batch, then deleting the records that succeeded. The delete is
 * the poller's, as on Lambda: an SQS request of the function, outside its billed duration.
 */
async function invoke(
  rt: ServerlessRuntime,
  meter: SimulationMeter,
  queue: QueueFunction,
  messages: readonly ReceivedMessage[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const records = messages.map((m) => ({
    messageId: m.messageId,
    body: m.body,
    receiptHandle: m.receiptHandle,
    attributes: m.attributes,
  }));
  const response = await meter.invoke(queue.fn, () =>
    queue.handle({ Records: records }, { getRemainingTimeInMillis: () => deadline - Date.now() }),
  );
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const done = messages.filter((m) => !failed.has(m.messageId));
  if (done.length === 0) return;
  await meter
    .poll(queue.fn, () => deleteMessages(rt.sqs, queue.url, done))
    .catch((err: unknown) =>
      rt.logger.error(`deleting ${queue.name} messages failed (they will be delivered again)`, {
        err,
      }),
    );
}

function missingDevDependency(name: string, cause: unknown): SimulateError {
  return new SimulateError(
    SIMULATE_ERROR_CODES.missingDevDependency,
    `simulate needs the dev dependency ${name} (a local DynamoDB/SQS stand-in); install the ` +
      'project with its dev dependencies (npm install, without --omit=dev)',
    { cause },
  );
}

/** The part of dynalite's server we use (it ships no types). */
interface DynaliteServer {
  listen(port: number, host: string, cb: () => void): void;
  once(event: 'error', cb: (err: Error) => void): void;
  address(): { port: number } | string | null;
  closeAllConnections?(): void;
  close(cb: () => void): void;
}

async function startDynalite(): Promise<Closable & { endpoint: string }> {
  // A variable specifier: dynalite has no types, and bundlers must not pull it in.
  const specifier = 'dynalite';
  let create: (options: Record<string, unknown>) => DynaliteServer;
  try {
    const mod = (await import(specifier)) as { default: typeof create };
    create = mod.default;
  } catch (err) {
    throw missingDevDependency('dynalite', err);
  }
  const server = create({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

async function startSqs(): Promise<
  Closable & {
    endpoint: string;
    createQueue(name: string, attrs: Record<string, string>): { url: string; arn: string };
  }
> {
  let fauxqs: typeof import('fauxqs');
  try {
    fauxqs = await import('fauxqs');
  } catch (err) {
    throw missingDevDependency('fauxqs', err);
  }
  const server = await fauxqs.startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
  return {
    endpoint: server.address,
    createQueue: (name, attributes) => {
      const q = server.createQueue(name, { attributes });
      return { url: q.queueUrl, arn: q.queueArn };
    },
    stop: () => server.stop(),
  };
}

export interface SimulateCommandDeps {
  /** @default process */
  readonly signals?: SignalSource;
  /** Period of the human format's status line. @default 10 s */
  readonly statusEveryMs?: number;
  /** Timing of the rehearsal (tests shorten the windows). @default the deployment's */
  readonly timing?: Pick<SimulationOptions, 'windowMs' | 'periodMs' | 'pollWaitSeconds'>;
}

export async function simulateCommand(
  args: readonly string[],
  io: CliIo,
  deps: SimulateCommandDeps = {},
): Promise<number> {
  const { values } = parseCommand(SIMULATE_COMMAND, args);
  const detailed = values['detailed-monitoring'] === true;
  const path = values.config;
  if (path === undefined) throw new UsageError('simulate needs --config FILE');
  const format = simulateLogFormat(values['log-format'], io.stdoutIsTTY === true);
  if (format === undefined) {
    throw new UsageError(`--log-format: "${values['log-format']}" is not human or json`);
  }
  const human = format === 'human';
  let durationMs: number | undefined;
  if (values.duration !== undefined) {
    try {
      durationMs = parseDuration(values.duration);
    } catch (err) {
      throw new UsageError(`--duration: ${(err as Error).message}`);
    }
  }
  let model: CostModelOptions;
  try {
    const base: CostModelOptions = {
      ...DEFAULT_COST_MODEL,
      prices: parsePrices(values.price ?? []),
      memoryMb: parseMemory(values.memory ?? []),
    };
    model = detailed ? detailedMonitoringModel(base) : base;
  } catch (err) {
    throw new UsageError(`--price/--memory: ${(err as Error).message}`);
  }
  const meter = new SimulationMeter();
  // simulate's own lines: never metered (they are not the functions' and may be written from
  // inside an invocation, see simulate-report.ts).
  const own = createLogger({ format: 'json', write: io.stdout });
  const report = new SimulateReport({ format, write: io.stdout, logger: own });
  // The functions' logger writes JSON lines, as deployed, so their bytes are what CloudWatch
  // would bill; the human format shows their warnings and errors instead of the lines.
  const logger = createLogger({
    format: 'json',
    write: (line) => {
      meter.logLine(line);
      if (human) report.functionLine(line);
      else io.stdout(line);
    },
  });
  let sim: Simulation;
  try {
    sim = await startSimulation({
      configPath: path,
      logger,
      configEnv: io.env,
      ...(io.env.LAMBDASCRAPE_DENY_CIDRS === undefined
        ? {}
        : { denyCidrs: io.env.LAMBDASCRAPE_DENY_CIDRS }),
      ...deps.timing,
      writeEmf: human ? () => {} : io.stdout,
      emfMetrics: detailed,
      meter,
      observer: report,
      skipUnsupportedDiscovery: values[SKIP_UNSUPPORTED_DISCOVERY_FLAG],
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`error: invalid config ${path}:\n${err.message}\n`);
      return 1;
    }
    if (err instanceof SimulateError) {
      io.stderr(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (!human) {
    own.info(
      'simulating the Lambda deployment locally; SIGHUP redeploys the config, SIGUSR1 prints the cost report, Ctrl-C stops',
      { config: path, durationMs },
    );
  }
  report.started({
    configPath: path,
    durationMs,
    remoteWrites: sim.runtime.config.remoteWrite.length,
  });
  const signals = deps.signals ?? process;
  const costReport = (): void => {
    const r = sim.costReport(model);
    if (human) {
      io.stdout(`${formatCostReport(r).trimEnd()}\n`);
      return;
    }
    io.stderr(formatCostReport(r));
    own.info('cost report', { ...r });
  };
  let statusTimer: NodeJS.Timeout | undefined;
  if (human) {
    let busy = false;
    statusTimer = setInterval(() => {
      if (busy) return;
      busy = true;
      void sim
        .outboxDepth()
        .then((outboxDepth) =>
          report.status({
            outboxDepth,
            monthlyUsd: meter.steady ? sim.costReport(model).totalUsd : undefined,
          }),
        )
        .finally(() => {
          busy = false;
        });
    }, deps.statusEveryMs ?? 10_000);
  }
  await new Promise<void>((resolve) => {
    const redeploy = (): void => {
      sim.redeploy().then(
        () => {
          if (human) io.stdout('redeployed: new invocations use the config as it is now\n');
        },
        (err: unknown) => {
          if (human) {
            io.stdout(
              `error: redeploy failed; the previous deployment keeps running: ${(err as Error).message}\n`,
            );
          } else {
            own.error('redeploy failed; the previous deployment keeps running', { err });
          }
        },
      );
    };
    const done = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signals.off('SIGINT', done);
      signals.off('SIGTERM', done);
      signals.off('SIGHUP', redeploy);
      signals.off('SIGUSR1', costReport);
      resolve();
    };
    const timer = durationMs === undefined ? undefined : setTimeout(done, durationMs);
    signals.on('SIGINT', done);
    signals.on('SIGTERM', done);
    signals.on('SIGHUP', redeploy);
    signals.on('SIGUSR1', costReport);
  });
  clearInterval(statusTimer);
  report.summary({
    outboxDepth: await sim.outboxDepth(),
    remoteWrites: sim.runtime.config.remoteWrite.length,
  });
  costReport();
  if (!human) own.info('stopping');
  await sim.stop();
  return 0;
}

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbScrapeStateStore } from '../aws/dynamodb-state-store.js';
import { DynamoDbTargetStore } from '../aws/dynamodb-target-store.js';
import { DynamoDbWindowLedger } from '../aws/dynamodb-window-ledger.js';
import { SqsDeadLetterQueue, SqsOutbox } from '../aws/sqs-outbox.js';
import { SqsTaskQueue } from '../aws/sqs-task-queue.js';
import { loadCheckedConfig } from '../cli/load-config.js';
import type { Config } from '../config/types.js';
import { createLogger, type Logger } from '../local/logger.js';
import { DiscoveryRun } from '../pipeline/discovery.js';
import { OutboxReplayer, type OutboxReplayerOptions } from '../pipeline/outbox-replayer.js';
import { ScrapeWorker, type ScrapeWorkerOptions } from '../pipeline/scraper.js';
import type { TargetStore, TaskQueue, WindowLedger } from '../ports.js';
import { createRemoteWriters } from '../remotewrite/from-config.js';
import { readServerlessEnv, type ServerlessEnv } from './env.js';

/** How long a window claim is kept (s): far beyond the longest window (2^20 ms). */
export const LEDGER_TTL_SECONDS = 3_600;

export interface ServerlessRuntime {
  readonly env: ServerlessEnv;
  readonly config: Config;
  readonly logger: Logger;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly targets: TargetStore;
  readonly queue: TaskQueue;
  readonly ledger: WindowLedger;
  readonly discovery: DiscoveryRun;
  readonly worker: ScrapeWorker;
  /** Replays the outbox (functions/outbox); shares the writers with the worker. */
  readonly replayer: OutboxReplayer;
  /** Releases writers, discoverers, HTTP dispatchers and clients (simulate, tests). */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** @default JSON lines on stdout (CloudWatch reads them as structured logs) */
  readonly logger?: Logger;
  /** Region for both clients. @default the SDK's (AWS_REGION, which Lambda sets) */
  readonly region?: string;
  /** Static credentials (local stand-ins). @default the SDK's provider chain */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Environment the config's `${VAR}` references expand from. @default process.env */
  readonly configEnv?: Readonly<Record<string, string | undefined>>;
  readonly workerOptions?: ScrapeWorkerOptions;
  /** Override the replayer's options; `maxAgeMs` defaults to the env's OUTBOX_MAX_AGE. */
  readonly replayerOptions?: OutboxReplayerOptions;
}

/**
 * Builds a runtime. Throws `ConfigError` for an invalid config, `RemoteWriteError` for a
 * remote_write it cannot honour and `OutboxReplayError` for invalid `replayerOptions`; nothing
 * is left open when it throws.
 */
export async function createRuntime(
  env: ServerlessEnv,
  options: RuntimeOptions = {},
): Promise<ServerlessRuntime> {
  const logger =
    options.logger ?? createLogger({ format: 'json', write: (line) => process.stdout.write(line) });
  const config = await loadCheckedConfig(env.configPath, options.configEnv ?? process.env);
  const common = {
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
  };
  const writers = createRemoteWriters(config);
  const dynamodb = new DynamoDBClient({
    ...common,
    ...(env.dynamodbEndpoint === undefined ? {} : { endpoint: env.dynamodbEndpoint }),
  });
  const sqs = new SQSClient({
    ...common,
    ...(env.sqsEndpoint === undefined ? {} : { endpoint: env.sqsEndpoint }),
  });
  const outbox = new SqsOutbox(sqs, env.outboxQueueUrl);
  let replayer: OutboxReplayer;
  try {
    replayer = new OutboxReplayer({
      writers,
      outbox,
      deadLetters: new SqsDeadLetterQueue(sqs, env.outboxDlqUrl),
      logger,
      options: { maxAgeMs: env.outboxMaxAgeMs, ...options.replayerOptions },
    });
  } catch (err) {
    await Promise.allSettled(writers.map((w) => w.close()));
    dynamodb.destroy();
    sqs.destroy();
    throw err;
  }
  const targets = new DynamoDbTargetStore(dynamodb, env.targetsTable);
  const queue = new SqsTaskQueue(sqs, env.scrapeQueueUrl);
  const ledger = new DynamoDbWindowLedger(dynamodb, env.stateTable, {
    ttlSeconds: LEDGER_TTL_SECONDS,
  });
  const states = new DynamoDbScrapeStateStore(dynamodb, env.stateTable, {
    onCleanupError: (err) => logger.warn('scrape state cleanup failed', { err }),
  });
  const discovery = new DiscoveryRun({
    config,
    targets,
    queue,
    deploymentId: env.deploymentId,
    logger,
    windowMs: env.windowMs,
  });
  const worker = new ScrapeWorker({
    config,
    states,
    outbox,
    writers,
    logger,
    ...(options.workerOptions === undefined ? {} : { options: options.workerOptions }),
  });
  return {
    env,
    config,
    logger,
    dynamodb,
    sqs,
    targets,
    queue,
    ledger,
    discovery,
    worker,
    replayer,
    async close() {
      await Promise.allSettled([
        discovery.close(),
        worker.close(),
        ...writers.map((w) => w.close()),
      ]);
      dynamodb.destroy();
      sqs.destroy();
    },
  };
}

let containerRuntime: Promise<ServerlessRuntime> | undefined;

/**
 * The container's runtime, built on first call from `process.env` and reused afterwards. A
 * failed build is not cached: the next invocation tries again (and fails the same way while
 * the environment or config is wrong, with the same clear error).
 */
export function getRuntime(): Promise<ServerlessRuntime> {
  if (containerRuntime === undefined) {
    const pending = Promise.resolve()
      .then(() => createRuntime(readServerlessEnv(process.env)))
      .catch((err: unknown) => {
        containerRuntime = undefined;
        throw err;
      });
    containerRuntime = pending;
  }
  return containerRuntime;
}

/**
 * The container's runtime of the Lambda functions (and of `lambdascrape simulate`): clients,
 * adapters, the discovery run, the scrape worker, the outbox replayer and the self-metrics,
 * built once per container by {@link getRuntime}.
 *
 * Start-up order (createRuntime): credential files from Secrets Manager first (when
 * LAMBDASCRAPE_SECRET_FILES maps any), so every `*_file` the config, the remote writers and
 * the HTTP dispatchers read is served from the secrets (`src/http/credential-files.ts`: TLS
 * files are read when a dispatcher is built); then the config; then writers, clients, adapters.
 * The adapters keep their concrete types: the handlers read their counters
 * (`SqsTaskQueue.counters`, `consumedCapacity()`, …) for the self-metrics.
 */

import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import {
  type AwsClientOptions,
  createDynamoDbClient,
  createSqsClient,
  type DynamoDBClient,
  type SQSClient,
} from '../aws/clients.js';
import { DynamoDbDeliveryBacklog } from '../aws/dynamodb-delivery-backlog.js';
import {
  DynamoDbDroppedTargetsStore,
  DynamoDbTargetHealthStore,
} from '../aws/dynamodb-health-store.js';
import { DynamoDbStateChangeLog } from '../aws/dynamodb-state-change-log.js';
import { DynamoDbScrapeStateStore } from '../aws/dynamodb-state-store.js';
import { DynamoDbTargetStore } from '../aws/dynamodb-target-store.js';
import { DynamoDbWindowLedger } from '../aws/dynamodb-window-ledger.js';
import { SqsDeadLetterQueue, SqsOutbox } from '../aws/sqs-outbox.js';
import { SqsTaskQueue } from '../aws/sqs-task-queue.js';
import { loadCheckedConfig } from '../config/load-file.js';
import type { Config } from '../config/types.js';
import { discoveryCheck } from '../discovery/check.js';
import { installEgressPolicy } from '../http/egress-guard.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { DiscoveryRun } from '../pipeline/discovery.js';
import { OutboxReplayer, type OutboxReplayerOptions } from '../pipeline/outbox-replayer.js';
import { ScrapeWorker, type ScrapeWorkerOptions } from '../pipeline/scraper.js';
import { createRemoteWriters } from '../remotewrite/from-config.js';
import type { RemoteWriter } from '../remotewrite/writer.js';
import { lambdaBodySizeCeiling } from '../scrape/scrape.js';
import { readServerlessEnv, type ServerlessEnv } from './env.js';
import { SelfMonitoring } from './self-monitoring.js';

/** How long a window claim is kept (s): far beyond the longest window (2^20 ms). */
export const LEDGER_TTL_SECONDS = 3_600;

export interface ServerlessRuntime {
  readonly env: ServerlessEnv;
  readonly config: Config;
  readonly logger: Logger;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly targets: DynamoDbTargetStore;
  readonly queue: SqsTaskQueue;
  readonly ledger: DynamoDbWindowLedger;
  /** The scrape state store of the worker. */
  readonly states: DynamoDbScrapeStateStore;
  /** The worker's log of state writes (decision 12), in the state table. */
  readonly stateChanges: DynamoDbStateChangeLog;
  /** Each target's health, written by the worker on change (state table; `lambdascrape status`). */
  readonly health: DynamoDbTargetHealthStore;
  /** Each job's dropped targets, written by discovery on change (state table). */
  readonly dropped: DynamoDbDroppedTargetsStore;
  /** Which streams queue behind parked writes (decision 13): held by the worker, released by the replayer. */
  readonly backlog: DynamoDbDeliveryBacklog;
  /** Where the worker parks writes; the replayer's backoff of those that fail again. */
  readonly outbox: SqsOutbox;
  /** Where the replayer moves the writes it gives up on. */
  readonly deadLetters: SqsDeadLetterQueue;
  /** One per remote_write, shared by the worker, the replayer and the self-metrics. */
  readonly writers: readonly RemoteWriter[];
  /**
   * The discovery run (functions/discovery), built on first call: its module and every
   * discovery mechanism are imported then, so the other functions never load them.
   */
  discovery(): Promise<DiscoveryRun>;
  readonly worker: ScrapeWorker;
  /** Replays the outbox (functions/outbox); shares the writers with the worker. */
  readonly replayer: OutboxReplayer;
  /** The self-metrics registries (one per function) and their flush. */
  readonly monitoring: SelfMonitoring;
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
  readonly selfMetrics?: SelfMetricsRuntimeOptions;
}

export interface SelfMetricsRuntimeOptions {
  /** Receives each EMF line, newline included. @default process.stdout.write */
  readonly writeEmf?: (line: string) => void;
  /** Least time between two flushes of one function's registry. @default 15 000 */
  readonly flushIntervalMs?: number;
  /** Retry budget of the self-metrics remote write. @default 2 000 */
  readonly writeBudgetMs?: number;
  /** The second half of the `instance` label. @default 8 random hex digits per runtime */
  readonly containerId?: string;
}

/** What every AWS client of the runtime is built with (besides its endpoint). */
type ClientOptions = Omit<AwsClientOptions, 'endpoint'>;

/** The first half of the `instance` label outside Lambda (no AWS_LAMBDA_FUNCTION_NAME). */
export const DEFAULT_INSTANCE_NAME = 'lambdascrape';

/**
 * Builds a runtime. Throws `SecretFilesError` when a secret of LAMBDASCRAPE_SECRET_FILES cannot
 * be read (nothing installed), `ConfigError` for an invalid config, `RemoteWriteError` for a
 * remote_write it cannot honour, `OutboxReplayError` for invalid `replayerOptions` and
 * `SelfMetricsError` for invalid self-metrics options; nothing is left open when it throws.
 */
export async function createRuntime(
  env: ServerlessEnv,
  options: RuntimeOptions = {},
): Promise<ServerlessRuntime> {
  const logger =
    options.logger ??
    createLogger({
      format: 'json',
      level: env.logLevel,
      write: (line) => process.stdout.write(line),
    });
  const common: ClientOptions = {
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
  };
  // Before anything connects: no scrape, SD request or remote write of this container may reach
  // the Runtime API, nor a scrape or SD request a denied range (src/http/egress-guard.ts).
  installEgressPolicy({ runtimeApi: env.runtimeApi, deniedRanges: env.denyCidrs });
  if (env.secretFiles.size > 0) await installSecretFiles(env, common, logger);
  const config = await loadCheckedConfig(
    env.configPath,
    options.configEnv ?? process.env,
    discoveryCheck({ skipUnsupportedDiscovery: env.skipUnsupportedDiscovery }),
  );
  // What the config holds that is valid but not acted on: once per container, like check config.
  for (const warning of config.warnings ?? []) logger.warn(warning);
  const writers = createRemoteWriters(config, { logger });
  const dynamodb = createDynamoDbClient({
    ...common,
    ...(env.dynamodbEndpoint === undefined ? {} : { endpoint: env.dynamodbEndpoint }),
  });
  const sqs = createSqsClient({
    ...common,
    ...(env.sqsEndpoint === undefined ? {} : { endpoint: env.sqsEndpoint }),
  });
  const outbox = new SqsOutbox(sqs, env.outboxQueueUrl);
  const deadLetters = new SqsDeadLetterQueue(sqs, env.outboxDlqUrl);
  const backlog = new DynamoDbDeliveryBacklog(dynamodb, env.stateTable);
  let replayer: OutboxReplayer;
  let monitoring: SelfMonitoring;
  try {
    replayer = new OutboxReplayer({
      writers,
      deadLetters,
      backlog,
      logger,
      options: { maxAgeMs: env.outboxMaxAgeMs, ...options.replayerOptions },
    });
    const m = options.selfMetrics ?? {};
    const containerId = m.containerId ?? randomUUID().slice(0, 8);
    monitoring = new SelfMonitoring({
      deploymentId: env.deploymentId,
      instance: `${env.functionName ?? DEFAULT_INSTANCE_NAME}:${containerId}`,
      writers,
      logger,
      emf: env.emfMetrics,
      ...(m.writeEmf === undefined ? {} : { writeEmf: m.writeEmf }),
      ...(m.flushIntervalMs === undefined ? {} : { flushIntervalMs: m.flushIntervalMs }),
      ...(m.writeBudgetMs === undefined ? {} : { writeBudgetMs: m.writeBudgetMs }),
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
  const stateChanges = new DynamoDbStateChangeLog(dynamodb, env.stateTable);
  const health = new DynamoDbTargetHealthStore(dynamodb, env.stateTable);
  const dropped = new DynamoDbDroppedTargetsStore(dynamodb, env.stateTable);
  let discovery: Promise<DiscoveryRun> | undefined;
  const discoveryRun = (): Promise<DiscoveryRun> => {
    discovery ??= Promise.all([
      import('../pipeline/discovery.js'),
      import('../discovery/kubernetes/mechanism.js'),
    ]).then(
      ([{ DiscoveryRun }, { lazyDefaultEksTokenSource }]) =>
        new DiscoveryRun({
          config,
          targets,
          queue,
          deploymentId: env.deploymentId,
          logger,
          windowMs: env.windowMs,
          dropped,
          // EKS tokens (kubeconfig `aws eks get-token`) signed with the function role's
          // credentials; the kubeconfig's --region picks the STS endpoint.
          discoveryDeps: { kubernetes: { eksToken: lazyDefaultEksTokenSource(undefined) } },
        }),
    );
    return discovery;
  };
  const worker = new ScrapeWorker({
    config,
    states,
    changes: stateChanges,
    health,
    outbox,
    backlog,
    writers,
    logger,
    options: {
      ...(env.memoryMb === undefined
        ? {}
        : { bodySizeCeiling: lambdaBodySizeCeiling(env.memoryMb) }),
      ...options.workerOptions,
    },
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
    states,
    stateChanges,
    health,
    dropped,
    backlog,
    outbox,
    deadLetters,
    writers,
    discovery: discoveryRun,
    worker,
    replayer,
    monitoring,
    async close() {
      await Promise.allSettled([
        discovery?.then((d) => d.close()),
        worker.close(),
        ...writers.map((w) => w.close()),
      ]);
      dynamodb.destroy();
      sqs.destroy();
    },
  };
}

/**
 * Fetches the secrets of LAMBDASCRAPE_SECRET_FILES and installs them as credential files.
 * Both the module and the SDK client are imported here, dynamically, so a deployment without
 * secrets never loads them. Paths resolve against the config's folder, as the config loader
 * resolves `*_file`. Logs the paths and secret ids, never a value. Throws the module's
 * `SecretFilesError`; the client is destroyed either way.
 */
async function installSecretFiles(
  env: ServerlessEnv,
  common: ClientOptions,
  logger: Logger,
): Promise<void> {
  const { createSecretsManagerClient, loadSecretFiles } = await import('../aws/secrets-manager.js');
  const client = createSecretsManagerClient({
    ...common,
    ...(env.secretsManagerEndpoint === undefined ? {} : { endpoint: env.secretsManagerEndpoint }),
  });
  try {
    const loaded = await loadSecretFiles(client, env.secretFiles, resolve(dirname(env.configPath)));
    logger.info('credential files from Secrets Manager', {
      paths: loaded.paths,
      secretIds: loaded.secretIds,
    });
  } finally {
    client.destroy();
  }
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

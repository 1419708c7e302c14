/**
 * What every Lambda function's runtime holds (and `lambdascrape simulate`'s, which joins the
 * four: `all-functions.ts`), built once per container (`containerRuntime`): the config, the
 * remote writers, the two AWS clients and the self-metrics. Each function adds its own parts
 * in its own module (`discovery.ts`, `dispatcher.ts`, `scraper.ts`, `outbox.ts`), which its
 * entry in `functions/` imports alone: what a function loads at INIT is its own code.
 *
 * Start-up order (createRuntimeBase): credential files from Secrets Manager first (when
 * LAMBDASCRAPE_SECRET_FILES maps any), so every `*_file` the config, the remote writers and
 * the HTTP dispatchers read is served from the secrets (`src/http/credential-files.ts`: TLS
 * files are read when a dispatcher is built); then the config; then writers and clients.
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
import { loadCheckedConfig } from '../config/load-file.js';
import type { Config } from '../config/types.js';
import { discoveryCheck } from '../discovery/check.js';
import { installEgressPolicy } from '../http/egress-guard.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { OutboxReplayerOptions } from '../pipeline/outbox-replayer.js';
import type { ScrapeWorkerOptions } from '../pipeline/scraper.js';
import { createRemoteWriters } from '../remotewrite/from-config.js';
import type { RemoteWriter } from '../remotewrite/writer.js';
import { readServerlessEnv, type ServerlessEnv } from './env.js';
import { SelfMonitoring } from './self-monitoring.js';

/**
 * What every function's runtime holds: the config, the logger, the two AWS clients, the
 * remote writers and the self-metrics. Each function adds its own parts
 * (`dispatcher.ts`, `scraper.ts`, `outbox.ts`, `discovery.ts` beside this file), so that a
 * function's bundle loads at INIT only the code that function runs: the scrape path is in the
 * scraper's alone, the outbox replayer in the outbox function's.
 */
export interface RuntimeBase {
  readonly env: ServerlessEnv;
  readonly config: Config;
  readonly logger: Logger;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  /** One per remote_write, shared by the worker, the replayer and the self-metrics. */
  readonly writers: readonly RemoteWriter[];
  /** The self-metrics registries (one per function) and their flush. */
  readonly monitoring: SelfMonitoring;
  /** Releases the writers and both clients (simulate, tests). */
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
 * Builds what every function's runtime holds. Throws `SecretFilesError` when a secret of
 * LAMBDASCRAPE_SECRET_FILES cannot be read (nothing installed), `ConfigError` for an invalid
 * config, `RemoteWriteError` for a remote_write it cannot honour and `SelfMetricsError` for
 * invalid self-metrics options; nothing is left open when it throws.
 */
export async function createRuntimeBase(
  env: ServerlessEnv,
  options: RuntimeOptions = {},
): Promise<RuntimeBase> {
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
  let monitoring: SelfMonitoring;
  try {
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
    throw err;
  }
  const dynamodb = createDynamoDbClient({
    ...common,
    ...(env.dynamodbEndpoint === undefined ? {} : { endpoint: env.dynamodbEndpoint }),
  });
  const sqs = createSqsClient({
    ...common,
    ...(env.sqsEndpoint === undefined ? {} : { endpoint: env.sqsEndpoint }),
  });
  return {
    env,
    config,
    logger,
    dynamodb,
    sqs,
    writers,
    monitoring,
    async close() {
      await Promise.allSettled(writers.map((w) => w.close()));
      dynamodb.destroy();
      sqs.destroy();
    },
  };
}

/**
 * A function's runtime with its own parts: `addParts` builds them on `base`. When it throws,
 * the base is closed before the error goes on, so nothing is left open. The runtime's `close`
 * closes the parts (their `close`, when they have one) before the base.
 */
export async function withParts<Parts extends object>(
  base: RuntimeBase,
  addParts: (base: RuntimeBase) => Parts,
): Promise<RuntimeBase & Parts> {
  let parts: Parts;
  try {
    parts = addParts(base);
  } catch (err) {
    await base.close();
    throw err;
  }
  return {
    ...base,
    ...parts,
    async close() {
      await (parts as { close?(): Promise<void> }).close?.();
      await base.close();
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

/**
 * The container's runtime of one function: `create` is called on first use with the
 * environment read from `process.env`, and its runtime reused by every later invocation. A
 * failed build is not kept: the next invocation tries again (and fails the same way while the
 * environment or config is wrong, with the same clear error).
 */
export function containerRuntime<Runtime>(
  create: (env: ServerlessEnv) => Promise<Runtime>,
): () => Promise<Runtime> {
  let built: Promise<Runtime> | undefined;
  return () => {
    if (built === undefined) {
      const pending = Promise.resolve()
        .then(() => create(readServerlessEnv(process.env)))
        .catch((err: unknown) => {
          built = undefined;
          throw err;
        });
      built = pending;
    }
    return built;
  };
}

/**
 * The functions' runtime (src/serverless/runtime.ts) on the local stand-ins, dynalite for the
 * tables and fauxqs for the queues: the environment it reads and the options it is built with.
 * The tables and queues themselves are each test's own (which exist, FIFO or not).
 */
import { createLogger, type LogFields, type LogLevel } from '../../src/log/logger.js';
import { readServerlessEnv, type ServerlessEnv } from '../../src/serverless/env.js';
import type { RuntimeOptions, SelfMetricsRuntimeOptions } from '../../src/serverless/runtime.js';
import type { Dynalite } from './dynalite.js';
import type { LocalSqs } from './fauxqs.js';

/** A JSON log line of the runtime, parsed. */
export type LogLine = LogFields & { msg: string; level: string };

/** What a test names of the environment; any other variable of env.ts may be added. */
export interface LocalServerlessVars {
  readonly LAMBDASCRAPE_CONFIG: string;
  readonly SCRAPE_QUEUE_URL: string;
  readonly OUTBOX_QUEUE_URL: string;
  readonly [name: string]: string;
}

/**
 * `readServerlessEnv` of the variables a runtime on `dynamo` and `sqs` is given: the tables
 * `targets` and `state`, OUTBOX_DLQ_URL the outbox itself, DEPLOYMENT_ID `test`; `vars` on top
 * (so it may override any of them). Throws as readServerlessEnv does.
 */
export function localServerlessEnv(
  local: { readonly dynamo: Dynalite; readonly sqs: LocalSqs },
  vars: LocalServerlessVars,
): ServerlessEnv {
  return readServerlessEnv({
    TARGETS_TABLE: 'targets',
    STATE_TABLE: 'state',
    OUTBOX_DLQ_URL: vars.OUTBOX_QUEUE_URL,
    DEPLOYMENT_ID: 'test',
    DYNAMODB_ENDPOINT: local.dynamo.endpoint,
    SQS_ENDPOINT: local.sqs.endpoint,
    ...vars,
  });
}

export interface LocalRuntimeOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** The lowest level logged. @default 'info' */
  readonly level?: LogLevel;
  /** @default EMF lines discarded, the rest the runtime's defaults */
  readonly selfMetrics?: SelfMetricsRuntimeOptions;
}

/**
 * Options of a runtime on the stand-ins: dummy credentials, JSON log lines parsed into `lines`,
 * `${VAR}` in the config expanded from nothing (not process.env).
 */
export function localRuntimeOptions(
  lines: LogLine[],
  options: LocalRuntimeOptions = {},
): RuntimeOptions {
  return {
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    logger: createLogger({
      format: 'json',
      level: options.level ?? 'info',
      write: (l) => lines.push(JSON.parse(l)),
    }),
    configEnv: {},
    selfMetrics: options.selfMetrics ?? { writeEmf: () => {} },
  };
}

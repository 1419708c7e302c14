/**
 * The typed environment of the Lambda functions (and of `lambdascrape simulate`). Read once per
 * container by {@link readServerlessEnv}, which fails fast: every missing or invalid variable is
 * reported in one {@link ServerlessEnvError}, so a misconfigured deployment fails its first
 * invocation with one clear message instead of deep in an adapter. Nothing else in
 * `src/serverless/` reads `process.env`.
 *
 * The variable names are the contract with the CDK app, defined once in `src/contract.ts`
 * ({@link LAMBDA_ENV}); the field comments below name them for the reader.
 *
 * LAMBDASCRAPE_SECRET_FILES is parsed with `parseSecretFilesEnv` (src/aws/secret-files.ts, no
 * SDK import); the Secrets Manager client is loaded by the runtime only when it is non-empty.
 */
import { parseSecretFilesEnv, SecretFilesError } from '../aws/secret-files.js';
import { parseDuration } from '../config/duration.js';
import { LAMBDA_ENV } from '../contract.js';
import { EgressError, parseCidrList } from '../http/egress-guard.js';
import { LOG_LEVELS, type LogLevel } from '../log/logger.js';
import { DEFAULT_OUTBOX_MAX_AGE_MS } from '../pipeline/outbox-policy.js';
import { DEFAULT_LEAD_MS } from '../pipeline/plan.js';

export const SERVERLESS_ENV_ERROR_CODES = {
  /** Required variables are missing or empty, or values do not parse; see `problems`. */
  invalid: 'SERVERLESS_ENV_INVALID',
} as const;
export type ServerlessEnvErrorCode =
  (typeof SERVERLESS_ENV_ERROR_CODES)[keyof typeof SERVERLESS_ENV_ERROR_CODES];

/** The one error class of this module; `problems` holds one line per bad variable. */
export class ServerlessEnvError extends Error {
  override readonly name = 'ServerlessEnvError';
  readonly code: ServerlessEnvErrorCode = SERVERLESS_ENV_ERROR_CODES.invalid;
  constructor(readonly problems: readonly string[]) {
    super(`invalid Lambda environment: ${problems.join('; ')}`);
  }
}

/** Default of LAMBDASCRAPE_CONFIG: the prometheus.yml bundled next to the handlers. */
export const DEFAULT_CONFIG_PATH = './prometheus.yml';
export const DEFAULT_ENV_WINDOW_MS = 60_000;
export const DEFAULT_ENV_MAX_TARGETS_PER_TASK = 50;
/** Default of OUTBOX_MAX_AGE, ms: see `DEFAULT_OUTBOX_MAX_AGE_MS` (outbox-policy.ts) for why. */
export const DEFAULT_ENV_OUTBOX_MAX_AGE_MS = DEFAULT_OUTBOX_MAX_AGE_MS;

/** The variables that must be set (non-empty). */
export const REQUIRED_ENV = [
  LAMBDA_ENV.targetsTable,
  LAMBDA_ENV.stateTable,
  LAMBDA_ENV.scrapeQueueUrl,
  LAMBDA_ENV.outboxQueueUrl,
  LAMBDA_ENV.outboxDlqUrl,
  LAMBDA_ENV.deploymentId,
] as const;

export interface ServerlessEnv {
  /** LAMBDASCRAPE_CONFIG: path of the prometheus.yml. @default './prometheus.yml' */
  readonly configPath: string;
  /** TARGETS_TABLE: the targets table (DynamoDbTargetStore). */
  readonly targetsTable: string;
  /** STATE_TABLE: scrape state + window ledger table. */
  readonly stateTable: string;
  /** SCRAPE_QUEUE_URL: the scrape task queue. */
  readonly scrapeQueueUrl: string;
  /** OUTBOX_QUEUE_URL: parked remote writes. */
  readonly outboxQueueUrl: string;
  /**
   * OUTBOX_DLQ_URL: where the outbox replayer moves writes it gives up on (expired, rejected,
   * unknown remote_write, malformed); normally the outbox queue's redrive target too.
   */
  readonly outboxDlqUrl: string;
  /**
   * OUTBOX_MAX_AGE: a Prometheus duration (`2h`, `90m`, §1.1); a parked write still failing
   * after this long since it was first parked is dead-lettered. In ms. @default 2h
   */
  readonly outboxMaxAgeMs: number;
  /** DEPLOYMENT_ID: stable deployment identity (the §9 offset seed), e.g. the stack name. */
  readonly deploymentId: string;
  /** DYNAMODB_ENDPOINT: endpoint override (simulate, local stand-ins). @default the SDK's */
  readonly dynamodbEndpoint: string | undefined;
  /** SQS_ENDPOINT: endpoint override. @default the SDK's */
  readonly sqsEndpoint: string | undefined;
  /** WINDOW_MS: dispatcher window length, ms; the same for discovery and dispatch. @default 60000 */
  readonly windowMs: number;
  /** MAX_TARGETS_PER_TASK: targets per SQS message. @default 50 */
  readonly maxTargetsPerTask: number;
  /**
   * SCRAPE_LEAD_MS: how long before the end of its one-second bucket a task becomes visible
   * (plan.ts `DEFAULT_LEAD_MS`), whole ms in [0, MAX_SCRAPE_LEAD_MS]. Up to the scraper's start
   * tolerance (700 ms) nothing waits; longer makes targets wait for their slot, billed.
   * @default 700
   */
  readonly leadMs: number;
  /**
   * LOG_LEVEL: the lowest level logged. At `info` a successful scrape writes no line (as a
   * Prometheus server logs none); at `debug` every scrape and task has one. @default 'info'
   */
  readonly logLevel: LogLevel;
  /**
   * EMF_METRICS: `on` also writes the self-metrics as CloudWatch EMF lines (custom metrics,
   * billed per metric); `off` sends them through remote_write only. @default off
   */
  readonly emfMetrics: boolean;
  /**
   * LAMBDASCRAPE_SKIP_UNSUPPORTED_DISCOVERY: `on` skips, with a warning, each job whose only
   * discovery is a mechanism lambdascrape lacks; `off` refuses the config. @default off
   */
  readonly skipUnsupportedDiscovery: boolean;
  /**
   * AWS_LAMBDA_FUNCTION_NAME (set by Lambda): the first half of the self-metrics `instance`
   * label. @default undefined (the runtime uses 'lambdascrape')
   */
  readonly functionName: string | undefined;
  /**
   * LAMBDASCRAPE_SECRET_FILES: `{"<path as written in prometheus.yml>": "<secret ARN or
   * name>"}`, the credential files served from Secrets Manager (src/aws/secrets-manager.ts).
   * @default empty (no secrets; the Secrets Manager client is never loaded)
   */
  readonly secretFiles: ReadonlyMap<string, string>;
  /** SECRETS_MANAGER_ENDPOINT: endpoint override (local stand-ins). @default the SDK's */
  readonly secretsManagerEndpoint: string | undefined;
  /**
   * AWS_LAMBDA_RUNTIME_API (set by Lambda): `host:port` of the Runtime API; the egress guard
   * refuses every connection to it (src/http/egress-guard.ts). @default undefined (not in Lambda)
   */
  readonly runtimeApi: string | undefined;
  /**
   * LAMBDASCRAPE_DENY_CIDRS: comma-separated CIDR ranges no scrape or SD request may connect
   * to, e.g. `169.254.0.0/16`. @default [] (Prometheus scrapes what it is told)
   */
  readonly denyCidrs: readonly string[];
  /**
   * AWS_LAMBDA_FUNCTION_MEMORY_SIZE (set by Lambda): the function's memory in MB, from which a
   * scrape's body ceiling is derived when a job has no body_size_limit. @default undefined
   */
  readonly memoryMb: number | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

function nonEmpty(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function positiveInt(env: Env, name: string, fallback: number, problems: string[]): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  const n = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(Number.isSafeInteger(n) && n > 0)) {
    problems.push(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    return fallback;
  }
  return n;
}

/** Largest SCRAPE_LEAD_MS: the dispatcher plans ≥ 10 s ahead, which must cover lead + sending. */
export const MAX_SCRAPE_LEAD_MS = 5_000;

function onOff(env: Env, name: string, problems: string[]): boolean {
  const raw = nonEmpty(env, name);
  if (raw === undefined || raw === 'off') return false;
  if (raw === 'on') return true;
  problems.push(`${name} must be on or off, got ${JSON.stringify(raw)}`);
  return false;
}

function logLevel(env: Env, problems: string[]): LogLevel {
  const raw = nonEmpty(env, LAMBDA_ENV.logLevel);
  if (raw === undefined) return 'info';
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  problems.push(
    `${LAMBDA_ENV.logLevel} must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}`,
  );
  return 'info';
}

function leadMs(env: Env, problems: string[]): number {
  const raw = nonEmpty(env, LAMBDA_ENV.scrapeLeadMs);
  if (raw === undefined) return DEFAULT_LEAD_MS;
  const n = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(Number.isSafeInteger(n) && n <= MAX_SCRAPE_LEAD_MS)) {
    problems.push(
      `${LAMBDA_ENV.scrapeLeadMs} must be a whole number of ms from 0 to ${MAX_SCRAPE_LEAD_MS}, got ${JSON.stringify(raw)}`,
    );
    return DEFAULT_LEAD_MS;
  }
  return n;
}

function positiveDuration(env: Env, name: string, fallback: number, problems: string[]): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  let ms = 0;
  try {
    ms = parseDuration(raw);
  } catch {
    // Reported below as one problem line, like every other variable.
  }
  if (!(ms > 0)) {
    problems.push(`${name} must be a positive duration like 2h or 90m, got ${JSON.stringify(raw)}`);
    return fallback;
  }
  return ms;
}

function endpoint(env: Env, name: string, problems: string[]): string | undefined {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return undefined;
  if (!/^https?:\/\/./.test(raw)) {
    problems.push(`${name} must be an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

/**
 * LAMBDASCRAPE_SECRET_FILES as a mapping (`parseSecretFilesEnv`); unset or blank → empty. Each
 * problem is pushed as `LAMBDASCRAPE_SECRET_FILES: <problem>`. The texts hold paths and secret
 * ids, never secret values.
 */
function secretFiles(env: Env, problems: string[]): ReadonlyMap<string, string> {
  try {
    return parseSecretFilesEnv(env[LAMBDA_ENV.secretFiles]);
  } catch (err) {
    if (!(err instanceof SecretFilesError)) throw err;
    for (const p of err.problems) problems.push(`${LAMBDA_ENV.secretFiles}: ${p}`);
    return new Map();
  }
}

/**
 * Reads and checks the environment. Throws {@link ServerlessEnvError} listing every missing
 * required name and every unparsable value at once. Values are trimmed.
 */
export function readServerlessEnv(env: Env): ServerlessEnv {
  const problems: string[] = [];
  const missing = REQUIRED_ENV.filter((name) => nonEmpty(env, name) === undefined);
  if (missing.length > 0) problems.push(`missing required variables: ${missing.join(', ')}`);
  const windowMs = positiveInt(env, LAMBDA_ENV.windowMs, DEFAULT_ENV_WINDOW_MS, problems);
  const lead = leadMs(env, problems);
  const level = logLevel(env, problems);
  const emfMetrics = onOff(env, LAMBDA_ENV.emfMetrics, problems);
  const skipUnsupportedDiscovery = onOff(env, LAMBDA_ENV.skipUnsupportedDiscovery, problems);
  const maxTargetsPerTask = positiveInt(
    env,
    LAMBDA_ENV.maxTargetsPerTask,
    DEFAULT_ENV_MAX_TARGETS_PER_TASK,
    problems,
  );
  const outboxMaxAgeMs = positiveDuration(
    env,
    LAMBDA_ENV.outboxMaxAge,
    DEFAULT_ENV_OUTBOX_MAX_AGE_MS,
    problems,
  );
  const dynamodbEndpoint = endpoint(env, LAMBDA_ENV.dynamodbEndpoint, problems);
  const sqsEndpoint = endpoint(env, LAMBDA_ENV.sqsEndpoint, problems);
  const secretsManagerEndpoint = endpoint(env, LAMBDA_ENV.secretsManagerEndpoint, problems);
  const secrets = secretFiles(env, problems);
  const denyCidrs = cidrs(env, problems);
  const memoryMb =
    nonEmpty(env, LAMBDA_ENV.memorySize) === undefined
      ? undefined
      : positiveInt(env, LAMBDA_ENV.memorySize, 0, problems);
  if (problems.length > 0) throw new ServerlessEnvError(problems);
  const req = (name: (typeof REQUIRED_ENV)[number]): string => nonEmpty(env, name) ?? '';
  return {
    configPath: nonEmpty(env, LAMBDA_ENV.config) ?? DEFAULT_CONFIG_PATH,
    targetsTable: req(LAMBDA_ENV.targetsTable),
    stateTable: req(LAMBDA_ENV.stateTable),
    scrapeQueueUrl: req(LAMBDA_ENV.scrapeQueueUrl),
    outboxQueueUrl: req(LAMBDA_ENV.outboxQueueUrl),
    outboxDlqUrl: req(LAMBDA_ENV.outboxDlqUrl),
    outboxMaxAgeMs,
    deploymentId: req(LAMBDA_ENV.deploymentId),
    dynamodbEndpoint,
    sqsEndpoint,
    windowMs,
    maxTargetsPerTask,
    leadMs: lead,
    logLevel: level,
    emfMetrics,
    skipUnsupportedDiscovery,
    functionName: nonEmpty(env, LAMBDA_ENV.functionName),
    secretFiles: secrets,
    secretsManagerEndpoint,
    runtimeApi: nonEmpty(env, LAMBDA_ENV.runtimeApi),
    denyCidrs,
    memoryMb,
  };
}

function cidrs(env: Env, problems: string[]): readonly string[] {
  try {
    return parseCidrList(env[LAMBDA_ENV.denyCidrs] ?? '');
  } catch (err) {
    if (!(err instanceof EgressError)) throw err;
    problems.push(`${LAMBDA_ENV.denyCidrs}: ${err.message}`);
    return [];
  }
}

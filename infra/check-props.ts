/**
 * Everything `LambdaScraper` checks before it builds anything: its props against each other and
 * against the config (credential files vs `secretFiles`, inline secrets, files to bundle). All
 * problems are collected and thrown together as one {@link LambdaScraperPropsError}; what is
 * worth knowing but not fatal comes back as warnings, which the construct shows at synth.
 */

import { resolve } from 'node:path';
import { Duration, Token } from 'aws-cdk-lib';
import { formatDuration } from '../src/config/duration.js';
import { FUNCTION_ROLES, type FunctionRole, LAMBDA_ENV } from '../src/contract.js';
import { parseCidrList } from '../src/http/egress-guard.js';
import { DEFAULT_LEAD_MS } from '../src/pipeline/plan.js';
import { CHUNKS_DIR } from './bundle.js';
import {
  type BundleFile,
  credentialFileRefs,
  inlineSecretFields,
  planBundleFiles,
} from './config-files.js';
import type { LambdaScraperProps, QueueConsumerOptions } from './lambda-scraper-props.js';
import { BUNDLED_CONFIG_NAME } from './scraper-config.js';

/** Props that cannot work, caught before anything is built; one message lists all. */
export class LambdaScraperPropsError extends Error {
  override readonly name = 'LambdaScraperPropsError';
  readonly code = 'LAMBDASCRAPER_INVALID_PROPS';
  constructor(readonly problems: readonly string[]) {
    super(`LambdaScraper: ${problems.join('; ')}`);
  }
}

/** One function's settings with the defaults applied. */
export interface ResolvedFunctionOptions {
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly reserved: number | undefined;
  /** Event source settings; 0 for the scheduled functions. */
  readonly maxConcurrency: number;
  readonly batchSize: number;
}

/**
 * The outbox event source's default maximum concurrency: enough to drain the backlog of a 2-hour
 * backend outage of the reference workload (500 targets every 30 s, one remote_write) within
 * 15 minutes once the backend is back (decision 13):
 *
 * - backlog B = 500 streams × 240 units (one per 30 s scrape) = 120,000 messages in 500 groups;
 * - one invocation takes a batch of 10 and delivers it one message after the other (a group's
 *   order): per message a send (s) and the UpdateItem that deletes the unit's backlog record
 *   (~10 ms), plus ~100 ms per invocation, so r = 10 / (10 × (s + 0.01 s) + 0.1 s) messages/s;
 * - while it drains, every stream still parks its new units behind its backlog: a = 500 / 30 s
 *   = 16.7 messages/s arrive;
 * - drain time T = B / (C × r − a) at concurrency C.
 *
 * With sends of 50 ms (r = 14.3/s): C = 5 (the former default) 36.5 min, C = 10 15.8 min,
 * C = 20 7.4 min. At 20 the drain stays within 15 minutes for sends up to 113 ms (at 10, up to
 * 47 ms). Add the wait for the groups' last back-off to end once the backend is back (at most
 * the outbox function's longest back-off, 2 min): 9.4 min at 20. Lambda runs at most one invocation per message group at a time, so C is capped by the
 * number of streams with a backlog as well; concurrency does not change the work billed.
 */
export const DEFAULT_OUTBOX_MAX_CONCURRENCY = 20;

export const FUNCTION_DEFAULTS: Readonly<Record<FunctionRole, ResolvedFunctionOptions>> = {
  discovery: {
    memorySize: 512,
    timeout: Duration.minutes(1),
    reserved: undefined,
    maxConcurrency: 0,
    batchSize: 0,
  },
  dispatcher: {
    memorySize: 1024,
    timeout: Duration.minutes(1),
    reserved: undefined,
    maxConcurrency: 0,
    batchSize: 0,
  },
  scraper: {
    memorySize: 1024,
    timeout: Duration.minutes(1),
    reserved: undefined,
    maxConcurrency: 50,
    batchSize: 1,
  },
  outbox: {
    memorySize: 512,
    timeout: Duration.minutes(1),
    reserved: undefined,
    maxConcurrency: DEFAULT_OUTBOX_MAX_CONCURRENCY,
    // A FIFO event source takes at most 10 messages a batch.
    batchSize: 10,
  },
};
export const DEFAULT_MAX_TARGETS_PER_TASK = 50;
export const DEFAULT_OUTBOX_MAX_AGE = Duration.hours(2);
/** What a scraper invocation needs beyond a job's scrape_timeout (see checkProps). */
export const SCRAPER_TIMEOUT_HEADROOM_MS = 10_000;
/** The dispatcher's lead (src/pipeline/plan.ts DEFAULT_LEAD_MS). */
export const DEFAULT_SCRAPE_LEAD = Duration.millis(DEFAULT_LEAD_MS);

/**
 * Environment names the construct sets itself (src/contract.ts LAMBDA_ENV, read by
 * src/serverless/env.ts), or reserves: WINDOW_MS must be the same for every function.
 */
const OWN_ENV: ReadonlySet<string> = new Set([
  'NODE_OPTIONS',
  LAMBDA_ENV.config,
  LAMBDA_ENV.secretFiles,
  LAMBDA_ENV.deploymentId,
  LAMBDA_ENV.targetsTable,
  LAMBDA_ENV.stateTable,
  LAMBDA_ENV.scrapeQueueUrl,
  LAMBDA_ENV.outboxQueueUrl,
  LAMBDA_ENV.outboxDlqUrl,
  LAMBDA_ENV.windowMs,
  LAMBDA_ENV.maxTargetsPerTask,
  LAMBDA_ENV.outboxMaxAge,
  LAMBDA_ENV.scrapeLeadMs,
  LAMBDA_ENV.emfMetrics,
  LAMBDA_ENV.denyCidrs,
  LAMBDA_ENV.skipUnsupportedDiscovery,
]);

export interface CheckedProps {
  readonly functions: Readonly<Record<FunctionRole, ResolvedFunctionOptions>>;
  readonly deploymentId: string;
  readonly maxTargetsPerTask: number;
  readonly outboxMaxAgeMs: number;
  readonly scrapeLeadMs: number;
  /** Data files copied beside prometheus.yml in every bundle. */
  readonly bundleFiles: readonly BundleFile[];
  /** Where the config holds secrets inline (allowed by `allowInlineSecrets`). */
  readonly inlineSecrets: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Checks `props`; `defaultDeploymentId` is used when the props give none. Throws
 * {@link LambdaScraperPropsError} listing every problem.
 */
export function checkProps(props: LambdaScraperProps, defaultDeploymentId: string): CheckedProps {
  const problems: string[] = [];
  const warnings: string[] = [];
  const sc = props.config;

  if (props.vpc === undefined && props.vpcSubnets !== undefined) {
    problems.push('vpcSubnets requires vpc');
  }
  if (props.vpc === undefined && props.securityGroups !== undefined) {
    problems.push('securityGroups requires vpc');
  }

  const functions = {} as Record<FunctionRole, ResolvedFunctionOptions>;
  for (const role of FUNCTION_ROLES) {
    const given: QueueConsumerOptions = props[role] ?? {};
    const d = FUNCTION_DEFAULTS[role];
    const o: ResolvedFunctionOptions = {
      memorySize: given.memorySize ?? d.memorySize,
      timeout: given.timeout ?? d.timeout,
      reserved: given.reservedConcurrentExecutions,
      maxConcurrency: given.maxConcurrency ?? d.maxConcurrency,
      batchSize: given.batchSize ?? d.batchSize,
    };
    functions[role] = o;
    const ms = o.timeout.toMilliseconds();
    if (!(ms >= 1000 && ms <= 900_000 && ms % 1000 === 0)) {
      problems.push(`${role}.timeout must be whole seconds, 1 s–15 min`);
    }
    if (!(Number.isInteger(o.memorySize) && o.memorySize >= 128 && o.memorySize <= 10240)) {
      problems.push(`${role}.memorySize must be an integer 128–10240 MB`);
    }
    if (o.reserved !== undefined && !(Number.isInteger(o.reserved) && o.reserved >= 0)) {
      problems.push(`${role}.reservedConcurrentExecutions must be a non-negative integer`);
    }
    if (role === 'scraper' || role === 'outbox') {
      const mc = o.maxConcurrency;
      if (!(Number.isInteger(mc) && mc >= 2 && mc <= 1000)) {
        problems.push(`${role}.maxConcurrency must be an integer 2–1000`);
      }
      if (!(Number.isInteger(o.batchSize) && o.batchSize >= 1 && o.batchSize <= 10)) {
        problems.push(`${role}.batchSize must be an integer 1–10`);
      }
      // SQS pollers above the reservation get throttled and messages bounce to the DLQ.
      if (o.reserved !== undefined && mc > o.reserved) {
        problems.push(
          `${role}.maxConcurrency (${mc}) must not exceed ${role}.reservedConcurrentExecutions (${o.reserved})`,
        );
      }
    } else if (given.maxConcurrency !== undefined || given.batchSize !== undefined) {
      problems.push(
        `${role} is scheduled, not fed by a queue: maxConcurrency and batchSize do not apply`,
      );
    }
  }

  // A scrape task arrives up to its lead before a slot (at most 5 s), then scrapes for up to scrape_timeout and needs time to write and park: a scraper
  // timeout shorter than that cuts scrapes off and SQS redelivers the task too late.
  const scraperTimeoutMs = functions.scraper.timeout.toMilliseconds();
  for (const job of sc.config.scrapeConfigs) {
    if (job.scrapeTimeout + SCRAPER_TIMEOUT_HEADROOM_MS > scraperTimeoutMs) {
      problems.push(
        `job ${job.jobName}: scrape_timeout ${formatDuration(job.scrapeTimeout)} needs a scraper timeout of at least ${formatDuration(job.scrapeTimeout + SCRAPER_TIMEOUT_HEADROOM_MS)} (scraper.timeout is ${formatDuration(scraperTimeoutMs)})`,
      );
    }
  }
  const maxTargetsPerTask = props.maxTargetsPerTask ?? DEFAULT_MAX_TARGETS_PER_TASK;
  if (!(Number.isSafeInteger(maxTargetsPerTask) && maxTargetsPerTask >= 1)) {
    problems.push('maxTargetsPerTask must be a positive integer');
  }
  const outboxMaxAgeMs = (props.outboxMaxAge ?? DEFAULT_OUTBOX_MAX_AGE).toMilliseconds();
  // The outbox function must expire a write (with its reason) before the queue's redrive moves it
  // without one: 1,000 receives at most 2 minutes apart last about 33 h.
  if (!(outboxMaxAgeMs >= 60_000 && outboxMaxAgeMs <= 86_400_000)) {
    problems.push('outboxMaxAge must be 1 minute–24 hours');
  }
  const scrapeLeadMs = (props.scrapeLead ?? DEFAULT_SCRAPE_LEAD).toMilliseconds();
  if (!(Number.isSafeInteger(scrapeLeadMs) && scrapeLeadMs >= 0 && scrapeLeadMs <= 5_000)) {
    problems.push('scrapeLead must be a whole number of ms from 0 to 5 seconds');
  }
  if (props.detailedMonitoring !== true) {
    for (const name of ['dashboardName', 'latenessAlarmThreshold'] as const) {
      if (props[name] !== undefined) problems.push(`${name} requires detailedMonitoring`);
    }
  }
  const deploymentId = props.deploymentId ?? defaultDeploymentId;
  if (Token.isUnresolved(deploymentId) || deploymentId === '' || deploymentId.length > 255) {
    problems.push('deploymentId must be a literal string of 1–255 characters');
  }
  for (const key of Object.keys(props.environment ?? {})) {
    if (OWN_ENV.has(key)) problems.push(`environment ${key} is set by the construct`);
  }
  // The bundles leave undici's non-SIMD HTTP parser out (UNREACHABLE in infra/bundle.ts).
  if (props.environment?.UNDICI_NO_WASM_SIMD === '1') {
    problems.push(
      'environment UNDICI_NO_WASM_SIMD=1 needs the non-SIMD llhttp, which is not bundled',
    );
  }
  for (const range of props.denyCidrs ?? []) {
    try {
      // One range per entry; the functions get them joined with commas.
      const parsed = parseCidrList(range);
      if (parsed.length !== 1)
        problems.push(`denyCidrs entry ${JSON.stringify(range)} is not one range`);
    } catch (err) {
      problems.push(`denyCidrs: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  // Secrets inline would be bundled in clear.
  const inlineSecrets = inlineSecretFields(sc.config);
  if (inlineSecrets.length > 0) {
    if (props.allowInlineSecrets === true) {
      warnings.push(
        `${sc.path} holds secrets inline, bundled in clear: ${inlineSecrets.join(', ')}`,
      );
    } else {
      problems.push(
        `${sc.path} holds secrets inline (${inlineSecrets.join(', ')}); the config is bundled in clear, so use a *_file and map it with secretFiles (a URL's password: basic_auth with password_file), or set allowInlineSecrets`,
      );
    }
  }

  // Credential files: a secret-holding one must come from secretFiles; a plain one from
  // secretFiles, extraFiles or the runtime's file system. Paths compare resolved against the
  // config folder, as the loader and the functions resolve them.
  const secretPaths = new Map<string, string>(); // resolved → as written
  for (const written of Object.keys(props.secretFiles ?? {})) {
    if (written.trim() === '') problems.push('secretFiles has an empty path');
    else secretPaths.set(resolve(sc.dir, written), written);
  }
  const extraFiles = props.extraFiles ?? [];
  const extraResolved = new Set(extraFiles.map((f) => resolve(sc.dir, f)));
  const refs = credentialFileRefs(sc.config, sc.dir);
  for (const ref of refs) {
    if (secretPaths.has(ref.path)) continue;
    const where = `${ref.where} ${ref.field} ${ref.path}`;
    if (ref.kind === 'secret') {
      problems.push(
        extraResolved.has(ref.path)
          ? `${where} holds a secret: map it in secretFiles instead of extraFiles (bundles are stored in clear)`
          : `${where} holds a secret and is not in secretFiles: map it to a Secrets Manager secret`,
      );
    } else if (!extraResolved.has(ref.path)) {
      warnings.push(
        `${where} is neither in secretFiles nor in extraFiles: it must exist at that path in the Lambda runtime`,
      );
    }
  }
  const referenced = new Set(refs.map((r) => r.path));
  for (const [resolved, written] of secretPaths) {
    if (!referenced.has(resolved)) {
      problems.push(`secretFiles path ${JSON.stringify(written)} is not a *_file of ${sc.path}`);
    }
  }

  const bundle = planBundleFiles(sc, extraFiles);
  problems.push(...bundle.errors);
  for (const f of bundle.files) {
    if (f.target === BUNDLED_CONFIG_NAME && f.source !== sc.absolutePath) {
      problems.push(`${f.source} would replace the bundled ${BUNDLED_CONFIG_NAME}; rename it`);
    }
    // The code's own files (infra/bundle.ts): index.mjs, its map, its chunks.
    if (/^index\.mjs(?:\.map)?$/.test(f.target) || f.target.startsWith(`${CHUNKS_DIR}/`)) {
      problems.push(`${f.source} would go where the function's code is (${f.target}); move it`);
    }
  }

  if (problems.length > 0) throw new LambdaScraperPropsError(problems);
  if (sc.config.remoteWrite.length === 0) {
    warnings.push(`${sc.path} has no remote_write: scraped samples are discarded`);
  }
  return {
    functions,
    deploymentId,
    maxTargetsPerTask,
    outboxMaxAgeMs,
    scrapeLeadMs,
    bundleFiles: bundle.files,
    inlineSecrets,
    warnings: [...sc.warnings, ...bundle.warnings, ...warnings],
  };
}

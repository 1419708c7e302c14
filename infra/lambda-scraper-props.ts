/**
 * The props of `LambdaScraper` (lambda-scraper.ts), apart from the construct so that the
 * checks of check-props.ts and the construct both import them without importing each other.
 */
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import type { Architecture } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { FunctionRole } from '../src/contract.js';
import type { ScraperConfig } from './scraper-config.js';

/** Memory, timeout and concurrency of one function. */
export interface FunctionOptions {
  /** MB. @default discovery 512, dispatcher 1024, scraper 1024, outbox 512 */
  readonly memorySize?: number;
  /** @default 1 minute (each queue's visibility timeout is 6× its consumer's timeout) */
  readonly timeout?: Duration;
  /** Reserved concurrency. @default none (the account's unreserved pool) */
  readonly reservedConcurrentExecutions?: number;
}

/** A function fed by an SQS event source. */
export interface QueueConsumerOptions extends FunctionOptions {
  /**
   * Most concurrent invocations the event source starts (2–1000); the cap on how fast a
   * backlog drains. The outbox's default drains a 2-hour outage of 500 targets every 30 s in
   * about 7 minutes (check-props.ts DEFAULT_OUTBOX_MAX_CONCURRENCY). @default scraper 50, outbox 20
   */
  readonly maxConcurrency?: number;
  /**
   * Messages per invocation (1–10; a FIFO queue's event source takes at most 10). The scraper
   * runs a batch's tasks concurrently, so its memory grows with it. @default scraper 1, outbox 10
   */
  readonly batchSize?: number;
}

export interface LambdaScraperProps {
  /** The checked prometheus.yml, from `loadScraperConfig(path)`. Bundled into every function. */
  readonly config: ScraperConfig;
  /**
   * Credential files served from AWS Secrets Manager: the key is the path exactly as written in
   * prometheus.yml (`password_file`, `credentials_file`, `bearer_token_file`, TLS files, …),
   * the value the secret. Every function may read every listed secret
   * (`secretsmanager:GetSecretValue` on exactly these ARNs) and nothing else. A `*_file` that
   * holds a secret must be listed here; a listed path no `*_file` names is an error.
   * @default none
   */
  readonly secretFiles?: Readonly<Record<string, ISecret>>;
  /**
   * Address ranges (CIDR, or single addresses) no scrape and no SD request of the functions may
   * connect to, checked after DNS resolution and on every redirect (docs/security.md): the
   * functions' LAMBDASCRAPE_DENY_CIDRS. The Lambda Runtime API is refused whatever this says.
   * @default none (Prometheus scrapes what it is told)
   */
  readonly denyCidrs?: readonly string[];
  /**
   * More files to bundle beside the config, relative to its folder (a `ca_file`, say). Bundles
   * are stored in clear: list no secret here (the construct refuses secret-holding `*_file`s).
   * Matches of `scrape_config_files` and `file_sd_configs` are bundled without being listed.
   * @default none
   */
  readonly extraFiles?: readonly string[];
  /**
   * Bundle the config even though it holds secrets inline (`password:`, `bearer_token:`,
   * sigv4/ec2 `secret_key:` …, a password in a URL's userinfo, a `token`-like query value or
   * `params` entry). They end up in clear in the code package.
   * @default false: such a config is refused; use `*_file` + `secretFiles`
   */
  readonly allowInlineSecrets?: boolean;
  /**
   * DEPLOYMENT_ID: the deployment's stable identity — the seed of every target's fixed phase
   * (§9) and the `Deployment` dimension of the self-metrics. Changing it moves every target's
   * phase once. @default `<stack name>/<construct path in the stack>`
   */
  readonly deploymentId?: string;
  /** @default Architecture.ARM_64 */
  readonly architecture?: Architecture;
  /** @default memory 512 MB, timeout 1 minute */
  readonly discovery?: FunctionOptions;
  /** @default memory 1024 MB, timeout 1 minute */
  readonly dispatcher?: FunctionOptions;
  /** @default memory 1024 MB, timeout 1 minute, maxConcurrency 50, batchSize 1 */
  readonly scraper?: QueueConsumerOptions;
  /** @default memory 512 MB, timeout 1 minute, maxConcurrency 20, batchSize 10 */
  readonly outbox?: QueueConsumerOptions;
  /** MAX_TARGETS_PER_TASK: targets per scrape task (SQS message). @default 50 */
  readonly maxTargetsPerTask?: number;
  /** OUTBOX_MAX_AGE: a parked write older than this is dead-lettered (1 minute–24 hours). @default 2 hours */
  readonly outboxMaxAge?: Duration;
  /**
   * SCRAPE_LEAD_MS: how long before the end of its one-second bucket a scrape task becomes
   * visible (0–5 s). At the default each target is read between 700 ms before and 300 ms after
   * its slot and nothing waits; longer makes targets wait for their slot, billed
   * (src/pipeline/plan.ts DEFAULT_LEAD_MS, docs/serverless.md). @default 700 ms
   */
  readonly scrapeLead?: Duration;
  /**
   * Extra environment of every function, e.g. for `$VAR` in external_labels (the config is
   * checked at synth with the deploying shell's environment, as `check config` does).
   * @default none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Run the functions in this VPC, to scrape private targets (10.x addresses of EC2 instances).
   * The subnets need a route to the AWS APIs (NAT gateway or VPC endpoints for DynamoDB, SQS,
   * CloudWatch Logs, Secrets Manager, STS, EC2, AMP) and to the remote-write backend.
   * @default no VPC: the functions reach public endpoints only
   */
  readonly vpc?: IVpc;
  /** Requires `vpc`. @default the VPC's private subnets */
  readonly vpcSubnets?: SubnetSelection;
  /** Requires `vpc`. @default one security group allowing all outbound traffic */
  readonly securityGroups?: readonly ISecurityGroup[];
  /** Alarm and OK notifications. @default none */
  readonly alarmTopic?: ITopic;
  /**
   * CloudWatch beyond the built-in metrics: the functions emit their self-metrics as EMF
   * custom metrics (18, about $5.40 a month), a dashboard ($3) and alarms on lateness, lost
   * data and each function's errors (about $0.80). Without it, the self-metrics go only
   * through remote_write (to the backend, as series) and three alarms watch the queues' built-in
   * metrics (scrape DLQ, outbox DLQ, writes parked; $0.30). @default false
   */
  readonly detailedMonitoring?: boolean;
  /** p99 scrape-start lateness alarm threshold; requires `detailedMonitoring`. @default 5 seconds */
  readonly latenessAlarmThreshold?: Duration;
  /** Requires `detailedMonitoring`. @default a generated name */
  readonly dashboardName?: string;
  /**
   * Point-in-time recovery of both tables. Off by default: the targets table is rebuilt by
   * discovery within a minute and a lost scrape state only costs one round of stale markers.
   * @default false
   */
  readonly pointInTimeRecovery?: boolean;
  /** Tables and log groups on stack deletion (all their data can be rebuilt). @default DESTROY */
  readonly removalPolicy?: RemovalPolicy;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * Ingest Lambda's own START, END and REPORT lines for every invocation (about 300 B each:
   * ~$0.35 a month on the reference workload), as Lambda does by default.
   *
   * Off by default: each function uses Lambda's advanced logging controls with the JSON log
   * format, system log level WARN (Lambda's per-invocation platform records are INFO, so they
   * are not sent to CloudWatch Logs) and application log level TRACE (Lambda filters none of
   * the functions' own lines: LOG_LEVEL alone decides what they log). The functions write their
   * log and EMF lines straight to stdout, one JSON object each, which the Node.js runtime does
   * not reformat in either format. What the JSON format does change: anything written with
   * `console.*` (a dependency's, or the runtime's report of an uncaught error) becomes a JSON
   * object with `timestamp`, `level`, `requestId` and `message`, and the platform records that
   * remain are JSON. Without the REPORT line a timeout or out-of-memory end may leave no line
   * in the log group: the AWS/Lambda `Errors` metric still counts it.
   * @default false
   */
  readonly platformLogs?: boolean;
  /**
   * Handler source files, for wrapping the shipped handlers. Each must `export const handler`.
   * @default functions/<role>.ts of this repository
   */
  readonly entries?: Partial<Readonly<Record<FunctionRole, string>>>;
  /**
   * A fifth function serving the deployment's targets page (`run`'s `/targets`, read from the
   * two tables: what `lambdascrape status` shows) at a Lambda function URL. Its role may only
   * read the two tables. `auth: 'iam'`: the URL takes only SigV4-signed requests of principals
   * allowed `lambda:InvokeFunctionUrl` (grant it with `statusPage.url.grantInvokeUrl`); `'none'`:
   * anyone who has the URL reads the page (redacted, but it names every target), so only behind
   * your own auth (e.g. CloudFront with a viewer-request check). @default no status page
   */
  readonly statusPage?: StatusPageOptions;
}

export interface StatusPageOptions {
  /** The function URL's auth type: `iam` (AWS_IAM) or `none` (behind your own auth). */
  readonly auth: 'iam' | 'none';
}

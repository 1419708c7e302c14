/**
 * The names the Lambda functions (src/) and the CDK app (infra/) must agree on, defined once
 * here and imported by both sides: what infra sets, src reads; what src emits, infra charts
 * and alarms on. Renaming anything here changes a deployed contract (the environment of the
 * functions, the CloudWatch metrics existing dashboards and alarms read).
 *
 * This module imports nothing, so infra/ can import it without pulling in a driver.
 */

/**
 * The environment variables of every function, by what they hold. src/serverless/env.ts reads
 * them (and documents each); infra/lambda-scraper.ts sets the ones a deployment needs.
 */
export const LAMBDA_ENV = {
  /** Path of the prometheus.yml. */
  config: 'LAMBDASCRAPE_CONFIG',
  /** JSON mapping of credential-file paths to Secrets Manager secrets. */
  secretFiles: 'LAMBDASCRAPE_SECRET_FILES',
  deploymentId: 'DEPLOYMENT_ID',
  targetsTable: 'TARGETS_TABLE',
  stateTable: 'STATE_TABLE',
  scrapeQueueUrl: 'SCRAPE_QUEUE_URL',
  outboxQueueUrl: 'OUTBOX_QUEUE_URL',
  outboxDlqUrl: 'OUTBOX_DLQ_URL',
  windowMs: 'WINDOW_MS',
  maxTargetsPerTask: 'MAX_TARGETS_PER_TASK',
  outboxMaxAge: 'OUTBOX_MAX_AGE',
  scrapeLeadMs: 'SCRAPE_LEAD_MS',
  /** Lowest level logged: debug, info (default), warn, error. */
  logLevel: 'LOG_LEVEL',
  /** `on`: the self-metrics also go out as CloudWatch EMF custom metrics (billed per metric). */
  emfMetrics: 'EMF_METRICS',
  /** Endpoint overrides, for local stand-ins (`lambdascrape simulate`, tests). */
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
  sqsEndpoint: 'SQS_ENDPOINT',
  secretsManagerEndpoint: 'SECRETS_MANAGER_ENDPOINT',
  /**
   * Comma-separated CIDR ranges no scrape or SD request may connect to (docs/security.md).
   * The same variable `lambdascrape run` reads.
   */
  denyCidrs: 'LAMBDASCRAPE_DENY_CIDRS',
  /**
   * `on`: a job whose only discovery is a mechanism lambdascrape lacks is skipped with a
   * warning instead of failing the config (src/discovery/check.ts). Set by the CDK app from the
   * same option its synth-time check used, so both accept the same config.
   */
  skipUnsupportedDiscovery: 'LAMBDASCRAPE_SKIP_UNSUPPORTED_DISCOVERY',
  /** Set by Lambda itself. */
  functionName: 'AWS_LAMBDA_FUNCTION_NAME',
  /** Set by Lambda itself: `host:port` of the Runtime API, which no connection may reach. */
  runtimeApi: 'AWS_LAMBDA_RUNTIME_API',
  /** Set by Lambda itself: the function's memory in MB (the scrape body ceiling follows it). */
  memorySize: 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
} as const;
export type LambdaEnvName = (typeof LAMBDA_ENV)[keyof typeof LAMBDA_ENV];

/**
 * Build-time switch of the bundles: infra/ defines `process.env.LAMBDASCRAPE_BUNDLE_EC2` as
 * "true" only in the discovery function's bundle, so the EC2 client folds away elsewhere. The
 * reader (src/discovery/ec2/discoverer.ts) must spell `process.env.LAMBDASCRAPE_BUNDLE_EC2` out
 * literally for esbuild's `define` to replace it, so this name is the one to keep in step.
 */
export const BUNDLE_EC2_ENV = 'LAMBDASCRAPE_BUNDLE_EC2';

/**
 * The four functions, in the order they run: one handler in functions/ each, one CDK function
 * each, and the `function` of their self-metrics.
 */
export const FUNCTION_ROLES = ['discovery', 'dispatcher', 'scraper', 'outbox'] as const;
export type FunctionRole = (typeof FUNCTION_ROLES)[number];

/** CloudWatch namespace of the self-metrics the functions emit as EMF log lines. */
export const EMF_NAMESPACE = 'LambdaScrape';
/** The one dimension of every EMF metric: the deployment id (DEPLOYMENT_ID). */
export const EMF_DIMENSION = 'Deployment';

export type EmfUnit = 'Count' | 'Milliseconds';
/**
 * `sum`: the total observed since the previous line (chart and alarm on Sum); `gauge`: the last
 * value observed (Maximum); `values`: one number per observation (percentiles).
 */
export type EmfKind = 'sum' | 'gauge' | 'values';

/** Every EMF metric, with its unit and kind, in the order a line lists them. */
export const EMF_METRICS = {
  Scrapes: { unit: 'Count', kind: 'sum' },
  ScrapesUp: { unit: 'Count', kind: 'sum' },
  ScrapeFailures: { unit: 'Count', kind: 'sum' },
  LateDropped: { unit: 'Count', kind: 'sum' },
  /** Scrape start − slot, one value per scrape (early starts count as 0). */
  ScrapeLateness: { unit: 'Milliseconds', kind: 'values' },
  /** Time a scrape task waited for its slots (billed idle time), one value per scrape task. */
  ScrapeWait: { unit: 'Milliseconds', kind: 'values' },
  RemoteWriteSamplesSent: { unit: 'Count', kind: 'sum' },
  RemoteWriteSamplesRejected: { unit: 'Count', kind: 'sum' },
  RemoteWriteRequestsParked: { unit: 'Count', kind: 'sum' },
  RemoteWriteRequestsLost: { unit: 'Count', kind: 'sum' },
  OutboxReplayed: { unit: 'Count', kind: 'sum' },
  OutboxDeadLettered: { unit: 'Count', kind: 'sum' },
  DynamoDbReadUnits: { unit: 'Count', kind: 'sum' },
  DynamoDbWriteUnits: { unit: 'Count', kind: 'sum' },
  SqsMessagesSent: { unit: 'Count', kind: 'sum' },
  /** Target slots the dispatcher planned (compare with Scrapes + LateDropped). */
  TargetsPlanned: { unit: 'Count', kind: 'sum' },
  /** Targets stored after a discovery run. */
  Targets: { unit: 'Count', kind: 'gauge' },
  /** Messages waiting in the outbox queue. */
  OutboxDepth: { unit: 'Count', kind: 'gauge' },
} as const satisfies Readonly<Record<string, { unit: EmfUnit; kind: EmfKind }>>;

export type EmfMetricName = keyof typeof EMF_METRICS;

/** The EMF metric names, in {@link EMF_METRICS} order. */
export const EMF_METRIC_NAMES = Object.keys(EMF_METRICS) as readonly EmfMetricName[];

/** Each EMF metric name as a constant (`EMF_METRIC.Scrapes` is `'Scrapes'`), for code naming one. */
export const EMF_METRIC = Object.fromEntries(EMF_METRIC_NAMES.map((name) => [name, name])) as {
  readonly [K in EmfMetricName]: K;
};

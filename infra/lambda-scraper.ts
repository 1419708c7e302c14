/**
 * `LambdaScraper`: one lambdascrape deployment (docs/design.md "The flow") as a reusable construct —
 * two DynamoDB tables, the scrape queue and the outbox with their dead-letter queues, the four
 * functions with their schedules and SQS event sources, least-privilege roles derived from the
 * prometheus.yml, and a dashboard with alarms. `infra/bin/app.ts` deploys it; a user's own CDK
 * app can too:
 *
 * ```ts
 * const config = await loadScraperConfig('prometheus.yml'); // throws as `check config` would
 * new LambdaScraper(stack, 'Scraper', { config, alarmTopic });
 * ```
 *
 * Secure by default: encrypted tables and queues, TLS-only queue policies, one role per function
 * with only the actions its code calls on only its resources, secrets as ARNs only (the
 * functions fetch them at cold start, src/aws/secrets-manager.ts), no inline secret in the
 * bundled config unless `allowInlineSecrets`. cdk-nag findings that remain are acknowledged
 * here, each with its reason (see {@link NAG_REASONS}).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Annotations,
  AssetHashType,
  Aws,
  Duration,
  type ILocalBundling,
  Names,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  Code,
  type FunctionUrl,
  FunctionUrlAuthType,
  type IFunction,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
} from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  DeduplicationScope,
  FifoThroughputLimit,
  Queue,
  QueueEncryption,
} from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { formatDuration } from '../src/config/duration.js';
import { FUNCTION_ROLES, type FunctionRole, LAMBDA_ENV } from '../src/contract.js';
import { DROPPED_PK } from '../src/pipeline/dropped-targets.js';
import { OUTBOX_MAX_RECEIVE_COUNT } from '../src/pipeline/outbox-policy.js';
import { bundleFunction, type FunctionBundle } from './bundle.js';
import { type CheckedProps, checkProps } from './check-props.js';
import type { BundleFile } from './config-files.js';
import { ScraperMonitoring } from './dashboard.js';
import {
  accessFromConfig,
  type ConfigAccess,
  ELASTICACHE_DISCOVERY_ACTIONS,
  RDS_DISCOVERY_ACTIONS,
} from './iam-from-config.js';
import type { LambdaScraperProps, StatusPageOptions } from './lambda-scraper-props.js';
import { BUNDLED_CONFIG_NAME } from './scraper-config.js';

export { LambdaScraperPropsError } from './check-props.js';
export type {
  FunctionOptions,
  LambdaScraperProps,
  QueueConsumerOptions,
  StatusPageOptions,
} from './lambda-scraper-props.js';

/** The repository root: functions/, package-lock.json. */
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Why each remaining cdk-nag finding is acceptable (ids as cdk-nag prints them). */
export const NAG_REASONS = {
  ec2Describe:
    'ec2:DescribeInstances and ec2:DescribeAvailabilityZones do not support resource-level permissions (EC2 requires Resource "*"); they are granted only to the discovery function and only because the config has an ec2_sd_configs entry using the function role.',
  ecsDiscovery:
    "ecs:ListClusters/ListTasks/DescribeTasks/DescribeServices/DescribeContainerInstances/DescribeClusters and ec2:DescribeInstances/DescribeNetworkInterfaces are read on every cluster of the account and region (which clusters is the config's choice, read at run time); they are granted only to the discovery function and only because the config has an aws_sd_configs role: ecs or ecs_sd_configs entry using the function role.",
  lightsailDiscovery:
    'lightsail:GetInstances lists every instance of the account and region and has no resource to scope it to; it is granted only to the discovery function and only because the config has an aws_sd_configs role: lightsail or lightsail_sd_configs entry using the function role.',
  mskDiscovery:
    'kafka:ListClustersV2/DescribeClusterV2/ListNodes read the MSK clusters of the account and region (which ones is read at run time); they are granted only to the discovery function and only because the config has an aws_sd_configs role: msk or msk_sd_configs entry using the function role.',
  rdsDiscovery:
    'rds:DescribeDBClusters/DescribeDBInstances read the RDS clusters and their instances of the account and region (which ones is read at run time); they are granted only to the discovery function and only because the config has an aws_sd_configs role: rds or rds_sd_configs entry using the function role.',
  elastiCacheDiscovery:
    'elasticache:DescribeCacheClusters/DescribeServerlessCaches/ListTagsForResource read the ElastiCache caches of the account and region and their tags (which ones is read at run time); they are granted only to the discovery function and only because the config has an aws_sd_configs role: elasticache or elasticache_sd_configs entry using the function role.',
  vpcEni:
    'Lambda needs ec2:CreateNetworkInterface/DescribeNetworkInterfaces/DeleteNetworkInterface/AssignPrivateIpAddresses/UnassignPrivateIpAddresses on "*" to attach a function to a VPC (the same actions as AWSLambdaVPCAccessExecutionRole, inline so nothing else comes with them); granted only when a VPC is given.',
  apsAnyWorkspace:
    'A remote_write signs with SigV4 for AMP but its URL names no workspace (proxy or custom domain), so aps:RemoteWrite is scoped to the workspaces of this account in that region, not one workspace.',
  pitr: 'Point-in-time recovery is off by choice (pointInTimeRecovery prop): the targets table is recomputed by discovery every minute and a lost scrape state costs one round of stale markers, while PITR is billed per GB of the state table.',
} as const;

/**
 * Lambda's logging without its START, END and REPORT lines (the `platformLogs` prop, off by
 * default). The system log level needs the JSON log format. The application level must be
 * TRACE, the lowest: in the JSON format Lambda reads the `level` of every JSON line a function
 * writes to stdout and drops those below the application level (INFO when unset), so with any
 * other value a `LOG_LEVEL=debug` deployment would lose its debug lines.
 */
const QUIET_PLATFORM_LOGS = {
  loggingFormat: LoggingFormat.JSON,
  systemLogLevelV2: SystemLogLevel.WARN,
  applicationLogLevelV2: ApplicationLogLevel.TRACE,
} as const;

/**
 * CDK's local bundling of one function: infra/bundle.ts, then the config and the files bundled
 * with it. Its fields are data on purpose: CDK caches a bundled asset by its bundling options
 * (functions left out), so the role, entry and config must be among them or the four
 * functions would share the first one's bundle.
 */
class FunctionBundling implements ILocalBundling {
  constructor(
    readonly bundle: Omit<FunctionBundle, 'outdir'>,
    readonly configPath: string | undefined,
    readonly files: readonly BundleFile[],
  ) {}

  tryBundle(outputDir: string): boolean {
    bundleFunction({ ...this.bundle, outdir: outputDir });
    if (this.configPath !== undefined) {
      copyFileSync(this.configPath, join(outputDir, BUNDLED_CONFIG_NAME));
    }
    for (const f of this.files) {
      const target = join(outputDir, f.target);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(f.source, target);
    }
    return true;
  }
}

export class LambdaScraper extends Construct {
  /** Targets table: partition key `pk` (S). */
  readonly targetsTable: Table;
  /** Scrape state and window ledger: `pk` (S) + `sk` (S), TTL on `expiresAt`. */
  readonly stateTable: Table;
  readonly scrapeQueue: Queue;
  readonly scrapeDeadLetterQueue: Queue;
  readonly outboxQueue: Queue;
  readonly outboxDeadLetterQueue: Queue;
  /** The four functions; add permissions the config cannot imply with `addToRolePolicy`. */
  readonly functions: Readonly<Record<FunctionRole, NodejsFunction>>;
  readonly monitoring: ScraperMonitoring;
  /** The status page's function and URL (`statusPage` prop); absent without it. */
  readonly statusPage?: { readonly function: NodejsFunction; readonly url: FunctionUrl };
  readonly deploymentId: string;
  /** What the config asked for (IAM derivation), for inspection and tests. */
  readonly access: ConfigAccess;

  constructor(scope: Construct, id: string, props: LambdaScraperProps) {
    super(scope, id);
    const checked = checkProps(props, defaultDeploymentId(this));
    const access = accessFromConfig(props.config.config);
    for (const w of [...checked.warnings, ...access.warnings]) {
      Annotations.of(this).addWarningV2('lambdascrape:config', w);
    }
    this.access = access;
    this.deploymentId = checked.deploymentId;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;

    // Tables. Key names: src/aws/dynamodb-target-store.ts, dynamodb-state-store.ts and
    // dynamodb-window-ledger.ts (window claims share the state table and expire by TTL).
    const pitr = props.pointInTimeRecovery ?? false;
    const tableProps = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: pitr },
      removalPolicy,
    } as const;
    this.targetsTable = new Table(this, 'TargetsTable', {
      ...tableProps,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
    });
    this.stateTable = new Table(this, 'StateTable', {
      ...tableProps,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
    });
    if (!pitr) {
      for (const t of [this.targetsTable, this.stateTable]) {
        Validations.of(t).acknowledge({ id: 'AwsSolutions-DDB3', reason: NAG_REASONS.pitr });
      }
    }

    // Queues: encrypted, TLS only, visibility 6× the consumer's timeout (AWS's guidance for
    // Lambda event sources), each with a dead-letter queue.
    const queueBase = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true } as const;
    const visibility = (role: FunctionRole) =>
      Duration.seconds(6 * checked.functions[role].timeout.toSeconds());
    this.scrapeDeadLetterQueue = new Queue(this, 'ScrapeDeadLetterQueue', {
      ...queueBase,
      retentionPeriod: Duration.days(14),
    });
    this.scrapeQueue = new Queue(this, 'ScrapeQueue', {
      ...queueBase,
      visibilityTimeout: visibility('scraper'),
      // A task is worth nothing after its slot (late ones are dropped); a day keeps a backlog
      // around long enough to look at.
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: this.scrapeDeadLetterQueue, maxReceiveCount: 3 },
    });
    // The outbox is FIFO (decision 13): one message group per (remote_write, stream), whose
    // units the outbox function delivers in order; a group waits behind its first undelivered
    // unit, the others go on. High-throughput mode: deduplication and the throughput quota are
    // per message group, not per queue (hundreds of groups of a few messages a minute each).
    // The scraper gives every unit its own MessageDeduplicationId, so no content-based
    // deduplication. A FIFO queue's dead-letter queue must be FIFO too (SQS refuses the redrive
    // otherwise); the same settings let the outbox function dead-letter a unit with the group
    // and deduplication id it came with.
    const outboxFifo = {
      fifo: true,
      contentBasedDeduplication: false,
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
    } as const;
    this.outboxDeadLetterQueue = new Queue(this, 'OutboxDeadLetterQueue', {
      ...queueBase,
      ...outboxFifo,
      queueName: fifoQueueName(this, 'OutboxDLQ'),
      retentionPeriod: Duration.days(14),
    });
    this.outboxQueue = new Queue(this, 'OutboxQueue', {
      ...queueBase,
      ...outboxFifo,
      queueName: fifoQueueName(this, 'Outbox'),
      visibilityTimeout: visibility('outbox'),
      // Beyond OUTBOX_MAX_AGE (at most 24 h): the outbox function, not retention, expires
      // writes.
      retentionPeriod: Duration.days(14),
      // The outbox function dead-letters what it gives up on (older than OUTBOX_MAX_AGE, refused
      // for good) itself; the redrive is only a backstop for a message it keeps crashing on.
      // Every back-off of a group is one more receive of each message of its batch, so the
      // count must outlast the horizon: 1,000 (SQS's maximum) receives over the default 2 h
      // allow back-offs of 7.2 s on average; 5 would dead-letter a group's first unit within
      // minutes of an outage.
      deadLetterQueue: {
        queue: this.outboxDeadLetterQueue,
        maxReceiveCount: OUTBOX_MAX_RECEIVE_COUNT,
      },
    });

    const roles = {} as Record<FunctionRole, Role>;
    const functions = {} as Record<FunctionRole, NodejsFunction>;
    const environment = this.environment(props, checked);
    for (const role of FUNCTION_ROLES) {
      roles[role] = new Role(this, `${pascal(role)}Role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `lambdascrape ${role} function (${checked.deploymentId})`,
      });
      functions[role] = this.createFunction(role, roles[role], props, checked, environment);
    }
    this.functions = functions;
    this.addTriggers(checked);
    this.grantPipeline(roles);
    this.grantFromConfig(roles, props, access);
    if (props.statusPage !== undefined) {
      this.statusPage = this.createStatusPage(props.statusPage, props, checked);
    }

    this.monitoring = new ScraperMonitoring(this, 'Monitoring', {
      deploymentId: checked.deploymentId,
      functions: functions as Record<FunctionRole, IFunction>,
      scrapeQueue: this.scrapeQueue,
      scrapeDeadLetterQueue: this.scrapeDeadLetterQueue,
      outboxQueue: this.outboxQueue,
      outboxDeadLetterQueue: this.outboxDeadLetterQueue,
      ...(props.alarmTopic === undefined ? {} : { alarmTopic: props.alarmTopic }),
      ...(props.latenessAlarmThreshold === undefined
        ? {}
        : { latenessThreshold: props.latenessAlarmThreshold }),
      ...(props.dashboardName === undefined ? {} : { dashboardName: props.dashboardName }),
      detailed: props.detailedMonitoring === true,
    });
  }

  /** The environment every function gets (src/serverless/env.ts reads it). */
  private environment(props: LambdaScraperProps, checked: CheckedProps): Record<string, string> {
    const environment: Record<string, string> = {
      ...(props.environment ?? {}),
      NODE_OPTIONS: '--enable-source-maps',
      [LAMBDA_ENV.config]: `./${BUNDLED_CONFIG_NAME}`,
      [LAMBDA_ENV.targetsTable]: this.targetsTable.tableName,
      [LAMBDA_ENV.stateTable]: this.stateTable.tableName,
      [LAMBDA_ENV.scrapeQueueUrl]: this.scrapeQueue.queueUrl,
      [LAMBDA_ENV.outboxQueueUrl]: this.outboxQueue.queueUrl,
      [LAMBDA_ENV.outboxDlqUrl]: this.outboxDeadLetterQueue.queueUrl,
      [LAMBDA_ENV.deploymentId]: checked.deploymentId,
      [LAMBDA_ENV.maxTargetsPerTask]: String(checked.maxTargetsPerTask),
      [LAMBDA_ENV.outboxMaxAge]: formatDuration(checked.outboxMaxAgeMs),
      [LAMBDA_ENV.scrapeLeadMs]: String(checked.scrapeLeadMs),
      [LAMBDA_ENV.emfMetrics]: props.detailedMonitoring === true ? 'on' : 'off',
    };
    if ((props.denyCidrs ?? []).length > 0) {
      environment[LAMBDA_ENV.denyCidrs] = (props.denyCidrs ?? []).join(',');
    }
    // The functions load the config as the synth-time check did.
    if (props.config.skipUnsupportedDiscovery) {
      environment[LAMBDA_ENV.skipUnsupportedDiscovery] = 'on';
    }
    const secrets = Object.entries(props.secretFiles ?? {});
    if (secrets.length > 0) {
      // Only ARNs reach the template; the functions fetch the values at cold start.
      environment[LAMBDA_ENV.secretFiles] = Stack.of(this).toJsonString(
        Object.fromEntries(secrets.map(([path, secret]) => [path, secret.secretArn])),
      );
    }
    return environment;
  }

  private createFunction(
    role: FunctionRole,
    fnRole: Role,
    props: LambdaScraperProps,
    checked: CheckedProps,
    environment: Record<string, string>,
  ): NodejsFunction {
    const o = checked.functions[role];
    const logGroup = new LogGroup(this, `${pascal(role)}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    // The role has no managed policy: it writes to its own log group only.
    logGroup.grantWrite(fnRole);
    const config = props.config;
    const entry = props.entries?.[role] ?? `${PROJECT_ROOT}functions/${role}.ts`;
    return new NodejsFunction(this, `${pascal(role)}Function`, {
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: props.architecture ?? Architecture.ARM_64,
      memorySize: o.memorySize,
      timeout: o.timeout,
      ...(o.reserved === undefined ? {} : { reservedConcurrentExecutions: o.reserved }),
      role: fnRole,
      logGroup,
      ...(props.platformLogs === true ? {} : QUIET_PLATFORM_LOGS),
      environment,
      description: `lambdascrape ${role} (${checked.deploymentId})`,
      // Scheduled functions: a retry would come after the minute it was for, and the next
      // scheduled run does the work (discovery recomputes, the dispatcher plans the next window).
      ...(role === 'discovery' || role === 'dispatcher' ? { retryAttempts: 0 } : {}),
      ...(props.vpc === undefined
        ? {}
        : {
            vpc: props.vpc,
            ...(props.vpcSubnets === undefined ? {} : { vpcSubnets: props.vpcSubnets }),
            ...(props.securityGroups === undefined
              ? {}
              : { securityGroups: [...props.securityGroups] }),
          }),
      // Bundled by infra/bundle.ts (esbuild options there), then the config and its files.
      code: Code.fromAsset(PROJECT_ROOT, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Used only if local bundling were declined; it never is (it throws instead).
          image: Runtime.NODEJS_24_X.bundlingImage,
          local: new FunctionBundling(
            { role, entry, projectRoot: PROJECT_ROOT },
            config.absolutePath,
            checked.bundleFiles,
          ),
        },
      }),
    });
  }

  /**
   * The optional fifth function (src/serverless/status-page.ts): the targets page at a function
   * URL, IAM-authenticated unless `auth: 'none'`. Its role reads the two tables and nothing else
   * (Scan of the targets, Query of the health records and dropped summaries, BatchGetItem of the
   * window claims; GetItem for single reads); no config is bundled with it.
   */
  private createStatusPage(
    options: StatusPageOptions,
    props: LambdaScraperProps,
    checked: CheckedProps,
  ): { function: NodejsFunction; url: FunctionUrl } {
    const role = new Role(this, 'StatusPageRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `lambdascrape status page function (${checked.deploymentId})`,
    });
    const logGroup = new LogGroup(this, 'StatusPageLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    logGroup.grantWrite(role);
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'TablesRead',
        effect: Effect.ALLOW,
        actions: ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:GetItem'],
        resources: [this.targetsTable.tableArn, this.stateTable.tableArn],
      }),
    );
    const entry = `${PROJECT_ROOT}functions/status-page.ts`;
    const fn = new NodejsFunction(this, 'StatusPageFunction', {
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: props.architecture ?? Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(15),
      role,
      logGroup,
      ...(props.platformLogs === true ? {} : QUIET_PLATFORM_LOGS),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        [LAMBDA_ENV.targetsTable]: this.targetsTable.tableName,
        [LAMBDA_ENV.stateTable]: this.stateTable.tableName,
      },
      description: `lambdascrape status page (${checked.deploymentId})`,
      code: Code.fromAsset(PROJECT_ROOT, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          image: Runtime.NODEJS_24_X.bundlingImage,
          local: new FunctionBundling(
            { role: 'status-page', entry, projectRoot: PROJECT_ROOT },
            undefined,
            [],
          ),
        },
      }),
    });
    if (options.auth === 'none') {
      Annotations.of(this).addWarningV2(
        'lambdascrape:status-page-public',
        "statusPage auth 'none': the page's URL answers anyone who has it; keep it behind your own auth",
      );
    }
    const url = fn.addFunctionUrl({
      authType: options.auth === 'none' ? FunctionUrlAuthType.NONE : FunctionUrlAuthType.AWS_IAM,
    });
    return { function: fn, url };
  }

  /** Every-minute schedules and the two SQS event sources. */
  private addTriggers(checked: CheckedProps): void {
    const consume = (role: 'scraper' | 'outbox', queue: Queue) =>
      this.functions[role].addEventSource(
        new SqsEventSource(queue, {
          batchSize: checked.functions[role].batchSize,
          reportBatchItemFailures: true,
          maxConcurrency: checked.functions[role].maxConcurrency,
        }),
      );
    consume('scraper', this.scrapeQueue);
    consume('outbox', this.outboxQueue);
    for (const role of ['discovery', 'dispatcher'] as const) {
      new Rule(this, `${pascal(role)}Schedule`, {
        description: `lambdascrape ${role}, every minute (${checked.deploymentId})`,
        schedule: Schedule.rate(Duration.minutes(1)),
        targets: [
          new LambdaFunction(this.functions[role], {
            retryAttempts: 0,
            maxEventAge: Duration.minutes(1),
          }),
        ],
      });
    }
  }

  /**
   * Exactly the calls each function's code makes on this deployment's resources. (The event
   * sources grant the consumers ReceiveMessage/DeleteMessage/ChangeMessageVisibility/
   * GetQueueAttributes/GetQueueUrl on their own queue.)
   */
  private grantPipeline(roles: Record<FunctionRole, Role>): void {
    const add = statementAdder(roles);
    const targets = [this.targetsTable.tableArn];
    const state = [this.stateTable.tableArn];
    // Discovery: DynamoDbTargetStore.list (Scan) and .apply (BatchWriteItem); retire tasks.
    add('discovery', 'TargetsReadWrite', ['dynamodb:Scan', 'dynamodb:BatchWriteItem'], targets);
    add('discovery', 'SendRetireTasks', ['sqs:SendMessage'], [this.scrapeQueue.queueArn]);
    // Discovery: DynamoDbDroppedTargetsStore (Query and BatchWriteItem of the dropped-target
    // summaries), limited to their partition of the state table.
    roles.discovery.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'DroppedTargetsSummary',
        effect: Effect.ALLOW,
        actions: ['dynamodb:Query', 'dynamodb:BatchWriteItem'],
        resources: state,
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [DROPPED_PK] } },
      }),
    );
    // Dispatcher: list targets, claim the window (conditional PutItem), send the tasks
    // (SendMessageBatch is authorized as sqs:SendMessage), read the outbox depth.
    add('dispatcher', 'TargetsRead', ['dynamodb:Scan'], targets);
    add('dispatcher', 'ClaimWindow', ['dynamodb:PutItem'], state);
    add('dispatcher', 'SendScrapeTasks', ['sqs:SendMessage'], [this.scrapeQueue.queueArn]);
    add('dispatcher', 'ReadOutboxDepth', ['sqs:GetQueueAttributes'], [this.outboxQueue.queueArn]);
    // Scraper: DynamoDbScrapeStateStore (batch reads, conditional head put, chunk writes,
    // cleanup query/delete), DynamoDbStateChangeLog (UpdateItem) and DynamoDbTargetHealthStore
    // (batch reads, conditional put on change, batch delete of a retired target's record);
    // parks failed remote writes in the outbox.
    add(
      'scraper',
      'ScrapeStateReadWrite',
      [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
      ],
      state,
    );
    // (The backlog record it writes before parking is in the state table, covered above.)
    add('scraper', 'ParkRemoteWrites', ['sqs:SendMessage'], [this.outboxQueue.queueArn]);
    // Outbox function (decision 13): delivers each message group in order. On a retryable
    // failure the group waits: the message and the rest of its group become visible again after
    // a back-off (ChangeMessageVisibility; the event source grants it too, but the function's
    // own code calls it, so it is stated). A unit delivered or given up on deletes its stream's
    // backlog record (UpdateItem, DELETE from a string set); what it gives up on is
    // dead-lettered. It never sends to the outbox itself: a group waits, nothing is re-parked.
    add('outbox', 'BackOffGroups', ['sqs:ChangeMessageVisibility'], [this.outboxQueue.queueArn]);
    add('outbox', 'ClearBacklogRecords', ['dynamodb:UpdateItem'], state);
    add('outbox', 'DeadLetterWrites', ['sqs:SendMessage'], [this.outboxDeadLetterQueue.queueArn]);
  }

  /** What the config and the optional props imply: EC2 SD, SigV4, secrets, VPC. */
  private grantFromConfig(
    roles: Record<FunctionRole, Role>,
    props: LambdaScraperProps,
    access: ConfigAccess,
  ): void {
    const add = statementAdder(roles);
    const stack = Stack.of(this);
    /** Reasons for `Resource::*` per role, acknowledged in one cdk-nag finding below. */
    const wildcardReasons = new Map<FunctionRole, string[]>();
    const wildcard = (role: FunctionRole, reason: string) =>
      wildcardReasons.set(role, [...(wildcardReasons.get(role) ?? []), reason]);

    // EC2 discovery runs in the discovery function only.
    if (access.ec2DescribeWithOwnRole) {
      add(
        'discovery',
        'Ec2ServiceDiscovery',
        ['ec2:DescribeInstances', 'ec2:DescribeAvailabilityZones'],
        ['*'],
      );
      wildcard('discovery', NAG_REASONS.ec2Describe);
    }
    if (access.ec2RoleArns.length > 0) {
      add('discovery', 'AssumeEc2DiscoveryRoles', ['sts:AssumeRole'], [...access.ec2RoleArns]);
    }
    if (access.ecsActionsWithOwnRole.length > 0) {
      add('discovery', 'EcsServiceDiscovery', [...access.ecsActionsWithOwnRole], ['*']);
      wildcard('discovery', NAG_REASONS.ecsDiscovery);
    }
    if (access.lightsailWithOwnRole) {
      add('discovery', 'LightsailServiceDiscovery', ['lightsail:GetInstances'], ['*']);
      wildcard('discovery', NAG_REASONS.lightsailDiscovery);
    }
    if (access.mskActionsWithOwnRole.length > 0) {
      add('discovery', 'MskServiceDiscovery', [...access.mskActionsWithOwnRole], ['*']);
      wildcard('discovery', NAG_REASONS.mskDiscovery);
    }
    if (access.rdsWithOwnRole) {
      add('discovery', 'RdsServiceDiscovery', [...RDS_DISCOVERY_ACTIONS], ['*']);
      wildcard('discovery', NAG_REASONS.rdsDiscovery);
    }
    if (access.elastiCacheWithOwnRole) {
      add('discovery', 'ElastiCacheServiceDiscovery', [...ELASTICACHE_DISCOVERY_ACTIONS], ['*']);
      wildcard('discovery', NAG_REASONS.elastiCacheDiscovery);
    }
    if (access.awsSdRoleArns.length > 0) {
      add('discovery', 'AssumeAwsDiscoveryRoles', ['sts:AssumeRole'], [...access.awsSdRoleArns]);
    }

    // Remote write and secrets: every function may forward its own metrics through remote
    // write, and every function fetches every secret at cold start.
    const apsArns = [
      ...new Set(
        access.apsWorkspaces.map((ws) =>
          stack.formatArn({
            service: 'aps',
            region: ws.region ?? Aws.REGION,
            resource: 'workspace',
            resourceName: ws.workspaceId ?? '*',
          }),
        ),
      ),
    ];
    const secrets = Object.values(props.secretFiles ?? {});
    // A secret imported by name or partial ARN: "-??????" matches Secrets Manager's 6-character
    // suffix, as CDK's own grants do.
    const secretArns = secrets.map((s) => s.secretFullArn ?? `${s.secretArn}-??????`);
    for (const role of FUNCTION_ROLES) {
      if (apsArns.length > 0) add(role, 'AmpRemoteWrite', ['aps:RemoteWrite'], apsArns);
      if (access.remoteWriteRoleArns.length > 0) {
        add(role, 'AssumeRemoteWriteRoles', ['sts:AssumeRole'], [...access.remoteWriteRoleArns]);
      }
      if (secretArns.length > 0) {
        add(role, 'ReadCredentialFileSecrets', ['secretsmanager:GetSecretValue'], secretArns);
        for (const s of secrets) s.encryptionKey?.grantDecrypt(roles[role]);
      }
      if (props.vpc !== undefined) {
        add(
          role,
          'LambdaVpcNetworkInterfaces',
          [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          ['*'],
        );
        wildcard(role, NAG_REASONS.vpcEni);
      }
    }

    // cdk-nag acknowledgements, each finding by the exact id cdk-nag prints.
    for (const role of FUNCTION_ROLES) {
      const reasons = wildcardReasons.get(role);
      if (reasons !== undefined) {
        Validations.of(roles[role]).acknowledge({
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: reasons.join(' '),
        });
      }
      for (const ws of access.apsWorkspaces) {
        if (ws.workspaceId !== undefined) continue;
        Validations.of(roles[role]).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:aps:${ws.region ?? '<AWS::Region>'}:<AWS::AccountId>:workspace/*]`,
          reason: NAG_REASONS.apsAnyWorkspace,
        });
      }
    }
  }
}

const pascal = (role: string) => `${role[0]!.toUpperCase()}${role.slice(1)}`;

/** `add(role, sid, actions, resources)`: one Allow statement on that function's role. */
function statementAdder(roles: Record<FunctionRole, Role>) {
  return (role: FunctionRole, sid: string, actions: string[], resources: string[]) =>
    roles[role].addToPrincipalPolicy(
      new PolicyStatement({ sid, effect: Effect.ALLOW, actions, resources }),
    );
}

/** SQS's longest queue name; a FIFO queue's includes its `.fifo` suffix. */
const SQS_MAX_QUEUE_NAME_LENGTH = 80;

/**
 * The name of a FIFO queue of `c`: `<stack name>-<construct path>-<hash>-<suffix>.fifo`, cut in
 * the middle (before the hash) to fit 80 characters, unique per stack and construct path.
 *
 * Why not leave the name to CloudFormation, as for the standard queues: CDK generates no name
 * for a FIFO queue, and CloudFormation's own (`<stack>-<logical id>-<13 random>`, `.fifo`
 * appended) is not kept within 80 characters, so a stack name longer than about 24 characters
 * fails the deploy (aws-cloudformation/cloudformation-coverage-roadmap#280, aws/aws-cdk#11041).
 * A fixed name costs nothing here: FifoQueue and QueueName are the queue's only replacement
 * properties, and changing either changes the name too.
 */
function fifoQueueName(c: Construct, suffix: string): string {
  const tail = `-${suffix}.fifo`;
  const head = Names.uniqueResourceName(c, {
    maxLength: SQS_MAX_QUEUE_NAME_LENGTH - tail.length,
    separator: '-',
    allowedSpecialCharacters: '-_',
  });
  return `${head}${tail}`;
}

/** `<stack name>/<path of the construct inside its stack>`. */
function defaultDeploymentId(c: Construct): string {
  const stack = Stack.of(c);
  const inStack = c.node.path.slice(stack.node.path.length).replace(/^\//, '');
  return `${stack.stackName}/${inStack}`;
}

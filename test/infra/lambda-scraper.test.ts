/**
 * The resources of a LambdaScraper and the properties that matter (STYLE.md: assert DLQs,
 * visibility timeouts, ReportBatchItemFailures, encryption … rather than one huge snapshot).
 * Bundling is skipped; test/infra/bundle.test.ts bundles for real.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENT_DIMENSION, METRIC_NAMESPACE, SELF_METRICS } from '../../infra/dashboard.js';
import { LambdaScraper, LambdaScraperPropsError } from '../../infra/lambda-scraper.js';
import type { ScraperConfig } from '../../infra/scraper-config.js';
import { EMF_DIMENSION, EMF_METRICS, EMF_NAMESPACE } from '../../src/contract.js';
import { type Built, build, configFrom, refTo, STATIC_ONLY, unbundledApp } from './support.js';

let config: ScraperConfig;
let built: Built;

beforeAll(async () => {
  config = await configFrom(STATIC_ONLY);
  built = build({ config });
});

const ROLES = ['discovery', 'dispatcher', 'scraper', 'outbox'] as const;

describe('tables', () => {
  it('targets table: pk (S) only, on demand, encrypted, no PITR by default', () => {
    built.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
    });
  });

  it('state table: pk (S) + sk (S), TTL on expiresAt, on demand, encrypted', () => {
    built.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    built.template.resourceCountIs('AWS::DynamoDB::Table', 2);
  });

  it('point-in-time recovery and the removal policy are props', async () => {
    const b = build({ config, pointInTimeRecovery: true, removalPolicy: RemovalPolicy.RETAIN });
    const tables = b.template.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(2);
    for (const t of Object.values(tables)) {
      expect(t.Properties.PointInTimeRecoverySpecification).toEqual({
        PointInTimeRecoveryEnabled: true,
      });
      expect(t.DeletionPolicy).toBe('Retain');
    }
  });
});

describe('queues', () => {
  it('four queues, all SQS-managed SSE, each with a TLS-only policy', () => {
    const queues = built.template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(4);
    for (const q of Object.values(queues)) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
    const policies = built.template.findResources('AWS::SQS::QueuePolicy');
    const enforced = Object.values(policies).filter((p) =>
      (p.Properties.PolicyDocument.Statement as Record<string, unknown>[]).some(
        (s) =>
          s.Effect === 'Deny' &&
          JSON.stringify(s.Condition) ===
            JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
      ),
    );
    const covered = enforced.flatMap((p) => p.Properties.Queues as unknown[]);
    const s = built.scraper;
    for (const q of [
      s.scrapeQueue,
      s.scrapeDeadLetterQueue,
      s.outboxQueue,
      s.outboxDeadLetterQueue,
    ]) {
      expect(covered).toContainEqual(refTo(built.stack, q));
    }
  });

  it('scrape and outbox queues redrive to their DLQs; visibility = 6 × the consumer timeout', () => {
    const s = built.scraper;
    const queue = (q: typeof s.scrapeQueue) =>
      built.template.toJSON().Resources[built.stack.getLogicalId(q.node.defaultChild as never)]
        .Properties;
    const scrape = queue(s.scrapeQueue);
    expect(scrape.VisibilityTimeout).toBe(360);
    expect(scrape.RedrivePolicy).toEqual({
      deadLetterTargetArn: {
        'Fn::GetAtt': [refTo(built.stack, s.scrapeDeadLetterQueue).Ref, 'Arn'],
      },
      maxReceiveCount: 3,
    });
    const outbox = queue(s.outboxQueue);
    expect(outbox.VisibilityTimeout).toBe(360);
    // The outbox function expires writes itself at the 2 h horizon; every back-off of a group
    // is a receive, so the redrive (a backstop for crashes) must allow SQS's maximum.
    expect(outbox.RedrivePolicy).toEqual({
      deadLetterTargetArn: {
        'Fn::GetAtt': [refTo(built.stack, s.outboxDeadLetterQueue).Ref, 'Arn'],
      },
      maxReceiveCount: 1_000,
    });
    expect(outbox.MessageRetentionPeriod).toBe(14 * 86_400);
  });

  it('the outbox and its DLQ are FIFO, high-throughput, explicit deduplication ids (decision 13)', () => {
    const s = built.scraper;
    const resources = built.template.toJSON().Resources;
    const queue = (q: typeof s.scrapeQueue) =>
      resources[built.stack.getLogicalId(q.node.defaultChild as never)].Properties;
    for (const q of [s.outboxQueue, s.outboxDeadLetterQueue]) {
      expect(queue(q)).toMatchObject({
        FifoQueue: true,
        ContentBasedDeduplication: false,
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 86_400,
      });
      expect(q.fifo).toBe(true);
    }
    // The scrape queue stays standard: its tasks need per-message DelaySeconds, which FIFO
    // queues do not have.
    for (const q of [s.scrapeQueue, s.scrapeDeadLetterQueue]) {
      expect(queue(q).FifoQueue).toBeUndefined();
    }
    // The DLQ alarm watches the FIFO dead-letter queue.
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: {
            'Fn::GetAtt': [refTo(built.stack, s.outboxDeadLetterQueue).Ref, 'QueueName'],
          },
        },
      ],
    });
    expect(queue(s.outboxDeadLetterQueue).FifoQueue).toBe(true);
  });

  it('FIFO queue names end in .fifo and fit 80 characters, whatever the stack name and path', () => {
    const nameIn = (stack: Stack, template: Template, q: typeof built.scraper.outboxQueue) =>
      template.toJSON().Resources[stack.getLogicalId(q.node.defaultChild as never)].Properties
        .QueueName as string;
    const valid = /^[A-Za-z0-9_-]{1,75}\.fifo$/;
    const s = built.scraper;
    expect(nameIn(built.stack, built.template, s.outboxQueue)).toMatch(
      /^Test-Scraper-\w+-Outbox\.fifo$/,
    );
    expect(nameIn(built.stack, built.template, s.outboxDeadLetterQueue)).toMatch(
      /^Test-Scraper-\w+-OutboxDLQ\.fifo$/,
    );
    // A stack name that overflows CloudFormation's generated FIFO names, and two deployments in
    // one stack under a long construct path.
    const stack = new Stack(unbundledApp(), 'Long', {
      stackName: 'lambdascrape-production-eu-west-1-feature-branch-with-a-long-name',
    });
    const parent = new Construct(stack, 'ObservabilityPlatformMonitoringComponents');
    const scrapers = ['PrometheusCompatibleScraperForTheFleet', 'PrometheusCompatibleScraper2'].map(
      (id) => new LambdaScraper(parent, id, { config }),
    );
    const template = Template.fromStack(stack);
    const names = scrapers.flatMap((x) => [
      nameIn(stack, template, x.outboxQueue),
      nameIn(stack, template, x.outboxDeadLetterQueue),
    ]);
    for (const n of names) expect(n).toMatch(valid);
    expect(new Set(names).size).toBe(4);
  });

  it('visibility timeouts follow the function timeouts', () => {
    const b = build({
      config,
      scraper: { timeout: Duration.minutes(2) },
      outbox: { timeout: Duration.seconds(30) },
    });
    const s = b.scraper;
    const props = (q: typeof s.scrapeQueue) =>
      b.template.toJSON().Resources[b.stack.getLogicalId(q.node.defaultChild as never)].Properties;
    expect(props(s.scrapeQueue).VisibilityTimeout).toBe(720);
    expect(props(s.outboxQueue).VisibilityTimeout).toBe(180);
    b.template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 120 });
  });
});

describe('functions', () => {
  it('four Node.js 24 arm64 functions with their log groups (30 days)', () => {
    const fns = built.template.findResources('AWS::Lambda::Function');
    expect(Object.keys(fns)).toHaveLength(4);
    for (const fn of Object.values(fns)) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Handler).toBe('index.handler');
      expect(fn.Properties.LoggingConfig.LogGroup.Ref).toMatch(/Logs/);
    }
    const logGroups = built.template.findResources('AWS::Logs::LogGroup');
    expect(Object.keys(logGroups)).toHaveLength(4);
    for (const lg of Object.values(logGroups)) expect(lg.Properties.RetentionInDays).toBe(30);
  });

  it('Lambda’s START/END/REPORT lines are not ingested; every line the functions write is', () => {
    // JSON log format so that a system log level applies; WARN drops the per-invocation
    // platform records (INFO); TRACE lets every application line through, LOG_LEVEL decides.
    const fns = built.template.findResources('AWS::Lambda::Function');
    expect(Object.keys(fns)).toHaveLength(4);
    for (const fn of Object.values(fns)) {
      expect(fn.Properties.LoggingConfig).toEqual({
        LogFormat: 'JSON',
        SystemLogLevel: 'WARN',
        ApplicationLogLevel: 'TRACE',
        LogGroup: { Ref: expect.stringMatching(/Logs/) },
      });
    }
  });

  it('platformLogs keeps Lambda’s text format and its platform lines', () => {
    const b = build({ config, platformLogs: true });
    const fns = b.template.findResources('AWS::Lambda::Function');
    expect(Object.keys(fns)).toHaveLength(4);
    for (const fn of Object.values(fns)) {
      expect(fn.Properties.LoggingConfig).toEqual({
        LogGroup: { Ref: expect.stringMatching(/Logs/) },
      });
    }
  });

  it('memory and timeout defaults, overridable per function', () => {
    const mem = (b: Built, role: (typeof ROLES)[number]) =>
      b.template.toJSON().Resources[
        b.stack.getLogicalId(b.scraper.functions[role].node.defaultChild as never)
      ].Properties;
    expect(ROLES.map((r) => mem(built, r).MemorySize)).toEqual([512, 1024, 1024, 512]);
    expect(ROLES.map((r) => mem(built, r).Timeout)).toEqual([60, 60, 60, 60]);
    const b = build({ config, scraper: { memorySize: 2048, reservedConcurrentExecutions: 100 } });
    expect(mem(b, 'scraper').MemorySize).toBe(2048);
    expect(mem(b, 'scraper').ReservedConcurrentExecutions).toBe(100);
  });

  it('every function gets the whole pipeline environment, names and URLs by reference', () => {
    const s = built.scraper;
    const ref = (c: Parameters<typeof refTo>[1]) => refTo(built.stack, c);
    const expected = {
      NODE_OPTIONS: '--enable-source-maps',
      LAMBDASCRAPE_CONFIG: './prometheus.yml',
      TARGETS_TABLE: ref(s.targetsTable),
      STATE_TABLE: ref(s.stateTable),
      SCRAPE_QUEUE_URL: ref(s.scrapeQueue),
      OUTBOX_QUEUE_URL: ref(s.outboxQueue),
      OUTBOX_DLQ_URL: ref(s.outboxDeadLetterQueue),
      DEPLOYMENT_ID: 'Test/Scraper',
      MAX_TARGETS_PER_TASK: '50',
      OUTBOX_MAX_AGE: '2h',
      SCRAPE_LEAD_MS: '700',
      EMF_METRICS: 'off',
    };
    const fns = built.template.findResources('AWS::Lambda::Function');
    for (const fn of Object.values(fns)) {
      expect(fn.Properties.Environment.Variables).toEqual(expected);
    }
  });

  it('scheduled functions do not retry (the next minute does the work)', () => {
    const configs = built.template.findResources('AWS::Lambda::EventInvokeConfig');
    const targets = Object.values(configs).map((c) => c.Properties.FunctionName.Ref);
    expect(targets.sort()).toEqual(
      [built.scraper.functions.discovery, built.scraper.functions.dispatcher]
        .map((f) => refTo(built.stack, f).Ref)
        .sort(),
    );
    for (const c of Object.values(configs)) {
      expect(c.Properties.MaximumRetryAttempts).toBe(0);
    }
  });

  it('denyCidrs reaches every function as LAMBDASCRAPE_DENY_CIDRS', () => {
    const b = build({ config, denyCidrs: ['169.254.0.0/16', 'fd00:ec2::/32'] });
    b.template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ LAMBDASCRAPE_DENY_CIDRS: '169.254.0.0/16,fd00:ec2::/32' }),
      },
    });
  });

  it('x86_64 and a custom deployment id when asked', async () => {
    const { Architecture } = await import('aws-cdk-lib/aws-lambda');
    const b = build({ config, architecture: Architecture.X86_64, deploymentId: 'prod-eu' });
    b.template.allResourcesProperties('AWS::Lambda::Function', {
      Architectures: ['x86_64'],
      Environment: { Variables: Match.objectLike({ DEPLOYMENT_ID: 'prod-eu' }) },
    });
  });
});

describe('triggers', () => {
  it('discovery and dispatcher run every minute, without EventBridge retries', () => {
    const rules = built.template.findResources('AWS::Events::Rule');
    expect(Object.keys(rules)).toHaveLength(2);
    const targets = Object.values(rules).map((r) => {
      expect(r.Properties.ScheduleExpression).toBe('rate(1 minute)');
      expect(r.Properties.State).toBe('ENABLED');
      const [t] = r.Properties.Targets as Record<string, unknown>[];
      expect(t!.RetryPolicy).toEqual({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
      return (t!.Arn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    });
    expect(targets.sort()).toEqual(
      [built.scraper.functions.discovery, built.scraper.functions.dispatcher]
        .map((f) => refTo(built.stack, f).Ref)
        .sort(),
    );
  });

  it('scraper and outbox consume their queues with ReportBatchItemFailures and a maximum concurrency', () => {
    const s = built.scraper;
    const mapping = (fn: typeof s.functions.scraper, queue: typeof s.scrapeQueue) =>
      built.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: refTo(built.stack, fn),
        EventSourceArn: { 'Fn::GetAtt': [refTo(built.stack, queue).Ref, 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: fn === s.functions.scraper ? 50 : 20 },
        BatchSize: fn === s.functions.scraper ? 1 : 10,
      });
    mapping(s.functions.scraper, s.scrapeQueue);
    mapping(s.functions.outbox, s.outboxQueue);
    built.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
  });

  it('the outbox: batches of 10, partial failures, 20 at once by default, configurable', () => {
    // 20 drains a 2 h outage of the reference workload in ~7 minutes (check-props.ts).
    const outboxMapping = (b: Built) => {
      const mappings = Object.values(
        b.template.findResources('AWS::Lambda::EventSourceMapping', {
          Properties: { FunctionName: refTo(b.stack, b.scraper.functions.outbox) },
        }),
      );
      expect(mappings).toHaveLength(1);
      return mappings[0]!.Properties;
    };
    const expected = {
      EventSourceArn: {
        'Fn::GetAtt': [refTo(built.stack, built.scraper.outboxQueue).Ref, 'Arn'],
      },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 20 },
    };
    expect(outboxMapping(built)).toEqual(expect.objectContaining(expected));
    // A FIFO event source has no batching window.
    expect(outboxMapping(built).MaximumBatchingWindowInSeconds).toBeUndefined();
    const b = build({ config, outbox: { maxConcurrency: 40 } });
    expect(outboxMapping(b).ScalingConfig).toEqual({ MaximumConcurrency: 40 });
    expect(outboxMapping(b).BatchSize).toBe(10);
  });

  it('maximum concurrency and batch size are props', () => {
    const b = build({ config, scraper: { maxConcurrency: 200, batchSize: 4 } });
    b.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 200 },
      BatchSize: 4,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });
});

/** A function's CloudFormation properties. */
function fn(b: Built, role: (typeof ROLES)[number]) {
  return b.template.toJSON().Resources[
    b.stack.getLogicalId(b.scraper.functions[role].node.defaultChild as never)
  ].Properties;
}

describe('monitoring', () => {
  let detailed: Built;
  beforeAll(() => {
    detailed = build({ config, detailedMonitoring: true });
  });

  it('by default: three alarms on the queues’ built-in metrics, no custom metric, no dashboard', () => {
    expect(Object.keys(built.scraper.monitoring.alarms).sort()).toEqual([
      'OutboxDlqNotEmpty',
      'RemoteWriteFailing',
      'ScrapeDlqNotEmpty',
    ]);
    built.template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    for (const a of Object.values(built.template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(a.Properties.Namespace).toBe('AWS/SQS');
    }
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'NumberOfMessagesSent',
      EvaluationPeriods: 3,
    });
    built.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(built.scraper.monitoring.dashboard).toBeUndefined();
    // The functions write no EMF line: no custom metric is billed.
    for (const role of ROLES) {
      expect(fn(built, role).Environment.Variables.EMF_METRICS).toBe('off');
    }
    for (const role of ROLES) {
      expect(fn(detailed, role).Environment.Variables.EMF_METRICS).toBe('on');
    }
  });

  it('a dashboard with the self-metrics of this deployment', () => {
    const built = detailed;
    const dashboards = built.template.findResources('AWS::CloudWatch::Dashboard');
    expect(Object.keys(dashboards)).toHaveLength(1);
    // The body is a Fn::Join of JSON text and tokens (region, queue and function names).
    const [, parts] = Object.values(dashboards)[0]!.Properties.DashboardBody['Fn::Join'] as [
      string,
      unknown[],
    ];
    const body = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('')) as {
      widgets: { properties: { title?: string; metrics?: unknown[][] } }[];
    };
    const metrics = body.widgets.flatMap((w) => w.properties.metrics ?? []);
    const selfMetrics = metrics
      .filter((m) => m[0] === 'LambdaScrape')
      .map((m) => {
        expect(m.slice(2, 4)).toEqual(['Deployment', 'Test/Scraper']);
        return `${m[1]} ${(m[4] as { stat: string }).stat}`;
      });
    for (const m of [
      'Scrapes Sum',
      'ScrapesUp Sum',
      'ScrapeFailures Sum',
      'LateDropped Sum',
      'ScrapeLateness p50',
      'ScrapeLateness p99',
      'ScrapeLateness Maximum',
      'ScrapeWait p99',
      'RemoteWriteSamplesRejected Sum',
      'RemoteWriteRequestsParked Sum',
      'OutboxDeadLettered Sum',
      'OutboxDepth Maximum',
      'Targets Maximum',
      'TargetsPlanned Sum',
    ]) {
      expect(selfMetrics).toContain(m);
    }
    expect(metrics).toContainEqual([
      { label: 'targets up (%)', expression: '100 * up / scrapes', period: 60 },
    ]);
    const native = metrics
      .filter((m) => typeof m[0] === 'string' && m[0] !== 'LambdaScrape')
      .map((m) => `${m[0]} ${m[1]}`);
    expect(new Set(native)).toEqual(
      new Set([
        'AWS/SQS ApproximateNumberOfMessagesVisible',
        'AWS/SQS ApproximateAgeOfOldestMessage',
        'AWS/Lambda Errors',
        'AWS/Lambda Throttles',
        'AWS/Lambda Duration',
      ]),
    );
  });

  it('reads exactly the metrics the functions emit (src/pipeline/self-metrics-emf.ts)', () => {
    expect([...SELF_METRICS].sort()).toEqual(Object.keys(EMF_METRICS).sort());
    expect(METRIC_NAMESPACE).toBe(EMF_NAMESPACE);
    expect(DEPLOYMENT_DIMENSION).toBe(EMF_DIMENSION);
  });

  it('detailed: alarms on DLQs, remote write failing or losing data, lateness, function errors', () => {
    const built = detailed;
    const alarms = Object.keys(built.scraper.monitoring.alarms).sort();
    expect(alarms).toEqual(
      [
        'ScrapeDlqNotEmpty',
        'OutboxDlqNotEmpty',
        'RemoteWriteFailing',
        'RemoteWriteDataLost',
        'ScrapeLatenessHigh',
        'DiscoveryErrors',
        'DispatcherErrors',
        'ScraperErrors',
        'OutboxErrors',
      ].sort(),
    );
    built.template.resourceCountIs('AWS::CloudWatch::Alarm', alarms.length);
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: {
            'Fn::GetAtt': [
              refTo(built.stack, built.scraper.scrapeDeadLetterQueue).Ref,
              'QueueName',
            ],
          },
        },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'LambdaScrape',
      MetricName: 'ScrapeLateness',
      ExtendedStatistic: 'p99',
      Threshold: 5000,
      EvaluationPeriods: 3,
      Dimensions: [{ Name: 'Deployment', Value: 'Test/Scraper' }],
    });
    // No topic: no actions.
    for (const a of Object.values(built.template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(a.Properties.AlarmActions).toBeUndefined();
    }
  });

  it('an SNS topic receives alarm and OK notifications', () => {
    const b = build((stack) => ({
      config,
      detailedMonitoring: true,
      alarmTopic: Topic.fromTopicArn(stack, 'T', 'arn:aws:sns:eu-west-1:111122223333:alerts'),
      latenessAlarmThreshold: Duration.seconds(8),
    }));
    b.template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: ['arn:aws:sns:eu-west-1:111122223333:alerts'],
      OKActions: ['arn:aws:sns:eu-west-1:111122223333:alerts'],
    });
    b.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ScrapeLateness',
      Threshold: 8000,
    });
  });
});

describe('conflicting or impossible props are rejected in the constructor', () => {
  const cases: { name: string; props: Record<string, unknown>; message: RegExp }[] = [
    {
      name: 'a dashboard name without detailed monitoring',
      props: { dashboardName: 'd' },
      message: /dashboardName requires detailedMonitoring/,
    },
    {
      name: 'subnets without a VPC',
      props: { vpcSubnets: {} },
      message: /vpcSubnets requires vpc/,
    },
    {
      name: 'security groups without a VPC',
      props: { securityGroups: [] },
      message: /securityGroups requires vpc/,
    },
    {
      name: 'maximum concurrency above the reservation',
      props: { scraper: { maxConcurrency: 50, reservedConcurrentExecutions: 10 } },
      message:
        /scraper\.maxConcurrency \(50\) must not exceed scraper\.reservedConcurrentExecutions \(10\)/,
    },
    {
      name: 'maximum concurrency out of range',
      props: { outbox: { maxConcurrency: 1 } },
      message: /outbox\.maxConcurrency must be an integer 2–1000/,
    },
    {
      name: 'batch size on a scheduled function',
      props: { dispatcher: { batchSize: 5 } },
      message: /dispatcher is scheduled, not fed by a queue/,
    },
    {
      name: 'timeout beyond 15 minutes',
      props: { scraper: { timeout: Duration.minutes(20) } },
      message: /scraper\.timeout must be whole seconds, 1 s–15 min/,
    },
    {
      name: 'a timeout that is not whole seconds',
      props: { outbox: { timeout: Duration.millis(1500) } },
      message: /outbox\.timeout must be whole seconds/,
    },
    {
      name: 'targets per task',
      props: { maxTargetsPerTask: 0 },
      message: /maxTargetsPerTask must be a positive integer/,
    },
    {
      name: 'environment the construct owns',
      props: { environment: { TARGETS_TABLE: 'x' } },
      message: /environment TARGETS_TABLE is set by the construct/,
    },
    {
      name: 'undici without WebAssembly SIMD (its fallback parser is not bundled)',
      props: { environment: { UNDICI_NO_WASM_SIMD: '1' } },
      message: /UNDICI_NO_WASM_SIMD=1 needs the non-SIMD llhttp, which is not bundled/,
    },
    {
      name: 'outbox max age out of range',
      props: { outboxMaxAge: Duration.hours(25) },
      message: /outboxMaxAge must be 1 minute–24 hours/,
    },
    {
      name: 'a scraper timeout too short for the scrape_timeout',
      props: { scraper: { timeout: Duration.seconds(15) } },
      message:
        /job \S+: scrape_timeout 10s needs a scraper timeout of at least 20s \(scraper\.timeout is 15s\)/,
    },
    {
      name: 'a deny range that does not parse',
      props: { denyCidrs: ['169.254.0.0/16', 'metadata'] },
      message: /denyCidrs: invalid address range "metadata"/,
    },
    {
      name: 'scrape lead out of range',
      props: { scrapeLead: Duration.seconds(6) },
      message: /scrapeLead must be a whole number of ms from 0 to 5 seconds/,
    },
  ];
  it.each(cases)('$name', ({ props, message }) => {
    expect(() => build({ config, ...props })).toThrow(LambdaScraperPropsError);
    expect(() => build({ config, ...props })).toThrow(message);
  });

  it('reports every problem at once', () => {
    expect(() => build({ config, vpcSubnets: {}, securityGroups: [] })).toThrow(
      /vpcSubnets requires vpc; securityGroups requires vpc/,
    );
  });
});

describe('status page (statusPage prop)', () => {
  const urls = (t: Template) => Object.values(t.findResources('AWS::Lambda::Url'));

  it('absent by default: four functions, no function URL', () => {
    expect(urls(built.template)).toHaveLength(0);
    built.template.resourceCountIs('AWS::Lambda::Function', 4);
    expect(built.scraper.statusPage).toBeUndefined();
  });

  it('a fifth function with an IAM-authenticated URL, the two table names only', () => {
    const b = build({ config, statusPage: { auth: 'iam' } });
    b.template.resourceCountIs('AWS::Lambda::Function', 5);
    b.template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      TargetFunctionArn: {
        'Fn::GetAtt': [refTo(b.stack, b.scraper.statusPage!.function).Ref, 'Arn'],
      },
    });
    expect(urls(b.template)).toHaveLength(1);
    // No public invoke permission with IAM auth.
    const perms = Object.values(b.template.findResources('AWS::Lambda::Permission')).filter(
      (p) => (p.Properties as { Action?: string }).Action === 'lambda:InvokeFunctionUrl',
    );
    expect(perms).toHaveLength(0);
    b.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Description: Match.stringLikeRegexp('^lambdascrape status page'),
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          TARGETS_TABLE: refTo(b.stack, b.scraper.targetsTable),
          STATE_TABLE: refTo(b.stack, b.scraper.stateTable),
        },
      },
    });
  });

  it('its role only reads the two tables (and writes its own logs)', () => {
    const b = build({ config, statusPage: { auth: 'iam' } });
    const fnRole = b.scraper.statusPage!.function.role!;
    const roleId = b.stack.getLogicalId(fnRole.node.defaultChild as never);
    const statements = Object.values(b.template.findResources('AWS::IAM::Policy'))
      .map(
        (p) =>
          p.Properties as {
            Roles: { Ref: string }[];
            PolicyDocument: { Statement: Record<string, unknown>[] };
          },
      )
      .filter((p) => p.Roles.some((r) => r.Ref === roleId))
      .flatMap((p) => p.PolicyDocument.Statement);
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    expect(actions.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
    ]);
    expect(actions.filter((a) => !a.startsWith('dynamodb:') && !a.startsWith('logs:'))).toEqual([]);
    const read = statements.find((s) => s.Sid === 'TablesRead')!;
    expect(read.Resource).toEqual([
      { 'Fn::GetAtt': [refTo(b.stack, b.scraper.targetsTable).Ref, 'Arn'] },
      { 'Fn::GetAtt': [refTo(b.stack, b.scraper.stateTable).Ref, 'Arn'] },
    ]);
    // The pipeline's roles do not change.
    const plain = Object.values(built.template.findResources('AWS::IAM::Policy')).length;
    expect(Object.values(b.template.findResources('AWS::IAM::Policy')).length).toBe(plain + 1);
  });

  it("auth 'none' only when asked", () => {
    const b = build({ config, statusPage: { auth: 'none' } });
    b.template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    Annotations.fromStack(b.stack).hasWarning(
      '/Test/Scraper',
      Match.stringLikeRegexp("statusPage auth 'none'.*your own auth"),
    );
    const iam = build({ config, statusPage: { auth: 'iam' } });
    expect(
      Annotations.fromStack(iam.stack).findWarning('*', Match.stringLikeRegexp('statusPage')),
    ).toEqual([]);
  });

  it('LambdaScrapeStack outputs the URL only with the option', async () => {
    const { LambdaScrapeStack } = await import('../../infra/lambda-scrape-stack.js');
    const app = unbundledApp();
    const withPage = new LambdaScrapeStack(app, 'WithPage', {
      scraper: { config, statusPage: { auth: 'iam' } },
    });
    const without = new LambdaScrapeStack(app, 'Without', { scraper: { config } });
    const outputs = (s: Stack) => Object.keys(Template.fromStack(s).findOutputs('*'));
    expect(outputs(withPage)).toContain('StatusPageUrl');
    expect(outputs(without)).not.toContain('StatusPageUrl');
    Template.fromStack(withPage).hasOutput('StatusPageUrl', {
      Value: { 'Fn::GetAtt': [Match.anyValue(), 'FunctionUrl'] },
    });
  });
});

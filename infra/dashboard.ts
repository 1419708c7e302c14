/**
 * Self-monitoring of a deployment: a CloudWatch dashboard and alarms built from the metrics the
 * functions emit as CloudWatch Embedded Metric Format lines (namespace {@link METRIC_NAMESPACE},
 * one dimension `Deployment` = DEPLOYMENT_ID) plus the native SQS and Lambda metrics.
 *
 * Metric contract (emitted by src/, read here; the names are defined in src/contract.ts):
 * counts per invocation (Sum is meaningful): Scrapes, ScrapesUp, ScrapeFailures, LateDropped,
 * RemoteWriteSamplesSent, RemoteWriteSamplesRejected, RemoteWriteRequestsParked,
 * RemoteWriteRequestsLost, OutboxReplayed, OutboxDeadLettered, DynamoDbReadUnits,
 * DynamoDbWriteUnits, SqsMessagesSent, TargetsPlanned; one value per scrape in milliseconds
 * (percentiles are meaningful): ScrapeLateness, ScrapeWait; gauges (Maximum): Targets,
 * OutboxDepth.
 */
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type Unit,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  EMF_DIMENSION,
  EMF_METRIC,
  EMF_METRIC_NAMES,
  EMF_NAMESPACE,
  type EmfMetricName,
  type FunctionRole,
} from '../src/contract.js';

/** The EMF namespace the functions write to (src/contract.ts). */
export const METRIC_NAMESPACE = EMF_NAMESPACE;
/** The one dimension of the EMF metrics: the deployment id (src/contract.ts). */
export const DEPLOYMENT_DIMENSION = EMF_DIMENSION;

/** The EMF metric names the functions emit (see the module comment). */
export const SELF_METRICS = EMF_METRIC_NAMES;
export type SelfMetricName = EmfMetricName;

export interface MonitoringProps {
  /** The `Deployment` dimension value (DEPLOYMENT_ID). */
  readonly deploymentId: string;
  readonly functions: Readonly<Record<FunctionRole, IFunction>>;
  readonly scrapeQueue: IQueue;
  readonly scrapeDeadLetterQueue: IQueue;
  readonly outboxQueue: IQueue;
  readonly outboxDeadLetterQueue: IQueue;
  /** Alarm and OK notifications go here. @default no notifications */
  readonly alarmTopic?: ITopic;
  /** p99 scrape-start lateness above this for 15 minutes alarms. @default 5 seconds */
  readonly latenessThreshold?: Duration;
  /** @default a name CloudFormation generates */
  readonly dashboardName?: string;
  /**
   * The dashboard, the alarms on the functions' EMF metrics (lateness, data lost) and on each
   * function's errors. Without it, three alarms on the queues' built-in metrics. @default false
   */
  readonly detailed?: boolean;
}

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

/** The dashboard and the alarms of one deployment. */
export class ScraperMonitoring extends Construct {
  /** Only with `detailed`. */
  readonly dashboard: Dashboard | undefined;
  /** Every alarm, by a stable key (`ScrapeDlqNotEmpty`, `RemoteWriteFailing`, …). */
  readonly alarms: Readonly<Record<string, Alarm>>;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const self = (
      metricName: SelfMetricName,
      statistic: string,
      options: { period?: Duration; label?: string; unit?: Unit } = {},
    ) =>
      new Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { [DEPLOYMENT_DIMENSION]: props.deploymentId },
        statistic,
        period: options.period ?? ONE_MINUTE,
        ...(options.label === undefined ? {} : { label: options.label }),
        ...(options.unit === undefined ? {} : { unit: options.unit }),
      });
    const sum = (name: SelfMetricName, period?: Duration) =>
      self(name, 'Sum', period === undefined ? {} : { period });

    const shareUp = new MathExpression({
      expression: '100 * up / scrapes',
      usingMetrics: { up: sum(EMF_METRIC.ScrapesUp), scrapes: sum(EMF_METRIC.Scrapes) },
      label: 'targets up (%)',
      period: ONE_MINUTE,
    });
    const lateness = (stat: string) =>
      self(EMF_METRIC.ScrapeLateness, stat, { label: `lateness ${stat}` });
    const wait = (stat: string) => self(EMF_METRIC.ScrapeWait, stat, { label: `wait ${stat}` });
    const fns = Object.entries(props.functions) as [FunctionRole, IFunction][];
    const queues: [string, IQueue][] = [
      ['scrape queue', props.scrapeQueue],
      ['scrape DLQ', props.scrapeDeadLetterQueue],
      ['outbox', props.outboxQueue],
      ['outbox DLQ', props.outboxDeadLetterQueue],
    ];

    // --- alarms -------------------------------------------------------------------------
    const alarms: Record<string, Alarm> = {};
    const alarm = (
      key: string,
      metric: IMetric,
      description: string,
      options: { threshold?: number; periods?: number } = {},
    ) => {
      const periods = options.periods ?? 1;
      const a = new Alarm(this, key, {
        metric,
        alarmDescription: description,
        threshold: options.threshold ?? 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        // No data means nothing happened (EMF metrics are only emitted when non-zero work ran).
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (props.alarmTopic !== undefined) {
        a.addAlarmAction(new SnsAction(props.alarmTopic));
        a.addOkAction(new SnsAction(props.alarmTopic));
      }
      alarms[key] = a;
      return a;
    };
    alarm(
      'ScrapeDlqNotEmpty',
      props.scrapeDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: FIVE_MINUTES,
      }),
      'Scrape tasks reached the dead-letter queue: the scraper failed them repeatedly. Read the scraper logs, then purge the queue (the tasks are past their slots).',
    );
    alarm(
      'OutboxDlqNotEmpty',
      props.outboxDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: FIVE_MINUTES,
      }),
      'Remote writes were dead-lettered (expired, rejected or malformed): samples are lost unless replayed by hand.',
    );
    alarm(
      'RemoteWriteFailing',
      props.outboxQueue.metricNumberOfMessagesSent({ statistic: 'Sum', period: FIVE_MINUTES }),
      'Remote writes have been parked in the outbox for 15 minutes: the backend refuses or cannot be reached.',
      { periods: 3 },
    );
    if (props.detailed !== true) {
      // The lean default: built-in queue metrics only, no custom metric, no dashboard.
      this.alarms = alarms;
      this.dashboard = undefined;
      return;
    }
    alarm(
      'RemoteWriteDataLost',
      new MathExpression({
        expression: 'FILL(lost, 0) + FILL(rejected, 0) + FILL(dead, 0)',
        usingMetrics: {
          lost: sum(EMF_METRIC.RemoteWriteRequestsLost, FIVE_MINUTES),
          rejected: sum(EMF_METRIC.RemoteWriteSamplesRejected, FIVE_MINUTES),
          dead: sum(EMF_METRIC.OutboxDeadLettered, FIVE_MINUTES),
        },
        label: 'requests lost + samples rejected + writes dead-lettered',
        period: FIVE_MINUTES,
      }),
      'The backend rejected samples, or remote writes were lost or dead-lettered.',
    );
    const latenessMs = (props.latenessThreshold ?? Duration.seconds(5)).toMilliseconds();
    alarm(
      'ScrapeLatenessHigh',
      self(EMF_METRIC.ScrapeLateness, 'p99', { period: FIVE_MINUTES }),
      `p99 scrape-start lateness above ${latenessMs} ms for 15 minutes: tasks arrive late (throttling, cold starts, a slow dispatcher); late tasks are dropped.`,
      { threshold: latenessMs, periods: 3 },
    );
    for (const [role, fn] of fns) {
      alarm(
        `${role[0]!.toUpperCase()}${role.slice(1)}Errors`,
        fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        `The ${role} function has failed in each of the last 3 five-minute periods. Read its logs.`,
        { periods: 3 },
      );
    }
    this.alarms = alarms;

    // --- dashboard ----------------------------------------------------------------------
    const wide = { width: 12, height: 6 } as const;
    this.dashboard = new Dashboard(this, 'Dashboard', {
      ...(props.dashboardName === undefined ? {} : { dashboardName: props.dashboardName }),
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# lambdascrape \`${props.deploymentId}\`\nSelf-metrics: namespace \`${METRIC_NAMESPACE}\`, dimension \`${DEPLOYMENT_DIMENSION}\`. Per-minute sums unless noted.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Scrapes per minute',
        left: [
          self(EMF_METRIC.Scrapes, 'Sum', { label: 'scrapes' }),
          self(EMF_METRIC.ScrapesUp, 'Sum', { label: 'up' }),
          self(EMF_METRIC.ScrapeFailures, 'Sum', { label: 'failed' }),
          self(EMF_METRIC.LateDropped, 'Sum', { label: 'dropped as late' }),
        ],
        ...wide,
      }),
      new GraphWidget({
        title: 'Share of targets up (%)',
        left: [shareUp],
        leftYAxis: { min: 0, max: 100 },
        ...wide,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Scrape-start lateness against the slot (ms)',
        left: [lateness('p50'), lateness('p99'), lateness('Maximum')],
        right: [wait('p50'), wait('p99')],
        leftAnnotations: [{ value: latenessMs, label: 'alarm (p99)' }],
        ...wide,
      }),
      new GraphWidget({
        title: 'Remote write',
        left: [self(EMF_METRIC.RemoteWriteSamplesSent, 'Sum', { label: 'samples sent' })],
        right: [
          self(EMF_METRIC.RemoteWriteSamplesRejected, 'Sum', { label: 'samples rejected' }),
          self(EMF_METRIC.RemoteWriteRequestsParked, 'Sum', { label: 'requests parked' }),
          self(EMF_METRIC.RemoteWriteRequestsLost, 'Sum', { label: 'requests lost' }),
          self(EMF_METRIC.OutboxReplayed, 'Sum', { label: 'outbox replayed' }),
          self(EMF_METRIC.OutboxDeadLettered, 'Sum', { label: 'outbox dead-lettered' }),
        ],
        ...wide,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Queue depths (messages visible)',
        left: [
          ...queues.map(([label, q]) =>
            q.metricApproximateNumberOfMessagesVisible({
              statistic: 'Maximum',
              period: ONE_MINUTE,
              label,
            }),
          ),
          self(EMF_METRIC.OutboxDepth, 'Maximum', { label: 'outbox depth (dispatcher)' }),
        ],
        right: [
          props.scrapeQueue.metricApproximateAgeOfOldestMessage({
            statistic: 'Maximum',
            period: ONE_MINUTE,
            label: 'oldest scrape task (s)',
          }),
        ],
        ...wide,
      }),
      new GraphWidget({
        title: 'Targets and planning',
        left: [
          self(EMF_METRIC.Targets, 'Maximum', { label: 'targets' }),
          self(EMF_METRIC.TargetsPlanned, 'Sum', { label: 'planned per minute' }),
        ],
        right: [
          self(EMF_METRIC.SqsMessagesSent, 'Sum', { label: 'SQS messages sent' }),
          self(EMF_METRIC.DynamoDbReadUnits, 'Sum', { label: 'DynamoDB RCU' }),
          self(EMF_METRIC.DynamoDbWriteUnits, 'Sum', { label: 'DynamoDB WCU' }),
        ],
        ...wide,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Function errors and throttles',
        left: fns.map(([role, fn]) =>
          fn.metricErrors({ period: ONE_MINUTE, statistic: 'Sum', label: `${role} errors` }),
        ),
        right: fns.map(([role, fn]) =>
          fn.metricThrottles({ period: ONE_MINUTE, statistic: 'Sum', label: `${role} throttles` }),
        ),
        ...wide,
      }),
      new GraphWidget({
        title: 'Function duration p99 (ms)',
        left: fns.map(([role, fn]) =>
          fn.metricDuration({ period: ONE_MINUTE, statistic: 'p99', label: role }),
        ),
        ...wide,
      }),
    );
    this.dashboard.addWidgets(
      new AlarmStatusWidget({
        title: 'Alarms',
        alarms: Object.values(alarms),
        width: 24,
        height: 4,
      }),
    );
  }
}

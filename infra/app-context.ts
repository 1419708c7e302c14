/**
 * The CDK context keys `infra/bin/app.ts` understands (`npx cdk deploy -c key=value`, or the
 * `context` of cdk.json / cdk.context.json), read and checked in one place so a mistake fails
 * with one message naming every bad key. Values given with `-c` are strings; in cdk.json they
 * may also be JSON booleans, numbers, arrays and objects.
 *
 * | key | meaning | default |
 * |---|---|---|
 * | `config` | path of the prometheus.yml (required) | — |
 * | `stackName` | CloudFormation stack name | `LambdaScrape` |
 * | `secretFiles` | JSON object `{"<*_file path as written>": "<secret ARN or name>"}` | none |
 * | `extraFiles` | files to bundle beside the config (comma list, relative to its folder) | none |
 * | `deploymentId` | DEPLOYMENT_ID (phase seed, metric dimension) | `<stack>/Scraper` |
 * | `vpcId` | run the functions in this VPC (needs `subnetIds`) | no VPC |
 * | `subnetIds` | comma list of subnet ids (private, with a NAT or VPC endpoints) | — |
 * | `securityGroupIds` | comma list; needs `vpcId` | one new egress-only group |
 * | `alarmTopicArn` | SNS topic for alarm notifications | none |
 * | `pointInTimeRecovery` | `true` to enable PITR on both tables | `false` |
 * | `architecture` | `arm64` or `x86_64` | `arm64` |
 * | `scraperMaxConcurrency` | SQS event source maximum concurrency of the scraper | `50` |
 * | `scraperMemory` | scraper memory, MB | `1024` |
 * | `logRetentionDays` | a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, …) | `30` |
 * | `platformLogs` | `true` to ingest Lambda's START/END/REPORT lines (text log format, ~300 B an invocation) | `false`: JSON log format, system level WARN |
 * | `detailedMonitoring` | `true` for EMF custom metrics, a dashboard and the full alarm set (~$9.50/month) | `false` |
 * | `latenessAlarmMs` | p99 lateness alarm threshold, ms (needs `detailedMonitoring`) | `5000` |
 * | `scrapeLeadMs` | how long before the end of its one-second bucket a scrape task becomes visible, ms (0–5000) | `700` |
 * | `allowInlineSecrets` | `true` to bundle a config holding secrets inline | `false` |
 * | `statusPage` | `iam` or `none`: the targets page at a function URL, IAM-authenticated or (`none`) behind your own auth | no status page |
 * | `skipUnsupportedDiscovery` | `true` to skip (with a warning) jobs whose only discovery is a mechanism lambdascrape lacks, at synth and in the functions | `false`: such a job fails the synth |
 */
import { Duration, type Stack } from 'aws-cdk-lib';
import { SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Node } from 'constructs';
import type { LambdaScraperProps } from './lambda-scraper-props.js';
import type { ScraperConfig } from './scraper-config.js';

export const DEFAULT_STACK_NAME = 'LambdaScrape';

export interface AppContext {
  readonly configPath: string;
  readonly stackName: string;
  readonly secretFiles: Readonly<Record<string, string>>;
  readonly extraFiles: readonly string[];
  readonly deploymentId: string | undefined;
  readonly vpcId: string | undefined;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly alarmTopicArn: string | undefined;
  readonly pointInTimeRecovery: boolean;
  readonly architecture: 'arm64' | 'x86_64';
  readonly scraperMaxConcurrency: number | undefined;
  readonly scraperMemory: number | undefined;
  readonly logRetentionDays: number | undefined;
  readonly platformLogs: boolean;
  readonly detailedMonitoring: boolean;
  readonly latenessAlarmMs: number | undefined;
  readonly scrapeLeadMs: number | undefined;
  readonly allowInlineSecrets: boolean;
  readonly skipUnsupportedDiscovery: boolean;
  readonly statusPage: 'iam' | 'none' | undefined;
}

export class AppContextError extends Error {
  override readonly name = 'AppContextError';
  readonly code = 'LAMBDASCRAPE_BAD_CONTEXT';
  constructor(readonly problems: readonly string[]) {
    super(`invalid CDK context: ${problems.join('; ')}`);
  }
}

/** Reads and checks the context keys of the table above. Throws {@link AppContextError}. */
export function readAppContext(node: Node): AppContext {
  const problems: string[] = [];
  const raw = (key: string): unknown => {
    const v = node.tryGetContext(key) as unknown;
    return v === '' ? undefined : v;
  };
  const str = (key: string): string | undefined => {
    const v = raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
    problems.push(`${key} must be a string`);
    return undefined;
  };
  const bool = (key: string): boolean => {
    const v = raw(key);
    if (v === undefined || v === null || v === false || v === 'false') return false;
    if (v === true || v === 'true') return true;
    problems.push(`${key} must be true or false`);
    return false;
  };
  const int = (key: string): number | undefined => {
    const v = raw(key);
    if (v === undefined || v === null) return undefined;
    const n =
      typeof v === 'number'
        ? v
        : typeof v === 'string' && /^\d+$/.test(v.trim())
          ? Number(v)
          : Number.NaN;
    if (!Number.isSafeInteger(n) || n <= 0) {
      problems.push(`${key} must be a positive integer`);
      return undefined;
    }
    return n;
  };
  const list = (key: string): string[] => {
    const v = raw(key);
    if (v === undefined || v === null) return [];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.map((x) => x.trim());
    if (typeof v === 'string') {
      return v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    }
    problems.push(`${key} must be a comma-separated list or a JSON array of strings`);
    return [];
  };
  const map = (key: string): Record<string, string> => {
    let v = raw(key);
    if (v === undefined || v === null) return {};
    if (typeof v === 'string') {
      try {
        v = JSON.parse(v) as unknown;
      } catch {
        problems.push(`${key} must be a JSON object`);
        return {};
      }
    }
    if (
      typeof v !== 'object' ||
      v === null ||
      Array.isArray(v) ||
      !Object.values(v).every((x) => typeof x === 'string' && x !== '')
    ) {
      problems.push(`${key} must be a JSON object of non-empty strings`);
      return {};
    }
    return v as Record<string, string>;
  };

  const configPath = str('config');
  if (configPath === undefined) {
    problems.push('config is required: npx cdk deploy -c config=path/to/prometheus.yml');
  }
  const architecture = str('architecture') ?? 'arm64';
  if (architecture !== 'arm64' && architecture !== 'x86_64') {
    problems.push('architecture must be arm64 or x86_64');
  }
  const statusPage = str('statusPage');
  if (statusPage !== undefined && statusPage !== 'iam' && statusPage !== 'none') {
    problems.push('statusPage must be iam or none');
  }
  const ctx: AppContext = {
    configPath: configPath ?? '',
    stackName: str('stackName') ?? DEFAULT_STACK_NAME,
    secretFiles: map('secretFiles'),
    extraFiles: list('extraFiles'),
    deploymentId: str('deploymentId'),
    vpcId: str('vpcId'),
    subnetIds: list('subnetIds'),
    securityGroupIds: list('securityGroupIds'),
    alarmTopicArn: str('alarmTopicArn'),
    pointInTimeRecovery: bool('pointInTimeRecovery'),
    architecture: architecture === 'x86_64' ? 'x86_64' : 'arm64',
    scraperMaxConcurrency: int('scraperMaxConcurrency'),
    scraperMemory: int('scraperMemory'),
    logRetentionDays: int('logRetentionDays'),
    platformLogs: bool('platformLogs'),
    detailedMonitoring: bool('detailedMonitoring'),
    latenessAlarmMs: int('latenessAlarmMs'),
    scrapeLeadMs: int('scrapeLeadMs'),
    allowInlineSecrets: bool('allowInlineSecrets'),
    skipUnsupportedDiscovery: bool('skipUnsupportedDiscovery'),
    statusPage: statusPage === 'iam' || statusPage === 'none' ? statusPage : undefined,
  };
  if (ctx.vpcId !== undefined && ctx.subnetIds.length === 0) {
    problems.push('vpcId needs subnetIds (the private subnets the functions run in)');
  }
  if (ctx.vpcId === undefined && (ctx.subnetIds.length > 0 || ctx.securityGroupIds.length > 0)) {
    problems.push('subnetIds and securityGroupIds need vpcId');
  }
  if (
    ctx.logRetentionDays !== undefined &&
    !(Object.values(RetentionDays) as unknown[]).includes(ctx.logRetentionDays)
  ) {
    problems.push(
      `logRetentionDays ${ctx.logRetentionDays} is not a CloudWatch Logs retention value`,
    );
  }
  if (problems.length > 0) throw new AppContextError(problems);
  return ctx;
}

/** A secret from an ARN (complete when it ends with Secrets Manager's 6-character suffix) or a name. */
export function importSecret(scope: Stack, id: string, ref: string): ISecret {
  if (!ref.startsWith('arn:')) return Secret.fromSecretNameV2(scope, id, ref);
  return /:secret:.+-[A-Za-z0-9]{6}$/.test(ref)
    ? Secret.fromSecretCompleteArn(scope, id, ref)
    : Secret.fromSecretPartialArn(scope, id, ref);
}

/** The construct props the context describes; imports are created in `stack`. */
export function scraperPropsFromContext(
  stack: Stack,
  ctx: AppContext,
  config: ScraperConfig,
): LambdaScraperProps {
  const secretFiles = Object.fromEntries(
    Object.entries(ctx.secretFiles).map(([path, ref], i) => [
      path,
      importSecret(stack, `SecretFile${i}`, ref),
    ]),
  );
  const vpc =
    ctx.vpcId === undefined
      ? undefined
      : Vpc.fromVpcAttributes(stack, 'Vpc', {
          vpcId: ctx.vpcId,
          // Subnets are selected by id below, so no zone is ever looked up; the import only
          // insists on a non-empty list (a lookup would need credentials at synth time).
          availabilityZones: ['unused-subnets-are-selected-by-id'],
        });
  return {
    config,
    ...(Object.keys(secretFiles).length === 0 ? {} : { secretFiles }),
    ...(ctx.extraFiles.length === 0 ? {} : { extraFiles: ctx.extraFiles }),
    ...(ctx.deploymentId === undefined ? {} : { deploymentId: ctx.deploymentId }),
    ...(vpc === undefined
      ? {}
      : {
          vpc,
          vpcSubnets: {
            subnets: ctx.subnetIds.map((id, i) => Subnet.fromSubnetId(stack, `Subnet${i}`, id)),
          },
          ...(ctx.securityGroupIds.length === 0
            ? {}
            : {
                securityGroups: ctx.securityGroupIds.map((id, i) =>
                  SecurityGroup.fromSecurityGroupId(stack, `SecurityGroup${i}`, id, {
                    mutable: false,
                  }),
                ),
              }),
        }),
    ...(ctx.alarmTopicArn === undefined
      ? {}
      : { alarmTopic: Topic.fromTopicArn(stack, 'AlarmTopic', ctx.alarmTopicArn) }),
    pointInTimeRecovery: ctx.pointInTimeRecovery,
    architecture: ctx.architecture === 'x86_64' ? Architecture.X86_64 : Architecture.ARM_64,
    ...(ctx.scraperMaxConcurrency === undefined && ctx.scraperMemory === undefined
      ? {}
      : {
          scraper: {
            ...(ctx.scraperMaxConcurrency === undefined
              ? {}
              : { maxConcurrency: ctx.scraperMaxConcurrency }),
            ...(ctx.scraperMemory === undefined ? {} : { memorySize: ctx.scraperMemory }),
          },
        }),
    ...(ctx.logRetentionDays === undefined
      ? {}
      : { logRetention: ctx.logRetentionDays as RetentionDays }),
    platformLogs: ctx.platformLogs,
    detailedMonitoring: ctx.detailedMonitoring,
    ...(ctx.latenessAlarmMs === undefined
      ? {}
      : { latenessAlarmThreshold: Duration.millis(ctx.latenessAlarmMs) }),
    ...(ctx.scrapeLeadMs === undefined ? {} : { scrapeLead: Duration.millis(ctx.scrapeLeadMs) }),
    allowInlineSecrets: ctx.allowInlineSecrets,
    ...(ctx.statusPage === undefined ? {} : { statusPage: { auth: ctx.statusPage } }),
  };
}

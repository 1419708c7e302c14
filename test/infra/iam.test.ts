/**
 * Least privilege, derived from the config: which statements each function's role gets for
 * configs with and without EC2 SD, SigV4 remote write, secrets and a VPC — and nothing more.
 */
import type { Stack } from 'aws-cdk-lib';
import { SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import {
  actionsOf,
  type Built,
  build,
  configFrom,
  refTo,
  STATIC_ONLY,
  statement,
  statementsOf,
} from './support.js';

const ROLES = ['discovery', 'dispatcher', 'scraper', 'outbox'] as const;
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const CONSUME = [
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
];
const sorted = (xs: string[]) => [...new Set(xs)].sort();

/** The actions of a deployment whose config needs nothing from AWS but the pipeline. */
const PIPELINE_ONLY = {
  // Query and BatchWriteItem on the state table's dropped-target partition only (below).
  discovery: sorted([
    ...LOGS,
    'dynamodb:Scan',
    'dynamodb:BatchWriteItem',
    'dynamodb:Query',
    'sqs:SendMessage',
  ]),
  dispatcher: sorted([
    ...LOGS,
    'dynamodb:Scan',
    'dynamodb:PutItem',
    'sqs:SendMessage',
    'sqs:GetQueueAttributes',
  ]),
  scraper: sorted([
    ...LOGS,
    'dynamodb:BatchGetItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:Query',
    'sqs:SendMessage',
    ...CONSUME,
  ]),
  // Dead-letter sends, back-offs (also in CONSUME) and deleting backlog records (decision 13).
  outbox: sorted([...LOGS, 'sqs:SendMessage', 'dynamodb:UpdateItem', ...CONSUME]),
} as const;

const EC2_OWN_ROLE = `
scrape_configs:
  - job_name: node
    ec2_sd_configs:
      - region: eu-west-1
        port: 9100
remote_write:
  - url: https://receiver.example.com/api/v1/write
`;
const EC2_ROLE_ARN = `
scrape_configs:
  - job_name: node
    ec2_sd_configs:
      - region: eu-west-1
        role_arn: arn:aws:iam::210987654321:role/discovery
      - region: us-east-1
        role_arn: arn:aws:iam::210987654321:role/discovery
remote_write:
  - url: https://receiver.example.com/api/v1/write
`;
const AMP_URL =
  'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-8f2b6c1e-3d4a-4e5f-9a6b-7c8d9e0f1a2b/api/v1/remote_write';
const SIGV4_AMP = `
scrape_configs:
  - job_name: web
    static_configs: [{ targets: [example.com:80] }]
remote_write:
  - url: ${AMP_URL}
    sigv4: { region: eu-west-1 }
`;
const SIGV4_ROLE = `
scrape_configs:
  - job_name: web
    static_configs: [{ targets: [example.com:80] }]
remote_write:
  - url: ${AMP_URL}
    sigv4:
      region: eu-west-1
      role_arn: arn:aws:iam::999988887777:role/amp-writer
`;
const SIGV4_PROXY = `
scrape_configs:
  - job_name: web
    static_configs: [{ targets: [example.com:80] }]
remote_write:
  - url: https://amp-proxy.internal.example.com/write
    sigv4: { region: us-west-2 }
`;
const SIGV4_STATIC_KEYS = `
scrape_configs:
  - job_name: web
    static_configs: [{ targets: [example.com:80] }]
remote_write:
  - url: ${AMP_URL}
    sigv4: { region: eu-west-1, access_key: AKIAEXAMPLE, secret_key: not-really }
`;
const BASIC_AUTH_FILE = `
scrape_configs:
  - job_name: app
    authorization:
      credentials_file: tokens/app
    static_configs: [{ targets: [app.example.com:443] }]
remote_write:
  - url: https://prometheus-prod-24-prod-eu-west-2.grafana.net/api/prom/push
    basic_auth:
      username: "1234567"
      password_file: /run/secrets/grafana-cloud-token
`;
const GRAFANA_ARN =
  'arn:aws:secretsmanager:eu-west-2:111122223333:secret:lambdascrape/grafana-AbCdEf';

function noneOf(b: Built, prefixes: string[]) {
  for (const role of ROLES) {
    for (const action of actionsOf(b, role)) {
      for (const p of prefixes) expect(action.startsWith(p), `${role}: ${action}`).toBe(false);
    }
  }
}

describe('the pipeline alone (static targets, remote write without SigV4)', () => {
  it.each(ROLES)('%s gets exactly the calls its code makes', async (role) => {
    const b = build({ config: await configFrom(STATIC_ONLY) });
    expect(actionsOf(b, role)).toEqual(PIPELINE_ONLY[role]);
  });

  it('every statement is scoped to this deployment’s resources (no "*")', async () => {
    const b = build({ config: await configFrom(STATIC_ONLY) });
    for (const role of ROLES) {
      for (const s of statementsOf(b, role)) {
        expect(JSON.stringify(s.resources), `${role} ${s.sid}`).not.toContain('"*"');
      }
    }
    const s = b.scraper;
    const arn = (c: Parameters<typeof refTo>[1]) => ({
      'Fn::GetAtt': [refTo(b.stack, c).Ref, 'Arn'],
    });
    expect(statement(b, 'discovery', 'TargetsReadWrite')!.resources).toEqual([arn(s.targetsTable)]);
    expect(statement(b, 'discovery', 'SendRetireTasks')!.resources).toEqual([arn(s.scrapeQueue)]);
    expect(statement(b, 'dispatcher', 'TargetsRead')!.resources).toEqual([arn(s.targetsTable)]);
    expect(statement(b, 'dispatcher', 'ClaimWindow')!.resources).toEqual([arn(s.stateTable)]);
    expect(statement(b, 'dispatcher', 'SendScrapeTasks')!.resources).toEqual([arn(s.scrapeQueue)]);
    expect(statement(b, 'dispatcher', 'ReadOutboxDepth')!.resources).toEqual([arn(s.outboxQueue)]);
    expect(statement(b, 'scraper', 'ScrapeStateReadWrite')!.resources).toEqual([arn(s.stateTable)]);
    expect(statement(b, 'scraper', 'ParkRemoteWrites')!.resources).toEqual([arn(s.outboxQueue)]);
    expect(statement(b, 'outbox', 'BackOffGroups')).toEqual({
      sid: 'BackOffGroups',
      actions: ['sqs:ChangeMessageVisibility'],
      resources: [arn(s.outboxQueue)],
    });
    expect(statement(b, 'outbox', 'ClearBacklogRecords')).toEqual({
      sid: 'ClearBacklogRecords',
      actions: ['dynamodb:UpdateItem'],
      resources: [arn(s.stateTable)],
    });
    expect(statement(b, 'outbox', 'DeadLetterWrites')).toEqual({
      sid: 'DeadLetterWrites',
      actions: ['sqs:SendMessage'],
      resources: [arn(s.outboxDeadLetterQueue)],
    });
  });

  it('discovery reaches the state table only in the dropped-target partition', async () => {
    const b = build({ config: await configFrom(STATIC_ONLY) });
    const arn = { 'Fn::GetAtt': [refTo(b.stack, b.scraper.stateTable).Ref, 'Arn'] };
    const raw = Object.values(b.template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => (p.Properties.PolicyDocument.Statement as Record<string, unknown>[]) ?? [])
      .filter((s) => s.Sid === 'DroppedTargetsSummary');
    expect(raw).toEqual([
      {
        Sid: 'DroppedTargetsSummary',
        Effect: 'Allow',
        Action: ['dynamodb:Query', 'dynamodb:BatchWriteItem'],
        Resource: arn,
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['dr'] } },
      },
    ]);
    // Every other discovery statement leaves the state table alone.
    const others = statementsOf(b, 'discovery').filter((s) => s.sid !== 'DroppedTargetsSummary');
    for (const s of others) expect(JSON.stringify(s.resources)).not.toContain(JSON.stringify(arn));
  });

  it('only the scraper sends to the outbox: the outbox function lets a group wait, it never re-parks', async () => {
    const b = build({ config: await configFrom(STATIC_ONLY) });
    const outbox = { 'Fn::GetAtt': [refTo(b.stack, b.scraper.outboxQueue).Ref, 'Arn'] };
    const sendsTo = (role: (typeof ROLES)[number]) =>
      statementsOf(b, role).some(
        (s) =>
          s.actions.some((a) => a === 'sqs:SendMessage' || a === 'sqs:*' || a === '*') &&
          s.resources.some((r) => JSON.stringify(r) === JSON.stringify(outbox) || r === '*'),
      );
    expect(ROLES.filter(sendsTo)).toEqual(['scraper']);
    // SendMessageBatch is authorized as sqs:SendMessage: no other action is needed to park.
    expect(statement(b, 'scraper', 'ParkRemoteWrites')).toEqual({
      sid: 'ParkRemoteWrites',
      actions: ['sqs:SendMessage'],
      resources: [outbox],
    });
  });

  it('no EC2, STS, AMP or Secrets Manager permission, no managed policy', async () => {
    const b = build({ config: await configFrom(STATIC_ONLY) });
    noneOf(b, ['ec2:', 'sts:', 'aps:', 'secretsmanager:', 'kms:']);
    for (const r of Object.values(b.template.findResources('AWS::IAM::Role'))) {
      expect(r.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('EC2 service discovery', () => {
  it('with the function role: Describe* for the discovery function only', async () => {
    const b = build({ config: await configFrom(EC2_OWN_ROLE) });
    expect(statement(b, 'discovery', 'Ec2ServiceDiscovery')).toEqual({
      sid: 'Ec2ServiceDiscovery',
      actions: ['ec2:DescribeInstances', 'ec2:DescribeAvailabilityZones'],
      resources: ['*'],
    });
    for (const role of ['dispatcher', 'scraper', 'outbox'] as const) {
      expect(actionsOf(b, role)).toEqual(PIPELINE_ONLY[role]);
    }
    noneOf(b, ['sts:']);
  });

  it('with role_arn: sts:AssumeRole on exactly that role, no EC2 action', async () => {
    const b = build({ config: await configFrom(EC2_ROLE_ARN) });
    expect(statement(b, 'discovery', 'AssumeEc2DiscoveryRoles')).toEqual({
      sid: 'AssumeEc2DiscoveryRoles',
      actions: ['sts:AssumeRole'],
      resources: ['arn:aws:iam::210987654321:role/discovery'],
    });
    noneOf(b, ['ec2:']);
    for (const role of ['dispatcher', 'scraper', 'outbox'] as const) {
      expect(actionsOf(b, role)).toEqual(PIPELINE_ONLY[role]);
    }
  });
});

const ECS_OWN_ROLE = `
scrape_configs:
  - job_name: tasks
    aws_sd_configs:
      - role: ecs
        region: eu-west-1
remote_write:
  - url: https://receiver.example.com/api/v1/write
`;
const ECS_CLUSTERS_AND_EC2 = `
scrape_configs:
  - job_name: tasks
    aws_sd_configs:
      - role: ecs
        region: eu-west-1
        clusters: [web]
      - role: ec2
        region: eu-west-1
remote_write:
  - url: https://receiver.example.com/api/v1/write
`;
const AWS_SD_ROLE_ARN = `
scrape_configs:
  - job_name: tasks
    aws_sd_configs:
      - role: ecs
        region: eu-west-1
        role_arn: arn:aws:iam::210987654321:role/ecs-discovery
      - role: ec2
        region: eu-west-1
        role_arn: arn:aws:iam::210987654321:role/ec2-discovery
      - role: lightsail
        region: eu-west-1
        role_arn: arn:aws:iam::210987654321:role/ec2-discovery
      - role: msk
        region: eu-west-1
        role_arn: arn:aws:iam::210987654321:role/ecs-discovery
      - role: rds
        region: eu-west-1
        role_arn: arn:aws:iam::210987654321:role/ecs-discovery
      - role: elasticache
        region: eu-west-1
        role_arn: arn:aws:iam::210987654321:role/ecs-discovery
remote_write:
  - url: https://receiver.example.com/api/v1/write
`;
const ECS_READS = [
  'ec2:DescribeInstances',
  'ec2:DescribeNetworkInterfaces',
  'ecs:DescribeClusters',
  'ecs:DescribeContainerInstances',
  'ecs:DescribeServices',
  'ecs:DescribeTasks',
  'ecs:ListTasks',
];

describe('AWS service discovery (aws_sd_configs)', () => {
  it('role ecs with the function role: the ECS and EC2 reads, for the discovery function only', async () => {
    const b = build({ config: await configFrom(ECS_OWN_ROLE) });
    expect(statement(b, 'discovery', 'EcsServiceDiscovery')).toEqual({
      sid: 'EcsServiceDiscovery',
      actions: sorted([...ECS_READS, 'ecs:ListClusters']),
      resources: ['*'],
    });
    expect(statement(b, 'discovery', 'Ec2ServiceDiscovery')).toBeUndefined();
    for (const role of ['dispatcher', 'scraper', 'outbox'] as const) {
      expect(actionsOf(b, role)).toEqual(PIPELINE_ONLY[role]);
    }
    noneOf(b, ['sts:', 'ecs:ListServices']);
  });

  it('clusters configured: no ecs:ListClusters; role ec2 gets the ec2_sd_configs grant', async () => {
    const b = build({ config: await configFrom(ECS_CLUSTERS_AND_EC2) });
    expect(statement(b, 'discovery', 'EcsServiceDiscovery')?.actions).toEqual(ECS_READS);
    expect(statement(b, 'discovery', 'Ec2ServiceDiscovery')?.actions).toEqual([
      'ec2:DescribeInstances',
      'ec2:DescribeAvailabilityZones',
    ]);
    noneOf(b, ['ecs:ListClusters', 'sts:']);
  });

  it('role lightsail with the function role: lightsail:GetInstances for discovery only', async () => {
    const b = build({
      config: await configFrom(`
scrape_configs:
  - job_name: vps
    aws_sd_configs: [{ role: lightsail, region: eu-west-1 }]
remote_write:
  - url: https://receiver.example.com/api/v1/write
`),
    });
    expect(statement(b, 'discovery', 'LightsailServiceDiscovery')).toEqual({
      sid: 'LightsailServiceDiscovery',
      actions: ['lightsail:GetInstances'],
      resources: ['*'],
    });
    noneOf(b, ['ecs:', 'ec2:', 'sts:']);
    for (const role of ['dispatcher', 'scraper', 'outbox'] as const) {
      expect(actionsOf(b, role)).toEqual(PIPELINE_ONLY[role]);
    }
  });

  it('role msk with the function role: the Kafka reads its entries need', async () => {
    const b = build({
      config: await configFrom(`
scrape_configs:
  - job_name: kafka
    aws_sd_configs:
      - { role: msk, region: eu-west-1 }
      - { role: msk, region: eu-west-1, clusters: ['arn:aws:kafka:eu-west-1:1:cluster/a/b'] }
remote_write:
  - url: https://receiver.example.com/api/v1/write
`),
    });
    expect(statement(b, 'discovery', 'MskServiceDiscovery')).toEqual({
      sid: 'MskServiceDiscovery',
      actions: ['kafka:DescribeClusterV2', 'kafka:ListClustersV2', 'kafka:ListNodes'],
      resources: ['*'],
    });
    noneOf(b, ['ecs:', 'ec2:', 'sts:', 'lightsail:']);
    for (const role of ['dispatcher', 'scraper', 'outbox'] as const) {
      expect(actionsOf(b, role)).toEqual(PIPELINE_ONLY[role]);
    }
  });

  it('role rds with the function role: DescribeDBClusters and DescribeDBInstances only', async () => {
    const b = build({
      config: await configFrom(`
scrape_configs:
  - job_name: db
    aws_sd_configs:
      - { role: rds, region: eu-west-1 }
      - { role: rds, region: eu-west-1, clusters: [aurora-prod], filters: [{name: engine, values: [postgres]}] }
remote_write:
  - url: https://receiver.example.com/api/v1/write
`),
    });
    expect(statement(b, 'discovery', 'RdsServiceDiscovery')).toEqual({
      sid: 'RdsServiceDiscovery',
      actions: ['rds:DescribeDBClusters', 'rds:DescribeDBInstances'],
      resources: ['*'],
    });
    noneOf(b, ['ecs:', 'ec2:', 'sts:', 'lightsail:', 'kafka:']);
    for (const role of ['dispatcher', 'scraper', 'outbox'] as const) {
      expect(actionsOf(b, role)).toEqual(PIPELINE_ONLY[role]);
    }
  });

  it('no rds action for an rds entry with role_arn (only sts:AssumeRole on it)', async () => {
    const b = build({
      config: await configFrom(`
scrape_configs:
  - job_name: db
    aws_sd_configs:
      - { role: rds, region: eu-west-1, role_arn: 'arn:aws:iam::210987654321:role/rds' }
remote_write:
  - url: https://receiver.example.com/api/v1/write
`),
    });
    noneOf(b, ['rds:']);
    expect(statement(b, 'discovery', 'AssumeAwsDiscoveryRoles')?.resources).toEqual([
      'arn:aws:iam::210987654321:role/rds',
    ]);
  });

  it('role elasticache with the function role: the three ElastiCache reads only', async () => {
    const b = build({
      config: await configFrom(`
scrape_configs:
  - job_name: cache
    aws_sd_configs:
      - { role: elasticache, region: eu-west-1 }
      - { role: elasticache, region: eu-west-1, clusters: ['arn:aws:elasticache:eu-west-1:123456789012:serverlesscache:c'] }
remote_write:
  - url: https://receiver.example.com/api/v1/write
`),
    });
    expect(statement(b, 'discovery', 'ElastiCacheServiceDiscovery')).toEqual({
      sid: 'ElastiCacheServiceDiscovery',
      actions: [
        'elasticache:DescribeCacheClusters',
        'elasticache:DescribeServerlessCaches',
        'elasticache:ListTagsForResource',
      ],
      resources: ['*'],
    });
    noneOf(b, ['ecs:', 'ec2:', 'sts:', 'lightsail:', 'kafka:', 'rds:']);
    for (const role of ['dispatcher', 'scraper', 'outbox'] as const) {
      expect(actionsOf(b, role)).toEqual(PIPELINE_ONLY[role]);
    }
  });

  it('no elasticache action for an elasticache entry with role_arn', async () => {
    const b = build({
      config: await configFrom(`
scrape_configs:
  - job_name: cache
    aws_sd_configs:
      - { role: elasticache, region: eu-west-1, role_arn: 'arn:aws:iam::210987654321:role/ec' }
remote_write:
  - url: https://receiver.example.com/api/v1/write
`),
    });
    noneOf(b, ['elasticache:']);
    expect(statement(b, 'discovery', 'AssumeAwsDiscoveryRoles')?.resources).toEqual([
      'arn:aws:iam::210987654321:role/ec',
    ]);
  });

  it('role_arn: sts:AssumeRole on exactly those roles, and no ECS or EC2 action', async () => {
    const b = build({ config: await configFrom(AWS_SD_ROLE_ARN) });
    expect(statement(b, 'discovery', 'AssumeAwsDiscoveryRoles')).toEqual({
      sid: 'AssumeAwsDiscoveryRoles',
      actions: ['sts:AssumeRole'],
      resources: [
        'arn:aws:iam::210987654321:role/ec2-discovery',
        'arn:aws:iam::210987654321:role/ecs-discovery',
      ],
    });
    noneOf(b, ['ecs:', 'ec2:', 'lightsail:', 'kafka:', 'rds:', 'elasticache:']);
    for (const role of ['dispatcher', 'scraper', 'outbox'] as const) {
      expect(actionsOf(b, role)).toEqual(PIPELINE_ONLY[role]);
    }
  });
});

describe('the per-service AWS keys (ecs_sd_configs, …)', () => {
  /** One job with an entry of each role, written under aws_sd_configs or under `<role>_sd_configs`. */
  const entries = (extra: string): [role: string, entry: string][] => [
    ['ecs', `{ region: eu-west-1${extra} }`],
    ['ecs', `{ region: eu-west-1, clusters: [web]${extra} }`],
    ['elasticache', `{ region: eu-west-1${extra} }`],
    ['lightsail', `{ region: eu-west-1${extra} }`],
    ['msk', `{ region: eu-west-1, clusters: ['arn:aws:kafka:eu-west-1:1:cluster/a/b']${extra} }`],
    ['rds', `{ region: eu-west-1, filters: [{name: engine, values: [postgres]}]${extra} }`],
  ];
  const byRole = (extra: string) => `
scrape_configs:
  - job_name: aws
    aws_sd_configs:
${entries(extra)
  .map(([role, entry]) => `      - ${entry.replace('{ ', `{ role: ${role}, `)}`)
  .join('\n')}
remote_write:
  - url: https://receiver.example.com/api/v1/write
`;
  const byKey = (extra: string) => {
    const keys = new Map<string, string[]>();
    for (const [role, entry] of entries(extra)) keys.set(role, [...(keys.get(role) ?? []), entry]);
    return `
scrape_configs:
  - job_name: aws
${[...keys].map(([role, list]) => `    ${role}_sd_configs: [${list.join(', ')}]`).join('\n')}
remote_write:
  - url: https://receiver.example.com/api/v1/write
`;
  };

  it.each([
    ['with the function role', ''],
    ['with role_arn', ", role_arn: 'arn:aws:iam::210987654321:role/discovery'"],
  ])('%s: every function gets what the matching aws_sd_configs roles get', async (_name, extra) => {
    const [keys, roles] = [
      build({ config: await configFrom(byKey(extra)) }),
      build({ config: await configFrom(byRole(extra)) }),
    ];
    for (const role of ROLES) {
      expect(statementsOf(keys, role), role).toEqual(statementsOf(roles, role));
    }
    if (extra === '') {
      expect(statement(keys, 'discovery', 'EcsServiceDiscovery')?.actions).toEqual(
        sorted([...ECS_READS, 'ecs:ListClusters']),
      );
      expect(actionsOf(keys, 'discovery')).toEqual(
        expect.arrayContaining([
          'elasticache:DescribeCacheClusters',
          'lightsail:GetInstances',
          'kafka:DescribeClusterV2',
          'kafka:ListNodes',
          'rds:DescribeDBInstances',
        ]),
      );
    } else {
      expect(statement(keys, 'discovery', 'AssumeAwsDiscoveryRoles')?.resources).toEqual([
        'arn:aws:iam::210987654321:role/discovery',
      ]);
      noneOf(keys, ['ecs:', 'lightsail:', 'kafka:', 'rds:', 'elasticache:']);
    }
  });
});

describe('remote write with SigV4', () => {
  it('AMP URL: aps:RemoteWrite on that workspace, for every function', async () => {
    const b = build({ config: await configFrom(SIGV4_AMP) });
    for (const role of ROLES) {
      expect(statement(b, role, 'AmpRemoteWrite')).toEqual({
        sid: 'AmpRemoteWrite',
        actions: ['aps:RemoteWrite'],
        resources: [
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':aps:eu-west-1:',
                { Ref: 'AWS::AccountId' },
                ':workspace/ws-8f2b6c1e-3d4a-4e5f-9a6b-7c8d9e0f1a2b',
              ],
            ],
          },
        ],
      });
    }
    noneOf(b, ['sts:', 'ec2:']);
  });

  it('role_arn: sts:AssumeRole on exactly that role and no aps:RemoteWrite', async () => {
    const b = build({ config: await configFrom(SIGV4_ROLE) });
    for (const role of ROLES) {
      expect(statement(b, role, 'AssumeRemoteWriteRoles')!.resources).toEqual([
        'arn:aws:iam::999988887777:role/amp-writer',
      ]);
    }
    noneOf(b, ['aps:']);
  });

  it('a URL naming no workspace: every workspace of the account in the signing region', async () => {
    const b = build({ config: await configFrom(SIGV4_PROXY) });
    const s = statement(b, 'scraper', 'AmpRemoteWrite')!;
    expect(JSON.stringify(s.resources)).toContain(':aps:us-west-2:');
    expect(JSON.stringify(s.resources)).toContain(':workspace/*');
    expect(b.scraper.access.warnings.join('\n')).toMatch(/names no AMP workspace/);
  });

  it('static keys in the config: refused unless allowed, and then nothing is granted', async () => {
    const config = await configFrom(SIGV4_STATIC_KEYS);
    expect(() => build({ config })).toThrow(/holds secrets inline .*sigv4\.secretKey/);
    const b = build({ config, allowInlineSecrets: true });
    noneOf(b, ['aps:', 'sts:']);
  });

  it('no SigV4, no aps:RemoteWrite', async () => {
    const b = build({ config: await configFrom(STATIC_ONLY) });
    noneOf(b, ['aps:']);
  });
});

describe('secrets for credential files', () => {
  it('GetSecretValue on exactly the listed secrets, for every function; only ARNs in the template', async () => {
    const config = await configFrom(BASIC_AUTH_FILE);
    const b = build((stack) => ({
      config,
      secretFiles: {
        '/run/secrets/grafana-cloud-token': Secret.fromSecretCompleteArn(stack, 'G', GRAFANA_ARN),
        'tokens/app': Secret.fromSecretNameV2(stack, 'A', 'lambdascrape/app'),
      },
    }));
    for (const role of ROLES) {
      const s = statement(b, role, 'ReadCredentialFileSecrets')!;
      expect(s.actions).toEqual(['secretsmanager:GetSecretValue']);
      expect(s.resources).toHaveLength(2);
      expect(s.resources[0]).toBe(GRAFANA_ARN);
      // A name: the 6-character suffix Secrets Manager adds is matched, nothing else.
      expect(JSON.stringify(s.resources[1])).toMatch(/:secret:lambdascrape\/app-\?\?\?\?\?\?"/);
    }
    const fns = b.template.findResources('AWS::Lambda::Function');
    for (const fn of Object.values(fns)) {
      const env = b.stack.resolve(fn.Properties.Environment.Variables.LAMBDASCRAPE_SECRET_FILES);
      const text = JSON.stringify(env);
      expect(text).toContain('/run/secrets/grafana-cloud-token');
      expect(text).toContain(GRAFANA_ARN);
      expect(text).toContain('tokens/app');
    }
  });

  it('a secret with a customer managed key: kms:Decrypt on that key too', async () => {
    const config = await configFrom(BASIC_AUTH_FILE);
    const b = build((stack) => ({
      config,
      secretFiles: {
        '/run/secrets/grafana-cloud-token': Secret.fromSecretAttributes(stack, 'G', {
          secretCompleteArn: GRAFANA_ARN,
          encryptionKey: Key.fromKeyArn(
            stack,
            'K',
            'arn:aws:kms:eu-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          ),
        }),
        'tokens/app': Secret.fromSecretCompleteArn(stack, 'A', `${GRAFANA_ARN.slice(0, -6)}XyZ123`),
      },
    }));
    expect(actionsOf(b, 'scraper')).toContain('kms:Decrypt');
  });
});

describe('VPC', () => {
  const vpcProps = (stack: Stack) => {
    const vpc = Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0abc',
      availabilityZones: ['eu-west-1a'],
    });
    return {
      vpc,
      vpcSubnets: { subnets: [Subnet.fromSubnetId(stack, 'S1', 'subnet-0aaa')] },
      securityGroups: [SecurityGroup.fromSecurityGroupId(stack, 'SG', 'sg-0bbb')],
    };
  };

  it('functions run in the given subnets and security groups, with ENI permissions', async () => {
    const config = await configFrom(STATIC_ONLY);
    const b = build((stack) => ({ config, ...vpcProps(stack) }));
    b.template.allResourcesProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: ['subnet-0aaa'], SecurityGroupIds: ['sg-0bbb'] },
    });
    for (const role of ROLES) {
      expect(statement(b, role, 'LambdaVpcNetworkInterfaces')!.resources).toEqual(['*']);
    }
  });

  it('without security groups, one egress-only group per function', async () => {
    const config = await configFrom(STATIC_ONLY);
    const b = build((stack) => ({
      config,
      vpc: Vpc.fromVpcAttributes(stack, 'Vpc', {
        vpcId: 'vpc-0abc',
        availabilityZones: ['eu-west-1a'],
      }),
      vpcSubnets: { subnets: [Subnet.fromSubnetId(stack, 'S1', 'subnet-0aaa')] },
    }));
    const groups = b.template.findResources('AWS::EC2::SecurityGroup');
    expect(Object.keys(groups)).toHaveLength(4);
    for (const g of Object.values(groups)) {
      expect(g.Properties.SecurityGroupIngress).toBeUndefined();
      expect(g.Properties.VpcId).toBe('vpc-0abc');
    }
  });

  it('without a VPC: no VpcConfig and no ENI permissions', async () => {
    const b = build({ config: await configFrom(STATIC_ONLY) });
    for (const fn of Object.values(b.template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.VpcConfig).toBeUndefined();
    }
    noneOf(b, ['ec2:']);
  });
});

/**
 * cdk-nag's AwsSolutions checks pass: every finding that remains is acknowledged in the construct
 * with a written reason, for the smallest config and for one that needs every optional
 * permission (EC2 SD with the function role, SigV4 to a URL naming no workspace, a secret given
 * by name, a VPC).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import { SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import nag from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { NAG_REASONS } from '../../infra/lambda-scraper.js';
import { build, configFrom, STATIC_ONLY, unbundledApp } from './support.js';

const EVERYTHING = `
scrape_configs:
  - job_name: node
    ec2_sd_configs:
      - region: eu-west-1
      - region: eu-west-1
        role_arn: arn:aws:iam::210987654321:role/discovery
  - job_name: app
    authorization: { credentials_file: tokens/app }
    static_configs: [{ targets: [app.example.com:443] }]
remote_write:
  - url: https://amp-proxy.internal.example.com/write
    sigv4: { region: us-west-2 }
  - url: https://amp-proxy.internal.example.com/write-in-stack-region
    sigv4: {}
  - url: https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-8f2b6c1e-3d4a-4e5f-9a6b-7c8d9e0f1a2b/api/v1/remote_write
    sigv4: { region: eu-west-1 }
`;

interface Violation {
  ruleName: string;
  severity: string;
  violatingResources: { constructPath?: string; resourceLogicalId?: string }[];
}

/** An App (bundling skipped) whose synth runs AwsSolutionsChecks and throws on an error left. */
function nagApp(): App {
  const app = unbundledApp();
  Validations.of(app).addPlugins(new nag.AwsSolutionsChecks(app));
  return app;
}

/** The violations left (acknowledged ones removed), from the report of the app's synth. */
function nagViolations(app: App): Violation[] {
  const assembly = app.synth();
  const report = JSON.parse(
    readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'),
  ) as { pluginReports: { violations?: Violation[] }[] };
  return report.pluginReports.flatMap((r) => r.violations ?? []);
}

describe('cdk-nag AwsSolutions', () => {
  it('passes for the smallest config (only the PITR choice acknowledged)', async () => {
    const config = await configFrom(STATIC_ONLY);
    const app = nagApp();
    build({ config }, { app });
    expect(nagViolations(app)).toEqual([]);
  });

  it('passes with EC2 SD, SigV4 to any workspace, a secret by name, a VPC and a topic', async () => {
    const config = await configFrom(EVERYTHING);
    const app = nagApp();
    build(
      (stack) => ({
        config,
        secretFiles: { 'tokens/app': Secret.fromSecretNameV2(stack, 'S', 'lambdascrape/app') },
        vpc: Vpc.fromVpcAttributes(stack, 'Vpc', {
          vpcId: 'vpc-0123456789abcdef0',
          availabilityZones: ['eu-west-1a'],
        }),
        vpcSubnets: { subnets: [Subnet.fromSubnetId(stack, 'S1', 'subnet-0123456789abcdef0')] },
        securityGroups: [SecurityGroup.fromSecurityGroupId(stack, 'SG', 'sg-0123456789abcdef0')],
        alarmTopic: Topic.fromTopicArn(stack, 'T', 'arn:aws:sns:eu-west-1:111122223333:alerts'),
        pointInTimeRecovery: true,
      }),
      { app },
    );
    expect(nagViolations(app)).toEqual([]);
  });

  it('passes with aws_sd_configs roles ecs, lightsail, msk, rds and elasticache on the function role', async () => {
    const config = await configFrom(`
scrape_configs:
  - job_name: tasks
    aws_sd_configs:
      - { role: ecs, region: eu-west-1 }
      - { role: lightsail, region: eu-west-1 }
      - { role: msk, region: eu-west-1 }
      - { role: rds, region: eu-west-1 }
      - { role: elasticache, region: eu-west-1 }
remote_write:
  - url: https://receiver.example.com/api/v1/write
`);
    const app = nagApp();
    build({ config }, { app });
    expect(nagViolations(app)).toEqual([]);
  });

  it('passes with the status page, IAM or no auth', async () => {
    const config = await configFrom(STATIC_ONLY);
    for (const auth of ['iam', 'none'] as const) {
      const app = nagApp();
      build({ config, statusPage: { auth } }, { app });
      expect(nagViolations(app)).toEqual([]);
    }
  });

  it('still catches what is not acknowledged (the checks really run)', async () => {
    const config = await configFrom(STATIC_ONLY);
    const app = nagApp();
    expect(() =>
      build(
        (stack) => {
          new Secret(stack, 'Unrotated');
          return { config };
        },
        { app },
      ),
    ).toThrow(/AwsSolutions-SMG4/);
  });

  it('every acknowledgement has a reason of at least a sentence', () => {
    for (const reason of Object.values(NAG_REASONS)) expect(reason.length).toBeGreaterThan(80);
  });
});

/**
 * infra/bin/app.ts: its context keys, and the app itself run as `cdk synth` runs it (a child
 * process with CDK_CONTEXT_JSON / CDK_OUTDIR, bundling skipped): an invalid config fails the
 * synth with check config's message; a valid one synthesizes with cdk-nag passing.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  AppContextError,
  readAppContext,
  scraperPropsFromContext,
} from '../../infra/app-context.js';
import { LambdaScraper } from '../../infra/lambda-scraper.js';
import { checkConfigOutput, configFrom, STATIC_ONLY, tempFolder } from './support.js';

const run = promisify(execFile);

const appWith = (context: Record<string, unknown>) =>
  new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });

describe('context keys', () => {
  it('config is required; defaults for the rest', () => {
    expect(() => readAppContext(appWith({}).node)).toThrow(/config is required/);
    const ctx = readAppContext(appWith({ config: 'p.yml' }).node);
    expect(ctx).toMatchObject({
      configPath: 'p.yml',
      stackName: 'LambdaScrape',
      secretFiles: {},
      extraFiles: [],
      subnetIds: [],
      pointInTimeRecovery: false,
      architecture: 'arm64',
      allowInlineSecrets: false,
      platformLogs: false,
      skipUnsupportedDiscovery: false,
    });
  });

  it('reads -c strings and cdk.json JSON values alike', () => {
    const fromCli = readAppContext(
      appWith({
        config: 'p.yml',
        secretFiles: '{"/run/secrets/a":"arn:aws:secretsmanager:eu-west-1:1:secret:a-AbCdEf"}',
        extraFiles: 'certs/ca.pem, more/b.pem',
        vpcId: 'vpc-1',
        subnetIds: 'subnet-1,subnet-2',
        pointInTimeRecovery: 'true',
        platformLogs: 'true',
        skipUnsupportedDiscovery: 'true',
        scraperMaxConcurrency: '200',
        architecture: 'x86_64',
      }).node,
    );
    const fromJson = readAppContext(
      appWith({
        config: 'p.yml',
        secretFiles: { '/run/secrets/a': 'arn:aws:secretsmanager:eu-west-1:1:secret:a-AbCdEf' },
        extraFiles: ['certs/ca.pem', 'more/b.pem'],
        vpcId: 'vpc-1',
        subnetIds: ['subnet-1', 'subnet-2'],
        pointInTimeRecovery: true,
        platformLogs: true,
        skipUnsupportedDiscovery: true,
        scraperMaxConcurrency: 200,
        architecture: 'x86_64',
      }).node,
    );
    expect(fromCli).toEqual(fromJson);
    expect(fromCli.subnetIds).toEqual(['subnet-1', 'subnet-2']);
    expect(fromCli.platformLogs).toBe(true);
    expect(fromCli.skipUnsupportedDiscovery).toBe(true);
  });

  it.each([
    [{ secretFiles: '{not json' }, /secretFiles must be a JSON object/],
    [{ secretFiles: '["a"]' }, /secretFiles must be a JSON object of non-empty strings/],
    [{ vpcId: 'vpc-1' }, /vpcId needs subnetIds/],
    [{ subnetIds: 'subnet-1' }, /subnetIds and securityGroupIds need vpcId/],
    [{ pointInTimeRecovery: 'yes' }, /pointInTimeRecovery must be true or false/],
    [{ platformLogs: 'on' }, /platformLogs must be true or false/],
    [{ skipUnsupportedDiscovery: 'yes' }, /skipUnsupportedDiscovery must be true or false/],
    [{ scraperMaxConcurrency: '-3' }, /scraperMaxConcurrency must be a positive integer/],
    [{ logRetentionDays: '31' }, /logRetentionDays 31 is not a CloudWatch Logs retention value/],
    [{ architecture: 'arm' }, /architecture must be arm64 or x86_64/],
    [{ statusPage: 'public' }, /statusPage must be iam or none/],
  ])('rejects %o', (context, message) => {
    expect(() => readAppContext(appWith({ config: 'p.yml', ...context }).node)).toThrow(
      AppContextError,
    );
    expect(() => readAppContext(appWith({ config: 'p.yml', ...context }).node)).toThrow(message);
  });

  it('platformLogs reaches the functions’ logging config', async () => {
    const config = await configFrom(STATIC_ONLY);
    const loggingOf = (context: Record<string, unknown>) => {
      const app = appWith({ config: 'unused', ...context });
      const stack = new Stack(app, 'S');
      new LambdaScraper(
        stack,
        'Scraper',
        scraperPropsFromContext(stack, readAppContext(app.node), config),
      );
      return Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map(
        (fn) => fn.Properties.LoggingConfig.LogFormat as string | undefined,
      );
    };
    expect(loggingOf({})).toEqual(['JSON', 'JSON', 'JSON', 'JSON']);
    expect(loggingOf({ platformLogs: 'true' })).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('statusPage=iam|none adds the status page function with that URL auth', async () => {
    const config = await configFrom(STATIC_ONLY);
    const urlAuth = (context: Record<string, unknown>) => {
      const app = appWith({ config: 'unused', ...context });
      const stack = new Stack(app, 'S');
      new LambdaScraper(
        stack,
        'Scraper',
        scraperPropsFromContext(stack, readAppContext(app.node), config),
      );
      return Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Url')).map(
        (u) => u.Properties.AuthType as string,
      );
    };
    expect(urlAuth({})).toEqual([]);
    expect(urlAuth({ statusPage: 'iam' })).toEqual(['AWS_IAM']);
    expect(urlAuth({ statusPage: 'none' })).toEqual(['NONE']);
  });

  it('turns ARNs and names into secrets, subnets and groups into a VPC placement', async () => {
    const config = await configFrom(
      STATIC_ONLY.replace(
        '  - url: https://receiver.example.com/api/v1/write\n',
        '  - url: https://receiver.example.com/api/v1/write\n    basic_auth: { username: u, password_file: /run/secrets/a }\n',
      ).replace(
        '  - job_name: web\n',
        '  - job_name: web\n    bearer_token_file: /run/secrets/b\n',
      ),
    );
    const app = appWith({
      config: 'unused',
      secretFiles: {
        '/run/secrets/a': 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:a-AbCdEf',
        '/run/secrets/b': 'lambdascrape/b',
      },
      vpcId: 'vpc-0123456789abcdef0',
      subnetIds: 'subnet-0123456789abcdef0,subnet-0123456789abcdef1',
      securityGroupIds: 'sg-0123456789abcdef0',
      alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:alerts',
      logRetentionDays: '7',
      scrapeLeadMs: '700',
    });
    const ctx = readAppContext(app.node);
    const stack = new Stack(app, 'S');
    new LambdaScraper(stack, 'Scraper', scraperPropsFromContext(stack, ctx, config));
    const t = Template.fromStack(stack);
    t.allResourcesProperties('AWS::Lambda::Function', {
      VpcConfig: {
        SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
        SecurityGroupIds: ['sg-0123456789abcdef0'],
      },
    });
    t.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    t.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SCRAPE_LEAD_MS: '700' }) },
    });
    t.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: ['arn:aws:sns:eu-west-1:111122223333:alerts'],
    });
    const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('arn:aws:secretsmanager:eu-west-1:111122223333:secret:a-AbCdEf');
    expect(policies).toContain(':secret:lambdascrape/b-??????');
  });
});

/** Runs infra/bin/app.ts as the CDK CLI would, without bundling. */
async function synthApp(context: Record<string, unknown>) {
  const outdir = mkdtempSync(join(tmpdir(), 'lambdascrape-app-'));
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    CDK_OUTDIR: outdir,
    CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }),
  };
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'infra/bin/app.ts'], {
      env,
      timeout: 120_000,
    });
    return { code: 0, stderr: r.stderr, outdir };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '', outdir };
  }
}

describe('infra/bin/app.ts', () => {
  it('an invalid config fails the synth with check config’s message', async () => {
    const path = join(
      tempFolder({ 'bad.yml': 'scrape_configs:\n  - job_name: a\n    bogus: 1\n' }),
      'bad.yml',
    );
    const check = await checkConfigOutput(path);
    const r = await synthApp({ config: path });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(check.stderr.trimEnd());
    expect(existsSync(join(r.outdir, 'LambdaScrape.template.json'))).toBe(false);
  });

  it('the AMP + EC2 example synthesizes offline, with cdk-nag passing', async () => {
    const r = await synthApp({ config: 'examples/aws/amp-sigv4-ec2.yml', stackName: 'Example' });
    expect(r.stderr).not.toMatch(/ERROR|AwsSolutions/);
    expect(r.code).toBe(0);
    const template = JSON.parse(readFileSync(join(r.outdir, 'Example.template.json'), 'utf8'));
    const t = Template.fromJSON(template);
    t.resourceCountIs('AWS::Lambda::Function', 4);
    // The default: no START/END/REPORT lines ingested.
    t.allResourcesProperties('AWS::Lambda::Function', {
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', SystemLogLevel: 'WARN' }),
    });
    t.hasOutput('DeploymentId', { Value: 'Example/Scraper' });
    const report = JSON.parse(readFileSync(join(r.outdir, 'validation-report.json'), 'utf8'));
    expect(
      report.pluginReports.flatMap((p: { violations?: unknown[] }) => p.violations ?? []),
    ).toEqual([]);
  });
});

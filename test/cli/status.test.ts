/**
 * `lambdascrape status` against a deployment's tables on dynalite, found through a CloudFormation
 * stand-in that speaks the Query protocol (test/support/cloudformation-server.ts), with the real
 * SDK clients and the SDK's default credential chain.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DynamoDbDroppedTargetsStore,
  DynamoDbTargetHealthStore,
} from '../../src/aws/dynamodb-health-store.js';
import { DynamoDbTargetStore } from '../../src/aws/dynamodb-target-store.js';
import { DynamoDbWindowLedger } from '../../src/aws/dynamodb-window-ledger.js';
import { ago } from '../../src/cli/status.js';
import { DroppedTargetsRecorder, droppedSummary } from '../../src/pipeline/dropped-targets.js';
import type { Target } from '../../src/targets/types.js';
import { runCliCaptured } from '../support/captured-cli.js';
import {
  type CloudFormationStandIn,
  startCloudFormation,
} from '../support/cloudformation-server.js';
import { createTable, type Dynalite, KEY_SCHEMAS, startDynalite } from '../support/dynalite.js';

let db: Dynalite;
let dynamo: DynamoDBClient;
let cfn: CloudFormationStandIn;

beforeAll(async () => {
  db = await startDynalite();
  dynamo = db.client();
  cfn = await startCloudFormation();
});
afterAll(async () => {
  await cfn?.close();
  await db?.stop();
});
beforeEach(() => {
  // The SDK's default chain: credentials from the environment, as a user's shell has them.
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
});
afterEach(() => {
  vi.unstubAllEnvs();
  cfn.recorded.length = 0;
});

function target(id: string, job: string, url: string, instance: string, offsetMs = 0): Target {
  const labels = [
    { name: 'instance', value: instance },
    { name: 'job', value: job },
  ];
  return {
    id,
    job,
    url,
    labels,
    publicLabels: labels,
    discoveredLabels: [{ name: '__address__', value: instance }],
    intervalMs: 15_000,
    timeoutMs: 10_000,
    offsetMs,
  };
}

const NODE = target('0a00000000000001', 'node', 'http://10.0.0.1:9100/metrics', '10.0.0.1:9100');
const SECRET = target(
  'f100000000000002',
  'api',
  'https://alice:hunter22@api.example:8443/metrics?token=t0ps3cret&module=http_2xx',
  'api.example:8443',
  2_000,
);
const NEW = target('5500000000000003', 'node', 'http://10.0.0.2:9100/metrics', '10.0.0.2:9100');

/** A deployment's two tables, filled as its functions would fill them, behind stack `name`. */
async function deployment(name: string) {
  const targetsTable = `targets-${randomUUID()}`;
  const stateTable = `state-${randomUUID()}`;
  await createTable(dynamo, targetsTable, KEY_SCHEMAS.targets);
  await createTable(dynamo, stateTable, KEY_SCHEMAS.state);
  await new DynamoDbTargetStore(dynamo, targetsTable).apply({
    put: [NODE, SECRET, NEW],
    remove: [],
  });
  const health = new DynamoDbTargetHealthStore(dynamo, stateTable);
  const now = Date.now();
  await health.put(NODE.id, {
    up: true,
    sinceMs: now - 3_600_000,
    slotMs: now - 3_600_000,
    error: '',
    durationSeconds: 0.012,
    latenessMs: 4,
  });
  await health.put(SECRET.id, {
    up: false,
    sinceMs: now - 300_000,
    slotMs: now - 300_000,
    error:
      'Get "https://api.example:8443/metrics?token=xxxxx&module=http_2xx": context deadline exceeded',
    durationSeconds: 10.001,
    latenessMs: 12,
  });
  // A record of a target no longer in the targets table: not shown.
  await health.put('e000000000000009', { ...(await health.getMany([NODE.id])).get(NODE.id)! });
  await new DroppedTargetsRecorder(new DynamoDbDroppedTargetsStore(dynamo, stateTable), {
    warn: () => {},
  }).record([
    droppedSummary('node', 2, [
      [
        { name: '__address__', value: 'bob:pw@10.0.0.9:9100' },
        { name: '__meta_role', value: 'db' },
      ],
    ]),
  ]);
  await new DynamoDbWindowLedger(dynamo, stateTable, { ttlSeconds: 3600 }).claim(
    Math.floor(now / 60_000) * 60_000,
    0,
  );
  cfn.stacks.set(name, { TargetsTableName: targetsTable, StateTableName: stateTable });
  return { targetsTable, stateTable };
}

function status(args: string[], env: Record<string, string> = {}) {
  return runCliCaptured(['status', ...args], {
    env: {
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_CLOUDFORMATION: cfn.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      ...env,
    },
  });
}

describe('lambdascrape status', () => {
  it('--json: every target with its health, last slot, error; dropped targets; URLs redacted', async () => {
    await deployment('prod');
    const before = Date.now();
    const r = await status(['--stack', 'prod', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // One signed DescribeStacks for the stack.
    expect(cfn.recorded).toEqual([
      {
        fields: expect.objectContaining({ Action: 'DescribeStacks', StackName: 'prod' }),
        signed: true,
      },
    ]);
    const doc = JSON.parse(r.out);
    expect(doc.deployment).toBe('prod');
    expect(Date.parse(doc.lastPlannedWindow)).toBe(Math.floor(before / 60_000) * 60_000);
    expect(doc.targets.map((t: { job: string; health: string }) => [t.job, t.health])).toEqual([
      ['api', 'down'],
      ['node', 'up'],
      ['node', 'unknown'],
    ]);
    const [api, node, fresh] = doc.targets;
    expect(api.url).toBe('https://api.example:8443/metrics?token=xxxxx&module=http_2xx');
    expect(api.lastError).toContain('context deadline exceeded');
    expect(api.durationSeconds).toBe(10.001);
    expect(api.latenessSeconds).toBe(0.012);
    expect(api.scrapeIntervalSeconds).toBe(15);
    // The last slot of the schedule: at the target's phase, within one interval before now.
    const last = Date.parse(api.lastSlot);
    expect(last % 15_000).toBe(2_000);
    expect(before - last).toBeLessThan(15_000 + 1_000);
    expect(node).toMatchObject({ url: 'http://10.0.0.1:9100/metrics', lastError: '' });
    expect(fresh).toMatchObject({ health: 'unknown', since: null, lastError: null });
    expect(doc.dropped).toEqual([
      {
        job: 'node',
        count: 2,
        discoveredLabels: [{ __address__: '10.0.0.9:9100', __meta_role: 'db' }],
      },
    ]);
    // Nothing secret anywhere in the output.
    for (const secret of ['hunter22', 't0ps3cret', 'alice', 'bob:pw']) {
      expect(r.out).not.toContain(secret);
    }
  });

  it('the table for a terminal; --job and --health filter', async () => {
    await deployment('table');
    const r = await status(['--stack', 'table']);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(
      /^table: 3 targets \(1 down, 1 up, 1 unknown\); last window planned \d\d:\d\d:00 UTC$/,
    );
    expect(lines[2]).toMatch(/^JOB +URL +HEALTH +SINCE +LAST SLOT +DURATION +LATENESS +ERROR$/);
    expect(lines[3]).toMatch(
      /^api +https:\/\/api\.example:8443\/metrics\?token=xxxxx&module=http_2xx +down +5m0s ago +\d+s ago +10\.001s +12ms +Get .*context deadline exceeded$/,
    );
    expect(lines[4]).toMatch(/^node +http:\/\/10\.0\.0\.1:9100\/metrics +up +1h0m ago/);
    expect(r.out).toContain('  node: 2 dropped (1 not shown)\n');
    expect(r.out).toContain('    {__address__="10.0.0.9:9100", __meta_role="db"}\n');
    expect(r.out).not.toContain('hunter22');

    const down = await status(['--stack', 'table', '--health', 'down', '--json']);
    expect(JSON.parse(down.out).targets.map((t: { job: string }) => t.job)).toEqual(['api']);
    const node = await status(['--stack', 'table', '--job', 'node', '--json']);
    expect(JSON.parse(node.out).targets).toHaveLength(2);
  });

  it('--targets-table and --state-table need no CloudFormation', async () => {
    const { targetsTable, stateTable } = await deployment('direct');
    const r = await status([
      '--targets-table',
      targetsTable,
      '--state-table',
      stateTable,
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).targets).toHaveLength(3);
    expect(cfn.recorded).toEqual([]);
  });

  it('a stack that does not exist, or is no lambdascrape stack: exit 1 and why', async () => {
    const missing = await status(['--stack', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('stack nope not found: Stack with id nope does not exist');
    cfn.stacks.set('other', { BucketName: 'b' });
    const other = await status(['--stack', 'other']);
    expect(other.code).toBe(1);
    expect(other.err).toContain('stack other has no output TargetsTableName or StateTableName');
    const down = await status(['--stack', 'x'], {
      AWS_ENDPOINT_URL_CLOUDFORMATION: 'http://127.0.0.1:1',
    });
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/^lambdascrape status: DescribeStacks of x failed: .*ECONNREFUSED/);
  });

  it('no dispatcher window: the first line says nothing is being scraped', async () => {
    const { targetsTable } = await deployment('idle');
    const stateTable = `state-${randomUUID()}`;
    await createTable(dynamo, stateTable, KEY_SCHEMAS.state);
    const r = await status(['--targets-table', targetsTable, '--state-table', stateTable]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toContain(
      'the dispatcher planned no window in the last 5 minutes: nothing is being scraped',
    );
  });

  it('usage: neither --stack nor both tables, an unknown --health; --help', async () => {
    expect((await status([])).code).toBe(2);
    expect((await status(['--targets-table', 'x'])).code).toBe(2);
    const bad = await status(['--stack', 'x', '--health', 'sick']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--health must be one of up, down, unknown, got "sick"');
    const help = await status(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: lambdascrape status \[options\]/);
    for (const m of ['--stack NAME', '--targets-table TABLE', '--json', 'LAST SLOT']) {
      expect(help.out).toContain(m);
    }
  });

  it('ago', () => {
    expect(ago(12_345)).toBe('12s ago');
    expect(ago(303_000)).toBe('5m3s ago');
    expect(ago(7_440_000)).toBe('2h4m ago');
    expect(ago(-2_000)).toBe('in 2s');
  });
});

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbTargetStore } from '../../src/aws/dynamodb-target-store.js';
import { SqsTaskQueue } from '../../src/aws/sqs-task-queue.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { getLabel } from '../../src/model/labels.js';
import {
  DISCOVERY_RUN_ERROR_CODES,
  DiscoveryRun,
  retireTaskFor,
} from '../../src/pipeline/discovery.js';
import { windowFor } from '../../src/pipeline/plan.js';
import type { ScrapeTask, TaskQueue } from '../../src/ports.js';
import { nextScrapeTime } from '../../src/targets/index.js';
import type { Target } from '../../src/targets/types.js';
import { createTable, type Dynalite, KEY_SCHEMAS, startDynalite } from '../support/dynalite.js';
import { createQueue, type LocalSqs, startLocalSqs } from '../support/fauxqs.js';

let db: Dynalite;
let client: DynamoDBClient;
let sqs: LocalSqs;
let dir: string;
/** DynamoDB commands sent, by name (counted on the real client). */
const commands: string[] = [];

beforeAll(async () => {
  [db, sqs] = await Promise.all([startDynalite(), startLocalSqs()]);
  client = db.client();
  client.middlewareStack.add(
    (next, context) => (args) => {
      commands.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  dir = await mkdtemp(join(tmpdir(), 'lambdascrape-discovery-'));
});
afterAll(async () => {
  await Promise.all([db?.stop(), sqs?.stop()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** The real SQS adapter, recording what it was asked to send (delays of minutes). */
class RecordingQueue implements TaskQueue {
  readonly sent: { task: ScrapeTask; delaySeconds: number }[] = [];
  constructor(readonly inner: SqsTaskQueue) {}
  async send(tasks: readonly { task: ScrapeTask; delaySeconds: number }[]): Promise<void> {
    await this.inner.send(tasks);
    this.sent.push(...tasks);
  }
}

interface Setup {
  readonly store: DynamoDbTargetStore;
  readonly queue: RecordingQueue;
  readonly config: Config;
  readonly file: string;
  readonly clock: { now: number };
}

async function setup(fileBody: unknown): Promise<Setup> {
  const name = `t-${randomUUID()}`;
  await createTable(client, name, KEY_SCHEMAS.targets);
  const q = await createQueue(sqs.client);
  const sub = join(dir, randomUUID());
  const file = `${sub}-nodes.json`;
  await writeFile(file, JSON.stringify(fileBody));
  const configPath = `${sub}-prometheus.yml`;
  const config = loadConfig(
    [
      'global:',
      '  scrape_interval: 15s',
      '  external_labels: {region: eu}',
      'scrape_configs:',
      '  - job_name: static',
      '    static_configs:',
      "      - targets: ['a:9100', 'b:9100']",
      '        labels: {team: x}',
      '  - job_name: files',
      '    scrape_interval: 45s',
      '    file_sd_configs:',
      `      - files: ['${file}']`,
      '        refresh_interval: 5m',
    ].join('\n'),
    { sourcePath: configPath },
  );
  return {
    store: new DynamoDbTargetStore(client, name),
    queue: new RecordingQueue(new SqsTaskQueue(sqs.client, q.url)),
    config,
    file,
    clock: { now: Date.UTC(2026, 0, 1, 12, 0, 7) },
  };
}

function runner(s: Setup): DiscoveryRun {
  return new DiscoveryRun({
    config: s.config,
    targets: s.store,
    queue: s.queue,
    deploymentId: 'lambdascrape-test-stack',
    clock: () => s.clock.now,
  });
}

const FIVE_MINUTES = 5 * 60_000;

function groups(rack: string, hosts = ['n1:9100', 'n2:9100']) {
  return [
    { targets: hosts, labels: { env: 'prod' } },
    { targets: ['n3:9100'], labels: { env: 'prod', __meta_rack: rack } },
  ];
}

const instances = (ts: readonly Target[]) =>
  ts.map((t) => getLabel(t.publicLabels, 'instance')).sort();

describe('DiscoveryRun', () => {
  it('adds, leaves unchanged, changes and removes targets; retires the removed', async () => {
    const s = await setup(groups('r1'));
    const run = runner(s);

    const first = await run.run();
    expect(first).toMatchObject({ added: 5, changed: 0, removed: 0, unchanged: 0, errors: [] });
    const stored = await s.store.list();
    expect(instances(stored)).toEqual(['a:9100', 'b:9100', 'n1:9100', 'n2:9100', 'n3:9100']);
    expect(stored.find((t) => t.job === 'files')?.intervalMs).toBe(45_000);

    // Same config, same file: nothing written, nothing enqueued.
    const writes = commands.filter((c) => c === 'BatchWriteItemCommand').length;
    s.clock.now += FIVE_MINUTES;
    const second = await run.run();
    expect(second).toMatchObject({ added: 0, changed: 0, removed: 0, unchanged: 5 });
    expect(commands.filter((c) => c === 'BatchWriteItemCommand').length).toBe(writes);
    expect(s.queue.sent).toEqual([]);

    // A discovered-only label (__meta_*) changes: same id, new stored fields.
    await writeFile(s.file, JSON.stringify(groups('r2')));
    s.clock.now += FIVE_MINUTES;
    expect(await run.run()).toMatchObject({ added: 0, changed: 1, removed: 0, unchanged: 4 });
    const n3 = (await s.store.list()).find(
      (t) => getLabel(t.publicLabels, 'instance') === 'n3:9100',
    );
    expect(getLabel(n3!.discoveredLabels, '__meta_rack')).toBe('r2');

    // n2 goes away: removed, and one retire task for it.
    await writeFile(s.file, JSON.stringify(groups('r2', ['n1:9100'])));
    s.clock.now += FIVE_MINUTES;
    const n2 = (await s.store.list()).find(
      (t) => getLabel(t.publicLabels, 'instance') === 'n2:9100',
    )!;
    expect(await run.run()).toMatchObject({ added: 0, changed: 0, removed: 1, unchanged: 4 });
    expect(instances(await s.store.list())).toEqual(['a:9100', 'b:9100', 'n1:9100', 'n3:9100']);
    expect(s.queue.sent).toHaveLength(1);
    expect(s.queue.inner.counters.messagesSent).toBe(1);
    const { task, delaySeconds } = s.queue.sent[0]!;
    expect(task.kind).toBe('retire');
    if (task.kind !== 'retire') return;
    expect(task.target).toEqual(n2);
    // One interval after the last slot a dispatcher may already have planned (§8.3).
    const horizon = windowFor(s.clock.now, 60_000).endMs;
    expect(task.staleTimeMs).toBe(nextScrapeTime(n2, horizon));
    expect(task.staleTimeMs).toBeGreaterThanOrEqual(horizon);
    expect(task.staleTimeMs - horizon).toBeLessThan(n2.intervalMs);
    expect(s.clock.now + delaySeconds * 1000).toBeGreaterThanOrEqual(task.staleTimeMs);
    expect(delaySeconds).toBeLessThanOrEqual(900);

    // A broken file keeps its previous targets: an error, no removal, nothing written.
    await writeFile(s.file, '[{"targets": ');
    s.clock.now += FIVE_MINUTES;
    const broken = await run.run();
    expect(broken).toMatchObject({ added: 0, changed: 0, removed: 0, unchanged: 4 });
    expect(broken.errors.length).toBeGreaterThan(0);
    expect(s.queue.sent).toHaveLength(1);
    expect(instances(await s.store.list())).toEqual(['a:9100', 'b:9100', 'n1:9100', 'n3:9100']);

    // A cold instance whose file is broken has no previous groups: it must not remove them.
    const cold = await runner(s).run();
    expect(cold).toMatchObject({ added: 0, removed: 0, unchanged: 2, kept: 2 });
    expect(instances(await s.store.list())).toEqual(['a:9100', 'b:9100', 'n1:9100', 'n3:9100']);
    await run.close();
  });

  it('a public label change is a new identity: one removal (retired) and one addition', async () => {
    const s = await setup(groups('r1'));
    const run = runner(s);
    await run.run();
    await writeFile(
      s.file,
      JSON.stringify([
        ...groups('r1', ['n1:9100']),
        { targets: ['n2:9100'], labels: { env: 'dev' } },
      ]),
    );
    s.clock.now += FIVE_MINUTES;
    expect(await run.run()).toMatchObject({ added: 1, changed: 0, removed: 1, unchanged: 4 });
    expect(s.queue.sent.map((p) => p.task.kind)).toEqual(['retire']);
  });

  it('retire delay is capped at 900 s for long intervals', () => {
    const t: Target = {
      id: '0000000000000001',
      job: 'j',
      url: 'http://x/metrics',
      labels: [],
      publicLabels: [],
      discoveredLabels: [],
      intervalMs: 3_600_000,
      timeoutMs: 10_000,
      offsetMs: 3_599_000,
    };
    const { task, delaySeconds } = retireTaskFor(t, 0, 60_000);
    expect(task.staleTimeMs).toBe(3_599_000);
    expect(delaySeconds).toBe(900);
  });

  it('rejects an empty deployment identity', async () => {
    const s = await setup([]);
    expect(() => new DiscoveryRun({ ...runnerOptions(s), deploymentId: ' ' })).toThrow(
      expect.objectContaining({ code: DISCOVERY_RUN_ERROR_CODES.invalidOptions }),
    );
  });
});

function runnerOptions(s: Setup) {
  return { config: s.config, targets: s.store, queue: s.queue, deploymentId: 'x' };
}

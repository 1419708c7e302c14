import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTask } from '../../src/aws/task-codec.js';
import type { LogFields } from '../../src/local/logger.js';
import { createLogger } from '../../src/local/logger.js';
import { readServerlessEnv } from '../../src/serverless/env.js';
import { handleScrapeBatch } from '../../src/serverless/handlers.js';
import { createRuntime, type ServerlessRuntime } from '../../src/serverless/runtime.js';
import type { Target } from '../../src/targets/types.js';
import { createTable, type Dynalite, KEY_SCHEMAS, startDynalite } from '../support/dynalite.js';
import { createQueue, type LocalSqs, startLocalSqs } from '../support/fauxqs.js';

function target(job: string, id: string): Target {
  const labels = [
    { name: 'instance', value: '127.0.0.1:1' },
    { name: 'job', value: job },
  ];
  return {
    job,
    url: 'http://127.0.0.1:1/metrics',
    labels,
    publicLabels: labels,
    discoveredLabels: [],
    intervalMs: 60_000,
    timeoutMs: 1_000,
    offsetMs: 0,
    id,
  };
}

describe('handleScrapeBatch', () => {
  let dir: string;
  let dynamo: Dynalite;
  let sqs: LocalSqs;
  let runtime: ServerlessRuntime;
  const lines: (LogFields & { msg: string; level: string })[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ls-handlers-'));
    const configPath = join(dir, 'prometheus.yml');
    await writeFile(
      configPath,
      'scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ["127.0.0.1:1"]\n',
    );
    dynamo = await startDynalite();
    sqs = await startLocalSqs();
    await createTable(dynamo.client(), 'targets', KEY_SCHEMAS.targets);
    const scrape = await createQueue(sqs.client);
    const outbox = await createQueue(sqs.client);
    const env = readServerlessEnv({
      LAMBDASCRAPE_CONFIG: configPath,
      TARGETS_TABLE: 'targets',
      // Never created: every state read fails, which the worker reports as retryable.
      STATE_TABLE: 'missing-state-table',
      SCRAPE_QUEUE_URL: scrape.url,
      OUTBOX_QUEUE_URL: outbox.url,
      DEPLOYMENT_ID: 'test',
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      SQS_ENDPOINT: sqs.endpoint,
    });
    runtime = await createRuntime(env, {
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      logger: createLogger({ format: 'json', write: (l) => lines.push(JSON.parse(l)) }),
      configEnv: {},
    });
  });

  afterAll(async () => {
    await runtime?.close();
    await sqs?.stop();
    await dynamo?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports exactly the retryable records as batch item failures', async () => {
    const now = Date.now();
    const records = [
      { messageId: 'malformed', body: '{"v":1,' },
      {
        messageId: 'unknown-job',
        body: encodeTask({
          kind: 'scrape',
          slotMs: now,
          targets: [target('gone', 'a'.repeat(16))],
        }),
      },
      {
        messageId: 'state-read-fails',
        body: encodeTask({
          kind: 'scrape',
          slotMs: now,
          targets: [target('node', 'b'.repeat(16))],
        }),
      },
    ];
    const response = await handleScrapeBatch(
      runtime,
      { Records: records },
      { getRemainingTimeInMillis: () => 30_000 },
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'state-read-fails' }] });

    const byId = (id: string) => lines.filter((l) => l.messageId === id);
    expect(byId('malformed')).toMatchObject([
      {
        level: 'error',
        msg: expect.stringContaining('not retried'),
        err: expect.stringContaining('(TASK_MALFORMED)'),
      },
    ]);
    expect(byId('unknown-job')).toMatchObject([{ msg: 'task done', kind: 'scrape', skipped: 1 }]);
    expect(byId('state-read-fails')).toMatchObject([
      {
        level: 'warn',
        msg: expect.stringContaining('deliver it again'),
        err: expect.stringContaining('(SCRAPER_STATE_READ)'),
      },
    ]);
  });

  it('an empty batch has no failures', async () => {
    const response = await handleScrapeBatch(
      runtime,
      { Records: [] },
      { getRemainingTimeInMillis: () => 30_000 },
    );
    expect(response).toEqual({ batchItemFailures: [] });
  });
});

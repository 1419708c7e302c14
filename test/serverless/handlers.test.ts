import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeParkedWrite, encodeParkedWrite } from '../../src/aws/sqs-outbox.js';
import { encodeTask } from '../../src/aws/task-codec.js';
import { EMF_DIMENSION, EMF_METRICS, EMF_NAMESPACE } from '../../src/contract.js';
import { OutboxReplayer } from '../../src/pipeline/outbox-replayer.js';
import type { ParkedWrite } from '../../src/ports.js';
import { createRuntime, type ServerlessRuntime } from '../../src/serverless/all-functions.js';
import { handleDispatch } from '../../src/serverless/dispatcher.js';
import { handleOutboxBatch } from '../../src/serverless/outbox.js';
import { handleScrapeBatch } from '../../src/serverless/scraper.js';
import type { Target } from '../../src/targets/types.js';
import {
  type DecodedWriteRequest,
  reply,
  startReceiver,
  type TestReceiver,
} from '../remotewrite/wire.js';
import { createTable, type Dynalite, KEY_SCHEMAS, startDynalite } from '../support/dynalite.js';
import { createQueue, type LocalSqs, startLocalSqs } from '../support/fauxqs.js';
import {
  type LogLine,
  localRuntimeOptions,
  localServerlessEnv,
} from '../support/serverless-env.js';

/** A target whose labels (and so its series stream) are its own: the instance names its id. */
function target(job: string, id: string): Target {
  const labels = [
    { name: 'instance', value: `127.0.0.1:1/${id}` },
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
  const lines: LogLine[] = [];

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
    const env = localServerlessEnv(
      { dynamo, sqs },
      {
        LAMBDASCRAPE_CONFIG: configPath,
        // Never created: every state read fails, which the worker reports as retryable.
        STATE_TABLE: 'missing-state-table',
        SCRAPE_QUEUE_URL: scrape.url,
        OUTBOX_QUEUE_URL: outbox.url,
      },
    );
    runtime = await createRuntime(env, localRuntimeOptions(lines, { level: 'debug' }));
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
    expect(byId('unknown-job')).toMatchObject([
      {
        // Not scraped: worth a look, so at info.
        level: 'info',
        msg: 'scrape',
        job: 'gone',
        target: 'a'.repeat(16),
        outcome: 'skipped',
        reason: 'unknown-job',
      },
      { level: 'debug', msg: 'task done', kind: 'scrape', skipped: 1 },
    ]);
    expect(byId('state-read-fails')).toMatchObject([
      {
        level: 'warn',
        msg: expect.stringContaining('deliver it again'),
        err: expect.stringContaining('(SCRAPER_STATE_READ)'),
      },
    ]);
    // The failed state read retries against the missing table for 8–30 s on a busy machine.
  }, 60_000);

  it('an empty batch has no failures', async () => {
    const response = await handleScrapeBatch(
      runtime,
      { Records: [] },
      { getRemainingTimeInMillis: () => 30_000 },
    );
    expect(response).toEqual({ batchItemFailures: [] });
  });
});

/** The requests that are not self-metrics (those decode; a replayed test body does not). */
function replayed(receiver: TestReceiver) {
  return receiver.requests.filter((r) => !isSelfMetrics(r.decoded));
}

function isSelfMetrics(decoded: DecodedWriteRequest | undefined): boolean {
  return (decoded?.timeseries ?? []).some((s) =>
    s.labels.some((l) => l.name === 'job' && l.value === 'lambdascrape'),
  );
}

describe('handleOutboxBatch', () => {
  let dir: string;
  let dynamo: Dynalite;
  let sqs: LocalSqs;
  let up: TestReceiver;
  let down: TestReceiver;
  let dlqUrl: string;
  let outboxUrl: string;
  let runtime: ServerlessRuntime;
  const lines: LogLine[] = [];
  const context = { getRemainingTimeInMillis: () => 2_000 };

  function write(remoteWrite: string, overrides: Partial<ParkedWrite> = {}): ParkedWrite {
    return {
      remoteWrite,
      body: new Uint8Array([1, 2, 3]),
      samples: 5,
      firstParkedMs: Date.now(),
      stream: '0123456789abcdef',
      slotMs: 1_700_000_000_000,
      part: 0,
      ...overrides,
    };
  }

  async function receive(url: string, count: number) {
    const r = await sqs.client.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    expect(r.Messages ?? []).toHaveLength(count);
    return r.Messages ?? [];
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ls-outbox-handler-'));
    up = await startReceiver();
    down = await startReceiver();
    down.respond(...Array.from({ length: 1_000 }, () => reply(503, 'maintenance')));
    const configPath = join(dir, 'prometheus.yml');
    await writeFile(
      configPath,
      [
        'remote_write:',
        `  - { name: up, url: "${up.url}" }`,
        `  - name: down`,
        `    url: "${down.url}"`,
        '    queue_config: { min_backoff: 10ms, max_backoff: 20ms }',
        'scrape_configs: []',
        '',
      ].join('\n'),
    );
    dynamo = await startDynalite();
    sqs = await startLocalSqs();
    outboxUrl = (await createQueue(sqs.client, undefined, { fifo: true })).url;
    dlqUrl = (await createQueue(sqs.client, undefined, { fifo: true })).url;
    const env = localServerlessEnv(
      { dynamo, sqs },
      {
        LAMBDASCRAPE_CONFIG: configPath,
        SCRAPE_QUEUE_URL: (await createQueue(sqs.client)).url,
        OUTBOX_QUEUE_URL: outboxUrl,
        OUTBOX_DLQ_URL: dlqUrl,
        OUTBOX_MAX_AGE: '1m',
      },
    );
    runtime = await createRuntime(
      env,
      localRuntimeOptions(lines, {
        level: 'debug',
        // The self-metrics go to `up` and `down` too: a short budget keeps `down` from slowing
        // the tests; `replayed` below leaves them out.
        selfMetrics: { writeEmf: () => {}, writeBudgetMs: 50 },
      }),
    );
  });

  afterAll(async () => {
    await runtime?.close();
    await up?.close();
    await down?.close();
    await sqs?.stop();
    await dynamo?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers and dead-letters through the runtime; a failing group waits behind its head', async () => {
    const delivered = write('up');
    const group = (w: ParkedWrite) => ({ MessageGroupId: `${w.remoteWrite}.${w.stream}` });
    const failing = write('down', { stream: 'aaaaaaaaaaaaaaaa' });
    const behind = write('down', { stream: 'aaaaaaaaaaaaaaaa', slotMs: 1_700_000_010_000 });
    const records = [
      { messageId: 'delivered', body: encodeParkedWrite(delivered), attributes: group(delivered) },
      { messageId: 'malformed', body: 'garbage', attributes: { MessageGroupId: 'g-malformed' } },
      { messageId: 'unknown', body: encodeParkedWrite(write('removed')) },
      // OUTBOX_MAX_AGE is 1m: two minutes old and still failing → expired.
      {
        messageId: 'expired',
        body: encodeParkedWrite(
          write('down', { stream: 'bbbbbbbbbbbbbbbb', firstParkedMs: Date.now() - 120_000 }),
        ),
      },
      {
        messageId: 'failing',
        body: encodeParkedWrite(failing),
        attributes: { ...group(failing), ApproximateReceiveCount: '3' },
      },
      {
        messageId: 'behind',
        body: encodeParkedWrite(behind),
        attributes: { ...group(behind), ApproximateReceiveCount: '3' },
      },
    ];
    const response = await handleOutboxBatch(runtime, { Records: records }, context);
    // The failing group's messages come again, in order; everything else is settled.
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: 'failing' }, { itemIdentifier: 'behind' }],
    });

    expect(replayed(up).map((r) => [...r.body])).toEqual([[...delivered.body]]);
    const byId = (id: string) => lines.filter((l) => l.messageId === id);
    expect(byId('delivered')).toMatchObject([
      { level: 'info', msg: 'outbox write done', kind: 'delivered', remoteWrite: 'up', samples: 5 },
    ]);
    expect(byId('malformed')).toMatchObject([{ kind: 'dead-lettered', reason: 'malformed' }]);
    expect(byId('unknown')).toMatchObject([
      { kind: 'dead-lettered', reason: 'unknown-remote-write', remoteWrite: 'removed' },
    ]);
    expect(byId('expired')).toMatchObject([{ kind: 'dead-lettered', reason: 'expired' }]);
    // Third receive: 40 s of backoff; the message behind it waits as long, untried.
    expect(byId('failing')).toMatchObject([
      { level: 'warn', kind: 'retry', delaySeconds: 40, tried: true },
    ]);
    expect(byId('behind')).toMatchObject([
      { level: 'info', kind: 'retry', delaySeconds: 40, tried: false },
    ]);

    const letters = await receive(dlqUrl, 3);
    const reasons = letters.map((m) => m.MessageAttributes?.reason?.StringValue).sort();
    expect(reasons).toEqual(['expired', 'malformed', 'unknown-remote-write']);
    const malformed = letters.find((m) => m.MessageAttributes?.reason?.StringValue === 'malformed');
    expect(malformed?.Body).toBe('garbage');
    const expired = letters.find((m) => m.MessageAttributes?.reason?.StringValue === 'expired');
    expect(decodeParkedWrite(expired!.Body!).remoteWrite).toBe('down');
    expect(runtime.replayer.counters).toMatchObject({
      delivered: 1,
      retried: 2,
      expired: 1,
      malformed: 1,
      unknownRemoteWrite: 1,
    });
  });

  it('keeps a retried message invisible for its backoff (ChangeMessageVisibility)', async () => {
    const w = write('down', { stream: 'cccccccccccccccc' });
    await runtime.outbox.park([w]);
    const got = await sqs.client.send(
      new ReceiveMessageCommand({
        QueueUrl: outboxUrl,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 1,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
      }),
    );
    const m = got.Messages![0]!;
    const response = await handleOutboxBatch(
      runtime,
      {
        Records: [
          {
            messageId: m.MessageId!,
            body: m.Body!,
            receiptHandle: m.ReceiptHandle!,
            attributes: {
              ApproximateReceiveCount: m.Attributes!.ApproximateReceiveCount!,
              MessageGroupId: m.Attributes!.MessageGroupId!,
            },
          },
        ],
      },
      context,
    );
    expect(response.batchItemFailures).toHaveLength(1);
    // Received with a 1 s visibility, the handler set 10 s: still invisible after 2 s.
    await new Promise((r) => setTimeout(r, 2_000));
    const again = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: outboxUrl, WaitTimeSeconds: 0 }),
    );
    expect(again.Messages ?? []).toHaveLength(0);
  });

  it('reports the records it could not settle, unexpected errors included', async () => {
    const replayer = new OutboxReplayer({
      writers: [{ name: 'broken', replay: () => Promise.reject(new Error('writer bug')) }],
      deadLetters: { send: () => Promise.reject(new Error('dead-letter queue unreachable')) },
    });
    const response = await handleOutboxBatch(
      { replayer, logger: runtime.logger },
      {
        Records: [
          { messageId: 'bug', body: encodeParkedWrite(write('broken')) },
          { messageId: 'no-dlq', body: 'garbage' },
        ],
      },
      { getRemainingTimeInMillis: () => 30_000 },
    );
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: 'bug' }, { itemIdentifier: 'no-dlq' }],
    });
    const byId = (id: string) => lines.filter((l) => l.messageId === id);
    expect(byId('bug')).toMatchObject([
      { level: 'warn', kind: 'retry', reason: 'unexpected: writer bug', tried: true },
    ]);
    expect(byId('no-dlq')).toMatchObject([
      { kind: 'retry', reason: expect.stringContaining('dead-letter queue unreachable') },
    ]);
  });

  it('an empty batch has no failures', async () => {
    expect(await handleOutboxBatch(runtime, { Records: [] }, context)).toEqual({
      batchItemFailures: [],
    });
  });
});

describe('self-monitoring through the handlers', () => {
  let dir: string;
  let dynamo: Dynalite;
  let sqs: LocalSqs;
  let receiver: TestReceiver;
  let exporter: Server;
  let port: number;
  let runtime: ServerlessRuntime;
  let outboxUrl: string;
  const lines: LogLine[] = [];
  const emf: string[] = [];
  const SECRET_PASSWORD = 'hunter2-pw';
  const SECRET_TOKEN = 's3cr3t-token';
  const INSTANCE = 'stack-Scraper-AB12:c0ffee00';

  /** The decoded self-metrics series `name` of `fn` in every request so far. */
  function selfSeries(name: string, fn: string) {
    return receiver.requests.flatMap((r) =>
      (r.decoded?.timeseries ?? []).filter((s) => {
        const get = (n: string) => s.labels.find((l) => l.name === n)?.value;
        return get('__name__') === name && get('function') === fn;
      }),
    );
  }

  /** The EMF lines of one function, parsed. */
  function emfOf(fn: string): Record<string, unknown>[] {
    return emf
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((o) => o.Function === fn);
  }

  function serverlessEnv(outboxQueueUrl: string, scrapeUrl: string) {
    return localServerlessEnv(
      { dynamo, sqs },
      {
        LAMBDASCRAPE_CONFIG: join(dir, 'prometheus.yml'),
        SCRAPE_QUEUE_URL: scrapeUrl,
        OUTBOX_QUEUE_URL: outboxQueueUrl,
        DEPLOYMENT_ID: 'test-deployment',
        AWS_LAMBDA_FUNCTION_NAME: 'stack-Scraper-AB12',
        // The EMF lines are what this suite checks; a deployment writes them only when asked.
        EMF_METRICS: 'on',
      },
    );
  }

  const runtimeOptions = () =>
    localRuntimeOptions(lines, {
      level: 'debug',
      selfMetrics: {
        writeEmf: (line: string) => emf.push(line),
        flushIntervalMs: 0,
        containerId: 'c0ffee00',
      },
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ls-self-metrics-'));
    exporter = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# TYPE app_value gauge\napp_value 7\n');
    });
    exporter.listen(0, '127.0.0.1');
    await once(exporter, 'listening');
    port = (exporter.address() as AddressInfo).port;
    receiver = await startReceiver();
    await writeFile(
      join(dir, 'prometheus.yml'),
      [
        'scrape_configs:',
        '  - job_name: node',
        '    scrape_timeout: 500ms',
        `    static_configs: [{ targets: ["127.0.0.1:${port}"] }]`,
        'remote_write:',
        `  - url: ${receiver.url}`,
        '',
      ].join('\n'),
    );
    dynamo = await startDynalite();
    sqs = await startLocalSqs();
    await createTable(dynamo.client(), 'targets', KEY_SCHEMAS.targets);
    await createTable(dynamo.client(), 'state', KEY_SCHEMAS.state);
    outboxUrl = (await createQueue(sqs.client)).url;
    const scrapeUrl = (await createQueue(sqs.client)).url;
    runtime = await createRuntime(serverlessEnv(outboxUrl, scrapeUrl), runtimeOptions());
  });

  afterAll(async () => {
    await runtime?.close();
    await receiver?.close();
    exporter?.closeAllConnections();
    await new Promise<void>((r) => (exporter ? exporter.close(() => r()) : r()));
    await sqs?.stop();
    await dynamo?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a scrape batch: one redacted `scrape` line per target, an EMF line, series to remote write', async () => {
    const withUserinfo = {
      ...target('node', 'c'.repeat(16)),
      url: `http://admin:${SECRET_PASSWORD}@127.0.0.1:${port}/metrics`,
      intervalMs: 1_000,
    };
    const withToken = {
      ...target('node', 'd'.repeat(16)),
      url: `http://127.0.0.1:${port}/metrics?token=${SECRET_TOKEN}&module=if_mib`,
      intervalMs: 1_000,
    };
    // The next whole second: both targets (interval 1 s, offset 0) have their slot there.
    const slotMs = Math.ceil(Date.now() / 1_000) * 1_000;
    const response = await handleScrapeBatch(
      runtime,
      {
        Records: [
          {
            messageId: 'task-1',
            body: encodeTask({ kind: 'scrape', slotMs, targets: [withUserinfo, withToken] }),
          },
        ],
      },
      { getRemainingTimeInMillis: () => 30_000 },
    );
    expect(response).toEqual({ batchItemFailures: [] });

    const scrapeLines = lines.filter((l) => l.msg === 'scrape' && l.messageId === 'task-1');
    expect(scrapeLines).toHaveLength(2);
    const byTarget = new Map(scrapeLines.map((l) => [l.target, l]));
    expect(byTarget.get('c'.repeat(16))).toMatchObject({
      // A good scrape is logged at debug only (at the default info level: no line).
      level: 'debug',
      job: 'node',
      url: `http://127.0.0.1:${port}/metrics`,
      outcome: 'scraped',
      slotMs,
    });
    expect(byTarget.get('d'.repeat(16))).toMatchObject({
      job: 'node',
      url: `http://127.0.0.1:${port}/metrics?token=xxxxx&module=if_mib`,
      outcome: 'scraped',
      slotMs,
      up: true,
      state: 'written',
      latenessMs: expect.any(Number),
      waitedMs: expect.any(Number),
    });
    // The handler's own lines carry neither secret (the worker's `scrape failed` line is not
    // the handler's: see src/pipeline/scraper.ts).
    const handlerLines = lines.filter(
      (l) => l.messageId === 'task-1' && (l.msg === 'scrape' || l.msg === 'task done'),
    );
    expect(handlerLines).toHaveLength(3);
    for (const l of handlerLines) {
      const text = JSON.stringify(l);
      expect(text).not.toContain(SECRET_PASSWORD);
      expect(text).not.toContain(SECRET_TOKEN);
      expect(text).not.toContain('admin');
    }

    const [line, ...more] = emfOf('scraper');
    expect(more).toEqual([]);
    const aws = (line as { _aws: { Timestamp: number; CloudWatchMetrics: unknown[] } })._aws;
    expect(aws.CloudWatchMetrics).toEqual([
      {
        Namespace: EMF_NAMESPACE,
        Dimensions: [[EMF_DIMENSION]],
        Metrics: expect.arrayContaining([
          { Name: 'Scrapes', Unit: 'Count' },
          { Name: 'ScrapeLateness', Unit: 'Milliseconds' },
          { Name: 'DynamoDbWriteUnits', Unit: 'Count' },
        ]),
      },
    ]);
    const names = (aws.CloudWatchMetrics[0] as { Metrics: { Name: string }[] }).Metrics.map(
      (m) => m.Name,
    );
    for (const name of names) {
      expect(Object.keys(EMF_METRICS)).toContain(name);
      expect(line).toHaveProperty(name);
    }
    expect(line).toMatchObject({
      Deployment: 'test-deployment',
      Function: 'scraper',
      Instance: INSTANCE,
      Scrapes: 2,
      ScrapeLateness: [expect.any(Number), expect.any(Number)],
    });
    expect(line?.DynamoDbWriteUnits).toBeGreaterThan(0);

    const scrapes = selfSeries('lambdascrape_scrapes_total', 'scraper');
    expect(scrapes.length).toBeGreaterThan(0);
    const labels = Object.fromEntries(scrapes[0]!.labels.map((l) => [l.name, l.value]));
    expect(labels).toMatchObject({ job: 'lambdascrape', instance: INSTANCE, function: 'scraper' });
    const total = scrapes.reduce((n, s) => n + s.samples[0]!.value, 0);
    expect(total).toBe(2);
    // The scrape's own samples went to the same receiver.
    expect(receiver.requests.some((r) => JSON.stringify(r.decoded).includes('app_value'))).toBe(
      true,
    );
  });

  it('the dispatcher observes the outbox depth (visible and delayed messages) on fauxqs', async () => {
    await sqs.client.send(new SendMessageCommand({ QueueUrl: outboxUrl, MessageBody: 'a' }));
    await sqs.client.send(
      new SendMessageCommand({ QueueUrl: outboxUrl, MessageBody: 'b', DelaySeconds: 60 }),
    );
    const result = await handleDispatch(runtime);
    expect(result.window.startMs).toBeGreaterThan(0);

    const [line] = emfOf('dispatcher');
    expect(line).toMatchObject({ Function: 'dispatcher', OutboxDepth: 2, TargetsPlanned: 0 });
    const depth = selfSeries('lambdascrape_outbox_messages', 'dispatcher');
    expect(depth.map((s) => s.samples[0]!.value)).toEqual([2]);
    expect(lines.some((l) => l.msg === 'outbox depth not read')).toBe(false);
  });

  it('a failed depth read is logged at warn and does not fail the dispatch', async () => {
    const missing = `${sqs.endpoint}/000000000000/no-such-queue`;
    const other = await createRuntime(
      serverlessEnv(missing, (await createQueue(sqs.client)).url),
      runtimeOptions(),
    );
    try {
      await expect(handleDispatch(other)).resolves.toMatchObject({ shard: 0 });
    } finally {
      await other.close();
    }
    expect(lines.filter((l) => l.msg === 'outbox depth not read')).toMatchObject([
      { level: 'warn', err: expect.stringContaining('SQS_QUEUE_DEPTH_FAILED') },
    ]);
  });
});

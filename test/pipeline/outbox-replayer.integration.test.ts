/**
 * The outbox end to end: a real ScrapeWorker (state in
 * dynalite, outbox in fauxqs) scrapes a local target and writes to a local backend that fails
 * for a while; the replayer, driven like Lambda's SQS poller (receive from fauxqs →
 * `handleOutboxBatch` → delete what is not a batch item failure), re-parks while the backend
 * still fails and delivers once it recovers. Then each way a write leaves the outbox for the
 * dead-letter queue, and a failed re-park that SQS must deliver again. Real SDK clients only.
 *
 * Clock: the worker and the replayer share the wall clock shifted to a fixed virtual time (for
 * slots and write ages); SQS delays and budgets are real, so the test takes a few seconds.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbScrapeStateStore } from '../../src/aws/dynamodb-state-store.js';
import {
  decodeParkedWrite,
  encodeParkedWrite,
  SqsDeadLetterQueue,
  SqsOutbox,
} from '../../src/aws/sqs-outbox.js';
import { loadConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/types.js';
import { createLogger, type LogFields, type Logger } from '../../src/log/logger.js';
import { OutboxReplayer } from '../../src/pipeline/outbox-replayer.js';
import { ScrapeWorker } from '../../src/pipeline/scraper.js';
import type { ParkedWrite } from '../../src/ports.js';
import { snappyDecompress } from '../../src/remotewrite/snappy.js';
import { RemoteWriter } from '../../src/remotewrite/writer.js';
import { handleOutboxBatch, type SqsBatchResponse } from '../../src/serverless/handlers.js';
import { buildTargets } from '../../src/targets/index.js';
import type { Target } from '../../src/targets/types.js';
import { type DecodedWriteRequest, decodeWriteRequest } from '../remotewrite/wire.js';
import { createTable, type Dynalite, KEY_SCHEMAS, startDynalite } from '../support/dynalite.js';
import { createQueue, type LocalSqs, startLocalSqs } from '../support/fauxqs.js';
import { ShiftedClock } from '../support/shifted-clock.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const INTERVAL = 10_000;
const REPORT = [
  'scrape_duration_seconds',
  'scrape_samples_post_metric_relabeling',
  'scrape_samples_scraped',
  'scrape_series_added',
  'up',
];

/**
 * A remote-write backend: `mode` says how it answers; it records the decoded requests it
 * accepted (2xx) and counts the others.
 */
interface Backend {
  readonly url: string;
  mode: 'up' | 'down' | 'reject';
  readonly accepted: DecodedWriteRequest[];
  refused: number;
  close(): Promise<void>;
}

async function startBackend(): Promise<Backend> {
  let server: Server | undefined;
  const b: Backend = {
    url: '',
    mode: 'up',
    accepted: [],
    refused: 0,
    close: () =>
      new Promise<void>((r) => {
        server?.closeAllConnections();
        server?.close(() => r());
      }),
  };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (b.mode === 'up') {
        b.accepted.push(
          decodeWriteRequest(snappyDecompress(new Uint8Array(Buffer.concat(chunks)))),
        );
        res.writeHead(204).end();
        return;
      }
      b.refused++;
      if (b.mode === 'down') res.writeHead(503).end('backend down for maintenance');
      else res.writeHead(400).end('out of order sample');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  Object.assign(b, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`,
  });
  return b;
}

async function startExporter(): Promise<{ address: string; body: string; close(): Promise<void> }> {
  const e = { address: '', body: '', close: async () => {} };
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(e.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  e.address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  e.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return e;
}

let db: Dynalite;
let sqs: LocalSqs;
let backend: Backend;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = await startDynalite();
  sqs = await startLocalSqs();
  backend = await startBackend();
});
afterAll(async () => {
  await backend?.close();
  await sqs?.stop();
  await db?.stop();
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  backend.mode = 'up';
  backend.accepted.length = 0;
  backend.refused = 0;
});

function configFor(address: string): Config {
  return loadConfig(
    `
remote_write:
  - url: ${backend.url}
    name: rw
    queue_config:
      min_backoff: 20ms
      max_backoff: 50ms
scrape_configs:
  - job_name: app
    scrape_interval: 10s
    scrape_timeout: 5s
    static_configs:
      - targets: ['${address}']
`,
    { env: {} },
  );
}

type Line = LogFields & { level: string; msg: string };

interface Outboxed {
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly clock: ShiftedClock;
  readonly writer: RemoteWriter;
  readonly lines: Line[];
  readonly logger: Logger;
  replayer(outboxUrl?: string, maxAgeMs?: number): OutboxReplayer;
  /** One simulated outbox invocation: receive ≤ 10, handle, delete what succeeded. */
  invoke(): Promise<{ received: Message[]; response: SqsBatchResponse }>;
}

/**
 * An outbox queue redriving to its DLQ after `maxReceiveCount` receives (the DLQ is also the
 * replayer's), a writer to the backend, and an invocation driver whose replayer re-parks
 * with 1 s delays (`replayer()` by default).
 */
async function outboxed(
  options: { maxReceiveCount?: number; visibilityTimeout?: number } = {},
): Promise<Outboxed> {
  const q = await createQueue(sqs.client, `t-${randomUUID()}`, {
    dlq: true,
    maxReceiveCount: options.maxReceiveCount ?? 5,
    visibilityTimeout: options.visibilityTimeout ?? 30,
  });
  const clock = new ShiftedClock(T0);
  const config = configFor('127.0.0.1:1');
  const writer = new RemoteWriter(config.remoteWrite[0]!, {});
  cleanup.push(() => writer.close());
  const lines: Line[] = [];
  const logger = createLogger({ format: 'json', write: (l) => lines.push(JSON.parse(l)) });
  const o: Outboxed = {
    queueUrl: q.url,
    dlqUrl: q.dlqUrl!,
    clock,
    writer,
    lines,
    logger,
    replayer: (outboxUrl = q.url, maxAgeMs) =>
      new OutboxReplayer({
        writers: [writer],
        outbox: new SqsOutbox(sqs.client, outboxUrl),
        deadLetters: new SqsDeadLetterQueue(sqs.client, q.dlqUrl!),
        clock,
        logger,
        options: {
          delaySeconds: () => 1,
          maxReplayMs: 300,
          safetyMarginMs: 100,
          ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
        },
      }),
    invoke: async () => invokeWith(o, o.replayer()),
  };
  return o;
}

async function invokeWith(
  o: Outboxed,
  replayer: OutboxReplayer,
): Promise<{ received: Message[]; response: SqsBatchResponse }> {
  const r = await sqs.client.send(
    new ReceiveMessageCommand({
      QueueUrl: o.queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
    }),
  );
  const received = r.Messages ?? [];
  const response = await handleOutboxBatch(
    { replayer, logger: o.logger },
    { Records: received.map((m) => ({ messageId: m.MessageId!, body: m.Body! })) },
    { getRemainingTimeInMillis: () => 5_000 },
  );
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const done = received.filter((m) => !failed.has(m.MessageId!));
  if (done.length > 0) {
    await sqs.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: o.queueUrl,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  return { received, response };
}

/** Outcomes logged by `handleOutboxBatch` (one line per record) since `from`. */
function outcomes(lines: readonly Line[], from = 0): Line[] {
  return lines.slice(from).filter((l) => l.msg === 'outbox write done');
}

/** Invokes until `count` records were handled (not counting batch item failures). */
async function replayUntil(o: Outboxed, count: number, timeoutMs = 10_000): Promise<Line[]> {
  const from = o.lines.length;
  const deadline = Date.now() + timeoutMs;
  while (outcomes(o.lines, from).length < count) {
    if (Date.now() > deadline) {
      throw new Error(`only ${outcomes(o.lines, from).length} of ${count} records handled`);
    }
    await o.invoke();
  }
  return outcomes(o.lines, from);
}

/** Every message of a queue, with attributes (waits up to `waitSeconds` for the first). */
async function drainQueue(url: string, waitSeconds = 1): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const r = await sqs.client.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: out.length === 0 ? waitSeconds : 0,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    if ((r.Messages ?? []).length === 0) return out;
    out.push(...r.Messages!);
  }
}

interface Sample {
  readonly series: string;
  readonly value: number;
  readonly timestamp: number;
}

function samplesOf(requests: readonly DecodedWriteRequest[]): Sample[] {
  const out: Sample[] = [];
  for (const req of requests) {
    for (const ts of req.timeseries) {
      const name = ts.labels.find((l) => l.name === '__name__')?.value ?? '';
      const rest = ts.labels
        .filter((l) => l.name !== '__name__')
        .map((l) => `${l.name}="${l.value}"`)
        .join(',');
      for (const s of ts.samples) {
        out.push({ series: `${name}{${rest}}`, value: s.value, timestamp: s.timestamp });
      }
    }
  }
  return out;
}

function parked(overrides: Partial<ParkedWrite> = {}): ParkedWrite {
  return {
    remoteWrite: 'rw',
    body: new Uint8Array([9, 8, 7, 6]),
    samples: 3,
    attempts: 0,
    firstParkedMs: T0,
    ...overrides,
  };
}

async function sendRaw(queueUrl: string, body: string): Promise<void> {
  await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
}

describe('outbox under a backend that fails for a while, then recovers', () => {
  it('no sample lost: every sample of every scrape arrives exactly once', async () => {
    const exporter = await startExporter();
    cleanup.push(() => exporter.close());
    const config = configFor(exporter.address);
    const table = `t-${randomUUID()}`;
    await createTable(db.client(), table, KEY_SCHEMAS.state);
    const o = await outboxed();
    const job = config.scrapeConfigs[0]!;
    const [target] = buildTargets(
      job,
      [{ source: 'static/0', targets: [{ __address__: exporter.address }], labels: {} }],
      { offsetSeed: 0n },
    ).active.map((t): Target => ({ ...t, offsetMs: 0 }));
    const writer = new RemoteWriter(config.remoteWrite[0]!, {});
    const worker = new ScrapeWorker({
      config,
      states: new DynamoDbScrapeStateStore(db.client(), table),
      outbox: new SqsOutbox(sqs.client, o.queueUrl),
      writers: [writer],
      clock: o.clock,
      options: { parkDelaySeconds: 0, safetyMarginMs: 200 },
    });
    cleanup.push(async () => {
      await worker.close();
      await writer.close();
    });
    const scrape = async (n: number) => {
      exporter.body = `a ${n}\nb{k="v"} ${10 * n}\n`;
      o.clock.set(T0 + n * INTERVAL);
      const out = await worker.handleTask(
        { kind: 'scrape', slotMs: T0 + n * INTERVAL, targets: [target!] },
        { deadlineMs: o.clock.now() + 500 },
      );
      expect(out.counters).toMatchObject({ scrapes: 1, up: 1, parkFailed: 0 });
      return out.counters;
    };

    // The backend is down: scrapes 0–2 are retried within their budget, then parked.
    backend.mode = 'down';
    for (const n of [0, 1, 2]) expect(await scrape(n)).toMatchObject({ parked: 1, samplesSent: 0 });

    // Two replay rounds while it is still down: each write re-parked, attempts 1 then 2.
    for (const attempts of [1, 2]) {
      const round = await replayUntil(o, 3);
      expect(round.map((l) => [l.kind, l.attempts, l.delaySeconds])).toEqual([
        ['reparked', attempts, 1],
        ['reparked', attempts, 1],
        ['reparked', attempts, 1],
      ]);
    }
    // One more scrape during the outage.
    expect(await scrape(3)).toMatchObject({ parked: 1 });
    expect(backend.accepted).toHaveLength(0);
    expect(backend.refused).toBeGreaterThan(8);

    // The backend recovers: new scrapes go straight through, the replayer empties the outbox.
    backend.mode = 'up';
    for (const n of [4, 5]) expect(await scrape(n)).toMatchObject({ parked: 0, samplesSent: 7 });
    const recovered = await replayUntil(o, 4);
    expect(recovered.map((l) => l.kind)).toEqual(Array(4).fill('delivered'));
    expect(recovered.map((l) => l.attempts).sort()).toEqual([0, 2, 2, 2]);
    expect(await drainQueue(o.queueUrl, 2)).toEqual([]);
    expect(await drainQueue(o.dlqUrl, 0)).toEqual([]);

    // Exactly once: each scrape's 2 samples and 5 report series, at its slot, nothing twice.
    const samples = samplesOf(backend.accepted);
    const inst = `instance="${exporter.address}",job="app"`;
    const expected: string[] = [];
    for (let n = 0; n <= 5; n++) {
      for (const series of [
        `a{${inst}}`,
        `b{${inst},k="v"}`,
        ...REPORT.map((r) => `${r}{${inst}}`),
      ]) {
        expected.push(`${series}@${T0 + n * INTERVAL}`);
      }
    }
    expect(samples.map((s) => `${s.series}@${s.timestamp}`).sort()).toEqual(expected.sort());
    for (let n = 0; n <= 5; n++) {
      const at = (series: string) =>
        samples.find((s) => s.series === series && s.timestamp === T0 + n * INTERVAL)?.value;
      expect(at(`a{${inst}}`)).toBe(n);
      expect(at(`b{${inst},k="v"}`)).toBe(10 * n);
      expect(at(`up{${inst}}`)).toBe(1);
    }
  }, 60_000);
});

describe('outbox writes that go to the dead-letter queue', () => {
  it('expired: still failing past the maximum age; the letter decodes to the write', async () => {
    const o = await outboxed();
    backend.mode = 'down';
    const write = parked({ firstParkedMs: T0 - 2 * 3_600_000 - 1, attempts: 7 });
    await new SqsOutbox(sqs.client, o.queueUrl).park(write, 0);
    const [line] = await replayUntil(o, 1);
    expect(line).toMatchObject({ kind: 'dead-lettered', reason: 'expired', samples: 3 });
    const [letter] = await drainQueue(o.dlqUrl);
    expect(letter?.MessageAttributes?.reason?.StringValue).toBe('expired');
    expect(letter?.MessageAttributes?.detail?.StringValue).toContain('backend down');
    const decoded = decodeParkedWrite(letter!.Body!);
    expect({ ...decoded, body: [...decoded.body] }).toEqual({ ...write, body: [...write.body] });
    expect(await drainQueue(o.queueUrl, 0)).toEqual([]);
  });

  it('rejected: logged at error with the backend’s message and dead-lettered', async () => {
    const o = await outboxed();
    backend.mode = 'reject';
    await new SqsOutbox(sqs.client, o.queueUrl).park(parked(), 0);
    const [line] = await replayUntil(o, 1);
    expect(line).toMatchObject({ kind: 'dead-lettered', reason: 'rejected' });
    expect(o.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        remote: 'rw',
        status: 400,
        err: expect.stringContaining('out of order sample'),
      }),
    );
    const [letter] = await drainQueue(o.dlqUrl);
    expect(letter?.MessageAttributes?.reason?.StringValue).toBe('rejected');
    expect(letter?.MessageAttributes?.detail?.StringValue).toContain('400: out of order sample');
    expect(decodeParkedWrite(letter!.Body!).samples).toBe(3);
    expect(backend.refused).toBe(1);
  });

  it('unknown remote_write: the config no longer has it', async () => {
    const o = await outboxed();
    await new SqsOutbox(sqs.client, o.queueUrl).park(parked({ remoteWrite: 'old-backend' }), 0);
    const [line] = await replayUntil(o, 1);
    expect(line).toMatchObject({ kind: 'dead-lettered', reason: 'unknown-remote-write' });
    const [letter] = await drainQueue(o.dlqUrl);
    expect(letter?.MessageAttributes?.reason?.StringValue).toBe('unknown-remote-write');
    expect(decodeParkedWrite(letter!.Body!).remoteWrite).toBe('old-backend');
  });

  it('malformed: the raw body goes to the dead-letter queue as it is', async () => {
    const o = await outboxed();
    const raw = encodeParkedWrite(parked()).replace('"v":1', '"v":99');
    await sendRaw(o.queueUrl, raw);
    const [line] = await replayUntil(o, 1);
    expect(line).toMatchObject({ kind: 'dead-lettered', reason: 'malformed' });
    const [letter] = await drainQueue(o.dlqUrl);
    expect(letter?.Body).toBe(raw);
    expect(letter?.MessageAttributes?.reason?.StringValue).toBe('malformed');
    expect(letter?.MessageAttributes?.detail?.StringValue).toContain('version 99');
  });
});

describe('outbox writes that cannot be settled', () => {
  it('a failed re-park is a batch item failure; SQS delivers it again, then redrives it', async () => {
    const o = await outboxed({ maxReceiveCount: 2, visibilityTimeout: 1 });
    backend.mode = 'down';
    const write = parked();
    await new SqsOutbox(sqs.client, o.queueUrl).park(write, 0);
    // The replayer's outbox is a queue that does not exist: re-parking fails.
    const broken = o.replayer(`${sqs.endpoint}/000000000000/does-not-exist`);
    const first = await invokeWith(o, broken);
    expect(first.received).toHaveLength(1);
    expect(first.response).toEqual({
      batchItemFailures: [{ itemIdentifier: first.received[0]!.MessageId! }],
    });
    expect(o.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: expect.stringContaining('deliver it again'),
        err: expect.stringContaining('OUTBOX_REPLAY_REPARK_FAILED'),
      }),
    );
    expect(broken.counters).toMatchObject({ failures: 1, reparked: 0 });

    // Not deleted: back after the visibility timeout, the same write.
    let again: Awaited<ReturnType<typeof invokeWith>> | undefined;
    for (let i = 0; i < 10 && (again?.received.length ?? 0) === 0; i++) {
      again = await invokeWith(o, broken);
    }
    expect(again?.received).toHaveLength(1);
    expect(again?.response.batchItemFailures).toHaveLength(1);
    expect(decodeParkedWrite(again!.received[0]!.Body!).attempts).toBe(0);

    // After maxReceiveCount receives the queue's redrive policy moves it to the DLQ (on the
    // next receive), intact and without a reason attribute (that marks the replayer's own).
    let letters: Message[] = [];
    for (let i = 0; i < 5 && letters.length === 0; i++) {
      const r = await sqs.client.send(
        new ReceiveMessageCommand({ QueueUrl: o.queueUrl, WaitTimeSeconds: 1 }),
      );
      expect(r.Messages ?? []).toEqual([]);
      letters = await drainQueue(o.dlqUrl, 0);
    }
    const [letter] = letters;
    expect(letter?.MessageAttributes?.reason).toBeUndefined();
    expect([...decodeParkedWrite(letter!.Body!).body]).toEqual([...write.body]);
  });

  it('a failed dead-letter send is a batch item failure too', async () => {
    const o = await outboxed();
    await sendRaw(o.queueUrl, 'not an outbox body');
    const replayer = new OutboxReplayer({
      writers: [o.writer],
      outbox: new SqsOutbox(sqs.client, o.queueUrl),
      deadLetters: new SqsDeadLetterQueue(sqs.client, `${sqs.endpoint}/000000000000/gone`),
      logger: o.logger,
    });
    const { received, response } = await invokeWith(o, replayer);
    expect(received).toHaveLength(1);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: received[0]!.MessageId! }]);
    expect(o.lines).toContainEqual(
      expect.objectContaining({ err: expect.stringContaining('OUTBOX_REPLAY_DEAD_LETTER_FAILED') }),
    );
  });
});

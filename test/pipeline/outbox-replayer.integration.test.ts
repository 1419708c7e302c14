/**
 * The ordered outbox end to end (docs/design.md decision 13): a real ScrapeWorker — state, change
 * log and delivery backlog in one dynalite table, the outbox a FIFO queue in fauxqs — scrapes
 * local targets and writes to a local backend that behaves as a Prometheus TSDB without an
 * out-of-order window: it keeps the newest sample of each series and answers 400 for an older
 * one (the whole request refused), accepts an identical duplicate, and can be down (503).
 * The replayer is driven like Lambda's SQS poller: receive with ApproximateReceiveCount and
 * MessageGroupId (`receiveMessages`) → `handleOutboxBatch` with a runtime whose outbox sets the
 * backoff (`retryLater`) → delete what is not a batch item failure. Real SDK clients only.
 *
 * Time: the worker and the replayer share the wall clock shifted to a fixed virtual time
 * (slots, write ages). The backoff the replayer asks for is recorded and then shortened to 0 s
 * by the test's outbox (`retryLater` with a visibility of 0), so a retried message comes back
 * at once; budgets are real and short (direct sends 300 ms, replays 300 ms). Where the waiting
 * the test skipped matters (the container's pause of a failing remote_write, on Date.now), the
 * test moves Date.now forward for everything in the process (`passTime`), fauxqs included.
 *
 * Known gap of fauxqs: a receive returns at most one message per FIFO group (SQS returns up to
 * ten, in order), so a batch never holds two messages of one group here; that case is covered
 * by outbox-replayer.test.ts and handlers.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ChangeMessageVisibilityCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDbDeliveryBacklog } from '../../src/aws/dynamodb-delivery-backlog.js';
import { DynamoDbStateChangeLog } from '../../src/aws/dynamodb-state-change-log.js';
import { DynamoDbScrapeStateStore } from '../../src/aws/dynamodb-state-store.js';
import {
  decodeParkedWrite,
  encodeParkedWrite,
  outboxGroupId,
  SqsDeadLetterQueue,
  SqsOutbox,
} from '../../src/aws/sqs-outbox.js';
import {
  deleteMessages,
  type ReceivedMessage,
  receiveMessages,
} from '../../src/aws/sqs-receive.js';
import type { Config } from '../../src/config/types.js';
import { createLogger, type LogFields, type Logger } from '../../src/log/logger.js';
import { OutboxReplayer, WRITER_PAUSE_MS } from '../../src/pipeline/outbox-replayer.js';
import { ScrapeWorker } from '../../src/pipeline/scraper.js';
import type { TaskCounters } from '../../src/pipeline/scraper-outcome.js';
import type { ParkedWrite } from '../../src/ports.js';
import { encodeLabels, WriteRequestEncoder } from '../../src/remotewrite/encode.js';
import { snappyCompress, snappyDecompress } from '../../src/remotewrite/snappy.js';
import {
  PROTOBUF_MESSAGE_V1,
  PROTOBUF_MESSAGE_V2,
  protobufMessageOf,
} from '../../src/remotewrite/transcode.js';
import { RemoteWriter } from '../../src/remotewrite/writer.js';
import { handleOutboxBatch } from '../../src/serverless/outbox.js';
import type { SqsBatchResponse } from '../../src/serverless/sqs-batch.js';
import { buildTargets } from '../../src/targets/index.js';
import type { Target } from '../../src/targets/types.js';
import { decodeWriteRequest } from '../remotewrite/wire.js';
import { createTable, type Dynalite, KEY_SCHEMAS, startDynalite } from '../support/dynalite.js';
import { createQueue, type LocalSqs, startLocalSqs } from '../support/fauxqs.js';
import { ShiftedClock } from '../support/shifted-clock.js';
import { appConfig } from './app-config.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const INTERVAL = 10_000;
const HOUR = 3_600_000;
const REPORT = [
  'scrape_duration_seconds',
  'scrape_samples_post_metric_relabeling',
  'scrape_samples_scraped',
  'scrape_series_added',
  'up',
];

// ---- the backend ------------------------------------------------------------------------------

interface Sample {
  readonly series: string;
  readonly timestamp: number;
  readonly value: number;
  /** The value's 8 bytes as on the wire: what "the same value" means (NaNs included). */
  readonly valueHex: string;
}

/**
 * A remote-write receiver as a Prometheus TSDB without an out-of-order window: per series it
 * keeps the newest sample; a request with a sample older than that, or at the same time with
 * another value, is refused whole with 400 (nothing of it stored); an identical sample is
 * accepted and not stored twice. `down`: 503 (with `retryAfterSeconds`, a Retry-After).
 */
interface Backend {
  readonly url: string;
  down: boolean;
  /**
   * How it answers a 2.0 request (Content-Type `proto=io.prometheus.write.v2.Request`):
   * `silent` decodes it as 1.0 like any body — nothing — and answers 204 without written
   * headers, as Prometheus 2.42 does; `415` refuses it as a receiver that checks Content-Type.
   */
  v2: 'silent' | '415';
  /** The 2.0 requests received. */
  v2Requests: number;
  retryAfterSeconds: number | undefined;
  /** Samples stored, in arrival order. */
  readonly stored: Sample[];
  /** Identical samples received again (accepted, not stored). */
  duplicates: number;
  /** The 400s sent, their messages. */
  readonly refused: string[];
  /** The 503s sent. */
  unavailable: number;
  /** Every request received. */
  requests: number;
  reset(): void;
  close(): Promise<void>;
}

async function startBackend(): Promise<Backend> {
  const newest = new Map<string, Sample>();
  let server: Server | undefined;
  const b: Backend = {
    url: '',
    down: false,
    v2: 'silent',
    v2Requests: 0,
    retryAfterSeconds: undefined,
    stored: [],
    duplicates: 0,
    refused: [],
    unavailable: 0,
    requests: 0,
    reset() {
      newest.clear();
      b.down = false;
      b.v2 = 'silent';
      b.v2Requests = 0;
      b.retryAfterSeconds = undefined;
      b.stored.length = 0;
      b.duplicates = 0;
      b.refused.length = 0;
      b.unavailable = 0;
      b.requests = 0;
    },
    close: () =>
      new Promise<void>((r) => {
        server?.closeAllConnections();
        server?.close(() => r());
      }),
  };
  const ingest = (samples: readonly Sample[]): string | undefined => {
    const head = new Map<string, Sample>();
    const fresh: Sample[] = [];
    let duplicates = 0;
    for (const s of samples) {
      const last = head.get(s.series) ?? newest.get(s.series);
      if (last !== undefined && s.timestamp < last.timestamp) {
        return `out of order sample: ${s.series} @${s.timestamp} is older than @${last.timestamp}`;
      }
      if (last !== undefined && s.timestamp === last.timestamp) {
        if (s.valueHex !== last.valueHex) return `duplicate sample for timestamp: ${s.series}`;
        duplicates++;
        continue;
      }
      head.set(s.series, s);
      fresh.push(s);
    }
    for (const [series, s] of head) newest.set(series, s);
    b.stored.push(...fresh);
    b.duplicates += duplicates;
    return undefined;
  };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      b.requests++;
      if (b.down) {
        b.unavailable++;
        const headers =
          b.retryAfterSeconds === undefined ? {} : { 'retry-after': String(b.retryAfterSeconds) };
        res.writeHead(503, headers).end('backend down for maintenance');
        return;
      }
      if (req.headers['content-type']?.includes('proto=io.prometheus.write.v2.Request')) {
        b.v2Requests++;
        if (b.v2 === '415') {
          res.writeHead(415).end('unsupported proto');
          return;
        }
      }
      const body = snappyDecompress(new Uint8Array(Buffer.concat(chunks)));
      const problem = ingest(samplesOf(decodeWriteRequest(body)));
      if (problem === undefined) {
        res.writeHead(204).end();
        return;
      }
      b.refused.push(problem);
      res.writeHead(400).end(problem);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  Object.assign(b, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`,
  });
  return b;
}

function samplesOf(request: ReturnType<typeof decodeWriteRequest>): Sample[] {
  const out: Sample[] = [];
  for (const ts of request.timeseries) {
    const name = ts.labels.find((l) => l.name === '__name__')?.value ?? '';
    const rest = ts.labels
      .filter((l) => l.name !== '__name__')
      .map((l) => `${l.name}="${l.value}"`)
      .join(',');
    for (const s of ts.samples) {
      out.push({
        series: `${name}{${rest}}`,
        timestamp: s.timestamp,
        value: s.value,
        valueHex: s.valueHex,
      });
    }
  }
  return out;
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

// ---- the deployment ---------------------------------------------------------------------------

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
  vi.restoreAllMocks();
  passed = 0;
  for (const c of cleanup.splice(0).reverse()) await c();
  backend.reset();
});

/** How far `passTime` moved Date.now. */
let passed = 0;
const realNow = Date.now.bind(Date);
/** Moves Date.now forward by `ms` for the whole process (until the test ends). */
function passTime(ms: number): void {
  if (passed === 0) vi.spyOn(Date, 'now').mockImplementation(() => realNow() + passed);
  passed += ms;
}

function configFor(addresses: readonly string[], protobufMessage?: string): Config {
  return appConfig(addresses, backend.url, protobufMessage);
}

type Line = LogFields & { level: string; msg: string };

/**
 * The runtime's outbox with the backoff shortened: `retryLater` records the delays the replayer
 * asked for, then makes the messages visible after `shorten(delay)` seconds (0 by default).
 */
class ShortBackoffOutbox extends SqsOutbox {
  readonly delays: number[][] = [];
  shorten: (delaySeconds: number) => number = () => 0;
  override retryLater(
    entries: readonly { readonly receiptHandle: string; readonly delaySeconds: number }[],
  ): Promise<void> {
    this.delays.push(entries.map((e) => e.delaySeconds));
    return super.retryLater(
      entries.map((e) => ({ ...e, delaySeconds: this.shorten(e.delaySeconds) })),
    );
  }
}

interface Invocation {
  readonly received: ReceivedMessage[];
  readonly response: SqsBatchResponse;
  /** The `outbox write done` lines of this invocation, in the records' order. */
  readonly outcomes: Line[];
}

interface Deployment {
  readonly table: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly clock: ShiftedClock;
  readonly backlog: DynamoDbDeliveryBacklog;
  /** The worker's outbox (parks). */
  readonly outbox: SqsOutbox;
  /** The outbox function's (backoff). */
  readonly runtimeOutbox: ShortBackoffOutbox;
  /** The outbox function's writer to the backend. */
  readonly writer: RemoteWriter;
  readonly replayer: OutboxReplayer;
  readonly lines: Line[];
  readonly logger: Logger;
  /** A replayer like the deployment's, with another dead-letter queue. */
  replayerWith(deadLetterUrl: string): OutboxReplayer;
  /**
   * One outbox invocation as Lambda's poller makes it: receive ≤ 10, handle, delete what is not
   * a batch item failure (unless `skipDelete`: the delete got lost).
   */
  invoke(options?: { replayer?: OutboxReplayer; skipDelete?: boolean }): Promise<Invocation>;
  /** Invokes until a receive comes back empty; the outcomes of every record handled. */
  drain(maxInvocations?: number): Promise<Line[]>;
}

/**
 * A FIFO outbox with its FIFO dead-letter queue, a state table holding the backlog, and an
 * outbox function (replayer with a 300 ms replay bound, on the shared shifted clock).
 */
async function deployment(protobufMessage?: string): Promise<Deployment> {
  const q = await createQueue(sqs.client, undefined, {
    fifo: true,
    dlq: true,
    maxReceiveCount: 1_000,
    visibilityTimeout: 30,
  });
  const table = `t-${randomUUID()}`;
  await createTable(db.client(), table, KEY_SCHEMAS.state);
  const clock = new ShiftedClock(T0);
  const writer = new RemoteWriter(configFor(['127.0.0.1:1'], protobufMessage).remoteWrite[0]!, {});
  cleanup.push(() => writer.close());
  const lines: Line[] = [];
  const logger = createLogger({ format: 'json', write: (l) => lines.push(JSON.parse(l)) });
  const backlog = new DynamoDbDeliveryBacklog(db.client(), table);
  const replayerWith = (deadLetterUrl: string) =>
    new OutboxReplayer({
      writers: [writer],
      deadLetters: new SqsDeadLetterQueue(sqs.client, deadLetterUrl),
      backlog,
      clock,
      logger,
      options: { maxReplayMs: 300 },
    });
  const replayer = replayerWith(q.dlqUrl!);
  const runtimeOutbox = new ShortBackoffOutbox(sqs.client, q.url);
  const d: Deployment = {
    table,
    queueUrl: q.url,
    dlqUrl: q.dlqUrl!,
    clock,
    backlog,
    outbox: new SqsOutbox(sqs.client, q.url),
    runtimeOutbox,
    writer,
    replayer,
    lines,
    logger,
    replayerWith,
    invoke: async (options = {}) => {
      const received = await receiveMessages(sqs.client, q.url, { waitSeconds: 0 });
      const from = lines.length;
      const response = await handleOutboxBatch(
        { replayer: options.replayer ?? replayer, logger, outbox: runtimeOutbox },
        { Records: received },
        { getRemainingTimeInMillis: () => 5_000 },
      );
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      if (options.skipDelete !== true) {
        await deleteMessages(
          sqs.client,
          q.url,
          received.filter((m) => !failed.has(m.messageId)),
        );
      }
      const outcomes = lines.slice(from).filter((l) => l.msg === 'outbox write done');
      return { received, response, outcomes };
    },
    drain: async (maxInvocations = 30) => {
      const out: Line[] = [];
      for (let i = 0; i < maxInvocations; i++) {
        const r = await d.invoke();
        if (r.received.length === 0) return out;
        out.push(...r.outcomes);
      }
      throw new Error(`outbox not drained after ${maxInvocations} invocations`);
    },
  };
  return d;
}

/** A scrape worker of `d` for static targets at `addresses` (offset 0: slots on the interval). */
function workerFor(
  d: Deployment,
  addresses: readonly string[],
  protobufMessage?: string,
): { worker: ScrapeWorker; targets: Target[]; writer: RemoteWriter } {
  const config = configFor(addresses, protobufMessage);
  const job = config.scrapeConfigs[0]!;
  const targets = buildTargets(
    job,
    [{ source: 'static/0', targets: addresses.map((a) => ({ __address__: a })), labels: {} }],
    { offsetSeed: 0n },
  ).active.map((t): Target => ({ ...t, offsetMs: 0 }));
  const writer = new RemoteWriter(config.remoteWrite[0]!, {});
  const worker = new ScrapeWorker({
    config,
    states: new DynamoDbScrapeStateStore(db.client(), d.table),
    changes: new DynamoDbStateChangeLog(db.client(), d.table),
    backlog: new DynamoDbDeliveryBacklog(db.client(), d.table),
    outbox: d.outbox,
    writers: [writer],
    clock: d.clock,
    options: { safetyMarginMs: 200 },
  });
  cleanup.push(async () => {
    await worker.close();
    await writer.close();
  });
  return { worker, targets, writer };
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

/** True when the backlog holds `stream`'s scrape at `slotMs` behind any remote_write. */
async function isHeld(d: Deployment, stream: string, slotMs: number): Promise<boolean> {
  const held = await d.backlog.held(new Map([[stream, slotMs]]));
  return held === 'all' || held.has(stream);
}

// ---- hand-made parked writes ------------------------------------------------------------------

const STREAM = '0123456789abcdef';

/** A parked write of one request carrying `samples` of series `x{job="dl"}`. */
function parkedWrite(
  samples: readonly (readonly [timestamp: number, value: number])[],
  overrides: Partial<ParkedWrite> = {},
): ParkedWrite {
  const labels = encodeLabels([
    { name: '__name__', value: 'x' },
    { name: 'job', value: 'dl' },
  ]);
  const body = snappyCompress(
    new WriteRequestEncoder().encodeSamples(
      samples.map(() => labels),
      samples.map((_, i) => i),
      0,
      samples.length,
      {
        timestamps: Float64Array.from(samples.map((s) => s[0])),
        values: Float64Array.from(samples.map((s) => s[1])),
        stale: new Uint8Array(samples.length),
      },
    ),
  );
  return {
    remoteWrite: 'rw',
    body,
    samples: samples.length,
    firstParkedMs: T0,
    stream: STREAM,
    slotMs: samples[0]?.[0] ?? T0,
    part: 0,
    ...overrides,
  };
}

const plain = (w: ParkedWrite) => ({ ...w, body: [...w.body] });

/** `series@timestamp` of each stored sample of series `x`. */
const storedX = () =>
  backend.stored.filter((s) => s.series === 'x{job="dl"}').map((s) => `${s.timestamp}=${s.value}`);

// ---- the outage -------------------------------------------------------------------------------

describe('outbox under a backend that is down for a while and refuses out-of-order samples', () => {
  it('every sample of every scrape arrives exactly once, in timestamp order per series', async () => {
    const exporters = [await startExporter(), await startExporter()];
    for (const e of exporters) cleanup.push(() => e.close());
    const d = await deployment();
    const { worker, targets } = workerFor(
      d,
      exporters.map((e) => e.address),
    );
    expect(targets).toHaveLength(2);
    const scrape = async (n: number): Promise<TaskCounters> => {
      exporters.forEach((e, i) => {
        e.body = `a ${n + 100 * i}\nb{k="v"} ${10 * n}\n`;
      });
      d.clock.set(T0 + n * INTERVAL);
      const out = await worker.handleTask(
        { kind: 'scrape', slotMs: T0 + n * INTERVAL, targets },
        { deadlineMs: d.clock.now() + 500 },
      );
      expect(out.counters).toMatchObject({ scrapes: 2, up: 2, parkFailed: 0, samplesRejected: 0 });
      return out.counters;
    };
    const queued = { parked: 2, samplesParked: 14, samplesSent: 0 };

    // The backend goes down: scrape 0 is tried for its short direct send, then parked.
    backend.down = true;
    expect(await scrape(0)).toMatchObject(queued);
    expect(backend.unavailable).toBeGreaterThan(0);
    // Its streams now queue behind the backlog: scrapes 1 and 2 are parked without a send.
    const triedByScrape0 = backend.unavailable;
    for (const n of [1, 2]) expect(await scrape(n)).toMatchObject(queued);
    expect(backend.unavailable).toBe(triedByScrape0);

    // Three outbox invocations during the outage, each with the head of each stream's group (the
    // only message fauxqs hands out per group): the first tries them, the next two find the
    // remote_write paused by this container; each stays with the backoff of its receive count.
    for (const [round, delay] of [
      [1, 10],
      [2, 20],
      [3, 40],
    ] as const) {
      const inv = await d.invoke();
      expect(inv.received).toHaveLength(2);
      expect(inv.received.map((m) => m.attributes.ApproximateReceiveCount)).toEqual([
        String(round),
        String(round),
      ]);
      expect(inv.received.map((m) => decodeParkedWrite(m.body).slotMs)).toEqual([T0, T0]);
      expect(inv.outcomes.map((l) => [l.kind, l.delaySeconds, l.tried])).toEqual([
        ['retry', delay, round === 1],
        ['retry', delay, round === 1],
      ]);
      expect(inv.response.batchItemFailures).toHaveLength(2);
      expect(d.runtimeOutbox.delays.at(-1)).toEqual([delay, delay]);
    }
    expect(backend.unavailable).toBe(triedByScrape0 + 2);
    expect(await scrape(3)).toMatchObject(queued);
    expect(backend.stored).toEqual([]);

    // The backend recovers. The next scrape still queues (the backlog is not drained: a direct
    // send would overtake it, and the backend would then refuse every parked sample).
    // The container's pause ends, as it would have during the backoff the test shortened.
    backend.down = false;
    passTime(WRITER_PAUSE_MS);
    expect(await scrape(4)).toMatchObject(queued);
    const drained = await d.drain();
    expect(drained.map((l) => l.kind)).toEqual(Array(10).fill('delivered'));
    expect(drained.filter((l) => l.receiveCount === 4)).toHaveLength(2);

    // Drained: the next scrape is sent directly, not parked.
    expect(await scrape(5)).toMatchObject({ parked: 0, samplesParked: 0, samplesSent: 14 });
    expect(await scrape(6)).toMatchObject({ parked: 0, samplesSent: 14 });
    expect(await drainQueue(d.queueUrl, 0)).toEqual([]);
    expect(await drainQueue(d.dlqUrl, 0)).toEqual([]);

    // Sample by sample: none refused, none twice, each in order, each of every scrape.
    expect(backend.refused).toEqual([]);
    expect(backend.duplicates).toBe(0);
    const bySeries = new Map<string, number[]>();
    for (const s of backend.stored) {
      bySeries.set(s.series, [...(bySeries.get(s.series) ?? []), s.timestamp]);
    }
    const slots = Array.from({ length: 7 }, (_, n) => T0 + n * INTERVAL);
    const expectedSeries: string[] = [];
    for (const e of exporters) {
      const inst = `instance="${e.address}",job="app"`;
      expectedSeries.push(`a{${inst}}`, `b{${inst},k="v"}`, ...REPORT.map((r) => `${r}{${inst}}`));
    }
    expect([...bySeries.keys()].sort()).toEqual(expectedSeries.sort());
    for (const [series, timestamps] of bySeries) {
      expect({ series, timestamps }).toEqual({ series, timestamps: slots });
    }
    exporters.forEach((e, i) => {
      const inst = `instance="${e.address}",job="app"`;
      for (let n = 0; n < 7; n++) {
        const at = (series: string) =>
          backend.stored.find((s) => s.series === series && s.timestamp === slots[n])?.value;
        expect(at(`a{${inst}}`)).toBe(n + 100 * i);
        expect(at(`b{${inst},k="v"}`)).toBe(10 * n);
        expect(at(`up{${inst}}`)).toBe(1);
      }
    });
    expect(d.replayer.counters).toMatchObject({
      delivered: 10,
      samplesDelivered: 70,
      rejected: 0,
      expired: 0,
      releaseFailures: 0,
    });
  }, 30_000);

  it('the same outbox message delivered twice is harmless', async () => {
    const exporter = await startExporter();
    cleanup.push(() => exporter.close());
    const d = await deployment();
    const { worker, targets } = workerFor(d, [exporter.address]);
    const scrape = async (n: number) => {
      exporter.body = `a ${n}\n`;
      d.clock.set(T0 + n * INTERVAL);
      return (
        await worker.handleTask(
          { kind: 'scrape', slotMs: T0 + n * INTERVAL, targets },
          { deadlineMs: d.clock.now() + 500 },
        )
      ).counters;
    };
    backend.down = true;
    expect(await scrape(0)).toMatchObject({ parked: 1, samplesParked: 6 });
    expect(await scrape(1)).toMatchObject({ parked: 1, samplesParked: 6 });
    backend.down = false;

    // Delivered, but the delete is lost: the message comes back (as after its visibility
    // timeout) and is delivered again.
    const first = await d.invoke({ skipDelete: true });
    expect(first.outcomes.map((l) => l.kind)).toEqual(['delivered']);
    const message = first.received[0]!;
    await sqs.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: d.queueUrl,
        ReceiptHandle: message.receiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const again = await d.invoke();
    expect(again.received.map((m) => [m.messageId, m.attributes.ApproximateReceiveCount])).toEqual([
      [message.messageId, '2'],
    ]);
    expect(again.outcomes.map((l) => l.kind)).toEqual(['delivered']);
    expect(backend.duplicates).toBe(6);
    expect(backend.refused).toEqual([]);

    // The group goes on; once drained, scrapes are sent directly.
    expect((await d.drain()).map((l) => l.kind)).toEqual(['delivered']);
    expect(await scrape(2)).toMatchObject({ parked: 0, samplesSent: 6 });
    const inst = `instance="${exporter.address}",job="app"`;
    expect(
      backend.stored.filter((s) => s.series === `a{${inst}}`).map((s) => [s.timestamp, s.value]),
    ).toEqual([
      [T0, 0],
      [T0 + INTERVAL, 1],
      [T0 + 2 * INTERVAL, 2],
    ]);
    expect(backend.stored).toHaveLength(18);
  }, 20_000);

  it('a Retry-After longer than the backoff keeps the message away that long', async () => {
    const d = await deployment();
    backend.down = true;
    backend.retryAfterSeconds = 30;
    await d.outbox.park([parkedWrite([[T0, 1]])]);
    const inv = await d.invoke();
    expect(inv.outcomes.map((l) => l.kind)).toEqual(['retry']);
    expect(backend.unavailable).toBe(1);
    // 30 s asked by the backend, more than the 10 s backoff of a first receive.
    expect(d.runtimeOutbox.delays).toEqual([[30]]);
  });
});

// ---- the dead-letter queue --------------------------------------------------------------------

describe('outbox writes that go to the dead-letter queue', () => {
  const next = T0 + INTERVAL;

  it('expired: still failing past 2 h; the letter decodes to the write, the hold is released', async () => {
    const d = await deployment();
    backend.down = true;
    const write = parkedWrite([[T0 - 3 * HOUR, 1]], {
      firstParkedMs: T0 - 2 * HOUR - 1,
      nextSlotMs: next,
    });
    await d.backlog.hold(STREAM, next, 'rw');
    await d.outbox.park([write]);
    const inv = await d.invoke();
    expect(inv.outcomes).toEqual([
      expect.objectContaining({ kind: 'dead-lettered', reason: 'expired', samples: 1 }),
    ]);
    expect(backend.unavailable).toBeGreaterThan(0);
    const [letter, ...more] = await drainQueue(d.dlqUrl);
    expect(more).toEqual([]);
    expect(letter?.MessageAttributes?.reason?.StringValue).toBe('expired');
    expect(letter?.MessageAttributes?.detail?.StringValue).toContain('backend down');
    expect(plain(decodeParkedWrite(letter!.Body!))).toEqual(plain(write));
    expect(await isHeld(d, STREAM, next)).toBe(false);
    expect(await drainQueue(d.queueUrl, 0)).toEqual([]);
  });

  it('rejected: logged at error with the backend’s message; the group goes on after it', async () => {
    const d = await deployment();
    // The backend already has x at T0 + 10 s: a parked sample at T0 is out of order.
    await d.writer.replay(
      { body: parkedWrite([[T0 + 10_000, 5]]).body, samples: 1, exemplars: 0, metadata: 0 },
      {},
    );
    const old = parkedWrite([[T0, 1]], { nextSlotMs: next });
    const later = parkedWrite([[T0 + 20_000, 2]], { slotMs: T0 + 20_000 });
    await d.backlog.hold(STREAM, next, 'rw');
    await d.outbox.park([old, later]);
    const outcomes = await d.drain();
    expect(outcomes.map((l) => [l.kind, l.reason])).toEqual([
      ['dead-lettered', 'rejected'],
      ['delivered', undefined],
    ]);
    expect(d.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        remote: 'rw',
        status: 400,
        err: expect.stringContaining('out of order sample'),
      }),
    );
    const [letter] = await drainQueue(d.dlqUrl);
    expect(letter?.MessageAttributes?.reason?.StringValue).toBe('rejected');
    expect(letter?.MessageAttributes?.detail?.StringValue).toContain('400: out of order sample');
    expect(plain(decodeParkedWrite(letter!.Body!))).toEqual(plain(old));
    expect(await isHeld(d, STREAM, next)).toBe(false);
    expect(storedX()).toEqual([`${T0 + 10_000}=5`, `${T0 + 20_000}=2`]);
    expect(backend.refused).toHaveLength(1);
  });

  it('unknown remote_write: dead-lettered without a send, the hold released', async () => {
    const d = await deployment();
    const write = parkedWrite([[T0, 1]], { remoteWrite: 'old-backend', nextSlotMs: next });
    await d.backlog.hold(STREAM, next, 'old-backend');
    await d.outbox.park([write]);
    const inv = await d.invoke();
    expect(inv.outcomes).toEqual([
      expect.objectContaining({ kind: 'dead-lettered', reason: 'unknown-remote-write' }),
    ]);
    expect(backend.requests).toBe(0);
    const [letter] = await drainQueue(d.dlqUrl);
    expect(letter?.MessageAttributes?.reason?.StringValue).toBe('unknown-remote-write');
    expect(plain(decodeParkedWrite(letter!.Body!))).toEqual(plain(write));
    expect(await isHeld(d, STREAM, next)).toBe(false);
  });

  it('malformed: the raw body goes to the dead-letter queue as it is; the group goes on', async () => {
    const d = await deployment();
    const valid = parkedWrite([[T0 + 10_000, 3]], { slotMs: T0 + 10_000 });
    const raw = encodeParkedWrite(parkedWrite([[T0, 1]])).replace('"v":2', '"v":99');
    await sqs.client.send(
      new SendMessageCommand({
        QueueUrl: d.queueUrl,
        MessageBody: raw,
        MessageGroupId: outboxGroupId(valid),
        MessageDeduplicationId: 'raw-1',
      }),
    );
    await d.outbox.park([valid]);
    const outcomes = await d.drain();
    expect(outcomes.map((l) => [l.kind, l.reason])).toEqual([
      ['dead-lettered', 'malformed'],
      ['delivered', undefined],
    ]);
    const [letter] = await drainQueue(d.dlqUrl);
    expect(letter?.Body).toBe(raw);
    expect(letter?.MessageAttributes?.reason?.StringValue).toBe('malformed');
    expect(letter?.MessageAttributes?.detail?.StringValue).toContain('version 99');
    expect(storedX()).toEqual([`${T0 + 10_000}=3`]);
  });
});

describe('outbox writes that cannot be settled now', () => {
  it('a failed dead-letter send is a batch item failure: the message comes back, the hold stays', async () => {
    const d = await deployment();
    await d.writer.replay(
      { body: parkedWrite([[T0 + 10_000, 5]]).body, samples: 1, exemplars: 0, metadata: 0 },
      {},
    );
    const next = T0 + INTERVAL;
    const old = parkedWrite([[T0, 1]], { nextSlotMs: next });
    await d.backlog.hold(STREAM, next, 'rw');
    await d.outbox.park([old]);
    const broken = d.replayerWith(`${sqs.endpoint}/000000000000/gone.fifo`);

    const first = await d.invoke({ replayer: broken });
    expect(first.received).toHaveLength(1);
    expect(first.response).toEqual({
      batchItemFailures: [{ itemIdentifier: first.received[0]!.messageId }],
    });
    expect(first.outcomes).toEqual([
      expect.objectContaining({
        kind: 'retry',
        delaySeconds: 10,
        reason: expect.stringContaining('dead-letter send failed'),
      }),
    ]);
    expect(broken.counters).toMatchObject({ failures: 1, rejected: 0 });
    expect(await isHeld(d, STREAM, next)).toBe(true);

    // Not deleted: it comes back (after the shortened backoff), the same write.
    const again = await d.invoke({ replayer: broken });
    expect(again.received.map((m) => [m.messageId, m.attributes.ApproximateReceiveCount])).toEqual([
      [first.received[0]!.messageId, '2'],
    ]);
    expect(again.outcomes).toEqual([expect.objectContaining({ kind: 'retry', delaySeconds: 20 })]);
    expect(plain(decodeParkedWrite(again.received[0]!.body))).toEqual(plain(old));

    // Once the dead-letter queue takes it, it is settled and the hold released.
    const settled = await d.invoke();
    expect(settled.outcomes).toEqual([
      expect.objectContaining({ kind: 'dead-lettered', reason: 'rejected' }),
    ]);
    expect(await drainQueue(d.dlqUrl)).toHaveLength(1);
    expect(await drainQueue(d.queueUrl, 0)).toEqual([]);
    expect(await isHeld(d, STREAM, next)).toBe(false);
  });
});

describe('outbox with protobuf_message io.prometheus.write.v2.Request, a backend that only takes 1.0', () => {
  it.each([
    { v2: 'silent' as const, like: 'answers 204 without written headers (Prometheus 2.42)' },
    { v2: '415' as const, like: 'answers 415' },
  ])(
    '2.0 units parked in an outage are delivered as 1.0 when it $like; nothing lost',
    async ({ v2 }) => {
      const exporter = await startExporter();
      cleanup.push(() => exporter.close());
      const d = await deployment(PROTOBUF_MESSAGE_V2);
      const { worker, targets, writer } = workerFor(d, [exporter.address], PROTOBUF_MESSAGE_V2);
      backend.v2 = v2;
      const scrape = async (n: number): Promise<TaskCounters> => {
        exporter.body = `a ${n}\nb{k="v"} ${10 * n}\n`;
        d.clock.set(T0 + n * INTERVAL);
        const out = await worker.handleTask(
          { kind: 'scrape', slotMs: T0 + n * INTERVAL, targets },
          { deadlineMs: d.clock.now() + 500 },
        );
        expect(out.counters).toMatchObject({
          scrapes: 1,
          up: 1,
          parkFailed: 0,
          samplesRejected: 0,
        });
        return out.counters;
      };

      // Down: the 2.0 units are parked as they were made, in 2.0.
      backend.down = true;
      for (const n of [0, 1, 2]) {
        expect(await scrape(n)).toMatchObject({ parked: 1, samplesParked: 7, samplesSent: 0 });
      }
      const parked = await drainQueue(d.queueUrl, 1);
      expect(parked.map((m) => protobufMessageOf(decodeParkedWrite(m.Body!).body))).toEqual([
        PROTOBUF_MESSAGE_V2,
      ]);
      for (const m of parked) {
        await sqs.client.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: d.queueUrl,
            ReceiptHandle: m.ReceiptHandle!,
            VisibilityTimeout: 0,
          }),
        );
      }

      // Back, but without 2.0: the outbox function's writer finds out on its first replay and
      // re-encodes that one and every later one.
      backend.down = false;
      const drained = await d.drain();
      expect(drained.map((l) => l.kind)).toEqual(['delivered', 'delivered', 'delivered']);
      expect(d.writer.protobufMessage).toBe(PROTOBUF_MESSAGE_V1);
      expect(d.writer.counters).toMatchObject({ protocolFallbacks: 1, requestsReencoded: 3 });
      expect(backend.v2Requests).toBe(1);

      // The scraper's writer (another container) finds out on its next direct send.
      expect(await scrape(3)).toMatchObject({ parked: 0, samplesSent: 7 });
      expect(writer.protobufMessage).toBe(PROTOBUF_MESSAGE_V1);
      expect(await scrape(4)).toMatchObject({ parked: 0, samplesSent: 7 });
      expect(backend.v2Requests).toBe(2);
      expect(await drainQueue(d.dlqUrl, 0)).toEqual([]);

      // Sample by sample: every slot of every series, once, in order; none refused.
      expect(backend.refused).toEqual([]);
      expect(backend.duplicates).toBe(0);
      const inst = `instance="${exporter.address}",job="app"`;
      const slots = Array.from({ length: 5 }, (_, n) => T0 + n * INTERVAL);
      const bySeries = new Map<string, number[]>();
      for (const s of backend.stored) {
        bySeries.set(s.series, [...(bySeries.get(s.series) ?? []), s.timestamp]);
      }
      expect([...bySeries.keys()].sort()).toEqual(
        [`a{${inst}}`, `b{${inst},k="v"}`, ...REPORT.map((r) => `${r}{${inst}}`)].sort(),
      );
      for (const [series, timestamps] of bySeries) {
        expect({ series, timestamps }).toEqual({ series, timestamps: slots });
      }
      for (let n = 0; n < 5; n++) {
        expect(
          backend.stored.find((s) => s.series === `a{${inst}}` && s.timestamp === slots[n])?.value,
        ).toBe(n);
      }
    },
    30_000,
  );
});

import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsTaskQueue, SqsTaskQueueError } from '../../src/aws/sqs-task-queue.js';
import { decodeTask, encodeTaskSized } from '../../src/aws/task-codec.js';
import type { Label } from '../../src/model/labels.js';
import type { ScrapeTask } from '../../src/ports.js';
import type { Target } from '../../src/targets/types.js';
import { createQueue, type LocalSqs, receiveAll, startLocalSqs } from '../support/fauxqs.js';

let sqs: LocalSqs;
beforeAll(async () => {
  sqs = await startLocalSqs();
});
afterAll(async () => {
  await sqs?.stop();
});

const noSleep = async () => {};

function target(i: number, extra: Label[] = []): Target {
  const addr = `10.0.${(i >> 8) & 255}.${i & 255}:9100`;
  const labels = [
    { name: '__address__', value: addr },
    { name: '__metrics_path__', value: '/metrics' },
    { name: '__scheme__', value: 'http' },
    ...extra,
    { name: 'instance', value: addr },
    { name: 'job', value: 'node' },
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    job: 'node',
    labels,
    publicLabels: labels.filter((l) => !l.name.startsWith('__')),
    discoveredLabels: labels,
    url: `http://${addr}/metrics`,
    intervalMs: 15_000,
    timeoutMs: 10_000,
    offsetMs: i % 15_000,
    id: i.toString(16).padStart(16, '0'),
  };
}

function scrape(slotMs: number, n: number, from = 0): Extract<ScrapeTask, { kind: 'scrape' }> {
  return {
    kind: 'scrape',
    slotMs,
    targets: Array.from({ length: n }, (_, i) => target(from + i)),
  };
}

/**
 * Fault injection on the real client (no SDK mock): on the first `times` SendMessageBatch
 * calls, the entry `id` is taken out of the request and reported back as a server-side Failed
 * entry, i.e. exactly what SQS answers when it could not store that entry. With `corrupt`, the
 * entry is sent with a body SQS refuses instead (a genuine sender fault from fauxqs).
 */
function injectFailures(client: SQSClient, id: string, times: number, corrupt = false): void {
  let calls = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'SendMessageBatchCommand' || calls >= times) return next(args);
      const input = args.input as { Entries: { Id: string; MessageBody: string }[] };
      if (!input.Entries.some((e) => e.Id === id)) return next(args);
      calls++;
      if (corrupt) {
        for (const e of input.Entries) if (e.Id === id) e.MessageBody = '\u0000';
        return next(args);
      }
      input.Entries = input.Entries.filter((e) => e.Id !== id);
      // SQS refuses an empty batch; a request of only the failing entry gets SQS's answer here.
      const result =
        input.Entries.length > 0
          ? await next(args)
          : { output: { $metadata: {}, Successful: [] }, response: undefined };
      const output = result.output as { Failed?: object[] };
      output.Failed = [
        ...(output.Failed ?? []),
        { Id: id, Code: 'InternalError', Message: 'injected', SenderFault: false },
      ];
      return result;
    },
    { step: 'initialize', name: `inject-${id}-${Math.random()}` },
  );
}

function freshClient(): SQSClient {
  // A client of its own, so fault-injecting middleware never leaks into other tests.
  return new SQSClient({
    endpoint: sqs.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
}

describe('SqsTaskQueue against fauxqs', () => {
  it('delivers 25 tasks in 3 requests, each after its delay', async () => {
    const q = await createQueue(sqs.client);
    const queue = new SqsTaskQueue(sqs.client, q.url);
    const delays = Array.from({ length: 25 }, (_, i) => (i === 24 ? 2 : i >= 20 ? 1 : 0));
    const sentAt = Date.now();
    await queue.send(
      delays.map((delaySeconds, i) => ({ task: scrape(i, 2, i * 2), delaySeconds })),
    );
    expect(queue.counters).toMatchObject({ requests: 3, messagesSent: 25, messagesFailed: 0 });

    const got = await receiveAll(sqs.client, q.url, 25, 6_000);
    expect(got).toHaveLength(25);
    const bySlot = new Map(got.map((g) => [decodeTask(g.message.Body!), g.receivedAtMs]));
    const tasks = [...bySlot.keys()] as Extract<ScrapeTask, { kind: 'scrape' }>[];
    expect(tasks.map((t) => t.slotMs).sort((a, b) => a - b)).toEqual(delays.map((_, i) => i));
    for (const t of tasks) expect(t).toEqual(scrape(t.slotMs, 2, t.slotMs * 2));
    for (const [t, at] of bySlot) {
      const after = at - sentAt;
      const delay = delays[(t as { slotMs: number }).slotMs]!;
      if (delay === 0) expect(after).toBeLessThan(1_000);
      // Not visible before its delay (fauxqs timers: allow 200 ms), visible soon after.
      else expect(after).toBeGreaterThanOrEqual(delay * 1000 - 200);
      expect(after).toBeLessThan(delay * 1000 + 1_500);
    }
  });

  it('splits batches by bytes: six ~100 KB tasks take 3 requests', async () => {
    const q = await createQueue(sqs.client);
    const queue = new SqsTaskQueue(sqs.client, q.url);
    const tasks = Array.from({ length: 6 }, (_, i) => scrape(i, 500, i * 500));
    const sizes = tasks.map((t) => encodeTaskSized(t).bytes);
    for (const s of sizes) expect(s).toBeGreaterThan(90_000);
    for (const s of sizes) expect(s).toBeLessThan(128 * 1024);
    await queue.send(tasks.map((task) => ({ task, delaySeconds: 0 })));
    expect(queue.counters).toMatchObject({ requests: 3, messagesSent: 6 });
    const got = await receiveAll(sqs.client, q.url, 6);
    expect(got.map((g) => decodeTask(g.message.Body!)).sort((a, b) => slot(a) - slot(b))).toEqual(
      tasks,
    );
  });

  it('splits a task too large for one message, every target delivered exactly once', async () => {
    const q = await createQueue(sqs.client);
    const queue = new SqsTaskQueue(sqs.client, q.url);
    const big = scrape(7, 6_000);
    expect(encodeTaskSized(big).bytes).toBeGreaterThan(256 * 1024);
    await queue.send([{ task: big, delaySeconds: 0 }]);
    const c = queue.counters;
    expect(c.tasksSplit).toBe(1);
    expect(c.messagesSent).toBeGreaterThan(1);
    const got = await receiveAll(sqs.client, q.url, c.messagesSent);
    const parts = got.map((g) => decodeTask(g.message.Body!)) as Extract<
      ScrapeTask,
      { kind: 'scrape' }
    >[];
    for (const g of got) expect(Buffer.byteLength(g.message.Body!)).toBeLessThanOrEqual(262_144);
    const ids = parts.flatMap((p) => p.targets.map((t) => t.id)).sort();
    expect(ids).toEqual(big.targets.map((t) => t.id).sort());
    expect(parts.every((p) => p.slotMs === 7)).toBe(true);
  });

  it.each([901, -1, 1.5, Number.NaN, 1e9])(
    'rejects DelaySeconds %s before sending anything',
    async (d) => {
      const q = await createQueue(sqs.client);
      const queue = new SqsTaskQueue(sqs.client, q.url);
      const send = queue.send([
        { task: scrape(1, 1), delaySeconds: 0 },
        { task: scrape(2, 1), delaySeconds: d },
      ]);
      await expect(send).rejects.toBeInstanceOf(SqsTaskQueueError);
      await expect(send).rejects.toMatchObject({ code: 'SQS_INVALID_DELAY' });
      expect(queue.counters.requests).toBe(0);
      expect(await receiveAll(sqs.client, q.url, 1, 100)).toHaveLength(0);
    },
  );

  it('re-sends entries the queue failed, and only those', async () => {
    const client = freshClient();
    const q = await createQueue(client);
    injectFailures(client, '3_0', 1);
    const queue = new SqsTaskQueue(client, q.url, { sleep: noSleep });
    await queue.send(
      Array.from({ length: 25 }, (_, i) => ({ task: scrape(i, 1, i), delaySeconds: 0 })),
    );
    expect(queue.counters).toMatchObject({ requests: 4, messagesSent: 25, entriesRetried: 1 });
    const got = await receiveAll(client, q.url, 26, 1_000);
    expect(got.map((g) => slot(decodeTask(g.message.Body!))).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 25 }, (_, i) => i),
    );
    client.destroy();
  });

  it('gives up after maxAttempts and throws, listing what failed; the rest is sent', async () => {
    const client = freshClient();
    const q = await createQueue(client);
    injectFailures(client, '3_0', 100);
    const queue = new SqsTaskQueue(client, q.url, { sleep: noSleep, maxAttempts: 3 });
    const send = queue.send(
      Array.from({ length: 25 }, (_, i) => ({ task: scrape(i, 1, i), delaySeconds: 0 })),
    );
    const err = await send.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SqsTaskQueueError);
    expect(err).toMatchObject({
      code: 'SQS_SEND_FAILED',
      failures: [{ index: 3, part: 0, code: 'InternalError', senderFault: false }],
    });
    expect((err as Error).message).toContain('task 3');
    expect(queue.counters).toMatchObject({ requests: 5, messagesSent: 24, messagesFailed: 1 });
    expect(await receiveAll(client, q.url, 25, 1_500)).toHaveLength(24);
    client.destroy();
  });

  it('does not re-send a sender fault (a body SQS refuses)', async () => {
    const client = freshClient();
    const q = await createQueue(client);
    injectFailures(client, '0_0', 1, true);
    const queue = new SqsTaskQueue(client, q.url, { sleep: noSleep });
    const err = await queue
      .send([
        { task: scrape(0, 1), delaySeconds: 0 },
        { task: scrape(1, 1), delaySeconds: 0 },
      ])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'SQS_SEND_FAILED',
      failures: [{ index: 0, code: 'InvalidMessageContents', senderFault: true }],
    });
    expect(queue.counters).toMatchObject({ requests: 1, messagesSent: 1 });
    client.destroy();
  });

  it('carries labels with characters SQS or fauxqs refuse raw', async () => {
    const q = await createQueue(sqs.client);
    const queue = new SqsTaskQueue(sqs.client, q.url);
    const task = {
      kind: 'retire' as const,
      target: target(1, [{ name: 'note', value: 'x\uffff\ufffe😀\u0000ü' }]),
      staleTimeMs: 42,
    };
    await queue.send([{ task, delaySeconds: 0 }]);
    const [got] = await receiveAll(sqs.client, q.url, 1);
    expect(decodeTask(got!.message.Body!)).toEqual(task);
  });

  it('throws SQS_MESSAGE_TOO_LARGE for a retire task that cannot fit', async () => {
    const q = await createQueue(sqs.client);
    const queue = new SqsTaskQueue(sqs.client, q.url, { maxMessageBytes: 200 });
    await expect(
      queue.send([
        { task: { kind: 'retire', target: target(1), staleTimeMs: 1 }, delaySeconds: 0 },
      ]),
    ).rejects.toMatchObject({ code: 'SQS_MESSAGE_TOO_LARGE' });
    expect(queue.counters.requests).toBe(0);
  });
});

function slot(t: ScrapeTask): number {
  return t.kind === 'scrape' ? t.slotMs : t.staleTimeMs;
}

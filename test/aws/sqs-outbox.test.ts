import { randomBytes } from 'node:crypto';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_MAX_DETAIL_CHARS,
  decodeParkedWrite,
  encodeParkedWrite,
  outboxDeduplicationId,
  outboxGroupId,
  SqsDeadLetterQueue,
  SqsOutbox,
  SqsOutboxError,
} from '../../src/aws/sqs-outbox.js';
import type { DeadLetter, ParkedWrite } from '../../src/ports.js';
import { createQueue, type LocalSqs, receiveAll, startLocalSqs } from '../support/fauxqs.js';

let sqs: LocalSqs;
beforeAll(async () => {
  sqs = await startLocalSqs();
});
afterAll(async () => {
  await sqs?.stop();
});

function write(bytes: Uint8Array, part = 0, stream = '0123456789abcdef'): ParkedWrite {
  return {
    remoteWrite: 'amp-eu',
    body: bytes,
    samples: 1234,
    firstParkedMs: 1_700_000_000_123,
    stream,
    slotMs: 1_700_000_000_000,
    part,
    nextSlotMs: 1_700_000_015_000,
  };
}

const fifo = { fifo: true } as const;

/** Every byte value, then random bytes: what a snappy body can hold. */
function binary(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < 256 && i < n; i++) out[i] = i;
  out.set(randomBytes(Math.max(0, n - 256)), Math.min(256, n));
  return out;
}

/**
 * Every body of a FIFO queue in the order SQS hands them out: a group's next messages come only
 * once those received are deleted.
 */
async function drain(queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const r = await sqs.client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    if ((r.Messages ?? []).length === 0) return bodies;
    for (const m of r.Messages!) {
      bodies.push(m.Body!);
      await sqs.client.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }),
      );
    }
  }
}

describe('SqsOutbox against fauxqs', () => {
  it('parks a write in its group; the replayer decodes it byte-equal', async () => {
    const q = await createQueue(sqs.client, undefined, fifo);
    const outbox = new SqsOutbox(sqs.client, q.url);
    const parked = write(binary(100_000));
    await outbox.park([parked]);
    expect(outbox.counters).toEqual({ requests: 1, parked: 1 });
    const [got] = await receiveAll(sqs.client, q.url, 1);
    const decoded = decodeParkedWrite(got!.message.Body!);
    expect(Buffer.from(decoded.body).equals(Buffer.from(parked.body))).toBe(true);
    expect({ ...decoded, body: undefined }).toEqual({ ...parked, body: undefined });
  });

  it('parks the writes of a unit in order, in batches of 10 and of the byte bound', async () => {
    const q = await createQueue(sqs.client, undefined, fifo);
    const outbox = new SqsOutbox(sqs.client, q.url, { maxBatchBytes: 40_000 });
    const writes = Array.from({ length: 23 }, (_, i) =>
      write(binary(i % 5 === 0 ? 20_000 : 500), i),
    );
    await outbox.park(writes);
    expect(outbox.counters.parked).toBe(23);
    expect(outbox.counters.requests).toBeGreaterThanOrEqual(4); // 10 + 10 + 3 at best; bytes split more
    const parts = (await drain(q.url)).map((body) => decodeParkedWrite(body).part);
    expect(parts).toEqual(writes.map((w) => w.part));
  });

  it('a second park of the same request is dropped by the queue (deduplication id)', async () => {
    const q = await createQueue(sqs.client, undefined, fifo);
    const outbox = new SqsOutbox(sqs.client, q.url);
    await outbox.park([write(binary(100))]);
    await outbox.park([write(binary(100))]);
    await outbox.park([write(binary(100), 1)]);
    expect((await drain(q.url)).map((body) => decodeParkedWrite(body).part)).toEqual([0, 1]);
  });

  it('names the group after the remote_write and the stream; ids fit SQS', () => {
    const w = write(binary(1));
    expect(outboxGroupId(w)).toBe(outboxGroupId({ ...w, remoteWrite: 'amp-eu' }));
    expect(outboxGroupId(w)).not.toBe(outboxGroupId({ ...w, remoteWrite: 'amp-us' }));
    expect(outboxGroupId(w)).not.toBe(outboxGroupId({ ...w, stream: 'fedcba9876543210' }));
    const odd = { ...w, remoteWrite: 'name with spaces/ünïcode#' };
    expect(outboxDeduplicationId(odd)).toMatch(/^[0-9a-f.]{1,128}$/);
  });

  it('keeps a subarray view byte-exact (offset into a larger buffer)', () => {
    const big = binary(1_000);
    const view = big.subarray(100, 300);
    const decoded = decodeParkedWrite(encodeParkedWrite(write(view)));
    expect(Buffer.from(decoded.body).equals(Buffer.from(view))).toBe(true);
  });

  it('moves a write received maxReceiveCount times without delete to the DLQ', async () => {
    const q = await createQueue(sqs.client, undefined, { ...fifo, dlq: true, maxReceiveCount: 2 });
    const outbox = new SqsOutbox(sqs.client, q.url);
    const parked = write(binary(5_000));
    await outbox.park([parked]);
    const receive = (url: string, wait: number) =>
      sqs.client.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          WaitTimeSeconds: wait,
          VisibilityTimeout: 0, // visible again at once: a replayer that failed and did not delete
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
    for (let n = 1; n <= 2; n++) {
      const r = await receive(q.url, 1);
      expect(r.Messages).toHaveLength(1);
      expect(r.Messages![0]!.Attributes?.ApproximateReceiveCount).toBe(String(n));
    }
    const third = await receive(q.url, 0);
    expect(third.Messages ?? []).toHaveLength(0);
    const [dead] = await receiveAll(sqs.client, q.dlqUrl!, 1, 3_000);
    expect(dead).toBeDefined();
    const decoded = decodeParkedWrite(dead!.message.Body!);
    expect(Buffer.from(decoded.body).equals(Buffer.from(parked.body))).toBe(true);
  });

  it('validates fields, the group and size before sending', async () => {
    const q = await createQueue(sqs.client, undefined, fifo);
    const outbox = new SqsOutbox(sqs.client, q.url, { maxMessageBytes: 1_000 });
    await expect(outbox.park([{ ...write(binary(10)), part: -1 }])).rejects.toMatchObject({
      code: 'SQS_OUTBOX_INVALID_WRITE',
    });
    await expect(
      outbox.park([write(binary(10)), write(binary(10), 1, 'fedcba9876543210')]),
    ).rejects.toMatchObject({ code: 'SQS_OUTBOX_INVALID_WRITE' });
    await expect(outbox.park([write(binary(2_000))])).rejects.toMatchObject({
      code: 'SQS_OUTBOX_TOO_LARGE',
    });
    expect(outbox.counters.requests).toBe(0);
  });

  it('reports a failed request with the SDK error as cause', async () => {
    const outbox = new SqsOutbox(sqs.client, `${sqs.endpoint}/000000000000/does-not-exist.fifo`);
    const err = await outbox.park([write(binary(10))]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SqsOutboxError);
    expect(err).toMatchObject({ code: 'SQS_OUTBOX_SEND_FAILED' });
    expect((err as Error).cause).toBeInstanceOf(Error);
  });
});

/** One message of `queueUrl` with its attributes (long polling up to 2 s). */
async function receiveLetter(queueUrl: string) {
  const r = await sqs.client.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      WaitTimeSeconds: 2,
      MessageAttributeNames: ['All'],
    }),
  );
  expect(r.Messages ?? []).toHaveLength(1);
  const m = r.Messages![0]!;
  // Deleted, so the next letter of the same group comes (FIFO).
  await sqs.client.send(
    new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }),
  );
  return {
    body: m.Body!,
    reason: m.MessageAttributes?.reason?.StringValue,
    detail: m.MessageAttributes?.detail?.StringValue,
  };
}

describe('SqsDeadLetterQueue against fauxqs', () => {
  it.each([
    ['expired', 'remote write to http://rw/api/v1/write not delivered before the deadline'],
    ['rejected', 'server returned HTTP status 400: out of bounds'],
    ['unknown-remote-write', 'remote_write "old" is not in the config'],
  ] as const)(
    '%s: the body decodes to the parked write; reason and detail attributes',
    async (reason, detail) => {
      const q = await createQueue(sqs.client, undefined, fifo);
      const dlq = new SqsDeadLetterQueue(sqs.client, q.url);
      const parked = write(binary(20_000), 4);
      await dlq.send({ reason, detail, write: parked });
      expect(dlq.counters).toEqual({ requests: 1, sent: 1 });
      const got = await receiveLetter(q.url);
      expect(got.reason).toBe(reason);
      expect(got.detail).toBe(detail);
      const decoded = decodeParkedWrite(got.body);
      expect(Buffer.from(decoded.body).equals(Buffer.from(parked.body))).toBe(true);
      expect({ ...decoded, body: undefined }).toEqual({ ...parked, body: undefined });
    },
  );

  it('malformed: the raw text goes as it is', async () => {
    const q = await createQueue(sqs.client, undefined, fifo);
    const raw = '{"v":7,"rw":"x"} not an outbox body';
    await new SqsDeadLetterQueue(sqs.client, q.url).send({
      reason: 'malformed',
      detail: 'outbox body is not JSON',
      write: raw,
    });
    expect(await receiveLetter(q.url)).toEqual({
      body: raw,
      reason: 'malformed',
      detail: 'outbox body is not JSON',
    });
  });

  it('cuts the detail to fit the message size and replaces characters SQS refuses', async () => {
    const q = await createQueue(sqs.client, undefined, fifo);
    const parked = write(binary(3_000));
    const bodyBytes = Buffer.byteLength(encodeParkedWrite(parked));
    // Room for the body, the reason and about 100 bytes of detail.
    const max = bodyBytes + 'reasonString'.length + 'rejected'.length + 'detailString'.length + 100;
    const dlq = new SqsDeadLetterQueue(sqs.client, q.url, { maxMessageBytes: max });
    await dlq.send({
      reason: 'rejected',
      detail: `bad\u0000byte ${'é'.repeat(500)}`,
      write: parked,
    });
    const got = await receiveLetter(q.url);
    expect(got.detail).toMatch(/^bad\ufffdbyte é+…$/);
    expect(Buffer.byteLength(got.detail!)).toBeLessThanOrEqual(100);
    expect(Buffer.byteLength(got.detail!)).toBeGreaterThan(95);

    // An overlong detail is cut to its maximum length even when the message has room. (Another
    // part: the same letter twice would be deduplicated by the queue.)
    await new SqsDeadLetterQueue(sqs.client, q.url).send({
      reason: 'rejected',
      detail: 'x'.repeat(10_000),
      write: { ...parked, part: 1 },
    });
    expect((await receiveLetter(q.url)).detail).toHaveLength(DEAD_LETTER_MAX_DETAIL_CHARS);

    // No room at all for a detail: the letter goes without it.
    const tight = new SqsDeadLetterQueue(sqs.client, q.url, {
      maxMessageBytes: bodyBytes + 'reasonString'.length + 'rejected'.length,
    });
    await tight.send({ reason: 'rejected', detail: 'why', write: { ...parked, part: 2 } });
    const bare = await receiveLetter(q.url);
    expect(bare.reason).toBe('rejected');
    expect(bare.detail).toBeUndefined();
  });

  it('refuses what it cannot send, and reports a failed request with its cause', async () => {
    const q = await createQueue(sqs.client, undefined, fifo);
    const small = new SqsDeadLetterQueue(sqs.client, q.url, { maxMessageBytes: 1_000 });
    await expect(
      small.send({ reason: 'expired', detail: '', write: write(binary(2_000)) }),
    ).rejects.toMatchObject({ code: 'SQS_OUTBOX_TOO_LARGE' });
    await expect(
      small.send({ reason: 'malformed', detail: 'empty', write: '' }),
    ).rejects.toMatchObject({ code: 'SQS_OUTBOX_INVALID_WRITE' });
    await expect(
      small.send({ reason: 'lost', detail: '', write: 'x' } as unknown as DeadLetter),
    ).rejects.toMatchObject({ code: 'SQS_OUTBOX_INVALID_WRITE' });
    expect(small.counters.requests).toBe(0);

    const gone = new SqsDeadLetterQueue(
      sqs.client,
      `${sqs.endpoint}/000000000000/does-not-exist.fifo`,
    );
    const err = await gone
      .send({ reason: 'expired', detail: 'x', write: write(binary(10)) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SqsOutboxError);
    expect(err).toMatchObject({ code: 'SQS_OUTBOX_DEAD_LETTER_FAILED' });
    expect((err as Error).cause).toBeInstanceOf(Error);
    expect(gone.counters).toEqual({ requests: 1, sent: 0 });
  });
});

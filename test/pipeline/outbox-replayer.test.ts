/**
 * The replayer's decisions, one write at a time: a real RemoteWriter against a local receiver
 * answering as scripted, and in-memory adapters of the Outbox and DeadLetterQueue ports (they
 * are ours; the SQS adapters are tested against fauxqs in test/aws/sqs-outbox.test.ts and the
 * whole path in outbox-replayer.integration.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeParkedWrite, SqsOutboxError } from '../../src/aws/sqs-outbox.js';
import { createLogger, type LogFields } from '../../src/log/logger.js';
import {
  DEFAULT_OUTBOX_MAX_AGE_MS,
  nextOutboxDelaySeconds,
} from '../../src/pipeline/outbox-policy.js';
import {
  OutboxReplayError,
  OutboxReplayer,
  type OutboxReplayerOptions,
  type ReplayOutcome,
} from '../../src/pipeline/outbox-replayer.js';
import type { DeadLetter, DeadLetterQueue, Outbox, ParkedWrite } from '../../src/ports.js';
import { RemoteWriter } from '../../src/remotewrite/writer.js';
import type { Clock } from '../../src/schedule/clock.js';
import { remoteWriteConfig } from '../remotewrite/config.js';
import { type Responder, reply, startReceiver, type TestReceiver } from '../remotewrite/wire.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const fixedClock: Clock = {
  now: () => NOW,
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

class MemoryOutbox implements Outbox {
  readonly parked: { write: ParkedWrite; delaySeconds: number }[] = [];
  failWith: Error | undefined;
  async park(write: ParkedWrite, delaySeconds: number): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    this.parked.push({ write, delaySeconds });
  }
}

class MemoryDeadLetters implements DeadLetterQueue {
  readonly letters: DeadLetter[] = [];
  failWith: Error | undefined;
  async send(letter: DeadLetter): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    this.letters.push(letter);
  }
}

type Line = LogFields & { level: string; msg: string };

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface Setup {
  readonly receiver: TestReceiver;
  readonly outbox: MemoryOutbox;
  readonly deadLetters: MemoryDeadLetters;
  readonly replayer: OutboxReplayer;
  readonly lines: Line[];
}

/** A replayer with one writer named `rw` to a receiver of its own answering `responses`. */
async function setup(
  responses: readonly Responder[],
  options: OutboxReplayerOptions = {},
): Promise<Setup> {
  const receiver = await startReceiver();
  receiver.respond(...responses);
  const writer = new RemoteWriter(
    remoteWriteConfig(receiver.url, {
      name: 'rw',
      queueConfig: { minBackoff: 10, maxBackoff: 20 },
    }),
  );
  cleanup.push(
    () => receiver.close(),
    () => writer.close(),
  );
  const outbox = new MemoryOutbox();
  const deadLetters = new MemoryDeadLetters();
  const lines: Line[] = [];
  const replayer = new OutboxReplayer({
    writers: [writer],
    outbox,
    deadLetters,
    clock: fixedClock,
    logger: createLogger({ format: 'json', write: (l) => lines.push(JSON.parse(l)) }),
    options: { safetyMarginMs: 0, ...options },
  });
  return { receiver, outbox, deadLetters, replayer, lines };
}

function parked(overrides: Partial<ParkedWrite> = {}): ParkedWrite {
  return {
    remoteWrite: 'rw',
    body: new Uint8Array([1, 2, 3, 250, 251, 0, 7]),
    samples: 42,
    attempts: 3,
    firstParkedMs: NOW - 60_000,
    ...overrides,
  };
}

/** A budget of `ms` from now (the replayer's safety margin is 0 here). */
const within = (ms: number) => ({ deadlineMs: Date.now() + ms });
const failing = (n = 200) => Array.from({ length: n }, () => reply(503, 'backend down'));
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('OutboxReplayer decisions', () => {
  it('delivers a write: nothing parked, nothing dead-lettered, the body sent as is', async () => {
    const s = await setup([reply(204)]);
    const write = parked();
    const outcome = await s.replayer.replay(write, within(5_000));
    expect(outcome).toEqual<ReplayOutcome>({
      kind: 'delivered',
      remoteWrite: 'rw',
      samples: 42,
      attempts: 3,
    });
    expect(s.receiver.requests).toHaveLength(1);
    expect(sameBytes(s.receiver.requests[0]!.body, write.body)).toBe(true);
    expect(s.outbox.parked).toEqual([]);
    expect(s.deadLetters.letters).toEqual([]);
    expect(s.replayer.counters).toMatchObject({ replays: 1, delivered: 1, samplesDelivered: 42 });
  });

  it('re-parks a write still failing at the budget: attempts + 1, the injected delay', async () => {
    const delays: number[] = [];
    const s = await setup(failing(), {
      delaySeconds: (attempts) => {
        delays.push(attempts);
        return 2;
      },
    });
    const write = parked();
    const outcome = await s.replayer.replay(write, within(150));
    expect(outcome).toEqual<ReplayOutcome>({
      kind: 'reparked',
      remoteWrite: 'rw',
      samples: 42,
      attempts: 4,
      delaySeconds: 2,
    });
    expect(delays).toEqual([4]);
    expect(s.receiver.requests.length).toBeGreaterThan(1);
    expect(s.outbox.parked).toEqual([{ write: { ...write, attempts: 4 }, delaySeconds: 2 }]);
    expect(s.deadLetters.letters).toEqual([]);
    expect(s.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: expect.stringContaining('re-parked') }),
    );
    expect(s.replayer.counters).toMatchObject({ reparked: 1, samplesReparked: 42 });
  });

  it('re-parks with the outbox backoff by default (nextOutboxDelaySeconds of the new count)', async () => {
    const s = await setup(failing());
    await s.replayer.replay(parked({ attempts: 1 }), within(100));
    expect(s.outbox.parked.map((p) => p.delaySeconds)).toEqual([nextOutboxDelaySeconds(2)]);
    expect(nextOutboxDelaySeconds(2)).toBe(120);
  });

  it('dead-letters a write still failing past its maximum age (expired), unchanged', async () => {
    const s = await setup(failing(), { maxAgeMs: 30 * 60_000 });
    const write = parked({ firstParkedMs: NOW - 30 * 60_000 - 1 });
    const outcome = await s.replayer.replay(write, within(100));
    expect(outcome).toEqual<ReplayOutcome>({
      kind: 'dead-lettered',
      reason: 'expired',
      remoteWrite: 'rw',
      samples: 42,
    });
    expect(s.outbox.parked).toEqual([]);
    expect(s.deadLetters.letters).toEqual([
      {
        reason: 'expired',
        detail: expect.stringContaining('not delivered before the deadline'),
        write,
      },
    ]);
    // The last error in the detail is the backend's 503 or, when the 100 ms budget ends during
    // an attempt (a loaded machine), that attempt's timeout: which one is timing, not contract.
    expect(s.replayer.counters).toMatchObject({ expired: 1, samplesDeadLettered: 42 });
  });

  it('is not expired at exactly its maximum age; the default age is 2 h', async () => {
    expect(DEFAULT_OUTBOX_MAX_AGE_MS).toBe(7_200_000);
    const s = await setup(failing());
    const outcome = await s.replayer.replay(
      parked({ firstParkedMs: NOW - DEFAULT_OUTBOX_MAX_AGE_MS }),
      within(100),
    );
    expect(outcome.kind).toBe('reparked');
  });

  it('tries an old write once more before expiring it: delivered if the backend takes it', async () => {
    const s = await setup([reply(204)]);
    const outcome = await s.replayer.replay(parked({ firstParkedMs: 0 }), within(5_000));
    expect(outcome.kind).toBe('delivered');
  });

  it('dead-letters a rejected write and logs the backend’s message at error', async () => {
    const s = await setup([reply(400, 'out of bounds: sample too old')]);
    const write = parked();
    const outcome = await s.replayer.replay(write, within(5_000));
    expect(outcome).toEqual<ReplayOutcome>({
      kind: 'dead-lettered',
      reason: 'rejected',
      remoteWrite: 'rw',
      samples: 42,
    });
    expect(s.receiver.requests).toHaveLength(1);
    expect(s.deadLetters.letters).toEqual([
      {
        reason: 'rejected',
        detail: expect.stringContaining('HTTP status 400: out of bounds: sample too old'),
        write,
      },
    ]);
    expect(s.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: expect.stringContaining('rejected'),
        remote: 'rw',
        samples: 42,
        status: 400,
        err: expect.stringContaining('out of bounds: sample too old'),
      }),
    );
    expect(s.replayer.counters).toMatchObject({ rejected: 1, samplesDeadLettered: 42 });
  });

  it('dead-letters a write whose remote_write left the config, without sending it', async () => {
    const s = await setup([]);
    const write = parked({ remoteWrite: 'gone' });
    const outcome = await s.replayer.replay(write, within(5_000));
    expect(outcome).toEqual<ReplayOutcome>({
      kind: 'dead-lettered',
      reason: 'unknown-remote-write',
      remoteWrite: 'gone',
      samples: 42,
    });
    expect(s.receiver.requests).toHaveLength(0);
    expect(s.deadLetters.letters).toEqual([
      { reason: 'unknown-remote-write', detail: expect.stringContaining('"gone"'), write },
    ]);
    expect(s.lines).toContainEqual(expect.objectContaining({ level: 'error', remote: 'gone' }));
  });

  it('handleMessage decodes a body and replays it', async () => {
    const s = await setup([reply(204)]);
    const write = parked();
    const outcome = await s.replayer.handleMessage(encodeParkedWrite(write), within(5_000));
    expect(outcome.kind).toBe('delivered');
    expect(sameBytes(s.receiver.requests[0]!.body, write.body)).toBe(true);
  });

  it.each([
    ['not JSON', '{"v":1,'],
    ['wrong version', JSON.stringify({ v: 9 })],
    ['bad field', encodeParkedWrite(parked()).replace('"a":3', '"a":-3')],
  ])('handleMessage dead-letters a malformed body (%s) as it is', async (_name, body) => {
    const s = await setup([]);
    const outcome = await s.replayer.handleMessage(body, within(5_000));
    expect(outcome).toEqual<ReplayOutcome>({
      kind: 'dead-lettered',
      reason: 'malformed',
      remoteWrite: undefined,
      samples: 0,
    });
    expect(s.deadLetters.letters).toEqual([
      { reason: 'malformed', detail: expect.stringContaining('outbox body'), write: body },
    ]);
    expect(s.lines).toContainEqual(
      expect.objectContaining({ level: 'error', err: expect.stringContaining('MALFORMED') }),
    );
    expect(s.receiver.requests).toHaveLength(0);
    expect(s.replayer.counters.malformed).toBe(1);
  });
});

describe('OutboxReplayer when the write cannot be settled', () => {
  it('throws a retryable error when the re-park fails, with the cause', async () => {
    const s = await setup(failing());
    const cause = new SqsOutboxError('SQS_OUTBOX_SEND_FAILED', 'queue unreachable');
    s.outbox.failWith = cause;
    const err = await s.replayer.replay(parked(), within(100)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboxReplayError);
    expect(err).toMatchObject({ code: 'OUTBOX_REPLAY_REPARK_FAILED', retryable: true, cause });
    expect(s.replayer.counters).toMatchObject({ failures: 1, reparked: 0 });
  });

  it.each([
    ['rejected', [reply(400, 'no')], parked()],
    ['expired', failing(), parked({ firstParkedMs: 0 })],
    ['unknown-remote-write', [], parked({ remoteWrite: 'gone' })],
  ] as const)(
    'throws a retryable error when dead-lettering (%s) fails',
    async (_reason, responses, write) => {
      const s = await setup(responses);
      s.deadLetters.failWith = new Error('dlq unreachable');
      await expect(s.replayer.replay(write, within(100))).rejects.toMatchObject({
        code: 'OUTBOX_REPLAY_DEAD_LETTER_FAILED',
        retryable: true,
      });
      expect(s.replayer.counters).toMatchObject({ failures: 1, samplesDeadLettered: 0 });
    },
  );

  it('throws a retryable error when dead-lettering a malformed body fails', async () => {
    const s = await setup([]);
    s.deadLetters.failWith = new Error('dlq unreachable');
    await expect(s.replayer.handleMessage('nope', within(5_000))).rejects.toMatchObject({
      code: 'OUTBOX_REPLAY_DEAD_LETTER_FAILED',
    });
  });

  it('sends nothing and throws a retryable error when no time is left', async () => {
    const s = await setup([reply(204)], { safetyMarginMs: 1_000 });
    await expect(s.replayer.replay(parked(), within(900))).rejects.toMatchObject({
      code: 'OUTBOX_REPLAY_NO_TIME',
      retryable: true,
    });
    expect(s.receiver.requests).toHaveLength(0);
  });

  it('stops retrying after maxReplayMs even with a far deadline', async () => {
    const s = await setup(failing(), { maxReplayMs: 150 });
    const started = Date.now();
    const outcome = await s.replayer.replay(parked(), within(60_000));
    expect(outcome.kind).toBe('reparked');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('OutboxReplayer options', () => {
  const ports = { outbox: new MemoryOutbox(), deadLetters: new MemoryDeadLetters() };
  const writer = (name: string) => ({
    name,
    replay: () => Promise.reject(new Error('unused')),
  });
  it.each<[string, () => OutboxReplayer]>([
    [
      'two writers with one name',
      () => new OutboxReplayer({ ...ports, writers: [writer('a'), writer('a')] }),
    ],
    ['maxAgeMs 0', () => new OutboxReplayer({ ...ports, writers: [], options: { maxAgeMs: 0 } })],
    [
      'maxReplayMs NaN',
      () => new OutboxReplayer({ ...ports, writers: [], options: { maxReplayMs: Number.NaN } }),
    ],
    [
      'negative safety margin',
      () => new OutboxReplayer({ ...ports, writers: [], options: { safetyMarginMs: -1 } }),
    ],
  ])('rejects %s', (_name, make) => {
    expect(make).toThrow(expect.objectContaining({ code: 'OUTBOX_REPLAY_INVALID_OPTIONS' }));
  });
});

/**
 * The replayer's decisions over a batch of the FIFO outbox (docs/design.md decision 13), with
 * in-memory fakes of its ports: writers answering as scripted (a real RemoteWriter against a
 * real backend is the integration test's), a dead-letter queue and a delivery backlog that
 * record what they are given and fail on demand. Bodies are v2 outbox messages
 * (`encodeOutboxMessage`), as the worker parks them.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, type LogFields } from '../../src/log/logger.js';
import { encodeOutboxMessage } from '../../src/pipeline/outbox-message.js';
import { DEFAULT_OUTBOX_MAX_AGE_MS } from '../../src/pipeline/outbox-policy.js';
import {
  type OutboxRecord,
  OutboxReplayError,
  OutboxReplayer,
  type OutboxReplayerOptions,
  type ReplayOutcome,
  type ReplayWriter,
  WRITER_PAUSE_MS,
} from '../../src/pipeline/outbox-replayer.js';
import type { DeadLetter, DeadLetterQueue, DeliveryBacklog, ParkedWrite } from '../../src/ports.js';
import { REMOTE_WRITE_ERROR_CODES, RemoteWriteError } from '../../src/remotewrite/errors.js';
import type { SendOptions } from '../../src/remotewrite/send.js';
import type { PreparedRequest, WriteResult } from '../../src/remotewrite/writer.js';
import type { Clock } from '../../src/schedule/clock.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const fixedClock: Clock = {
  now: () => NOW,
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

const STREAM_A = 'aaaaaaaaaaaaaaaa';
const STREAM_B = 'bbbbbbbbbbbbbbbb';
const STREAM_C = 'cccccccccccccccc';

// ---- fakes ------------------------------------------------------------------------------------

/** How a fake writer answers one request. */
type Answer =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'pending'; readonly error: RemoteWriteError }
  | { readonly kind: 'rejected'; readonly error: RemoteWriteError }
  | { readonly kind: 'throw'; readonly error: Error };

const delivered: Answer = { kind: 'delivered' };
const unavailable = (
  message = 'server returned HTTP status 503: backend down',
  retryAfterMs?: number,
): Answer => ({
  kind: 'pending',
  error: new RemoteWriteError(REMOTE_WRITE_ERROR_CODES.deadline, message, {
    recoverable: true,
    status: 503,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  }),
});
const refused = (message = 'server returned HTTP status 400: out of order sample'): Answer => ({
  kind: 'rejected',
  error: new RemoteWriteError(REMOTE_WRITE_ERROR_CODES.rejected, message, {
    recoverable: false,
    status: 400,
    body: message,
  }),
});

interface Call {
  readonly body: Uint8Array;
  readonly samples: number;
  readonly retryUntil: number | undefined;
  readonly maxAttempts: number | undefined;
  readonly atMs: number;
}

/**
 * A writer answering each request by its first body byte (the write's `tag`, see
 * {@link write}), else `fallback`; it records every call. `delayMs` makes each call take that
 * long (for the concurrency tests), `inFlight` counts the calls not yet answered.
 */
class FakeWriter implements ReplayWriter {
  readonly calls: Call[] = [];
  readonly byTag = new Map<number, Answer>();
  fallback: Answer = delivered;
  delayMs = 0;
  readonly delayByTag = new Map<number, number>();
  inFlight = 0;
  maxInFlight = 0;
  constructor(readonly name: string) {}

  async replay(request: PreparedRequest, options: SendOptions): Promise<WriteResult> {
    this.calls.push({
      body: request.body,
      samples: request.samples,
      retryUntil: options.retryUntil,
      maxAttempts: options.maxAttempts,
      atMs: Date.now(),
    });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const delayMs = this.delayByTag.get(request.body[0]!) ?? this.delayMs;
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      const answer = this.byTag.get(request.body[0]!) ?? this.fallback;
      const base = {
        requests: 1,
        samples: request.samples,
        dropped: 0,
        delivered: 0,
        rejected: 0,
        pending: 0,
        parked: [],
        errors: [],
      };
      switch (answer.kind) {
        case 'delivered':
          return { ...base, delivered: request.samples };
        case 'pending':
          return {
            ...base,
            pending: request.samples,
            parked: [{ ...request, error: answer.error, index: 0 }],
          };
        case 'rejected':
          return { ...base, rejected: request.samples, errors: [answer.error] };
        case 'throw':
          throw answer.error;
      }
    } finally {
      this.inFlight--;
    }
  }

  /** The tags of the bodies sent, in order. */
  get sentTags(): number[] {
    return this.calls.map((c) => c.body[0]!);
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

/** Records releases (as `stream@nextSlot#remoteWrite`), in order; `failWith` fails them. */
class MemoryBacklog implements DeliveryBacklog {
  readonly releases: string[] = [];
  failWith: Error | undefined;
  /** What happened, in order, across the writers and this backlog (set by {@link setup}). */
  events: string[] | undefined;
  async hold(): Promise<void> {
    throw new Error('the replayer never holds');
  }
  async release(stream: string, nextSlotMs: number, remoteWrite: string): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    const key = `${stream}@${nextSlotMs}#${remoteWrite}`;
    this.releases.push(key);
    this.events?.push(`release ${key}`);
  }
  async held(): Promise<ReadonlyMap<string, ReadonlySet<string>>> {
    throw new Error('the replayer never reads holds');
  }
}

type Line = LogFields & { level: string; msg: string };

interface Setup {
  readonly rw: FakeWriter;
  readonly rw2: FakeWriter;
  readonly deadLetters: MemoryDeadLetters;
  readonly backlog: MemoryBacklog;
  readonly replayer: OutboxReplayer;
  readonly lines: Line[];
  readonly events: string[];
}

/** A replayer with writers `rw` and `rw2`, a safety margin of 0 unless `options` says. */
function setup(options: OutboxReplayerOptions = {}): Setup {
  const rw = new FakeWriter('rw');
  const rw2 = new FakeWriter('rw2');
  const deadLetters = new MemoryDeadLetters();
  const backlog = new MemoryBacklog();
  const events: string[] = [];
  backlog.events = events;
  for (const w of [rw, rw2]) {
    const replay = w.replay.bind(w);
    w.replay = (request, opts) => {
      events.push(`send ${w.name} ${request.body[0]}`);
      return replay(request, opts);
    };
  }
  const lines: Line[] = [];
  const replayer = new OutboxReplayer({
    writers: [rw, rw2],
    deadLetters,
    backlog,
    clock: fixedClock,
    logger: createLogger({ format: 'json', write: (l) => lines.push(JSON.parse(l)) }),
    options: { safetyMarginMs: 0, ...options },
  });
  return { rw, rw2, deadLetters, backlog, replayer, lines, events };
}

/**
 * A parked write whose body starts with `tag` (what the fake writer answers by): remote_write
 * `rw`, stream A, slot NOW − 60 s, no next slot unless given.
 */
function write(tag: number, overrides: Partial<ParkedWrite> = {}): ParkedWrite {
  return {
    remoteWrite: 'rw',
    body: new Uint8Array([tag, 2, 3, 250, 0, 7]),
    samples: 10 + tag,
    firstParkedMs: NOW - 60_000,
    stream: STREAM_A,
    slotMs: NOW - 60_000,
    part: 0,
    ...overrides,
  };
}

let ids = 0;
/** An outbox record of `w` (a write or a raw body) in `groupId`, received `receiveCount` times. */
function record(w: ParkedWrite | string, groupId = 'g-a', receiveCount = 1): OutboxRecord {
  return {
    messageId: `m-${++ids}`,
    body: typeof w === 'string' ? w : encodeOutboxMessage(w),
    groupId,
    receiveCount,
  };
}

/** A budget of `ms` from now on Date.now. */
const within = (ms: number) => ({ deadlineMs: Date.now() + ms });
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
/** A letter's write with its body as a plain array, for toEqual. */
const plainWrite = (w: ParkedWrite | string) =>
  typeof w === 'string' ? w : { ...w, body: [...w.body] };

// ---- delivered --------------------------------------------------------------------------------

describe('OutboxReplayer: delivered', () => {
  it('sends the body as is to the writer of its remote_write: delivered, nothing else', async () => {
    const s = setup();
    const w = write(1, { remoteWrite: 'rw2', samples: 42 });
    const outcomes = await s.replayer.replayBatch([record(w, 'g', 3)], within(5_000));
    expect(outcomes).toEqual<ReplayOutcome[]>([
      { kind: 'delivered', remoteWrite: 'rw2', samples: 42, receiveCount: 3 },
    ]);
    expect(s.rw.calls).toEqual([]);
    expect(s.rw2.calls).toHaveLength(1);
    expect(sameBytes(s.rw2.calls[0]!.body, w.body)).toBe(true);
    expect(s.rw2.calls[0]!.samples).toBe(42);
    expect(s.deadLetters.letters).toEqual([]);
    expect(s.backlog.releases).toEqual([]);
    expect(s.replayer.counters).toMatchObject({
      replays: 1,
      delivered: 1,
      samplesDelivered: 42,
      retried: 0,
    });
  });

  it('releases the hold only with the write that carries nextSlotMs, after sending it', async () => {
    const s = setup();
    const next = NOW + 10_000;
    const part0 = write(1, { part: 0 });
    const part1 = write(2, { part: 1, nextSlotMs: next });
    const outcomes = await s.replayer.replayBatch([record(part0), record(part1)], within(5_000));
    expect(outcomes.map((o) => o.kind)).toEqual(['delivered', 'delivered']);
    // Part 0 has no nextSlotMs: it released nothing; part 1 released its unit's hold, once.
    expect(s.events).toEqual(['send rw 1', 'send rw 2', `release ${STREAM_A}@${next}#rw`]);
  });

  it('replays a group in its order, one write after the other', async () => {
    const s = setup();
    s.rw.delayMs = 5;
    const writes = [1, 2, 3, 4].map((tag) => write(tag, { part: tag }));
    await s.replayer.replayBatch(
      writes.map((w) => record(w)),
      within(5_000),
    );
    expect(s.rw.sentTags).toEqual([1, 2, 3, 4]);
    expect(s.rw.maxInFlight).toBe(1);
  });

  it('answers one outcome per record, in the records’ order, groups interleaved', async () => {
    const s = setup();
    s.rw.byTag.set(3, refused());
    const outcomes = await s.replayer.replayBatch(
      [
        record(write(1), 'g-a'),
        record(write(2, { stream: STREAM_B, remoteWrite: 'rw2' }), 'g-b'),
        record(write(3, { part: 1 }), 'g-a'),
        record('not json', 'g-c'),
      ],
      within(5_000),
    );
    expect(outcomes.map((o) => [o.kind, o.remoteWrite])).toEqual([
      ['delivered', 'rw'],
      ['delivered', 'rw2'],
      ['dead-lettered', 'rw'],
      ['dead-lettered', undefined],
    ]);
  });
});

// ---- recoverable failures ---------------------------------------------------------------------

describe('OutboxReplayer: a recoverable failure', () => {
  it.each([
    [1, 10],
    [2, 20],
    [3, 40],
    [4, 80],
    [5, 120],
    [9, 120],
  ])('is retry after the backoff of its receive count (%i → %i s)', async (count, delay) => {
    const s = setup();
    s.rw.fallback = unavailable('not delivered: server returned HTTP status 503');
    const w = write(1, { nextSlotMs: NOW + 10_000 });
    const [outcome] = await s.replayer.replayBatch([record(w, 'g', count)], within(5_000));
    expect(outcome).toEqual<ReplayOutcome>({
      kind: 'retry',
      reason: 'not delivered: server returned HTTP status 503',
      delaySeconds: delay,
      remoteWrite: 'rw',
      samples: 11,
      tried: true,
    });
    expect(s.rw.calls).toHaveLength(1);
    // Still waiting: its unit's hold stays, nothing is dead-lettered.
    expect(s.backlog.releases).toEqual([]);
    expect(s.deadLetters.letters).toEqual([]);
    expect(s.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', remote: 'rw', receiveCount: count }),
    );
  });

  it('waits for the backend’s Retry-After when longer than the backoff, not when shorter', async () => {
    const s = setup();
    s.rw.byTag.set(1, unavailable('busy', 45_500));
    s.rw2.byTag.set(2, unavailable('busy', 3_000));
    const outcomes = await s.replayer.replayBatch(
      [record(write(1), 'g-a', 1), record(write(2, { remoteWrite: 'rw2' }), 'g-b', 2)],
      within(5_000),
    );
    expect(outcomes.map((o) => o.kind === 'retry' && o.delaySeconds)).toEqual([46, 20]);
  });

  it('uses the injected retryDelaySeconds with the receive count and the Retry-After', async () => {
    const asked: [number, number | undefined][] = [];
    const s = setup({
      retryDelaySeconds: (n, retryAfterMs) => {
        asked.push([n, retryAfterMs]);
        return 7;
      },
    });
    s.rw.fallback = unavailable('busy', 2_500);
    const [outcome] = await s.replayer.replayBatch([record(write(1), 'g', 4)], within(5_000));
    expect(outcome).toMatchObject({ kind: 'retry', delaySeconds: 7 });
    expect(asked).toEqual([[4, 2_500]]);
  });

  it('retries every later record of its group untried, with the head’s delay; another group goes on', async () => {
    const s = setup();
    s.rw.byTag.set(1, unavailable('backend down'));
    const a1 = record(write(1, { part: 0 }), 'g-a', 3);
    const a2 = record(write(2, { part: 1 }), 'g-a', 1);
    const a3 = record(write(3, { part: 2, nextSlotMs: NOW + 10_000 }), 'g-a', 1);
    const b1 = record(write(4, { stream: STREAM_B, remoteWrite: 'rw2' }), 'g-b', 1);
    const b2 = record(write(5, { stream: STREAM_B, remoteWrite: 'rw2', part: 1 }), 'g-b', 1);
    const outcomes = await s.replayer.replayBatch([a1, b1, a2, b2, a3], within(5_000));
    expect(outcomes[0]).toMatchObject({ kind: 'retry', tried: true, delaySeconds: 40 });
    const behind = {
      kind: 'retry',
      tried: false,
      delaySeconds: 40,
      reason: expect.stringContaining(a1.messageId),
    };
    expect(outcomes[2]).toMatchObject(behind);
    expect(outcomes[4]).toMatchObject(behind);
    expect(outcomes[1]).toMatchObject({ kind: 'delivered', remoteWrite: 'rw2' });
    expect(outcomes[3]).toMatchObject({ kind: 'delivered', remoteWrite: 'rw2' });
    // Only the head of the waiting group was sent; its later records were not.
    expect(s.rw.sentTags).toEqual([1]);
    expect(s.rw2.sentTags).toEqual([4, 5]);
    expect(s.backlog.releases).toEqual([]);
  });

  it('a remote_write that failed recoverably retries its later records in other groups untried', async () => {
    const s = setup({ concurrency: 1 });
    s.rw.byTag.set(1, unavailable('backend down', 60_000));
    const outcomes = await s.replayer.replayBatch(
      [
        record(write(1), 'g-a', 1),
        record(write(2, { stream: STREAM_B }), 'g-b', 2),
        record(write(3, { stream: STREAM_B, part: 1 }), 'g-b', 2),
        record(write(4, { stream: STREAM_C, remoteWrite: 'rw2' }), 'g-c', 1),
      ],
      within(5_000),
    );
    expect(outcomes).toEqual([
      expect.objectContaining({ kind: 'retry', tried: true, delaySeconds: 60 }),
      // Not sent: the remote_write is down (its Retry-After holds for it too).
      expect.objectContaining({
        kind: 'retry',
        tried: false,
        delaySeconds: 60,
        reason: 'backend down',
        remoteWrite: 'rw',
      }),
      expect.objectContaining({ kind: 'retry', tried: false, delaySeconds: 60 }),
      expect.objectContaining({ kind: 'delivered', remoteWrite: 'rw2' }),
    ]);
    expect(s.rw.sentTags).toEqual([1]);
    expect(s.rw2.sentTags).toEqual([4]);
  });

  it('a record of a down remote_write waits the backoff of its own receive count', async () => {
    const s = setup({ concurrency: 1 });
    s.rw.byTag.set(1, unavailable('backend down'));
    const outcomes = await s.replayer.replayBatch(
      [record(write(1), 'g-a', 1), record(write(2, { stream: STREAM_B }), 'g-b', 3)],
      within(5_000),
    );
    expect(outcomes.map((o) => o.kind === 'retry' && [o.tried, o.delaySeconds])).toEqual([
      [true, 10],
      [false, 40],
    ]);
  });

  it('a writer that throws (a bug) is a retry, not a failed batch', async () => {
    const s = setup();
    s.rw.byTag.set(1, { kind: 'throw', error: new Error('boom') });
    const outcomes = await s.replayer.replayBatch(
      [record(write(1), 'g-a', 2), record(write(2, { remoteWrite: 'rw2' }), 'g-b')],
      within(5_000),
    );
    expect(outcomes[0]).toMatchObject({
      kind: 'retry',
      tried: true,
      delaySeconds: 20,
      reason: expect.stringContaining('boom'),
    });
    expect(outcomes[1]).toMatchObject({ kind: 'delivered' });
    expect(s.lines).toContainEqual(expect.objectContaining({ level: 'error', err: 'boom' }));
  });
});

// ---- dead letters -----------------------------------------------------------------------------

describe('OutboxReplayer: expired', () => {
  const maxAgeMs = 30 * 60_000;

  it('tries an old write once more first: delivered if the backend takes it', async () => {
    const s = setup({ maxAgeMs });
    const w = write(1, { firstParkedMs: 0, nextSlotMs: NOW });
    const [outcome] = await s.replayer.replayBatch([record(w)], within(5_000));
    expect(outcome).toMatchObject({ kind: 'delivered' });
    expect(s.deadLetters.letters).toEqual([]);
    expect(s.backlog.releases).toEqual([`${STREAM_A}@${NOW}#rw`]);
  });

  it('still failing past maxAgeMs: dead-lettered expired with the last error, hold released', async () => {
    const s = setup({ maxAgeMs });
    s.rw.fallback = unavailable('not delivered: HTTP status 503: backend down');
    const w = write(1, { firstParkedMs: NOW - maxAgeMs - 1, nextSlotMs: NOW + 10_000 });
    const follower = write(2, { part: 1 });
    s.rw.byTag.set(2, delivered);
    const outcomes = await s.replayer.replayBatch(
      [record(w, 'g', 5), record(follower, 'g', 5)],
      within(5_000),
    );
    expect(outcomes[0]).toEqual<ReplayOutcome>({
      kind: 'dead-lettered',
      reason: 'expired',
      remoteWrite: 'rw',
      samples: 11,
    });
    expect(s.rw.sentTags).toEqual([1, 2]);
    expect(s.deadLetters.letters.map((l) => ({ ...l, write: plainWrite(l.write) }))).toEqual([
      {
        reason: 'expired',
        detail: 'not delivered: HTTP status 503: backend down',
        write: plainWrite(w),
      },
    ]);
    expect(s.backlog.releases).toEqual([`${STREAM_A}@${NOW + 10_000}#rw`]);
    // Given up on, it no longer holds its group.
    expect(outcomes[1]).toMatchObject({ kind: 'delivered' });
    expect(s.lines).toContainEqual(
      expect.objectContaining({ level: 'error', msg: expect.stringContaining('maximum age') }),
    );
    expect(s.replayer.counters).toMatchObject({ expired: 1, samplesDeadLettered: 11 });
  });

  it('is not expired at exactly its maximum age; the default age is 2 h', async () => {
    expect(DEFAULT_OUTBOX_MAX_AGE_MS).toBe(7_200_000);
    const s = setup();
    s.rw.fallback = unavailable();
    const outcomes = await s.replayer.replayBatch(
      [
        record(write(1, { firstParkedMs: NOW - DEFAULT_OUTBOX_MAX_AGE_MS }), 'g-a'),
        record(write(2, { firstParkedMs: NOW - DEFAULT_OUTBOX_MAX_AGE_MS - 1 }), 'g-b'),
      ],
      within(5_000),
    );
    expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'dead-lettered']);
  });
});

describe('OutboxReplayer: rejected', () => {
  it('dead-letters a 4xx with the backend’s message logged at error; releases; the group goes on', async () => {
    const s = setup();
    const message = 'server returned HTTP status 400: out of order sample';
    s.rw.byTag.set(1, refused(message));
    const w = write(1, { nextSlotMs: NOW + 10_000, samples: 42 });
    const next = write(2, { slotMs: NOW - 50_000 });
    const outcomes = await s.replayer.replayBatch([record(w), record(next)], within(5_000));
    expect(outcomes).toEqual<ReplayOutcome[]>([
      { kind: 'dead-lettered', reason: 'rejected', remoteWrite: 'rw', samples: 42 },
      { kind: 'delivered', remoteWrite: 'rw', samples: 12, receiveCount: 1 },
    ]);
    expect(s.deadLetters.letters.map((l) => ({ ...l, write: plainWrite(l.write) }))).toEqual([
      { reason: 'rejected', detail: message, write: plainWrite(w) },
    ]);
    expect(s.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: expect.stringContaining('rejected'),
        remote: 'rw',
        samples: 42,
        status: 400,
        err: expect.stringContaining('out of order sample'),
      }),
    );
    expect(s.events).toEqual(['send rw 1', `release ${STREAM_A}@${NOW + 10_000}#rw`, 'send rw 2']);
    expect(s.replayer.counters).toMatchObject({ rejected: 1, samplesDeadLettered: 42 });
  });
});

describe('OutboxReplayer: unknown remote_write', () => {
  it('dead-letters a write whose remote_write left the config, without sending it', async () => {
    const s = setup();
    const w = write(1, { remoteWrite: 'gone', nextSlotMs: NOW + 10_000 });
    const [outcome] = await s.replayer.replayBatch([record(w)], within(5_000));
    expect(outcome).toEqual<ReplayOutcome>({
      kind: 'dead-lettered',
      reason: 'unknown-remote-write',
      remoteWrite: 'gone',
      samples: 11,
    });
    expect(s.rw.calls).toEqual([]);
    expect(s.rw2.calls).toEqual([]);
    expect(s.deadLetters.letters.map((l) => ({ ...l, write: plainWrite(l.write) }))).toEqual([
      {
        reason: 'unknown-remote-write',
        detail: expect.stringContaining('"gone"'),
        write: plainWrite(w),
      },
    ]);
    expect(s.backlog.releases).toEqual([`${STREAM_A}@${NOW + 10_000}#gone`]);
    expect(s.lines).toContainEqual(expect.objectContaining({ level: 'error', remote: 'gone' }));
    expect(s.replayer.counters).toMatchObject({ unknownRemoteWrite: 1, samplesDeadLettered: 11 });
  });
});

describe('OutboxReplayer: malformed', () => {
  const valid = encodeOutboxMessage(write(9));
  it.each([
    ['not JSON', '{"v":2,', 'not JSON'],
    ['version 1', valid.replace('"v":2', '"v":1'), 'version 1'],
    ['a stream that is no stream key', valid.replace(STREAM_A, 'Not/A/Key'), 'stream'],
    ['a negative part', valid.replace('"p":0', '"p":-1'), 'part'],
  ])('dead-letters %s as the raw text; the group goes on', async (_name, body, detail) => {
    const s = setup();
    const outcomes = await s.replayer.replayBatch(
      [record(body, 'g'), record(write(2, { part: 1 }), 'g')],
      within(5_000),
    );
    expect(outcomes).toEqual<ReplayOutcome[]>([
      { kind: 'dead-lettered', reason: 'malformed', remoteWrite: undefined, samples: 0 },
      { kind: 'delivered', remoteWrite: 'rw', samples: 12, receiveCount: 1 },
    ]);
    expect(s.deadLetters.letters).toEqual([
      { reason: 'malformed', detail: expect.stringContaining(detail), write: body },
    ]);
    expect(s.rw.sentTags).toEqual([2]);
    expect(s.backlog.releases).toEqual([]);
    expect(s.lines).toContainEqual(
      expect.objectContaining({ level: 'error', err: expect.stringContaining('MALFORMED') }),
    );
    expect(s.replayer.counters).toMatchObject({ malformed: 1, samplesDeadLettered: 0 });
  });
});

// ---- what cannot be settled now --------------------------------------------------------------

describe('OutboxReplayer: a dead-letter send that fails', () => {
  const next = NOW + 10_000;
  it.each<[string, (s: Setup) => OutboxRecord]>([
    [
      'rejected',
      (s) => {
        s.rw.fallback = refused();
        return record(write(1, { nextSlotMs: next }), 'g', 2);
      },
    ],
    [
      'expired',
      (s) => {
        s.rw.fallback = unavailable();
        return record(write(1, { firstParkedMs: 0, nextSlotMs: next }), 'g', 2);
      },
    ],
    [
      'unknown-remote-write',
      () => record(write(1, { remoteWrite: 'gone', nextSlotMs: next }), 'g', 2),
    ],
    ['malformed', () => record('nope', 'g', 2)],
  ])('(%s) is a retry after the backoff; nothing released, nothing lost', async (_r, make) => {
    const s = setup();
    s.deadLetters.failWith = new Error('dlq unreachable');
    const head = make(s);
    const behind = record(write(7, { part: 1 }), 'g', 1);
    const outcomes = await s.replayer.replayBatch([head, behind], within(5_000));
    expect(outcomes[0]).toMatchObject({
      kind: 'retry',
      delaySeconds: 20,
      reason: expect.stringContaining('dlq unreachable'),
    });
    // Its group waits behind it: the order is kept for when it comes back.
    expect(outcomes[1]).toMatchObject({ kind: 'retry', tried: false, delaySeconds: 20 });
    expect(s.rw.sentTags).not.toContain(7);
    expect(s.backlog.releases).toEqual([]);
    expect(s.replayer.counters).toMatchObject({
      failures: 1,
      samplesDeadLettered: 0,
      expired: 0,
      rejected: 0,
      unknownRemoteWrite: 0,
      malformed: 0,
    });
    expect(s.lines).toContainEqual(
      expect.objectContaining({ level: 'error', err: 'dlq unreachable' }),
    );
  });
});

describe('OutboxReplayer: time', () => {
  it('no time left: retry with delay 0, nothing sent, for the group too', async () => {
    const s = setup({ safetyMarginMs: 1_000 });
    const outcomes = await s.replayer.replayBatch(
      [record(write(1), 'g', 4), record(write(2, { part: 1 }), 'g', 4)],
      within(900),
    );
    expect(outcomes).toEqual([
      expect.objectContaining({ kind: 'retry', tried: false, delaySeconds: 0 }),
      expect.objectContaining({ kind: 'retry', tried: false, delaySeconds: 0 }),
    ]);
    expect(s.rw.calls).toEqual([]);
  });

  it('maxReplayMs bounds one replay even with a far deadline; the deadline bounds it when nearer', async () => {
    const far = setup({ maxReplayMs: 300 });
    const before = Date.now();
    await far.replayer.replayBatch([record(write(1))], within(60_000));
    const call = far.rw.calls[0]!;
    expect(call.retryUntil! - call.atMs).toBeLessThanOrEqual(300);
    expect(call.retryUntil!).toBeGreaterThanOrEqual(before + 300);

    const near = setup({ safetyMarginMs: 1_000 });
    const deadlineMs = Date.now() + 1_500;
    await near.replayer.replayBatch([record(write(1))], { deadlineMs });
    // Two reads of Date.now apart: within a few ms of the deadline less the margin.
    expect(Math.abs(near.rw.calls[0]!.retryUntil! - (deadlineMs - 1_000))).toBeLessThanOrEqual(5);
  });

  it('sends a write once per delivery: the queue’s backoff does the waiting', async () => {
    const s = setup();
    s.rw.fallback = unavailable();
    await s.replayer.replayBatch([record(write(1), 'g-a')], within(5_000));
    await s.replayer.replayBatch([record(write(2, { remoteWrite: 'rw2' }), 'g-b')], within(5_000));
    expect([...s.rw.calls, ...s.rw2.calls].map((c) => c.maxAttempts)).toEqual([1, 1]);
  });

  it('judges age on the injected clock, not Date.now', async () => {
    // firstParkedMs is recent on Date.now but 3 h old on the replayer's clock (NOW).
    const s = setup();
    s.rw.fallback = unavailable();
    const [outcome] = await s.replayer.replayBatch(
      [record(write(1, { firstParkedMs: NOW - 3 * 3_600_000 }))],
      within(5_000),
    );
    expect(outcome).toMatchObject({ kind: 'dead-lettered', reason: 'expired' });
  });
});

describe('OutboxReplayer: a failing remote_write is left alone for a while', () => {
  // Date.now moved forward by `passed` (the pause is on the wall clock).
  let passed = 0;
  const realNow = Date.now.bind(Date);
  const passTime = (ms: number) => {
    if (passed === 0) vi.spyOn(Date, 'now').mockImplementation(() => realNow() + passed);
    passed += ms;
  };
  afterEach(() => {
    vi.restoreAllMocks();
    passed = 0;
  });

  it(`for WRITER_PAUSE_MS across batches; other remote_writes go on`, async () => {
    expect(WRITER_PAUSE_MS).toBeGreaterThan(1_000);
    const s = setup();
    s.rw.byTag.set(1, unavailable('backend down'));
    await s.replayer.replayBatch([record(write(1), 'g-a')], within(5_000));
    passTime(WRITER_PAUSE_MS - 1_000);
    const paused = await s.replayer.replayBatch(
      [
        record(write(2, { stream: STREAM_B }), 'g-b', 2),
        record(write(3, { stream: STREAM_C, remoteWrite: 'rw2' }), 'g-c'),
      ],
      within(5_000),
    );
    expect(paused).toEqual([
      expect.objectContaining({
        kind: 'retry',
        tried: false,
        reason: 'backend down',
        delaySeconds: 20,
      }),
      expect.objectContaining({ kind: 'delivered', remoteWrite: 'rw2' }),
    ]);
    passTime(1_001);
    const [after] = await s.replayer.replayBatch(
      [record(write(2, { stream: STREAM_B }), 'g-b', 3)],
      within(5_000),
    );
    expect(after).toMatchObject({ kind: 'delivered' });
    expect(s.rw.sentTags).toEqual([1, 2]);
  });

  it('for its Retry-After when that is longer', async () => {
    const s = setup();
    s.rw.byTag.set(1, unavailable('slow down', 30_000));
    await s.replayer.replayBatch([record(write(1), 'g-a')], within(5_000));
    passTime(20_000);
    const [paused] = await s.replayer.replayBatch(
      [record(write(2, { stream: STREAM_B }), 'g-b')],
      within(5_000),
    );
    expect(paused).toMatchObject({ kind: 'retry', tried: false, delaySeconds: 30 });
    passTime(10_001);
    const [after] = await s.replayer.replayBatch(
      [record(write(2, { stream: STREAM_B }), 'g-b')],
      within(5_000),
    );
    expect(after).toMatchObject({ kind: 'delivered' });
    expect(s.rw.sentTags).toEqual([1, 2]);
  });

  it('until a write to it is delivered', async () => {
    const s = setup();
    // Both groups are sent before either answers; the failure comes first, then a delivery.
    s.rw.byTag.set(1, unavailable('blip'));
    s.rw.delayByTag.set(2, 30);
    const first = await s.replayer.replayBatch(
      [record(write(1), 'g-a'), record(write(2, { stream: STREAM_B }), 'g-b')],
      within(5_000),
    );
    expect(first.map((o) => o.kind)).toEqual(['retry', 'delivered']);
    const [next] = await s.replayer.replayBatch(
      [record(write(3, { stream: STREAM_C }), 'g-c')],
      within(5_000),
    );
    expect(next).toMatchObject({ kind: 'delivered' });
    expect(s.rw.sentTags).toEqual([1, 2, 3]);
  });
});

describe('OutboxReplayer: a release that fails', () => {
  it('is counted and logged, and changes no outcome', async () => {
    const s = setup();
    s.backlog.failWith = new Error('throttled');
    s.rw.byTag.set(2, refused());
    const outcomes = await s.replayer.replayBatch(
      [
        record(write(1, { nextSlotMs: NOW + 10_000 }), 'g-a'),
        record(write(2, { stream: STREAM_B, nextSlotMs: NOW + 10_000 }), 'g-b'),
        record(write(3, { stream: STREAM_B, part: 1 }), 'g-b'),
      ],
      within(5_000),
    );
    expect(outcomes.map((o) => o.kind)).toEqual(['delivered', 'dead-lettered', 'delivered']);
    expect(s.replayer.counters).toMatchObject({ releaseFailures: 2, failures: 0, retried: 0 });
    expect(s.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', remote: 'rw', err: 'throttled' }),
    );
  });
});

describe('OutboxReplayer: concurrency', () => {
  it('replays at most `concurrency` groups at once, and does run them concurrently', async () => {
    const s = setup({ concurrency: 2 });
    s.rw.delayMs = 30;
    const records = [STREAM_A, STREAM_B, STREAM_C, 'dddddddddddddddd', 'eeeeeeeeeeeeeeee'].flatMap(
      (stream, g) => [
        record(write(2 * g, { stream }), `g-${g}`),
        record(write(2 * g + 1, { stream, part: 1 }), `g-${g}`),
      ],
    );
    const outcomes = await s.replayer.replayBatch(records, within(5_000));
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    expect(s.rw.maxInFlight).toBe(2);
    // Within each group, the order held.
    for (let g = 0; g < 5; g++) {
      const tags = s.rw.sentTags.filter((t) => t === 2 * g || t === 2 * g + 1);
      expect(tags).toEqual([2 * g, 2 * g + 1]);
    }
  });

  it('defaults to 10 groups at once', async () => {
    const s = setup();
    s.rw.delayMs = 30;
    const records = Array.from({ length: 12 }, (_, g) =>
      record(write(g, { stream: g.toString(16).padStart(16, '0') }), `g-${g}`),
    );
    await s.replayer.replayBatch(records, within(5_000));
    expect(s.rw.calls).toHaveLength(12);
    expect(s.rw.maxInFlight).toBe(10);
  });
});

describe('OutboxReplayer: counters', () => {
  it('counts each outcome and its samples', async () => {
    const s = setup({ maxAgeMs: 60_000, concurrency: 1 });
    s.rw.byTag.set(2, refused());
    s.rw.byTag.set(3, unavailable());
    s.rw2.byTag.set(4, unavailable());
    const old = NOW - 60_001;
    await s.replayer.replayBatch(
      [
        record(write(1, { samples: 5, nextSlotMs: NOW }), 'g-1'), // delivered
        record(write(2, { samples: 7, stream: STREAM_B }), 'g-2'), // rejected
        record(write(3, { samples: 11, stream: STREAM_C, firstParkedMs: old }), 'g-3'), // expired
        record(write(4, { samples: 13, remoteWrite: 'rw2' }), 'g-4'), // retry (tried)
        record(write(5, { samples: 17, remoteWrite: 'gone' }), 'g-5'), // unknown
        record('garbage', 'g-6'), // malformed
      ],
      within(5_000),
    );
    s.deadLetters.failWith = new Error('dlq down');
    s.backlog.failWith = new Error('throttled');
    await s.replayer.replayBatch(
      [
        record('garbage', 'g-7'), // dead-letter send failed: retry
        record(write(6, { samples: 19, nextSlotMs: NOW }), 'g-8'), // delivered, release failed
      ],
      within(5_000),
    );
    expect(s.replayer.counters).toEqual({
      replays: 5,
      delivered: 2,
      samplesDelivered: 5 + 19,
      retried: 2,
      samplesRetried: 13,
      expired: 1,
      rejected: 1,
      unknownRemoteWrite: 1,
      malformed: 1,
      samplesDeadLettered: 7 + 11 + 17,
      failures: 1,
      releaseFailures: 1,
    });
  });

  it('hands out a copy: the caller cannot change them', async () => {
    const s = setup();
    const c = s.replayer.counters as { delivered: number };
    c.delivered = 99;
    expect(s.replayer.counters.delivered).toBe(0);
  });
});

describe('OutboxReplayer options', () => {
  const deadLetters = new MemoryDeadLetters();
  const writer = (name: string): ReplayWriter => ({
    name,
    replay: () => Promise.reject(new Error('unused')),
  });
  it.each<[string, () => OutboxReplayer]>([
    [
      'two writers with one name',
      () => new OutboxReplayer({ deadLetters, writers: [writer('a'), writer('a')] }),
    ],
    [
      'maxAgeMs 0',
      () => new OutboxReplayer({ deadLetters, writers: [], options: { maxAgeMs: 0 } }),
    ],
    [
      'maxReplayMs NaN',
      () => new OutboxReplayer({ deadLetters, writers: [], options: { maxReplayMs: Number.NaN } }),
    ],
    [
      'negative safety margin',
      () => new OutboxReplayer({ deadLetters, writers: [], options: { safetyMarginMs: -1 } }),
    ],
    [
      'concurrency 0',
      () => new OutboxReplayer({ deadLetters, writers: [], options: { concurrency: 0 } }),
    ],
    [
      'concurrency 1.5',
      () => new OutboxReplayer({ deadLetters, writers: [], options: { concurrency: 1.5 } }),
    ],
  ])('rejects %s', (_name, make) => {
    let thrown: unknown;
    try {
      make();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(OutboxReplayError);
    expect(thrown).toMatchObject({ code: 'OUTBOX_REPLAY_INVALID_OPTIONS' });
  });

  it('accepts a safety margin of 0 and works without a backlog', async () => {
    const rw = new FakeWriter('rw');
    const replayer = new OutboxReplayer({
      deadLetters,
      writers: [rw],
      options: { safetyMarginMs: 0, concurrency: 1 },
    });
    const [outcome] = await replayer.replayBatch(
      [record(write(1, { nextSlotMs: NOW }))],
      within(5_000),
    );
    expect(outcome).toMatchObject({ kind: 'delivered' });
  });
});

/**
 * Fuzz: outbox messages (`decodeParkedWrite`), read back from the FIFO outbox queue and treated
 * as untrusted. Whatever the text — random, a valid message mutated, fields of the wrong type,
 * huge or negative numbers, bad base64, deep nesting — the only exception is OutboxMessageError;
 * a message that decodes is a write `encodeOutboxMessage` accepts again, whose body is no larger
 * than its base64 says. At the replayer's level a malformed message is dead-lettered as it is,
 * with the reason, and the rest of its group goes on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeParkedWrite,
  encodeOutboxMessage,
  OutboxMessageError,
} from '../../src/pipeline/outbox-message.js';
import { type OutboxRecord, OutboxReplayer } from '../../src/pipeline/outbox-replayer.js';
import type { DeadLetter, ParkedWrite } from '../../src/ports.js';
import { errorOf, fuzzParams } from '../support/fuzz.js';

/** The suite's tests run longer with the fuzz scale: their timeout grows with it. */
const SCALED = { timeout: 30_000 * fuzzParams(1).numRuns! };

const writeArb: fc.Arbitrary<ParkedWrite> = fc.record(
  {
    remoteWrite: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
    body: fc.uint8Array({ maxLength: 300 }),
    samples: fc.nat(),
    firstParkedMs: fc.nat(),
    stream: fc.stringMatching(/^[0-9a-f]{1,64}$/),
    slotMs: fc.nat(),
    part: fc.nat(),
    nextSlotMs: fc.nat(),
  },
  { requiredKeys: ['remoteWrite', 'body', 'samples', 'firstParkedMs', 'stream', 'slotMs', 'part'] },
);

/** Decodes; on success the write re-encodes and its body is bounded by the base64 text. */
async function decodesOrRefuses(text: string): Promise<OutboxMessageError | undefined> {
  let write: ParkedWrite | undefined;
  const err = await errorOf(OutboxMessageError, () => {
    write = decodeParkedWrite(text);
  });
  if (err !== undefined) {
    expect(err.code).toBe('OUTBOX_MESSAGE_MALFORMED');
    expect(err.message.length).toBeLessThan(300);
    return err;
  }
  expect(() => encodeOutboxMessage(write!)).not.toThrow();
  const b = (JSON.parse(text) as { b: string }).b;
  expect(write!.body.byteLength).toBeLessThanOrEqual((b.length / 4) * 3);
  return undefined;
}

const hostileValue = fc.oneof(
  fc.constantFrom(
    -1,
    -0,
    0.5,
    1e308,
    -1e308,
    2 ** 53,
    Number.MAX_SAFE_INTEGER,
    '',
    '1',
    'x'.repeat(5000),
    'a#b',
    'A'.repeat(65),
    '0'.repeat(65),
    null,
    true,
    [],
    {},
    [1],
  ),
  fc.jsonValue({ maxDepth: 3 }),
);
const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const FIELDS = ['v', 'rw', 'n', 'f', 'st', 'sl', 'p', 'nx', 'b', 'a'] as const;

/** Whether `value` (undefined: absent) is acceptable for `field`, by the message's format. */
function acceptable(field: (typeof FIELDS)[number], value: unknown): boolean {
  const count = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
  switch (field) {
    case 'v':
      return value === 2;
    case 'rw':
      return typeof value === 'string' && value !== '';
    case 'st':
      return typeof value === 'string' && /^[0-9a-f]{1,64}$/.test(value);
    case 'b':
      return (
        typeof value === 'string' && value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value)
      );
    case 'nx':
      return value === undefined || count;
    case 'a':
      return true;
    default:
      return count;
  }
}

describe('decodeParkedWrite on untrusted messages', SCALED, () => {
  it('random text and random JSON: OutboxMessageError only', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.json({ maxDepth: 4 })),
        async (text) => {
          await decodesOrRefuses(text);
        },
      ),
      fuzzParams(1_500),
    );
  });

  it('valid messages mutated character-wise: OutboxMessageError only', async () => {
    const edit = fc.tuple(
      fc.nat(),
      fc.nat(3),
      fc.constantFrom('"', '{', '}', ',', ':', '0', '-', '9e9', '=', '/', '+', 'é', '\\u0000'),
    );
    await fc.assert(
      fc.asyncProperty(writeArb, fc.array(edit, { minLength: 1, maxLength: 4 }), async (w, e) => {
        let s = encodeOutboxMessage(w);
        for (const [at, del, piece] of e) {
          const i = at % (s.length + 1);
          s = s.slice(0, i) + piece + s.slice(i + del);
        }
        await decodesOrRefuses(s);
      }),
      fuzzParams(1_500),
    );
  });

  it('one field replaced (wrong type, huge/negative number, deep nesting) or dropped', async () => {
    await fc.assert(
      fc.asyncProperty(
        writeArb,
        fc.constantFrom(...FIELDS),
        fc.oneof(
          hostileValue.map((v) => JSON.stringify(v)),
          fc.constantFrom(1, 1_000, 20_000).map(nested),
          fc.constant(undefined),
        ),
        async (w, field, raw) => {
          const o = JSON.parse(encodeOutboxMessage(w));
          if (raw === undefined) delete o[field];
          else o[field] = '\u0000HOLE';
          const text = JSON.stringify(o).replace('"\\u0000HOLE"', () => raw ?? '');
          const err = await decodesOrRefuses(text);
          const value = raw === undefined ? undefined : JSON.parse(raw);
          expect(err === undefined).toBe(acceptable(field, value));
        },
      ),
      fuzzParams(1_500),
    );
  });

  it('base64 bodies: refused unless padded base64; decoded size is what the text holds', async () => {
    const b64 = fc.string({
      unit: fc.constantFrom(
        ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n.',
      ),
      maxLength: 64,
    });
    const base = JSON.parse(
      encodeOutboxMessage({
        remoteWrite: 'rw',
        body: new Uint8Array(0),
        samples: 1,
        firstParkedMs: 1,
        stream: 'ab',
        slotMs: 1,
        part: 0,
      }),
    );
    await fc.assert(
      fc.asyncProperty(b64, async (b) => {
        const err = await decodesOrRefuses(JSON.stringify({ ...base, b }));
        const padded = b.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(b);
        if (err !== undefined) {
          expect(err.message).toBe('outbox body: b is not base64');
        } else {
          expect(padded).toBe(true);
          expect(decodeParkedWrite(JSON.stringify({ ...base, b })).body.byteLength).toBe(
            Buffer.from(b, 'base64').byteLength,
          );
        }
      }),
      fuzzParams(1_500),
    );
  });
});

describe('the replayer on untrusted messages', SCALED, () => {
  it('dead-letters a malformed message as its text, with the reason; its group goes on', async () => {
    const letters: DeadLetter[] = [];
    const sent: number[] = [];
    const replayer = new OutboxReplayer({
      writers: [
        {
          name: 'rw',
          replay: async (request) => {
            sent.push(request.samples);
            return {
              requests: 1,
              samples: request.samples,
              dropped: 0,
              delivered: request.samples,
              rejected: 0,
              pending: 0,
              parked: [],
              errors: [],
            };
          },
        },
      ],
      deadLetters: { send: async (l) => void letters.push(l) },
      options: { safetyMarginMs: 0 },
    });
    const next = encodeOutboxMessage({
      remoteWrite: 'rw',
      body: Uint8Array.of(1),
      samples: 7,
      firstParkedMs: Date.now(),
      stream: 'ab',
      slotMs: 1,
      part: 1,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 100 }),
          fc.json({ maxDepth: 3 }),
          fc.constant(`{"v":${nested(20_000)}}`),
        ),
        async (text) => {
          letters.length = 0;
          sent.length = 0;
          const records: OutboxRecord[] = [
            { messageId: 'm1', body: text, groupId: 'g', receiveCount: 1 },
            { messageId: 'm2', body: next, groupId: 'g', receiveCount: 1 },
          ];
          const [first, second] = await replayer.replayBatch(records, {
            deadlineMs: Date.now() + 60_000,
          });
          let malformed: string | undefined;
          try {
            decodeParkedWrite(text);
          } catch (err) {
            malformed = (err as Error).message;
          }
          if (malformed !== undefined) {
            expect(first).toEqual({
              kind: 'dead-lettered',
              reason: 'malformed',
              remoteWrite: undefined,
              samples: 0,
            });
            expect(letters[0]).toEqual({ reason: 'malformed', detail: malformed, write: text });
          } else {
            expect(first?.kind).not.toBe('retry');
          }
          expect(second).toMatchObject({ kind: 'delivered', samples: 7 });
          expect(sent.at(-1)).toBe(7);
        },
      ),
      fuzzParams(300),
    );
  });
});

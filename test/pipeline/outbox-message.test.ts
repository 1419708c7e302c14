import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeParkedWrite,
  encodeOutboxMessage,
  OutboxMessageError,
} from '../../src/pipeline/outbox-message.js';
import type { ParkedWrite } from '../../src/ports.js';

function write(body: Uint8Array, nextSlotMs?: number): ParkedWrite {
  return {
    remoteWrite: 'amp-eu',
    body,
    samples: 1234,
    firstParkedMs: 1_700_000_000_123,
    stream: '0123456789abcdef',
    slotMs: 1_700_000_000_000,
    part: 1,
    ...(nextSlotMs === undefined ? {} : { nextSlotMs }),
  };
}

/** Every byte value, then random bytes: what a snappy body can hold. */
function binary(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < 256 && i < n; i++) out[i] = i;
  out.set(randomBytes(Math.max(0, n - 256)), Math.min(256, n));
  return out;
}

describe('outbox message', () => {
  it.each([
    ['with', 1_700_000_015_000],
    ['without', undefined],
  ])('decodes what it encoded, byte-equal, %s a next slot', (_w, next) => {
    const parked = write(binary(10_000), next);
    const decoded = decodeParkedWrite(encodeOutboxMessage(parked));
    expect({ ...decoded, body: [...decoded.body] }).toEqual({ ...parked, body: [...parked.body] });
  });

  it('refuses to encode a write with invalid fields', () => {
    expect(() => encodeOutboxMessage({ ...write(binary(1)), samples: -1 })).toThrow(
      expect.objectContaining({ code: 'OUTBOX_MESSAGE_INVALID_WRITE' }),
    );
  });

  const valid = JSON.parse(encodeOutboxMessage(write(binary(300))));
  it.each([
    ['not JSON', '{'],
    ['array', '[]'],
    ['version 1 (the unordered outbox)', JSON.stringify({ ...valid, v: 1 })],
    ['stream not a key', JSON.stringify({ ...valid, st: 'a#b' })],
    ['missing slot', JSON.stringify({ ...valid, sl: undefined })],
    ['negative part', JSON.stringify({ ...valid, p: -1 })],
    ['fractional next slot', JSON.stringify({ ...valid, nx: 1.5 })],
    // Found by the fuzz suite: null passed as "no next slot" and reached the backlog.
    ['null next slot', JSON.stringify({ ...valid, nx: null })],
    ['bad base64', JSON.stringify({ ...valid, b: 'a*b=' })],
    ['base64 bad padding', JSON.stringify({ ...valid, b: 'abc' })],
    ['missing name', JSON.stringify({ ...valid, rw: '' })],
    ['fractional samples', JSON.stringify({ ...valid, n: 1.5 })],
    ['string time', JSON.stringify({ ...valid, f: '1' })],
  ])('rejects %s with OUTBOX_MESSAGE_MALFORMED', (_n, body) => {
    expect(() => decodeParkedWrite(body)).toThrow(OutboxMessageError);
    expect(() => decodeParkedWrite(body)).toThrow(
      expect.objectContaining({ code: 'OUTBOX_MESSAGE_MALFORMED' }),
    );
  });

  // Found by test/pipeline/outbox-message.fuzz.test.ts: the message stringified the bad value,
  // which overflows the stack for deep nesting (a RangeError, not an OutboxMessageError).
  it.each([
    ['v', 'outbox body version an array is not 2'],
    ['st', 'outbox body: stream must be a series stream key, got an array'],
    ['n', 'outbox body: samples must be a non-negative integer, got an array'],
  ])('a deeply nested %s is malformed, not a stack overflow', (field, message) => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const body = JSON.stringify({ ...valid, [field]: '@' }).replace('"@"', deep);
    expect(() => decodeParkedWrite(body)).toThrow(
      expect.objectContaining({ code: 'OUTBOX_MESSAGE_MALFORMED', message }),
    );
  });
});

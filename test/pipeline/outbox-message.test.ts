import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeParkedWrite,
  encodeOutboxMessage,
  OutboxMessageError,
} from '../../src/pipeline/outbox-message.js';
import type { ParkedWrite } from '../../src/ports.js';

function write(body: Uint8Array, attempts = 0): ParkedWrite {
  return { remoteWrite: 'amp-eu', body, samples: 1234, attempts, firstParkedMs: 1_700_000_000_123 };
}

/** Every byte value, then random bytes: what a snappy body can hold. */
function binary(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < 256 && i < n; i++) out[i] = i;
  out.set(randomBytes(Math.max(0, n - 256)), Math.min(256, n));
  return out;
}

describe('outbox message', () => {
  it('decodes what it encoded, byte-equal', () => {
    const parked = write(binary(10_000), 3);
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
    ['wrong version', JSON.stringify({ ...valid, v: 2 })],
    ['bad base64', JSON.stringify({ ...valid, b: 'a*b=' })],
    ['base64 bad padding', JSON.stringify({ ...valid, b: 'abc' })],
    ['missing name', JSON.stringify({ ...valid, rw: '' })],
    ['negative attempts', JSON.stringify({ ...valid, a: -1 })],
    ['fractional samples', JSON.stringify({ ...valid, n: 1.5 })],
    ['string time', JSON.stringify({ ...valid, f: '1' })],
  ])('rejects %s with OUTBOX_MESSAGE_MALFORMED', (_n, body) => {
    expect(() => decodeParkedWrite(body)).toThrow(OutboxMessageError);
    expect(() => decodeParkedWrite(body)).toThrow(
      expect.objectContaining({ code: 'OUTBOX_MESSAGE_MALFORMED' }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { SQS_MAX_DELAY_SECONDS } from '../../src/aws/sqs-limits.js';
import {
  DEFAULT_OUTBOX_MAX_AGE_MS,
  isParkedWriteExpired,
  nextOutboxDelaySeconds,
  OUTBOX_MAX_DELAY_SECONDS,
} from '../../src/pipeline/outbox-policy.js';
import type { ParkedWrite } from '../../src/ports.js';

function write(): ParkedWrite {
  return {
    remoteWrite: 'amp-eu',
    body: new Uint8Array([1, 2, 3]),
    samples: 1234,
    attempts: 0,
    firstParkedMs: 1_700_000_000_123,
  };
}

describe('nextOutboxDelaySeconds', () => {
  it('starts at 30 s, doubles, and caps at 900 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 100].map(nextOutboxDelaySeconds)).toEqual([
      30, 60, 120, 240, 480, 900, 900, 900,
    ]);
    expect(nextOutboxDelaySeconds(-3)).toBe(30);
    expect(nextOutboxDelaySeconds(Number.NaN)).toBe(30);
    expect(nextOutboxDelaySeconds(Number.POSITIVE_INFINITY)).toBe(900);
    expect(nextOutboxDelaySeconds(2.7)).toBe(120);
  });

  it('never asks for more delay than an SQS message can have', () => {
    expect(OUTBOX_MAX_DELAY_SECONDS).toBe(SQS_MAX_DELAY_SECONDS);
  });

  it('expiry is measured from the first park', () => {
    const w = write();
    expect(isParkedWriteExpired(w, w.firstParkedMs + 1_000, 1_000)).toBe(false);
    expect(isParkedWriteExpired(w, w.firstParkedMs + 1_001, 1_000)).toBe(true);
  });

  it('expires after 2 h by default', () => {
    expect(DEFAULT_OUTBOX_MAX_AGE_MS).toBe(7_200_000);
  });
});

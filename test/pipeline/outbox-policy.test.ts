import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OUTBOX_MAX_AGE_MS,
  isParkedWriteExpired,
  OUTBOX_MAX_RETRY_DELAY_SECONDS,
  outboxRetryDelaySeconds,
  SQS_MAX_VISIBILITY_SECONDS,
} from '../../src/pipeline/outbox-policy.js';
import type { ParkedWrite } from '../../src/ports.js';

function write(): ParkedWrite {
  return {
    remoteWrite: 'amp-eu',
    body: new Uint8Array([1, 2, 3]),
    samples: 1234,
    firstParkedMs: 1_700_000_000_123,
    stream: '0123456789abcdef',
    slotMs: 1_700_000_000_000,
    part: 0,
  };
}

describe('outboxRetryDelaySeconds', () => {
  it('starts at 10 s, doubles per receive, and caps at 2 min', () => {
    expect([1, 2, 3, 4, 5, 6, 100].map((n) => outboxRetryDelaySeconds(n))).toEqual([
      10, 20, 40, 80, 120, 120, 120,
    ]);
    expect(outboxRetryDelaySeconds(0)).toBe(10);
    expect(outboxRetryDelaySeconds(Number.NaN)).toBe(10);
    expect(outboxRetryDelaySeconds(Number.POSITIVE_INFINITY)).toBe(OUTBOX_MAX_RETRY_DELAY_SECONDS);
    expect(outboxRetryDelaySeconds(2.7)).toBe(20);
  });

  it('waits as long as Retry-After asks when that is longer, within what SQS allows', () => {
    expect(outboxRetryDelaySeconds(1, 30_500)).toBe(31);
    expect(outboxRetryDelaySeconds(5, 30_000)).toBe(120);
    expect(outboxRetryDelaySeconds(1, 10 ** 9)).toBe(SQS_MAX_VISIBILITY_SECONDS);
    expect(outboxRetryDelaySeconds(1, -5)).toBe(10);
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

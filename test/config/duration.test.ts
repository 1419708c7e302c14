import { describe, expect, it } from 'vitest';
import { formatDuration, formatSeconds, parseDuration } from '../../src/config/duration.js';

describe('parseDuration (§1.1)', () => {
  it.each([
    ['0', 0],
    ['500ms', 500],
    ['15s', 15_000],
    ['1m', 60_000],
    ['1h30m', 5_400_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['1y', 31_536_000_000],
    ['2h45m30s100ms', 9_930_100],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '30m1h', '1h1h', '1.5h', '-1s', '1', 's', '10x', '1m ', 'ms1'])(
    'rejects %j',
    (text) => {
      expect(() => parseDuration(text)).toThrow(/duration/);
    },
  );

  it('rejects values beyond the int64-nanosecond range', () => {
    expect(() => parseDuration('300y')).toThrow('duration out of range');
  });
});

describe('formatDuration (§1.1)', () => {
  it.each([
    [0, '0s'],
    [15_000, '15s'],
    [90_000, '1m30s'],
    [60_000, '1m'],
    [7 * 86_400_000, '1w'],
    [8 * 86_400_000, '8d'],
    [365 * 86_400_000, '1y'],
    [1500, '1s500ms'],
    [86_400_000, '1d'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 61_001, 3_600_000 + 1, 400 * 86_400_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});

describe('formatSeconds', () => {
  it.each([
    [10_000, '10'],
    [9_500, '9.5'],
    [250, '0.25'],
    [1, '0.001'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatSeconds(ms)).toBe(text);
  });
});

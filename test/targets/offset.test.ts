import { describe, expect, it } from 'vitest';
import { fnv1a64 } from '../../src/model/hash.js';
import {
  computeOffsetSeed,
  formatExternalLabels,
  goQuote,
  nextScrapeTime,
  phaseProblem,
  scrapeOffsetMs,
} from '../../src/targets/index.js';

describe('goQuote (Go strconv.Quote)', () => {
  it.each([
    ['', '""'],
    ['plain text', '"plain text"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['back\\slash', '"back\\\\slash"'],
    ['\x07\b\f\n\r\t\v', '"\\a\\b\\f\\n\\r\\t\\v"'],
    ['\x00\x01\x1f\x7f', '"\\x00\\x01\\x1f\\x7f"'],
    ['é ü 日本 ✓ 😀', '"é ü 日本 ✓ 😀"'],
    ['no\u00a0break', '"no\\u00a0break"'],
    ['soft\u00adhyphen', '"soft\\u00adhyphen"'],
    ['line\u2028sep', '"line\\u2028sep"'],
    ['tag\u{e0001}', '"tag\\U000e0001"'],
    ['lone\ud800', '"lone\\ufffd"'],
  ])('%j → %s', (text, quoted) => {
    expect(goQuote(text)).toBe(quoted);
  });
});

describe('formatExternalLabels (§9)', () => {
  it.each([
    [{}, '{}'],
    [{ b: 'y', a: 'x' }, '{a="x", b="y"}'],
    [{ replica: 'a', cluster: 'eu-1' }, '{cluster="eu-1", replica="a"}'],
    [{ env: '' }, '{env=""}'],
    [
      { 'dotted.name': 'v', '1st': 'w', ok_name: 'q"uote' },
      '{"1st"="w", "dotted.name"="v", ok_name="q\\"uote"}',
    ],
    [{ v: 'multi\nline' }, '{v="multi\\nline"}'],
  ])('%j → %s', (labels, text) => {
    expect(formatExternalLabels(labels)).toBe(text);
  });
});

describe('computeOffsetSeed (§9)', () => {
  it.each<{ host: string; labels: Record<string, string>; seed: bigint }>([
    // FNV-1a 64 values from an independent implementation.
    { host: 'host1', labels: {}, seed: 0x08d0b2aed5c17c4an },
    {
      host: 'prom-0.example.com',
      labels: { replica: 'a', cluster: 'eu-1' },
      seed: 0x7b5decd98c6413e4n,
    },
  ])('$host $labels', ({ host, labels, seed }) => {
    expect(computeOffsetSeed(host, labels)).toBe(seed);
  });

  it('is FNV-1a 64 of the host name followed by the rendered labels', () => {
    expect(computeOffsetSeed('h', { a: 'x\ty' })).toBe(fnv1a64('h{a="x\\ty"}'));
  });

  it('differs between HA replicas', () => {
    expect(computeOffsetSeed('h', { replica: 'a' })).not.toBe(
      computeOffsetSeed('h', { replica: 'b' }),
    );
  });
});

describe('scrapeOffsetMs (§9)', () => {
  it.each([
    { hash: 5n, seed: 5n, intervalMs: 60_000, offset: 0 },
    // 61_234_567_890 ns mod 60 s = 1_234_567_890 ns → 1234 ms (whole ms, rounded down).
    { hash: 0n, seed: 61_234_567_890n, intervalMs: 60_000, offset: 1234 },
    { hash: 61_234_567_890n, seed: 0n, intervalMs: 60_000, offset: 1234 },
    { hash: 59_999_999_999n, seed: 0n, intervalMs: 60_000, offset: 59_999 },
    // XOR, not addition: 0b1100 ^ 0b1010 = 0b0110 (6 ns → 0 ms).
    { hash: 12n, seed: 10n, intervalMs: 1, offset: 0 },
    { hash: 2n ** 64n - 1n, seed: 0n, intervalMs: 1000, offset: 709 },
  ])(
    'hash $hash, seed $seed, interval $intervalMs → $offset',
    ({ hash, seed, intervalMs, offset }) => {
      expect(scrapeOffsetMs(hash, seed, intervalMs)).toBe(offset);
    },
  );
});

describe('nextScrapeTime (§9)', () => {
  const t = { intervalMs: 60_000, offsetMs: 1234 };
  // 1_699_999_980_000 is a multiple of 60 s.
  const slot = 1_699_999_980_000 + 1234;
  it.each([
    { name: 'now after a slot', now: 1_700_000_000_000, next: slot + 60_000 },
    { name: 'now exactly on a slot', now: slot, next: slot },
    { name: 'just before a slot', now: slot - 1, next: slot },
    { name: 'just after a slot', now: slot + 1, next: slot + 60_000 },
    { name: 'fractional now before a slot', now: slot - 0.5, next: slot },
    { name: 'fractional now after a slot', now: slot + 0.5, next: slot + 60_000 },
  ])('$name', ({ now, next }) => {
    const got = nextScrapeTime(t, now);
    expect(got).toBe(next);
    expect(got % t.intervalMs).toBe(t.offsetMs);
    expect(got).toBeGreaterThanOrEqual(now);
    expect(got - now).toBeLessThan(t.intervalMs);
  });

  it('handles offset 0', () => {
    expect(nextScrapeTime({ intervalMs: 15_000, offsetMs: 0 }, 30_001)).toBe(45_000);
    expect(nextScrapeTime({ intervalMs: 15_000, offsetMs: 0 }, 30_000)).toBe(30_000);
  });
});

describe('phaseProblem', () => {
  it.each([
    { intervalMs: 15_000, offsetMs: 0, want: undefined },
    { intervalMs: 15_000, offsetMs: 14_999, want: undefined },
    { intervalMs: 0, offsetMs: 0, want: 'interval must be a positive whole number of ms, got 0' },
    {
      intervalMs: 1.5,
      offsetMs: 0,
      want: 'interval must be a positive whole number of ms, got 1.5',
    },
    {
      intervalMs: 1000,
      offsetMs: 1000,
      want: 'offset must be a whole number of ms in [0, 1000), got 1000',
    },
    {
      intervalMs: 1000,
      offsetMs: -1,
      want: 'offset must be a whole number of ms in [0, 1000), got -1',
    },
  ])('interval $intervalMs offset $offsetMs', ({ want, ...phase }) => {
    expect(phaseProblem(phase)).toBe(want);
  });
});

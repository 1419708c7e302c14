import { describe, expect, it } from 'vitest';
import { utf8Bytes, xxhash64 } from '../../src/model/hash.js';
import { labelsFromRecord } from '../../src/model/labels.js';
import { formatTargetId, labelsHash, targetHash } from '../../src/targets/index.js';

/** The "stringlabels" encoding written out by hand (§9). */
function encode(pairs: readonly (readonly [string, string])[]): Uint8Array {
  const out: number[] = [];
  for (const [name, value] of pairs) {
    for (const s of [name, value]) {
      const bytes = utf8Bytes(s);
      const n = bytes.length;
      if (n < 255) out.push(n);
      else out.push(0xff, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff);
      out.push(...bytes);
    }
  }
  return Uint8Array.from(out);
}

describe('labelsHash (§9)', () => {
  it.each([
    { name: 'empty set', pairs: [] as [string, string][] },
    { name: 'one label', pairs: [['a', '1']] as [string, string][] },
    {
      name: 'several labels',
      pairs: [
        ['__address__', 'a:9100'],
        ['job', 'node'],
      ] as [string, string][],
    },
    { name: '254-byte value (1-byte size)', pairs: [['v', 'x'.repeat(254)]] as [string, string][] },
    { name: '255-byte value (4-byte size)', pairs: [['v', 'x'.repeat(255)]] as [string, string][] },
    { name: '70000-byte value', pairs: [['v', 'y'.repeat(70_000)]] as [string, string][] },
    { name: 'multi-byte characters', pairs: [['ключ', 'значение ✓']] as [string, string][] },
    {
      name: 'names in UTF-8 byte order, not UTF-16 order',
      // U+FF5E sorts before U+1F600 in UTF-8 (code point) order, after it in UTF-16 order.
      pairs: [
        ['\uff5e', '1'],
        ['\u{1f600}', '2'],
      ] as [string, string][],
    },
  ])('$name: xxHash64 of the length-prefixed encoding', ({ pairs }) => {
    const labels = labelsFromRecord(Object.fromEntries(pairs));
    expect(labelsHash(labels)).toBe(xxhash64(encode(pairs)));
  });

  it('matches an independently computed value', () => {
    const labels = labelsFromRecord({ __address__: 'a:9100', job: 'node' });
    expect(labelsHash(labels)).toBe(5121672393367747158n);
  });
});

describe('targetHash (§2.6)', () => {
  // Values from an independent implementation (Python xxh64 + FNV-1a).
  it.each<{ name: string; labels: Record<string, string>; url: string; id: string }>([
    {
      name: '20-digit labels hash',
      labels: { __address__: 'a:9100', job: 'node' },
      url: 'http://a:9100/metrics',
      id: '9a37b8abf2e0ccd9',
    },
    {
      // labelsHash = 580261789840432 (15 digits): rendered as "0580261789840432".
      name: 'short labels hash is zero-padded to 16 digits',
      labels: { __address__: 'h3108' },
      url: 'http://h3108/metrics',
      id: 'a4731343b233e656',
    },
  ])('$name', ({ labels, url, id }) => {
    expect(formatTargetId(targetHash(labelsFromRecord(labels), url))).toBe(id);
  });

  it('formats ids as 16 lowercase hex digits', () => {
    expect(formatTargetId(0xabn)).toBe('00000000000000ab');
    expect(formatTargetId(2n ** 64n - 1n)).toBe('ffffffffffffffff');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fnv1a64, fnv1a64Bytes, utf8Bytes, xxhash64 } from '../../src/model/hash.js';

const hex = (h: bigint) => h.toString(16).padStart(16, '0');

/** Bytes `(i·7 + 3) mod 256` for i < n: covers every tail length and the 32-byte stripes. */
function pattern(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
}

describe('xxhash64 (seed 0)', () => {
  it.each([
    // Published reference values (xxHash's own tests, python-xxhash docs).
    ['', 'ef46db3751d8e999'],
    ['a', 'd24ec4f1a98c6e5b'],
    ['abc', '44bc2cf5ad770999'],
    ['Nobody inspects the spammish repetition', 'fbcea83c8a378bf1'],
  ])('%j → %s', (text, expected) => {
    expect(hex(xxhash64(utf8Bytes(text)))).toBe(expected);
  });

  // Values from an independent implementation (Python, checked against the vectors above),
  // one per code path: 4-byte tail, bytes only, 8-byte lanes, stripes + every kind of tail.
  it.each([
    [4, '9bb64b7d66ee9fda'],
    [7, '9a7b149959ce60d8'],
    [8, 'dab99d95c6f90092'],
    [12, 'd52e407833af5133'],
    [31, 'a2aa5f33cc4a6119'],
    [32, '23c3c17ef790fd97'],
    [33, '50a7cfc7ba588784'],
    [63, '5e3e54b431c7493c'],
    [64, '0eb64b3ef6eeb01f'],
    [100, 'a61f8d4c170fe531'],
    [139, '4ecec6d4391dbd34'],
  ])('%d pattern bytes → %s', (n, expected) => {
    expect(hex(xxhash64(pattern(n)))).toBe(expected);
  });

  it('hashes a view into a larger buffer by its own bytes only', () => {
    const big = new Uint8Array(50).fill(0xaa);
    big.set(utf8Bytes('abc'), 13);
    expect(hex(xxhash64(big.subarray(13, 16)))).toBe('44bc2cf5ad770999');
  });
});

describe('fnv1a64', () => {
  it.each([
    // Go hash/fnv golden values for FNV-1a 64.
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['ab', '089c4407b545986a'],
    ['abc', 'e71fa2190541574b'],
    ['foobar', '85944171f73967e8'],
  ])('%j → %s', (text, expected) => {
    expect(hex(fnv1a64(text))).toBe(expected);
  });

  it('hashes the UTF-8 bytes of a string', () => {
    expect(fnv1a64('é')).toBe(fnv1a64Bytes(Uint8Array.of(0xc3, 0xa9)));
  });

  it('equals a plain BigInt FNV-1a for any bytes', () => {
    const reference = (bytes: Uint8Array) => {
      let h = 0xcbf29ce484222325n;
      for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
      return h;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(fnv1a64Bytes(bytes)).toBe(reference(bytes));
      }),
    );
  });
});

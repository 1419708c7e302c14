/**
 * The two 64-bit hashes Prometheus uses for target identity and scrape phase (§2.6, §9):
 * xxHash64 (seed 0) over a label set's byte encoding and FNV-1a 64 over strings.
 *
 * Contract: both return an unsigned 64-bit value as a `bigint` in [0, 2^64). Inputs are
 * hashed as bytes; strings are taken as their UTF-8 encoding (a lone surrogate encodes as
 * U+FFFD, as `TextEncoder` does). Neither function keeps state between calls.
 *
 * Targets are hashed rarely (once per discovery refresh), so both favour clarity; the inner
 * loops still avoid per-byte BigInt work where plain numbers do the job.
 */

const MASK64 = 0xffff_ffff_ffff_ffffn;

const XXH_PRIME64_1 = 0x9e3779b185ebca87n;
const XXH_PRIME64_2 = 0xc2b2ae3d27d4eb4fn;
const XXH_PRIME64_3 = 0x165667b19e3779f9n;
const XXH_PRIME64_4 = 0x85ebca77c2b2ae63n;
const XXH_PRIME64_5 = 0x27d4eb2f165667c5n;

const utf8Encoder = new TextEncoder();

/** UTF-8 bytes of a string (lone surrogates become U+FFFD). */
export function utf8Bytes(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

function rotl64(x: bigint, bits: bigint): bigint {
  return ((x << bits) | (x >> (64n - bits))) & MASK64;
}

/** One accumulator step: acc += lane·P2; acc = rotl(acc, 31); acc ·= P1 (all mod 2^64). */
function xxhRound(acc: bigint, lane: bigint): bigint {
  acc = (acc + lane * XXH_PRIME64_2) & MASK64;
  acc = rotl64(acc, 31n);
  return (acc * XXH_PRIME64_1) & MASK64;
}

function xxhMergeRound(acc: bigint, v: bigint): bigint {
  acc ^= xxhRound(0n, v);
  return (acc * XXH_PRIME64_1 + XXH_PRIME64_4) & MASK64;
}

/** xxHash64 with seed 0 over `bytes` (the XXH64 algorithm, little-endian lanes). */
export function xxhash64(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.byteLength;
  let pos = 0;
  let h: bigint;

  if (length >= 32) {
    let v1 = (XXH_PRIME64_1 + XXH_PRIME64_2) & MASK64;
    let v2 = XXH_PRIME64_2;
    let v3 = 0n;
    let v4 = (0n - XXH_PRIME64_1) & MASK64;
    const stripesEnd = length - 32;
    while (pos <= stripesEnd) {
      v1 = xxhRound(v1, view.getBigUint64(pos, true));
      v2 = xxhRound(v2, view.getBigUint64(pos + 8, true));
      v3 = xxhRound(v3, view.getBigUint64(pos + 16, true));
      v4 = xxhRound(v4, view.getBigUint64(pos + 24, true));
      pos += 32;
    }
    h = (rotl64(v1, 1n) + rotl64(v2, 7n) + rotl64(v3, 12n) + rotl64(v4, 18n)) & MASK64;
    h = xxhMergeRound(h, v1);
    h = xxhMergeRound(h, v2);
    h = xxhMergeRound(h, v3);
    h = xxhMergeRound(h, v4);
  } else {
    h = XXH_PRIME64_5;
  }

  h = (h + BigInt(length)) & MASK64;

  while (pos + 8 <= length) {
    h ^= xxhRound(0n, view.getBigUint64(pos, true));
    h = (rotl64(h, 27n) * XXH_PRIME64_1 + XXH_PRIME64_4) & MASK64;
    pos += 8;
  }
  if (pos + 4 <= length) {
    h ^= (BigInt(view.getUint32(pos, true)) * XXH_PRIME64_1) & MASK64;
    h = (rotl64(h, 23n) * XXH_PRIME64_2 + XXH_PRIME64_3) & MASK64;
    pos += 4;
  }
  while (pos < length) {
    h ^= (BigInt(bytes[pos]!) * XXH_PRIME64_5) & MASK64;
    h = (rotl64(h, 11n) * XXH_PRIME64_1) & MASK64;
    pos++;
  }

  h ^= h >> 33n;
  h = (h * XXH_PRIME64_2) & MASK64;
  h ^= h >> 29n;
  h = (h * XXH_PRIME64_3) & MASK64;
  h ^= h >> 32n;
  return h;
}

/** FNV-1a 64 offset basis and prime (0x100000001b3 = 2^40 + 0x1b3). */
const FNV64_OFFSET_HI = 0xcbf29ce4;
const FNV64_OFFSET_LO = 0x84222325;
const FNV64_PRIME_LOW = 0x1b3;
const TWO_POW_32 = 0x1_0000_0000;

/**
 * FNV-1a 64 over `bytes`. The state is kept as two 32-bit halves in plain numbers:
 * multiplying by 2^40 + 0x1b3 is `h·0x1b3 + (h << 40)`, and every partial product stays
 * below 2^53, so the arithmetic is exact.
 */
export function fnv1a64Bytes(bytes: Uint8Array): bigint {
  let hi = FNV64_OFFSET_HI;
  let lo = FNV64_OFFSET_LO;
  for (let i = 0; i < bytes.length; i++) {
    lo = (lo ^ bytes[i]!) >>> 0;
    const loProduct = lo * FNV64_PRIME_LOW;
    const carry = Math.floor(loProduct / TWO_POW_32);
    // (lo << 40) contributes lo's low 24 bits, shifted left by 8, to the high half.
    hi = (hi * FNV64_PRIME_LOW + carry + ((lo << 8) >>> 0)) % TWO_POW_32;
    lo = loProduct % TWO_POW_32;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** FNV-1a 64 over the UTF-8 bytes of `text`. */
export function fnv1a64(text: string): bigint {
  return fnv1a64Bytes(utf8Bytes(text));
}

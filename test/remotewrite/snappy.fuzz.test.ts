/**
 * Fuzz: snappy block decompression on untrusted bytes. No product path decodes snappy from
 * outside (bodies are only compressed and sent; the outbox replays them as they are), but the
 * codec is exported and the test receivers decode what they get, so it is held to the same
 * rules: SnappyError only, and nothing allocated for a length the input does not back — the
 * output is at most 64/3 times the input's element bytes and at most `maxLength`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SnappyError,
  snappyCompress,
  snappyDecompress,
  snappyUncompressedLength,
} from '../../src/remotewrite/snappy.js';
import { errorOf, fuzzParams } from '../support/fuzz.js';

/** The suite's tests run longer with the fuzz scale: their timeout grows with it. */
const SCALED = { timeout: 30_000 * fuzzParams(1).numRuns! };

/** snappyDecompress's default maxLength. */
const DEFAULT_MAX = 256 * 1024 * 1024;

/** Unsigned LEB128, as the preamble holds it. */
function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Decompresses; on success the output has the stated length, which the input can back. */
async function decodesOrRefuses(src: Uint8Array, maxLength?: number) {
  let out: Uint8Array | undefined;
  const err = await errorOf(SnappyError, () => {
    out = snappyDecompress(src, maxLength);
  });
  if (err !== undefined) {
    expect(err.code).toMatch(/^SNAPPY_(CORRUPT|TOO_LARGE)$/);
    expect(err.message.length).toBeLessThan(200);
    return err;
  }
  const stated = snappyUncompressedLength(src);
  const header = varint(stated).length;
  expect(out!.length).toBe(stated);
  expect(out!.length).toBeLessThanOrEqual(((src.length - header) * 64) / 3);
  if (maxLength !== undefined) expect(out!.length).toBeLessThanOrEqual(maxLength);
  return undefined;
}

describe('snappyDecompress on untrusted bytes', SCALED, () => {
  it('random bytes: SnappyError only, output backed by the input', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (src) => {
        await decodesOrRefuses(src);
      }),
      fuzzParams(3_000),
    );
  });

  it('valid blocks with bytes changed, inserted or cut: SnappyError only', async () => {
    const edit = fc.tuple(fc.nat(), fc.nat(3), fc.uint8Array({ maxLength: 3 }));
    const plain = fc.oneof(
      fc.uint8Array({ maxLength: 2_000 }),
      fc.uint8Array({ min: 0, max: 2, maxLength: 5_000 }),
      fc.string({ maxLength: 300 }).map((s) => new TextEncoder().encode(s.repeat(8))),
    );
    await fc.assert(
      fc.asyncProperty(plain, fc.array(edit, { minLength: 1, maxLength: 4 }), async (p, edits) => {
        let b = Buffer.from(snappyCompress(p));
        for (const [at, del, piece] of edits) {
          const i = at % (b.length + 1);
          b = Buffer.concat([b.subarray(0, i), piece, b.subarray(i + del)]);
        }
        await decodesOrRefuses(new Uint8Array(b));
      }),
      fuzzParams(1_500),
    );
  });

  it('stated lengths the input cannot back are refused before any allocation', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.nat(4096), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
        fc.uint8Array({ maxLength: 64 }),
        async (stated, tail) => {
          const src = Uint8Array.from([...varint(stated), ...tail]);
          const err = await decodesOrRefuses(src);
          if (stated > DEFAULT_MAX) {
            expect(err?.message).toBe(
              `snappy: uncompressed length ${stated} exceeds limit ${DEFAULT_MAX}`,
            );
          } else if (stated > Math.floor((tail.length * 64) / 3)) {
            expect(err?.message).toBe(
              `snappy: corrupt input (uncompressed length ${stated} is more than ${tail.length} bytes can hold)`,
            );
          }
        },
      ),
      fuzzParams(2_000),
    );
  });

  it('maxLength: a valid block one byte over is refused with the limit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 5_000 }), async (plain) => {
        const block = snappyCompress(plain);
        await expect(decodesOrRefuses(block, plain.length)).resolves.toBeUndefined();
        if (plain.length > 0) {
          const err = await decodesOrRefuses(block, plain.length - 1);
          expect(err?.message).toBe(
            `snappy: uncompressed length ${plain.length} exceeds limit ${plain.length - 1}`,
          );
        }
      }),
      fuzzParams(300),
    );
  });
});

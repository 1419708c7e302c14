/**
 * Fuzz: scrape-state items as read from DynamoDB (heads, base data, deltas), treated as
 * untrusted. Whatever an item holds — attributes missing, of another type, numbers out of
 * range, random or mutated binary, brotli bombs, front coding that expands — the only error is
 * ScrapeStateStoreError `SCRAPE_STATE_CORRUPT`, and what decodes stays within the limits the
 * store writes under: at most MAX_STATE_CHUNKS chunks claimed, at most MAX_SERIES_SET_BYTES of
 * keys. (What `getMany` does with that error: the file comment of dynamodb-state-store.ts.)
 */
import { brotliCompressSync, constants } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalSeriesSet,
  decodeSeriesSet,
  decodeStateHead,
  decodeStoredSeries,
  encodeSeriesSet,
  MAX_SERIES_SET_BYTES,
  MAX_STATE_CHUNKS,
  ScrapeStateStoreError,
  type StateHead,
} from '../../src/aws/dynamodb-state-store.js';
import { arbitraryItem, mutatedItem } from '../support/attribute-values.js';
import { errorOf, fuzzParams } from '../support/fuzz.js';

/** The suite's tests run longer with the fuzz scale: their timeout grows with it. */
const SCALED = { timeout: 30_000 * fuzzParams(1).numRuns! };

const HEAD_NAMES = ['pk', 'sk', 'f', 'v', 'd', 'n', 't', 'b', 'g', 'c', 'z', 'a'] as const;

const keys = fc.uniqueArray(fc.string({ unit: 'grapheme', maxLength: 30 }), { maxLength: 40 });

/** Head items as `put` writes them: inline, or a chunked base with an optional delta. */
const validHead: fc.Arbitrary<Record<string, AttributeValue>> = fc
  .record({
    version: fc.nat(),
    time: fc.option(fc.nat(), { nil: undefined }),
    set: keys,
    chunked: fc.boolean(),
    chunks: fc.integer({ min: 1, max: MAX_STATE_CHUNKS }),
    delta: fc.option(keys, { nil: undefined }),
  })
  .map(({ version, time, set, chunked, chunks, delta }) => {
    const enc = encodeSeriesSet(set);
    const item: Record<string, AttributeValue> = {
      pk: { S: '0123456789abcdef' },
      sk: { S: 'h' },
      f: { N: '1' },
      v: { N: String(version) },
      d: { S: enc.digest },
      n: { N: String(set.length) },
      ...(time === undefined ? {} : { t: { N: String(time) } }),
    };
    if (!chunked) return { ...item, b: { B: enc.compressed } };
    return {
      ...item,
      g: { S: '00112233aabbccdd' },
      c: { N: String(chunks) },
      z: { N: String(Math.max(chunks, enc.compressed.length)) },
      ...(delta === undefined
        ? {}
        : {
            a: { B: encodeSeriesSet(delta.map((k, i) => `${i % 2 ? '+' : '-'}${k}`)).compressed },
          }),
    };
  });

async function headOrCorrupt(item: Record<string, AttributeValue>) {
  let head: StateHead | undefined;
  const err = await errorOf(ScrapeStateStoreError, () => {
    head = decodeStateHead('0123456789abcdef', item);
  });
  if (err !== undefined) {
    expect(err.code).toBe('SCRAPE_STATE_CORRUPT');
    expect(err.message.length).toBeLessThan(300);
    return undefined;
  }
  const h = head!;
  expect(Number.isSafeInteger(h.version)).toBe(true);
  expect(typeof h.digest).toBe('string');
  if (h.lastScrapeTimeMs !== undefined) expect(Number.isFinite(h.lastScrapeTimeMs)).toBe(true);
  if (h.inline === undefined) {
    expect(typeof h.generation).toBe('string');
    expect(Number.isSafeInteger(h.chunks)).toBe(true);
    expect(h.chunks).toBeGreaterThanOrEqual(1);
    expect(h.chunks).toBeLessThanOrEqual(MAX_STATE_CHUNKS);
    expect(h.baseBytes).toBeGreaterThanOrEqual(h.chunks);
    expect(h.baseBytes).toBeLessThanOrEqual(MAX_SERIES_SET_BYTES);
  } else {
    expect(h.inline).toBeInstanceOf(Uint8Array);
  }
  return h;
}

/** Decodes a set; on success its keys add up to no more than the limit. */
async function setOrCorrupt(data: Uint8Array): Promise<Set<string> | ScrapeStateStoreError> {
  let set: Set<string> | undefined;
  const err = await errorOf(ScrapeStateStoreError, () => {
    set = decodeSeriesSet(data);
  });
  if (err !== undefined) {
    expect(err.code).toBe('SCRAPE_STATE_CORRUPT');
    return err;
  }
  let chars = 0;
  for (const k of set!) chars += k.length;
  expect(chars).toBeLessThanOrEqual(MAX_SERIES_SET_BYTES);
  return set!;
}

/** Brotli at a low quality: the tests compress megabytes, and any quality decodes alike. */
const brotli = (data: Buffer) =>
  brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } });

/** Front-coded text of a set, as canonicalSeriesSet makes it, for mutation. */
const frontCoded = keys.map((k) => canonicalSeriesSet(k).raw.toString('utf8'));

describe('state head items', SCALED, () => {
  it('arbitrary items: SCRAPE_STATE_CORRUPT only; a decoded head is within the limits', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryItem(HEAD_NAMES), async (item) => {
        await headOrCorrupt(item);
      }),
      fuzzParams(1_500),
    );
  });

  it('valid heads decode; with attributes replaced, dropped or added: corrupt or within limits', async () => {
    await fc.assert(
      fc.asyncProperty(validHead, async (item) => {
        expect(await headOrCorrupt(item)).toBeDefined();
      }),
      fuzzParams(200),
    );
    await fc.assert(
      fc.asyncProperty(mutatedItem(validHead, HEAD_NAMES), async (item) => {
        const head = await headOrCorrupt(item);
        // And the data it points at, as getMany would decode it (inline here; chunks are bytes).
        if (head?.inline !== undefined) {
          const err = await errorOf(ScrapeStateStoreError, () =>
            decodeStoredSeries('0123456789abcdef', head, head.inline!),
          );
          if (err !== undefined) expect(err.code).toBe('SCRAPE_STATE_CORRUPT');
        }
      }),
      fuzzParams(800),
    );
  });

  it('chunk counts around MAX_STATE_CHUNKS: one over is refused with the limit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -2, max: 2 }), async (delta) => {
        const c = MAX_STATE_CHUNKS + delta;
        const item = {
          f: { N: '1' },
          v: { N: '1' },
          d: { S: 'x' },
          g: { S: 'g' },
          c: { N: String(c) },
          z: { N: String(MAX_STATE_CHUNKS * 2) },
        };
        const err = await errorOf(ScrapeStateStoreError, () => decodeStateHead('t', item));
        if (c > MAX_STATE_CHUNKS) {
          expect(err?.message).toBe(
            `state of target t: chunk count "${c}" is not in [1, ${MAX_STATE_CHUNKS}] (MAX_STATE_CHUNKS)`,
          );
        } else {
          expect(err).toBeUndefined();
        }
      }),
      fuzzParams(10),
    );
  });
});

describe('series set data', SCALED, () => {
  it('random bytes: SCRAPE_STATE_CORRUPT only', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (data) => {
        await setOrCorrupt(data);
      }),
      fuzzParams(1_000),
    );
  });

  it('valid data with bytes changed, inserted or cut: corrupt or within the limit', async () => {
    const edit = fc.tuple(fc.nat(), fc.nat(3), fc.uint8Array({ maxLength: 3 }));
    await fc.assert(
      fc.asyncProperty(keys, fc.array(edit, { minLength: 1, maxLength: 3 }), async (k, edits) => {
        let b = Buffer.from(encodeSeriesSet(k).compressed);
        for (const [at, del, piece] of edits) {
          const i = at % (b.length + 1);
          b = Buffer.concat([b.subarray(0, i), piece, b.subarray(i + del)]);
        }
        await setOrCorrupt(b);
      }),
      fuzzParams(1_500),
    );
  });

  it('front-coded text mutated, then compressed well-formed: corrupt or within the limit', async () => {
    const piece = fc.oneof(
      fc.constantFrom(':', '0:', 'zz:', 'zzzzzz:', '-1:', '1:0:', 'a', '😀', '\ud800'),
      fc.nat(1_000_000).map((n) => `${n.toString(36)}:`),
    );
    const edit = fc.tuple(fc.nat(), fc.nat(4), piece);
    await fc.assert(
      fc.asyncProperty(frontCoded, fc.array(edit, { minLength: 1, maxLength: 4 }), async (t, e) => {
        let s = t;
        for (const [at, del, p] of e) {
          const i = at % (s.length + 1);
          s = s.slice(0, i) + p + s.slice(i + del);
        }
        await setOrCorrupt(brotli(Buffer.from(s)));
      }),
      fuzzParams(1_500),
    );
  });

  it('bombs: data decompressing to just over MAX_SERIES_SET_BYTES is refused with the limit', async () => {
    // A valid set of one key, serialised to exactly the limit plus `over` bytes.
    const header = (n: number) => `0:${n.toString(36)}:`;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -1, max: 2 }), async (over) => {
        let n = MAX_SERIES_SET_BYTES + over - header(MAX_SERIES_SET_BYTES).length;
        if (header(n).length + n !== MAX_SERIES_SET_BYTES + over) n += 1;
        const text = Buffer.alloc(header(n).length + n, 'k');
        text.write(header(n));
        const data = brotli(text);
        expect(data.length).toBeLessThan(100_000);
        const got = await setOrCorrupt(data);
        if (over > 0) {
          expect((got as Error).message).toBe(
            `series set decompresses to more than ${MAX_SERIES_SET_BYTES} bytes (MAX_SERIES_SET_BYTES)`,
          );
        } else {
          expect((got as Set<string>).size).toBe(1);
        }
      }),
      // Each case inflates 64 MiB.
      fuzzParams(2),
    );
  });

  it('front coding: keys adding up to just over MAX_SERIES_SET_BYTES are refused with the limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Keys under 16 Ki characters: V8 hashes longer strings by their length alone, so a
        // Set of many long keys costs quadratic time (measured: 4,000 keys of 16,400 characters
        // take 13 s) — bounded by the limit, but not what this property measures.
        fc.integer({ min: 11, max: 13 }),
        fc.integer({ min: -1, max: 2 }),
        async (bits, over) => {
          // Keys of 2^bits characters, each but the first stated by a few bytes.
          const len = 2 ** bits;
          const count = MAX_SERIES_SET_BYTES / len;
          const parts = [`0:${(len + over).toString(36)}:${'k'.repeat(len + over)}`];
          const tag = (i: number) => i.toString(36).padStart(4, '0');
          for (let i = 1; i < count; i++) parts.push(`${(len - 4).toString(36)}:4:${tag(i)}`);
          const got = await setOrCorrupt(brotli(Buffer.from(parts.join(''))));
          if (over > 0) {
            expect((got as Error).message).toMatch(
              `series set keys exceed ${MAX_SERIES_SET_BYTES} characters (MAX_SERIES_SET_BYTES)`,
            );
          } else {
            expect((got as Set<string>).size).toBe(count);
          }
        },
      ),
      // Each case builds up to 64 Mi characters of keys.
      fuzzParams(2),
    );
  });
});

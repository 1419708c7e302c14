import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  maxCompressedLength,
  SnappyError,
  snappyCompress,
  snappyCompressInto,
  snappyDecompress,
  snappyImplementation,
  snappyUncompressedLength,
} from '../../src/remotewrite/snappy.js';

const fromHex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const ascii = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

/** Walks a compressed stream; returns the copies as [outputPos, offset, length, tagKind]. */
function copies(block: Uint8Array): [number, number, number, number][] {
  let s = 0;
  while (block[s]! >= 0x80) s++;
  s++;
  let d = 0;
  const out: [number, number, number, number][] = [];
  while (s < block.length) {
    const tag = block[s++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        len = 0;
        for (let i = 0; i < extra; i++) len += block[s + i]! * 256 ** i;
        s += extra;
      }
      s += len + 1;
      d += len + 1;
    } else if (kind === 1) {
      const len = ((tag >>> 2) & 7) + 4;
      out.push([d, ((tag >>> 5) << 8) | block[s]!, len, 1]);
      s += 1;
      d += len;
    } else {
      const len = (tag >>> 2) + 1;
      let offset = block[s]! | (block[s + 1]! << 8);
      if (kind === 3) offset += block[s + 2]! * 2 ** 16 + block[s + 3]! * 2 ** 24;
      out.push([d, offset, len, kind]);
      s += kind === 2 ? 2 : 4;
      d += len;
    }
  }
  return out;
}

describe('snappy known streams', () => {
  it.each([
    { name: 'empty', plain: '', block: '00' },
    { name: 'short literal', plain: 'abc', block: '03 08 616263' },
  ])('compresses $name', ({ plain, block }) => {
    expect(Buffer.from(snappyCompress(ascii(plain))).toString('hex')).toBe(block.replace(/ /g, ''));
  });

  it.each([
    { name: 'copy, 1-byte offset', block: '0c 0c 61626364 11 04', plain: 'abcdabcdabcd' },
    { name: 'copy, 2-byte offset', block: '0c 0c 61626364 1e 0400', plain: 'abcdabcdabcd' },
    { name: 'copy, 4-byte offset', block: '0c 0c 61626364 1f 04000000', plain: 'abcdabcdabcd' },
    { name: 'overlapping copy (run)', block: '0a 00 61 22 0100', plain: 'aaaaaaaaaa' },
    {
      name: 'literal with 1-byte length',
      block: `64 f0 63 ${'78'.repeat(100)}`,
      plain: 'x'.repeat(100),
    },
    {
      name: 'literal with 2-byte length',
      block: `e807 f4 e703 ${'79'.repeat(1000)}`,
      plain: 'y'.repeat(1000),
    },
  ])('decompresses $name', ({ block, plain }) => {
    expect(Buffer.from(snappyDecompress(fromHex(block))).toString('latin1')).toBe(plain);
  });

  it.each([
    { name: 'bad preamble', block: 'ffffffffff' },
    { name: 'preamble over 2^32-1', block: 'ffffffff1f' },
    { name: 'truncated literal', block: '05 10 6162' },
    { name: 'copy offset 0', block: '08 0c 61626364 01 00' },
    { name: 'copy before start', block: '08 0c 61626364 01 05' },
    { name: 'output longer than stated', block: '03 0c 61626364' },
    { name: 'output shorter than stated', block: '09 0c 61626364' },
    { name: 'truncated copy', block: '08 0c 61626364 02 01' },
  ])('rejects $name', ({ block }) => {
    expect(() => snappyDecompress(fromHex(block))).toThrow(SnappyError);
    try {
      snappyDecompress(fromHex(block));
    } catch (e) {
      expect((e as SnappyError).code).toBe('SNAPPY_CORRUPT');
    }
  });

  it('refuses a stated length above the limit before allocating', () => {
    expect(() => snappyDecompress(fromHex('80808080 08'), 1024)).toThrow(/exceeds limit/);
    expect(snappyUncompressedLength(fromHex('80808080 08'))).toBe(2 ** 31);
  });

  // Found writing test/remotewrite/snappy.fuzz.test.ts: 6 bytes stating 256 MiB made it allocate
  // 256 MiB before finding the input short.
  it('refuses a stated length its input cannot hold before allocating', () => {
    expect(() => snappyDecompress(fromHex('80808080 01 00'))).toThrow(
      'snappy: corrupt input (uncompressed length 268435456 is more than 1 bytes can hold)',
    );
    // The most 3 bytes can stand for: one copy of 64, which needs something to copy — corrupt
    // for what it holds, not for its length.
    expect(() => snappyDecompress(fromHex('40 fe 0100'))).toThrow(/copy offset 1 at output 0/);
    expect(() => snappyDecompress(fromHex('41 fe 0100'))).toThrow(/65 is more than 3 bytes/);
  });
});

/** Inputs snappy has to get right: random, tiny alphabets, repeated chunks, long runs. */
const inputs = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }),
  fc.uint8Array({ minLength: 60_000, maxLength: 200_000 }),
  fc.uint8Array({ min: 0, max: 3, maxLength: 150_000 }),
  fc
    .array(
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 200 })),
      {
        maxLength: 20,
      },
    )
    .map((parts) => {
      const out = new Uint8Array(parts.reduce((n, [c, times]) => n + c.length * times, 0));
      let pos = 0;
      for (const [chunk, times] of parts) {
        for (let i = 0; i < times; i++, pos += chunk.length) out.set(chunk, pos);
      }
      return out;
    }),
  fc
    .record({ byte: fc.integer({ min: 0, max: 255 }), n: fc.integer({ min: 0, max: 300_000 }) })
    .map(({ byte, n }) => new Uint8Array(n).fill(byte)),
);

describe('snappy round trip (property)', () => {
  it('decompress(compress(x)) = x, within the size bound, copies inside 64 KiB fragments', () => {
    fc.assert(
      fc.property(inputs, (plain) => {
        const block = snappyCompress(plain);
        expect(block.length).toBeLessThanOrEqual(maxCompressedLength(plain.length));
        expect(Buffer.compare(snappyDecompress(block), plain)).toBe(0);
        const bad = copies(block).find(([d, offset, len, kind]) => {
          const fragmentStart = Math.floor(d / 65536) * 65536;
          return d - offset < fragmentStart || d + len > fragmentStart + 65536 || kind === 3;
        });
        expect(bad).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });

  it('the WebAssembly compressor runs here and writes exactly the JavaScript one’s bytes', () => {
    expect(snappyImplementation()).toBe('wasm');
    const js = (plain: Uint8Array) => {
      const out = new Uint8Array(maxCompressedLength(plain.length));
      return out.subarray(0, snappyCompressInto(plain, out));
    };
    fc.assert(
      fc.property(inputs, (plain) => {
        expect(Buffer.compare(snappyCompress(plain), js(plain))).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('compresses repetitive input well (runs ≈ 3 bytes per 64)', () => {
    const zeros = new Uint8Array(1 << 20);
    expect(snappyCompress(zeros).length).toBeLessThan((1 << 20) * 0.05);
    const text = ascii('http_requests_total{method="GET",code="200"} 1027\n'.repeat(5000));
    expect(snappyCompress(text).length).toBeLessThan(text.length * 0.06);
  });

  it('keeps random input within the bound and still decodes', () => {
    const random = new Uint8Array(300_000);
    for (let i = 0; i < random.length; i++) random[i] = (Math.imul(i, 2654435761) >>> 13) & 0xff;
    const block = snappyCompress(random);
    expect(Buffer.compare(snappyDecompress(block), random)).toBe(0);
  });
});

/**
 * Snappy block format (not the framed/stream format): what remote write bodies are (§11.2).
 *
 * Format facts used here (from the public format description):
 * - preamble: the uncompressed length as an unsigned LEB128 varint (at most 2^32 - 1);
 * - then elements, each starting with a tag byte whose low 2 bits say what follows:
 *   `00` literal (length - 1 in the upper 6 bits; 60..63 mean 1..4 little-endian length bytes
 *   follow), `01` copy with an 11-bit offset and a length of 4..11, `10` copy with a 2-byte
 *   little-endian offset and a length of 1..64, `11` the same with a 4-byte offset.
 *
 * The compressor cuts the input into independent fragments of at most 64 KiB, as the reference
 * implementation does, so every offset fits the 2-byte copy form and the match table never
 * indexes more than one fragment. Matches are found through a hash table of 4-byte sequences
 * (Uint16Array, reused across calls: this module is not re-entrant across workers, and it does not
 * need to be, JS being single-threaded per isolate).
 */

import { SNAPPY_WASM_BASE64 } from './snappy-wasm.js';

/** Fragment size: copies never reach back further than one fragment. */
const FRAGMENT_SIZE = 65536;
/** Largest hash table (entries); smaller fragments use a smaller power of two. */
const MAX_TABLE_BITS = 14;
const MIN_TABLE_BITS = 8;
/**
 * Inputs shorter than this are emitted as one literal: the match loop reads 4 bytes ahead and
 * stops this many bytes before the end, so short inputs cannot contain a useful match anyway.
 */
const MIN_MATCH_INPUT = 17;
/** The match loop stops looking this many bytes before a fragment's end (tail is literal). */
const TAIL_MARGIN = 15;
/** Multiplicative hash constant for 4-byte sequences (a common choice for snappy-style LZ77). */
const HASH_MULTIPLIER = 0x1e35a7bd;
/** Largest uncompressed length the preamble can state. */
const MAX_UNCOMPRESSED = 0xffffffff;

export const SNAPPY_ERROR_CODES = {
  corrupt: 'SNAPPY_CORRUPT',
  tooLarge: 'SNAPPY_TOO_LARGE',
} as const;
export type SnappyErrorCode = (typeof SNAPPY_ERROR_CODES)[keyof typeof SNAPPY_ERROR_CODES];

export class SnappyError extends Error {
  override readonly name = 'SnappyError';
  readonly code: SnappyErrorCode;
  constructor(code: SnappyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Upper bound of the compressed size of `n` input bytes (worst case: all literals). */
export function maxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

/** Positions relative to a fragment start (< 64 KiB): 16 bits each, so the table fits L1. */
const table = new Uint16Array(1 << MAX_TABLE_BITS);
let scratch = new Uint8Array(0);

/**
 * Compresses `src` into a new Uint8Array of exactly the compressed size (the caller owns it).
 * Runs the WebAssembly build of the fragment compressor (snappy-wasm.wat: the same algorithm and
 * output bytes as {@link snappyCompressInto}, about twice as fast) where WebAssembly is
 * available, else the JavaScript one; either works in a module-level scratch space that grows
 * to the largest input seen.
 */
export function snappyCompress(src: Uint8Array): Uint8Array {
  const len = src.length;
  if (len > MAX_UNCOMPRESSED) {
    throw new SnappyError(SNAPPY_ERROR_CODES.tooLarge, `snappy: input of ${len} bytes too large`);
  }
  const w = wasm === undefined ? loadWasm() : wasm;
  if (w !== null) {
    const mem = wasmScratch(w, WASM_INPUT + len + maxCompressedLength(len));
    if (mem !== null) {
      mem.set(src, WASM_INPUT);
      const out = WASM_INPUT + len;
      let d = writeUvarint32(mem, out, len);
      for (let start = 0; start < len; start += FRAGMENT_SIZE) {
        const end = Math.min(start + FRAGMENT_SIZE, len);
        d =
          end - start < MIN_MATCH_INPUT
            ? emitLiteral(mem, d, mem, WASM_INPUT + start, WASM_INPUT + end)
            : w.fragment(WASM_INPUT + start, WASM_INPUT + end, d);
      }
      return mem.slice(out, d);
    }
  }
  const bound = maxCompressedLength(len);
  if (scratch.length < bound) scratch = new Uint8Array(Math.max(bound, scratch.length * 2));
  const n = snappyCompressInto(src, scratch);
  return scratch.slice(0, n);
}

/** Which compressor {@link snappyCompress} runs here: 'wasm', or 'js' without WebAssembly. */
export function snappyImplementation(): 'wasm' | 'js' {
  return (wasm === undefined ? loadWasm() : wasm) === null ? 'js' : 'wasm';
}

/** The WebAssembly fragment compressor and its memory: match table at 0, input from WASM_INPUT. */
interface WasmSnappy {
  readonly memory: WasmMemory;
  readonly fragment: (base: number, end: number, d: number) => number;
  bytes: Uint8Array;
}
/** Where the input goes in the WebAssembly memory: after the 2^14 16-bit table entries. */
const WASM_INPUT = 2 << MAX_TABLE_BITS;
const WASM_PAGE = 65536;
/** undefined: not loaded yet; null: unavailable (no WebAssembly here), use JavaScript. */
let wasm: WasmSnappy | null | undefined;

/** What is used of the WebAssembly JS API (the compiler's libs here do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}

function loadWasm(): WasmSnappy | null {
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (api === undefined) throw new Error('no WebAssembly');
    const module = new api.Module(Buffer.from(SNAPPY_WASM_BASE64, 'base64'));
    const exports = new api.Instance(module, {}).exports as {
      memory: WasmMemory;
      fragment: (base: number, end: number, d: number) => number;
    };
    wasm = {
      memory: exports.memory,
      fragment: exports.fragment,
      bytes: new Uint8Array(exports.memory.buffer),
    };
  } catch {
    wasm = null;
  }
  return wasm;
}

/** The WebAssembly memory as bytes, grown to at least `size`; null when it cannot grow. */
function wasmScratch(w: WasmSnappy, size: number): Uint8Array | null {
  if (w.bytes.length < size) {
    try {
      const have = w.memory.buffer.byteLength;
      w.memory.grow(Math.ceil((Math.max(size, 2 * have) - have) / WASM_PAGE));
    } catch {
      return null;
    }
    w.bytes = new Uint8Array(w.memory.buffer);
  }
  return w.bytes;
}

/**
 * Compresses `src` into `dst` from offset 0 and returns the compressed length. `dst` must hold at
 * least {@link maxCompressedLength}(src.length) bytes; `src` and `dst` must not overlap.
 */
export function snappyCompressInto(src: Uint8Array, dst: Uint8Array): number {
  const len = src.length;
  if (len > MAX_UNCOMPRESSED) {
    throw new SnappyError(SNAPPY_ERROR_CODES.tooLarge, `snappy: input of ${len} bytes too large`);
  }
  if (dst.length < maxCompressedLength(len)) {
    throw new RangeError('snappy: destination buffer smaller than maxCompressedLength(src)');
  }
  let d = writeUvarint32(dst, 0, len);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let start = 0; start < len; start += FRAGMENT_SIZE) {
    const end = Math.min(start + FRAGMENT_SIZE, len);
    d =
      end - start < MIN_MATCH_INPUT
        ? emitLiteral(dst, d, src, start, end)
        : compressFragment(src, view, start, end, dst, d);
  }
  return d;
}

function writeUvarint32(dst: Uint8Array, d: number, v: number): number {
  while (v >= 0x80) {
    dst[d++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  dst[d++] = v;
  return d;
}

/**
 * LZ77 over one fragment `src[base, end)`. Table entries are positions relative to `base`, so the
 * zero-filled table is a set of valid (if useless) candidates: every candidate is verified by a
 * 4-byte comparison before use.
 *
 * 4-byte words are read through a DataView on `src` (signed, little-endian: only compared and
 * hashed, and int32 stays a small integer in V8): measured about 1.8× faster overall than
 * assembling them from four byte loads.
 */
function compressFragment(
  src: Uint8Array,
  view: DataView,
  base: number,
  end: number,
  dst: Uint8Array,
  d: number,
): number {
  const n = end - base;
  let bits = MIN_TABLE_BITS;
  while (bits < MAX_TABLE_BITS && 1 << bits < n) bits++;
  const shift = 32 - bits;
  table.fill(0, 0, 1 << bits);

  const limit = end - TAIL_MARGIN;
  let emitFrom = base;
  let s = base + 1;
  let nextHash = Math.imul(view.getInt32(s, true), HASH_MULTIPLIER) >>> shift;

  search: for (;;) {
    // Scan for a 4-byte match. After 32 misses in a row the stride grows by one byte, so
    // incompressible input is skipped over quickly (the skipped bytes become one literal).
    let misses = 32;
    let next = s;
    let candidate = 0;
    for (;;) {
      s = next;
      const stride = misses >> 5;
      next = s + stride;
      misses += stride;
      if (next > limit) break search;
      candidate = base + table[nextHash]!;
      table[nextHash] = s - base;
      nextHash = Math.imul(view.getInt32(next, true), HASH_MULTIPLIER) >>> shift;
      if (view.getInt32(s, true) === view.getInt32(candidate, true)) break;
    }

    d = emitLiteral(dst, d, src, emitFrom, s);

    // Emit copies as long as the position right after a copy starts another match.
    for (;;) {
      const matchStart = s;
      let c = candidate + 4;
      s += 4;
      // Extend 8 bytes at a time, then 4, then byte by byte. Two float64s compare equal only
      // when their bits are equal, except +0 and -0 (told apart by 1/x); unequal NaNs just end
      // the 8-byte steps early.
      for (;;) {
        if (s + 8 > end) break;
        const a = view.getFloat64(s, true);
        if (a !== view.getFloat64(c, true) || (a === 0 && 1 / a !== 1 / view.getFloat64(c, true))) {
          break;
        }
        s += 8;
        c += 8;
      }
      while (s + 4 <= end && view.getInt32(s, true) === view.getInt32(c, true)) {
        s += 4;
        c += 4;
      }
      if (s + 4 <= end) {
        // The words differ: the equal bytes are the low zero bytes of their XOR (little-endian).
        const x = view.getInt32(s, true) ^ view.getInt32(c, true);
        s += (31 - Math.clz32(x & -x)) >> 3;
      } else {
        while (s < end && src[s] === src[c]) {
          s++;
          c++;
        }
      }
      d = emitCopy(dst, d, matchStart - candidate, s - matchStart);
      emitFrom = s;
      if (s >= limit) break search;
      // Index the position before s (inside the copy) and s itself, then test s.
      table[Math.imul(view.getInt32(s - 1, true), HASH_MULTIPLIER) >>> shift] = s - 1 - base;
      const h = Math.imul(view.getInt32(s, true), HASH_MULTIPLIER) >>> shift;
      candidate = base + table[h]!;
      table[h] = s - base;
      if (view.getInt32(s, true) !== view.getInt32(candidate, true)) break;
    }
    s++;
    nextHash = Math.imul(view.getInt32(s, true), HASH_MULTIPLIER) >>> shift;
  }

  if (emitFrom < end) d = emitLiteral(dst, d, src, emitFrom, end);
  return d;
}

function emitLiteral(
  dst: Uint8Array,
  d: number,
  src: Uint8Array,
  from: number,
  to: number,
): number {
  const len = to - from;
  if (len === 0) return d;
  const m = len - 1;
  if (m < 60) {
    dst[d++] = m << 2;
  } else if (m < 0x100) {
    dst[d++] = 60 << 2;
    dst[d++] = m;
  } else if (m < 0x10000) {
    dst[d++] = 61 << 2;
    dst[d++] = m & 0xff;
    dst[d++] = m >>> 8;
  } else if (m < 0x1000000) {
    dst[d++] = 62 << 2;
    dst[d++] = m & 0xff;
    dst[d++] = (m >>> 8) & 0xff;
    dst[d++] = m >>> 16;
  } else {
    dst[d++] = 63 << 2;
    dst[d++] = m & 0xff;
    dst[d++] = (m >>> 8) & 0xff;
    dst[d++] = (m >>> 16) & 0xff;
    dst[d++] = m >>> 24;
  }
  // Short literals dominate; a byte loop beats creating a subarray view for them.
  if (len < 32) {
    for (let i = from; i < to; i++) dst[d++] = src[i]!;
    return d;
  }
  dst.set(src.subarray(from, to), d);
  return d + len;
}

/** Emits a copy of `length` ≥ 4 bytes from `offset` (1..65535) back. */
function emitCopy(dst: Uint8Array, d: number, offset: number, length: number): number {
  // Long matches become 64-byte copies; keep at least 4 for the last one (the 1-byte-offset form
  // needs 4..11), hence 60 when 65..67 remain.
  while (length >= 68) {
    d = emitCopy2(dst, d, offset, 64);
    length -= 64;
  }
  if (length > 64) {
    d = emitCopy2(dst, d, offset, 60);
    length -= 60;
  }
  if (length < 12 && offset < 2048) {
    dst[d++] = 0b01 | ((length - 4) << 2) | ((offset >>> 8) << 5);
    dst[d++] = offset & 0xff;
    return d;
  }
  return emitCopy2(dst, d, offset, length);
}

function emitCopy2(dst: Uint8Array, d: number, offset: number, length: number): number {
  dst[d++] = 0b10 | ((length - 1) << 2);
  dst[d++] = offset & 0xff;
  dst[d++] = offset >>> 8;
  return d;
}

/**
 * Reads the uncompressed length from the preamble without decompressing.
 * Throws {@link SnappyError} `SNAPPY_CORRUPT` on a malformed preamble.
 */
export function snappyUncompressedLength(src: Uint8Array): number {
  return readPreamble(src)[0];
}

function readPreamble(src: Uint8Array): [length: number, headerSize: number] {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 5; i++) {
    const b = src[i];
    if (b === undefined) break;
    v += (b & 0x7f) * mul;
    if (b < 0x80) {
      if (v > MAX_UNCOMPRESSED) break;
      return [v, i + 1];
    }
    mul *= 128;
  }
  throw new SnappyError(SNAPPY_ERROR_CODES.corrupt, 'snappy: corrupt input (bad length preamble)');
}

/**
 * Most output one input byte can stand for: a 2-byte-offset copy is 3 bytes for up to 64
 * (a 1-byte-offset copy 2 for 11, a 4-byte one 5 for 64, a literal n + 1 for n).
 */
const MAX_EXPANSION = 64 / 3;

/**
 * Decompresses a snappy block into a new Uint8Array. `maxLength` bounds the stated uncompressed
 * size before anything is allocated (untrusted input; default 256 MiB), and so does the input's
 * own size: a stated length more than {@link MAX_EXPANSION} times the elements' bytes cannot be
 * produced by them, so a few bytes cannot make it allocate up to the limit. Throws
 * {@link SnappyError} (`SNAPPY_CORRUPT`, `SNAPPY_TOO_LARGE`).
 */
export function snappyDecompress(src: Uint8Array, maxLength = 256 * 1024 * 1024): Uint8Array {
  const [outLen, header] = readPreamble(src);
  if (outLen > maxLength) {
    throw new SnappyError(
      SNAPPY_ERROR_CODES.tooLarge,
      `snappy: uncompressed length ${outLen} exceeds limit ${maxLength}`,
    );
  }
  const most = Math.floor((src.length - header) * MAX_EXPANSION);
  if (outLen > most) {
    throw corrupt(
      `uncompressed length ${outLen} is more than ${src.length - header} bytes can hold`,
    );
  }
  const out = new Uint8Array(outLen);
  const n = src.length;
  let s = header;
  let d = 0;
  while (s < n) {
    const tag = src[s++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        if (s + extra > n) throw corrupt('literal length past end of input');
        len = 0;
        for (let i = 0; i < extra; i++) len += src[s + i]! * 2 ** (8 * i);
        s += extra;
      }
      len += 1;
      if (s + len > n || d + len > outLen) throw corrupt('literal past end of buffer');
      if (len < 32) {
        for (let i = 0; i < len; i++) out[d + i] = src[s + i]!;
      } else {
        out.set(src.subarray(s, s + len), d);
      }
      s += len;
      d += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (s >= n) throw corrupt('truncated copy');
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[s++]!;
    } else if (kind === 2) {
      if (s + 2 > n) throw corrupt('truncated copy');
      len = (tag >>> 2) + 1;
      offset = src[s]! | (src[s + 1]! << 8);
      s += 2;
    } else {
      if (s + 4 > n) throw corrupt('truncated copy');
      len = (tag >>> 2) + 1;
      offset = (src[s]! | (src[s + 1]! << 8) | (src[s + 2]! << 16) | (src[s + 3]! << 24)) >>> 0;
      s += 4;
    }
    if (offset === 0 || offset > d) throw corrupt(`copy offset ${offset} at output ${d}`);
    if (d + len > outLen) throw corrupt('copy past end of output');
    if (offset >= len) {
      out.copyWithin(d, d - offset, d - offset + len);
      d += len;
    } else {
      // Overlapping copy: repeats the last `offset` bytes, so it must go byte by byte.
      for (let i = 0; i < len; i++, d++) out[d] = out[d - offset]!;
    }
  }
  if (d !== outLen) throw corrupt(`decoded ${d} bytes, preamble says ${outLen}`);
  return out;
}

function corrupt(detail: string): SnappyError {
  return new SnappyError(SNAPPY_ERROR_CODES.corrupt, `snappy: corrupt input (${detail})`);
}

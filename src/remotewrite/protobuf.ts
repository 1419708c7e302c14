/**
 * Minimal protobuf wire-format primitives for the remote-write encoder (§11.2). Every writer
 * takes a destination and a position and returns the new position; callers size the destination
 * first (the encoders compute exact sizes), so no function here checks bounds.
 */

/** Tag byte = field number << 3 | wire type (0 varint, 1 fixed64, 2 length-delimited). */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;

/** Stale marker on the wire: float64 bits 0x7ff0000000000002, little-endian (§8.1). */
export const STALE_NAN_BYTES: Readonly<Uint8Array> = Uint8Array.of(
  0x02,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0xf0,
  0x7f,
);
/** Prometheus's ordinary NaN: float64 bits 0x7ff8000000000001, little-endian (§8.1). */
export const PROMETHEUS_NAN_BYTES: Readonly<Uint8Array> = Uint8Array.of(
  0x01,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0xf8,
  0x7f,
);

export function tag(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

const TWO_32 = 2 ** 32;

/** Bytes taken by `v` (a non-negative integer ≤ 2^53) as a varint. */
export function uvarintLength(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  // Comparisons only: millisecond timestamps (≈ 2^40) land here for every sample.
  if (v < 0x800000000) return 5;
  if (v < 0x40000000000) return 6;
  if (v < 0x2000000000000) return 7;
  return v < 0x100000000000000 ? 8 : 9;
}

/** Bytes taken by an int64 field value: negative numbers are sign-extended to 64 bits (10 bytes). */
export function int64Length(v: number): number {
  return v < 0 ? 10 : uvarintLength(v);
}

/** Writes a non-negative integer ≤ 2^53 as a varint. */
export function writeUvarint(buf: Uint8Array, pos: number, v: number): number {
  if (v >= 0x80000000) {
    // Above int32 (every millisecond timestamp): the low 28 bits as four bytes from the low
    // word, then the rest (≤ 25 bits) from one int: one division instead of one per byte.
    let lo = v >>> 0; // v mod 2^32
    const hi = Math.floor(v / TWO_32); // < 2^21 for v ≤ 2^53
    buf[pos++] = (lo & 0x7f) | 0x80;
    buf[pos++] = ((lo >>> 7) & 0x7f) | 0x80;
    buf[pos++] = ((lo >>> 14) & 0x7f) | 0x80;
    buf[pos++] = ((lo >>> 21) & 0x7f) | 0x80;
    lo >>>= 28;
    v = lo | (hi << 4);
  }
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/**
 * Writes an int64 (an integer in [-2^53, 2^53]) as a varint. Negative values are written in
 * two's complement over 64 bits, as protobuf requires for int64 (not zigzag): always 10 bytes.
 */
export function writeInt64(buf: Uint8Array, pos: number, v: number): number {
  if (v >= 0) return writeUvarint(buf, pos, v);
  const hiSigned = Math.floor(v / TWO_32);
  let lo = v - hiSigned * TWO_32; // 0 .. 2^32-1
  let hi = hiSigned >>> 0; // upper 32 bits of the two's complement
  // 4 groups of 7 bits from `lo` (28 bits), then 4 bits of lo with 3 of hi, then hi.
  for (let i = 0; i < 4; i++) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  buf[pos++] = (lo & 0x0f) | ((hi & 0x07) << 4) | 0x80;
  hi >>>= 3;
  // hi now holds 29 bits whose top bit is set: exactly 5 more bytes, the last without 0x80.
  for (let i = 0; i < 4; i++) {
    buf[pos++] = (hi & 0x7f) | 0x80;
    hi >>>= 7;
  }
  buf[pos++] = hi;
  return pos;
}

/**
 * UTF-8 length of a JS string, counting a lone surrogate as U+FFFD (3 bytes), which is what
 * `TextEncoder` writes for it.
 */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      n += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        // A pair: 2 code units → 4 bytes.
        n += 2;
        i++;
      } else {
        n += 2;
      }
    } else {
      n += 2;
    }
  }
  return n;
}

const textEncoder = new TextEncoder();

/** Writes `s` as UTF-8 (`byteLength` = {@link utf8Length}(s), computed by the caller). */
export function writeUtf8(buf: Uint8Array, pos: number, s: string, byteLength: number): number {
  if (byteLength === s.length) {
    for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
    return pos;
  }
  textEncoder.encodeInto(s, buf.subarray(pos, pos + byteLength));
  return pos + byteLength;
}

/** Size of a length-delimited field (tag + length + payload) for a field number below 16. */
export function lenFieldSize(payload: number): number {
  return 1 + uvarintLength(payload) + payload;
}

/** Should a double field be written? Not for +0.0 (the proto3 default); always for a stale marker. */
export function hasValue(v: number, stale: boolean): boolean {
  return stale || v !== 0 || 1 / v < 0;
}

/**
 * The growable output buffer of an encoder: `buf` (with `view` over it for doubles), replaced
 * by one twice as large (or more) when {@link reserve} asks for more room. Its old contents are
 * not copied: reserve before writing a request.
 */
export class OutputBuffer {
  protected buf: Uint8Array;
  protected view: DataView;

  constructor(initialBytes: number) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  protected reserve(size: number): void {
    if (this.buf.length >= size) return;
    let cap = this.buf.length * 2;
    while (cap < size) cap *= 2;
    this.buf = new Uint8Array(cap);
    this.view = new DataView(this.buf.buffer);
  }
}

import { Buffer, isAscii, isUtf8 } from 'node:buffer';

/**
 * A body turned into the string the parsers scan, plus where it was not valid UTF-8.
 *
 * UTF-8 policy (§5.1, §5.2): Prometheus rejects invalid UTF-8 in label values and HELP text in
 * its parsers, and in metric/label names at append time (the scrape fails either way); the
 * only places where it lets invalid bytes through are ignorable comment lines of the text
 * format (and lines after a NUL that ends a text body, which are never read). We therefore
 * decode the body once and record, for every invalid sequence, the string offset of the U+FFFD
 * it became. The parsers then fail any entry whose line holds such an offset, except text-format
 * comments. A body that is valid UTF-8 (the normal case) pays only for the validation.
 */
export interface DecodedBody {
  /** The whole text, or with {@link windows} the first window of it. */
  readonly text: string;
  /** Ascending string offsets of replaced invalid sequences; empty for a valid body. */
  readonly badOffsets: readonly number[];
  /** The rest of the text when it is handed out in windows (see {@link decodeBodyInWindows}). */
  readonly windows?: TextWindows;
}

/**
 * The rest of a body decoded piece by piece. Every window but the last ends just after a `\n`,
 * so a window holds whole lines; a line longer than the window size makes its window longer.
 */
export interface TextWindows {
  /** The next window, or undefined when the body is used up. */
  next(): string | undefined;
  /** Everything not handed out yet, as one string ('' when used up); no window follows it. */
  rest(): string;
}

const NO_BAD_OFFSETS: readonly number[] = Object.freeze([]);

const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Decodes once. ASCII bodies (almost every exporter) take the latin1 path: each byte becomes one
 * char with a memcpy, roughly 50× faster in Node 20 than a UTF-8 decode of the same bytes, and
 * identical for ASCII. A BOM is kept as U+FEFF (it is not valid at the start of a line, as in
 * Prometheus). A string body is taken as already decoded; lone surrogates in it count as
 * invalid, like bytes that are not UTF-8.
 */
export function decodeBody(body: Uint8Array | string): DecodedBody {
  if (typeof body === 'string') return decodeString(body);
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (isAscii(buf)) return { text: buf.toString('latin1'), badOffsets: NO_BAD_OFFSETS };
  if (isUtf8(buf)) return { text: utf8Decoder.decode(body), badOffsets: NO_BAD_OFFSETS };
  return decodeInvalid(body);
}

/** Window size of {@link decodeBodyInWindows}. */
export const TEXT_WINDOW_BYTES = 64 * 1024;

/**
 * Bodies at least this long are decoded in windows by the text parser: Node hands a latin1
 * decode longer than about 1 MB back as an *external* string, whose bytes count toward V8's
 * external-memory limit and are freed only by a full collection. For the 100k-series target
 * (13 MB per scrape) that limit forced a mark-compact of the whole heap at every scrape or two,
 * and 40–100 MiB of dead bodies waited for it (docs/performance.md). Windows of 64 KiB are
 * ordinary young-generation strings that die at the next scavenge.
 */
export const WINDOWED_BODY_BYTES = 1024 * 1024;

/**
 * Like {@link decodeBody}, but an ASCII body of at least `minBytes` comes as a first window of
 * about `windowBytes` in `text` plus {@link TextWindows} for the rest (the parser borrows the
 * bytes until it is done). Other bodies are decoded whole, as by decodeBody.
 */
export function decodeBodyInWindows(
  body: Uint8Array | string,
  windowBytes = TEXT_WINDOW_BYTES,
  minBytes = WINDOWED_BODY_BYTES,
): DecodedBody {
  if (typeof body === 'string' || body.byteLength < minBytes) return decodeBody(body);
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (!isAscii(buf)) return decodeBody(body);
  const windows = new AsciiWindows(buf, Math.max(1, windowBytes));
  return { text: windows.next() ?? '', badOffsets: NO_BAD_OFFSETS, windows };
}

class AsciiWindows implements TextWindows {
  private at = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly size: number,
  ) {}

  next(): string | undefined {
    const buf = this.buf;
    const from = this.at;
    if (from >= buf.length) return undefined;
    let end = from + this.size;
    if (end < buf.length) {
      // End after the last newline in range, or after the first one past it for a long line.
      const nl = buf.lastIndexOf(10, end - 1);
      const cut = nl >= from ? nl : buf.indexOf(10, end);
      end = cut < 0 ? buf.length : cut + 1;
    } else {
      end = buf.length;
    }
    this.at = end;
    return buf.toString('latin1', from, end);
  }

  rest(): string {
    const from = this.at;
    this.at = this.buf.length;
    return from >= this.buf.length ? '' : this.buf.toString('latin1', from);
  }
}

function decodeString(s: string): DecodedBody {
  const wf = (s as { isWellFormed?: () => boolean }).isWellFormed;
  if (wf?.call(s)) return { text: s, badOffsets: NO_BAD_OFFSETS };
  const bad: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    bad.push(i);
  }
  return { text: s, badOffsets: bad.length === 0 ? NO_BAD_OFFSETS : bad };
}

/**
 * The slow path for bodies that are not valid UTF-8: valid runs are decoded in one go, each
 * maximal invalid subsequence becomes one U+FFFD whose offset is recorded. Linear in the body.
 */
function decodeInvalid(bytes: Uint8Array): DecodedBody {
  const parts: string[] = [];
  const bad: number[] = [];
  let outLen = 0;
  let runStart = 0;
  let i = 0;
  const n = bytes.length;
  const flush = (end: number): void => {
    if (end > runStart) {
      const part = utf8Decoder.decode(bytes.subarray(runStart, end));
      parts.push(part);
      outLen += part.length;
    }
  };
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const len = validSequenceLength(bytes, i);
    if (len > 0) {
      i += len;
      continue;
    }
    flush(i);
    bad.push(outLen);
    parts.push('\ufffd');
    outLen += 1;
    i += invalidSubsequenceLength(bytes, i);
    runStart = i;
  }
  flush(n);
  return { text: parts.join(''), badOffsets: bad };
}

/** Length of the well-formed UTF-8 sequence starting at `i` (lead byte ≥ 0x80), or 0. */
function validSequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  const b1 = bytes[i + 1] ?? 0;
  const cont1 = (b1 & 0xc0) === 0x80;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont1 ? 2 : 0;
  const b2 = bytes[i + 2] ?? 0;
  const cont2 = (b2 & 0xc0) === 0x80;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if (!cont1 || !cont2) return 0;
    if (b0 === 0xe0 && b1 < 0xa0) return 0; // overlong
    if (b0 === 0xed && b1 >= 0xa0) return 0; // surrogates
    return 3;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const b3 = bytes[i + 3] ?? 0;
    if (!cont1 || !cont2 || (b3 & 0xc0) !== 0x80) return 0;
    if (b0 === 0xf0 && b1 < 0x90) return 0; // overlong
    if (b0 === 0xf4 && b1 >= 0x90) return 0; // > U+10FFFF
    return 4;
  }
  return 0;
}

/**
 * How many bytes one U+FFFD replaces (the WHATWG "maximal subpart" rule): the lead byte plus the
 * continuation bytes that were still acceptable for it. Always ≥ 1, so the decode advances.
 */
function invalidSubsequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  let need: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) need = 1;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    need = 2;
    if (b0 === 0xe0) lo = 0xa0;
    if (b0 === 0xed) hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    need = 3;
    if (b0 === 0xf0) lo = 0x90;
    if (b0 === 0xf4) hi = 0x8f;
  } else return 1;
  let k = 1;
  while (k <= need) {
    const b = bytes[i + k];
    if (b === undefined || b < lo || b > hi) break;
    lo = 0x80;
    hi = 0xbf;
    k++;
  }
  return k;
}

/**
 * An append-only log of records in numbered segment files, the storage under one remote_write's
 * queue in the data directory (`disk-unit-queue.ts` says what the records mean).
 *
 * Files: `<dir>/00000001`, `00000002`, … (8 decimal digits, as Prometheus's WAL). Each starts
 * with an 8-byte header (`LSWQ`, format version 1 as u32 LE), then frames:
 *
 *   u32 LE payload length | u32 LE CRC-32 of the payload | payload (first byte: record type)
 *
 * Writes are synchronous (`writev` on the segment's descriptor): when {@link SegmentLog.append}
 * returns, the record is in the operating system's hands and survives the process being
 * killed. Segments are fsynced when closed (rolled over, or the log closed), not per record,
 * as Prometheus's WAL does: a crash of the machine can lose what the open segment got since.
 *
 * Reading at open tolerates damage: a frame whose length overruns the file or whose CRC does not
 * match is skipped up to the next frame that checks out (found by scanning forward), and
 * reported; a damaged end of the newest segment (a write cut short by a crash) is cut off, so the
 * next open does not report it again. Appends always go to a new segment after the ones found.
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  unlinkSync,
  writevSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from './crc32.js';
import { LocalError, LocalErrorCode } from './errors.js';

const MAGIC = 0x5157534c; // 'LSWQ' read as u32 LE
const FORMAT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 8;
export const FRAME_HEADER_BYTES = 8;
const SEGMENT_NAME = /^[0-9]{8}$/;
/** Segments kept open for reading back at once (a 4 GiB queue has 512 segments). */
const MAX_READ_FDS = 16;

/** Where a record is: its frame starts at `offset` of segment `segment`. */
export interface RecordLocation {
  readonly segment: number;
  readonly offset: number;
  /** Payload bytes (the frame is {@link FRAME_HEADER_BYTES} more). */
  readonly length: number;
}

/** Damage found while reading the segments at open. */
export interface ScanProblem {
  /** `torn`: the end of the newest segment (cut off); `corrupt`: bytes skipped elsewhere. */
  readonly kind: 'torn' | 'corrupt';
  readonly segment: number;
  readonly offset: number;
  readonly bytes: number;
}

export interface SegmentLogOptions {
  /** A segment is closed and a new one started when a record would take it past this size. */
  readonly segmentBytes: number;
  /**
   * Record types `onRecord` knows (the payload's first byte). A frame of another type is damage;
   * checking it makes the scan for the next good frame after damage cheap and reliable.
   */
  readonly recordTypes: readonly number[];
}

export function segmentFileName(segment: number): string {
  return String(segment).padStart(8, '0');
}

export class SegmentLog {
  /** Segment numbers, ascending, the current (last) one included, with their sizes. */
  private readonly sizes = new Map<number, number>();
  private readonly readFds = new Map<number, number>();
  private current: number;
  private fd: number;
  private totalBytes = 0;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly options: SegmentLogOptions,
    found: ReadonlyMap<number, number>,
  ) {
    for (const [segment, size] of found) {
      this.sizes.set(segment, size);
      this.totalBytes += size;
    }
    this.current = Math.max(0, ...found.keys()) + 1;
    this.fd = this.createSegment(this.current);
  }

  /**
   * Opens (creating `dir` if needed) and reads every segment, oldest first, calling `onRecord`
   * with each good payload (a view into a buffer the callback may keep) and its location.
   * @throws LocalError `LOCAL_DATA_DIR_FAILED` when the directory or a file cannot be read or
   * written.
   */
  static open(
    dir: string,
    options: SegmentLogOptions,
    onRecord: (payload: Uint8Array, at: RecordLocation) => void,
  ): { readonly log: SegmentLog; readonly problems: readonly ScanProblem[] } {
    const problems: ScanProblem[] = [];
    const found = new Map<number, number>();
    try {
      mkdirSync(dir, { recursive: true });
      const segments = readdirSync(dir)
        .filter((n) => SEGMENT_NAME.test(n))
        .map(Number)
        .sort((a, b) => a - b);
      const types = new Set(options.recordTypes);
      segments.forEach((segment, i) => {
        const path = join(dir, segmentFileName(segment));
        const buf = readFileSync(path);
        const last = i === segments.length - 1;
        const end = scanSegment(buf, segment, last, types, problems, onRecord);
        if (end < buf.length && last) {
          // A write cut short: drop it, so that the next open reads a clean file.
          const fd = openSync(path, 'r+');
          try {
            ftruncateSync(fd, end);
          } finally {
            closeSync(fd);
          }
          found.set(segment, end);
        } else {
          found.set(segment, buf.length);
        }
      });
      return { log: new SegmentLog(dir, options, found), problems };
    } catch (err) {
      throw dataDirError(`cannot open the segments in ${dir}`, err);
    }
  }

  /** Bytes of every segment file, the current one included. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** The segment appends go to. */
  get currentSegment(): number {
    return this.current;
  }

  /** Segment numbers on disk, ascending. */
  get segments(): number[] {
    return [...this.sizes.keys()].sort((a, b) => a - b);
  }

  /** Bytes a record of `payloadBytes` takes on disk. */
  static frameBytes(payloadBytes: number): number {
    return FRAME_HEADER_BYTES + payloadBytes;
  }

  /**
   * Appends one record whose payload is `parts` concatenated (first byte: its type); starts a
   * new segment first when this one would grow past `segmentBytes`. Synchronous.
   * @throws LocalError `LOCAL_DATA_DIR_FAILED` on a write error (e.g. ENOSPC).
   */
  append(parts: readonly Uint8Array[]): RecordLocation {
    if (this.closed) throw new LocalError(LocalErrorCode.invalidState, 'segment log closed');
    let length = 0;
    let crc = 0;
    for (const p of parts) {
      length += p.length;
      crc = crc32(p, crc);
    }
    const frame = FRAME_HEADER_BYTES + length;
    try {
      const size = this.sizes.get(this.current)!;
      if (size > SEGMENT_HEADER_BYTES && size + frame > this.options.segmentBytes) this.roll();
      const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
      header.writeUInt32LE(length, 0);
      header.writeUInt32LE(crc, 4);
      const offset = this.sizes.get(this.current)!;
      let written = writevSync(this.fd, [header, ...parts]);
      if (written < frame) {
        // A short write (rare: signals, full disk); finish it or fail.
        const rest = Buffer.concat([header, ...parts]).subarray(written);
        written += writevSync(this.fd, [rest]);
        if (written < frame) throw new Error(`short write: ${written} of ${frame} bytes`);
      }
      this.sizes.set(this.current, offset + frame);
      this.totalBytes += frame;
      return { segment: this.current, offset, length };
    } catch (err) {
      if (err instanceof LocalError) throw err;
      throw dataDirError(`cannot append to ${join(this.dir, segmentFileName(this.current))}`, err);
    }
  }

  /**
   * The payload at `at`, checked against its CRC.
   * @throws LocalError `LOCAL_RECORD_CORRUPT` when it does not check out, `LOCAL_DATA_DIR_FAILED`
   * when it cannot be read.
   */
  read(at: RecordLocation): Uint8Array {
    const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + at.length);
    try {
      let fd = this.readFds.get(at.segment);
      if (fd === undefined) {
        if (this.readFds.size >= MAX_READ_FDS) {
          // The heads of the streams are in a few segments; close the one opened first.
          const [oldest, oldestFd] = this.readFds.entries().next().value!;
          closeSync(oldestFd);
          this.readFds.delete(oldest);
        }
        fd = openSync(join(this.dir, segmentFileName(at.segment)), 'r');
        this.readFds.set(at.segment, fd);
      }
      const n = readSync(fd, frame, 0, frame.length, at.offset);
      if (n !== frame.length) throw new Error(`short read: ${n} of ${frame.length} bytes`);
    } catch (err) {
      throw dataDirError(`cannot read segment ${segmentFileName(at.segment)}`, err);
    }
    const payload = frame.subarray(FRAME_HEADER_BYTES);
    if (frame.readUInt32LE(0) !== at.length || frame.readUInt32LE(4) !== crc32(payload)) {
      throw new LocalError(
        LocalErrorCode.recordCorrupt,
        `record at ${segmentFileName(at.segment)}:${at.offset} does not match its checksum`,
      );
    }
    return payload;
  }

  /** Deletes the segments numbered below `segment`, never the current one. */
  removeBefore(segment: number): void {
    for (const s of this.segments) {
      if (s >= segment || s === this.current) break;
      const fd = this.readFds.get(s);
      if (fd !== undefined) {
        closeSync(fd);
        this.readFds.delete(s);
      }
      try {
        unlinkSync(join(this.dir, segmentFileName(s)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw dataDirError(`cannot delete segment ${segmentFileName(s)}`, err);
        }
      }
      this.totalBytes -= this.sizes.get(s)!;
      this.sizes.delete(s);
    }
  }

  /** Flushes the current segment to the device. */
  sync(): void {
    fsyncSync(this.fd);
  }

  /** Syncs and closes every file. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of this.readFds.values()) closeSync(fd);
    this.readFds.clear();
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
    }
  }

  private roll(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.current++;
    this.fd = this.createSegment(this.current);
  }

  private createSegment(segment: number): number {
    const fd = openSync(join(this.dir, segmentFileName(segment)), 'ax');
    const header = Buffer.allocUnsafe(SEGMENT_HEADER_BYTES);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(FORMAT_VERSION, 4);
    writevSync(fd, [header]);
    this.sizes.set(segment, SEGMENT_HEADER_BYTES);
    this.totalBytes += SEGMENT_HEADER_BYTES;
    return fd;
  }
}

/**
 * Reads the frames of one segment; returns the offset after the last good frame (the file's
 * length when it ends cleanly). Damage goes to `problems`.
 */
function scanSegment(
  buf: Buffer,
  segment: number,
  last: boolean,
  types: ReadonlySet<number>,
  problems: ScanProblem[],
  onRecord: (payload: Uint8Array, at: RecordLocation) => void,
): number {
  if (buf.length === 0) return 0; // created, then the process died before the header
  if (
    buf.length < SEGMENT_HEADER_BYTES ||
    buf.readUInt32LE(0) !== MAGIC ||
    buf.readUInt32LE(4) !== FORMAT_VERSION
  ) {
    problems.push({ kind: last ? 'torn' : 'corrupt', segment, offset: 0, bytes: buf.length });
    return 0;
  }
  const frameAt = (p: number): number => {
    if (p + FRAME_HEADER_BYTES >= buf.length) return -1;
    const length = buf.readUInt32LE(p);
    const end = p + FRAME_HEADER_BYTES + length;
    if (length === 0 || end > buf.length || !types.has(buf[p + FRAME_HEADER_BYTES]!)) return -1;
    const payload = buf.subarray(p + FRAME_HEADER_BYTES, end);
    return crc32(payload) === buf.readUInt32LE(p + 4) ? end : -1;
  };
  let pos = SEGMENT_HEADER_BYTES;
  let goodEnd = pos;
  while (pos < buf.length) {
    const end = frameAt(pos);
    if (end >= 0) {
      const length = end - pos - FRAME_HEADER_BYTES;
      onRecord(buf.subarray(pos + FRAME_HEADER_BYTES, end), { segment, offset: pos, length });
      pos = end;
      goodEnd = end;
      continue;
    }
    let next = pos + 1;
    while (next < buf.length && frameAt(next) < 0) next++;
    if (next >= buf.length) {
      problems.push({
        kind: last ? 'torn' : 'corrupt',
        segment,
        offset: pos,
        bytes: buf.length - pos,
      });
      return goodEnd;
    }
    problems.push({ kind: 'corrupt', segment, offset: pos, bytes: next - pos });
    pos = next;
    goodEnd = next;
  }
  return buf.length;
}

function dataDirError(message: string, cause: unknown): LocalError {
  if (cause instanceof LocalError) return cause;
  const why = cause instanceof Error ? cause.message : String(cause);
  return new LocalError(LocalErrorCode.dataDirFailed, `${message}: ${why}`, { cause });
}

/**
 * One remote_write's queue in the data directory (`--storage.path`): every unit the sink accepts
 * is written here before it counts as accepted, sent in order per series stream, and marked done
 * on disk once delivered (or refused for good, or expired), so that a restart sends exactly what
 * was still waiting, in the same order, before anything new of those streams.
 *
 * Records (in a {@link SegmentLog}; all numbers little-endian):
 * - unit (type 1): seq, accepted time, slot time (f64), the stream key, job and URL (for logs),
 *   then per request its samples, exemplars, metadata and body length, then the bodies: the
 *   snappy-compressed WriteRequests as `RemoteWriter.prepare` made them (external labels and
 *   write_relabel_configs applied; sent again as they are).
 * - done (type 2): the seq of a unit that needs no more sending.
 * A unit is pending when its record has no done record after it. Segments are deleted from the
 * oldest on as soon as no pending unit is left in them (the head advances); a done record only
 * ever follows its unit, so deleting in order never brings a unit back.
 *
 * Sending: one pump per stream sends the stream's oldest unit through the newest attached
 * {@link RequestSender} and only then the next, so a stream's units reach the receiver in the
 * order they were accepted, across config reloads (a new sink attaches, the old one detaches)
 * and restarts. The done record is written before the next unit of the stream goes out: after a
 * crash at most the last delivered unit of a stream is sent again, and a receiver takes the
 * same samples again at the newest timestamp of their series (Prometheus keeps identical
 * duplicates silently), where an older one would be rejected as out of order.
 *
 * Bounds: a unit that would take the segment files past `maxBytes` is refused (counted
 * `full`); a unit still undelivered `maxAgeMs` after it was accepted is given up (`expired`):
 * checked before each send, and a send retries no longer than that. Memory: a unit's bodies
 * stay in memory only when it is sent at once (its stream had nothing waiting); a waiting unit
 * is a small descriptor and its bodies are read back from disk when its turn comes.
 */
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { redactTargetUrl } from '../log/redact.js';
import type { PreparedRequest } from '../remotewrite/writer.js';
import { type Clock, systemClock } from '../schedule/clock.js';
import { LocalError, LocalErrorCode } from './errors.js';
import {
  type RecordLocation,
  type ScanProblem,
  SEGMENT_HEADER_BYTES,
  SegmentLog,
} from './segment-log.js';

export const RecordType = { unit: 1, done: 2 } as const;

/** Segment size: small enough that the head frees disk soon after an outage. */
export const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;

/** What a unit is, besides its requests. */
export interface UnitInfo {
  /** Series stream key (`UnitMeta.targetKey`): units with the same key are sent in push order. */
  readonly stream: string;
  readonly job: string;
  readonly url: string;
  /** The scrape's slot (ms). */
  readonly slotMs: number;
}

/** What one request of a unit carries (its body is in memory or on disk). */
interface RequestShape {
  readonly samples: number;
  readonly exemplars: number;
  readonly metadata: number;
  readonly bytes: number;
}

interface QueuedUnit extends UnitInfo {
  readonly seq: number;
  readonly acceptedMs: number;
  readonly requests: readonly RequestShape[];
  readonly samples: number;
  readonly at: RecordLocation;
  /** The bodies while in memory; read back from disk when undefined. */
  bodies: readonly Uint8Array[] | undefined;
  /** Requests that need no more sending (after a send cut short by a detaching sender). */
  done: boolean[] | undefined;
}

interface Stream {
  readonly key: string;
  readonly units: QueuedUnit[];
  pumping: boolean;
}

/** How one request went. */
export type RequestOutcome =
  | { readonly kind: 'delivered' }
  /** Refused for good (a 4xx): not sent again. */
  | { readonly kind: 'rejected'; readonly error: Error }
  /** Not delivered: the signal aborted, or `retryUntil` came. */
  | { readonly kind: 'retryable' };

/** What sends the queue's requests: the writer of the newest sink. */
export interface RequestSender {
  /** Aborted when its sink closes; what it was sending is then sent by the next sender. */
  readonly signal: AbortSignal;
  /**
   * Sends one request, retrying recoverable failures until delivered, `signal` aborts or
   * `retryUntil` (epoch ms, `Date.now()` clock) comes. Never rejects.
   */
  send(
    request: PreparedRequest,
    options: { readonly signal: AbortSignal; readonly retryUntil: number },
  ): Promise<RequestOutcome>;
}

/** Why samples were given up on by the queue. */
export interface QueueDrops {
  /** Older than `maxAgeMs` before they could be delivered. */
  readonly expired: number;
  /** Refused: the segment files would have grown past `maxBytes`. */
  readonly full: number;
  /** Could not be written, or read back (I/O error, checksum mismatch). */
  readonly failed: number;
}

export interface DiskQueueStats {
  readonly pendingUnits: number;
  readonly pendingSamples: number;
  /** Bytes of the segment files. */
  readonly bytes: number;
  /** Units found undelivered on disk at open (sent first). */
  readonly unitsReplayed: number;
  readonly samplesReplayed: number;
  /** Damaged records skipped at open (a `torn` end of the newest segment, `corrupt` ones). */
  readonly recordsSkipped: { readonly torn: number; readonly corrupt: number };
  readonly samplesDropped: QueueDrops;
}

export interface DiskUnitQueueOptions {
  /** The remote_write's name, for logs. */
  readonly name: string;
  /** Largest size of the segment files; 0 = no limit. */
  readonly maxBytes: number;
  /** How long a unit may wait before it is given up (ms). */
  readonly maxAgeMs: number;
  /** @default DEFAULT_SEGMENT_BYTES, or maxBytes / 4 when that is smaller (at least 64 KiB) */
  readonly segmentBytes?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
}

export type PushResult = 'kept' | 'full' | 'failed';

/** Warnings about expired units: at most one a minute per queue. */
const EXPIRY_WARN_INTERVAL_MS = 60_000;

export class DiskUnitQueue {
  private readonly log: SegmentLog;
  private readonly streams = new Map<string, Stream>();
  /** Pending units per segment; a segment without any can go once the older ones have. */
  private readonly live = new Map<number, number>();
  private readonly senders: RequestSender[] = [];
  /** Sends in flight per sender, for `detach` to wait on. */
  private readonly inFlight = new Map<RequestSender, Set<Promise<void>>>();
  private drainWaiters: (() => void)[] = [];
  private readonly clock: Clock;
  private readonly logger: Logger;
  private nextSeq: number;
  private pendingUnits = 0;
  private pendingSamples = 0;
  private readonly replayed: { units: number; samples: number };
  private readonly skipped = { torn: 0, corrupt: 0 };
  private readonly drops = { expired: 0, full: 0, failed: 0 };
  private expiredSinceWarn = 0;
  private lastExpiryWarnMs = Number.NEGATIVE_INFINITY;
  private closed = false;

  /**
   * Opens the queue in `dir` (created if missing) and reads what it holds: the undelivered
   * units wait, in their original order per stream, for the first sender. Damaged records are
   * skipped, logged and counted, never fatal.
   * @throws LocalError `LOCAL_DATA_DIR_FAILED` when the directory cannot be read or written.
   */
  static open(dir: string, options: DiskUnitQueueOptions): DiskUnitQueue {
    const pending = new Map<number, QueuedUnit>();
    let maxSeq = 0;
    let undecodable = 0;
    const { log, problems } = SegmentLog.open(
      dir,
      {
        segmentBytes: segmentBytesFor(options),
        recordTypes: [RecordType.unit, RecordType.done],
      },
      (payload, at) => {
        try {
          if (payload[0] === RecordType.done) {
            const seq = decodeDone(payload);
            pending.delete(seq);
            maxSeq = Math.max(maxSeq, seq);
          } else {
            const unit = decodeUnit(payload, at);
            pending.set(unit.seq, unit);
            maxSeq = Math.max(maxSeq, unit.seq);
          }
        } catch {
          undecodable++; // a record that checks out but does not parse: a bug or a newer format
        }
      },
    );
    return new DiskUnitQueue(
      log,
      options,
      [...pending.values()],
      maxSeq + 1,
      problems,
      undecodable,
    );
  }

  private constructor(
    log: SegmentLog,
    private readonly options: DiskUnitQueueOptions,
    recovered: readonly QueuedUnit[],
    nextSeq: number,
    problems: readonly ScanProblem[],
    undecodable: number,
  ) {
    this.log = log;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.nextSeq = nextSeq;
    for (const p of problems) {
      this.skipped[p.kind]++;
      this.logger.warn('data directory: damaged record skipped', {
        remote: options.name,
        kind: p.kind,
        segment: p.segment,
        offset: p.offset,
        bytes: p.bytes,
      });
    }
    if (undecodable > 0) {
      this.skipped.corrupt += undecodable;
      this.logger.warn('data directory: records that cannot be decoded skipped', {
        remote: options.name,
        records: undecodable,
      });
    }
    // Recovered units come in seq order, which is the order they were pushed in.
    let samples = 0;
    for (const u of recovered) {
      this.enqueue(u);
      samples += u.samples;
    }
    this.replayed = { units: recovered.length, samples };
    this.truncate();
    if (recovered.length > 0) {
      this.logger.info('data directory: undelivered units found; they are sent first', {
        remote: options.name,
        units: recovered.length,
        samples,
        oldest_age_s: Math.round((this.clock.now() - recovered[0]!.acceptedMs) / 1000),
      });
    }
  }

  /**
   * Writes a unit (its requests as `RemoteWriter.prepare` made them; the queue keeps the bodies
   * only while needed) and queues it behind the earlier units of its stream. Synchronous: on
   * `kept` the unit is on disk. `full` and `failed` units are counted as dropped and not kept.
   */
  push(requests: readonly PreparedRequest[], info: UnitInfo): PushResult {
    let samples = 0;
    for (const r of requests) samples += r.samples;
    if (this.closed) {
      this.drops.failed += samples;
      return 'failed';
    }
    const acceptedMs = this.clock.now();
    const seq = this.nextSeq;
    // The URL is only for logs; a query may carry a token (`params`): keep it redacted on disk.
    const parts = encodeUnit(
      seq,
      acceptedMs,
      { ...info, url: redactTargetUrl(info.url) },
      requests,
    );
    let payloadBytes = 0;
    for (const p of parts) payloadBytes += p.length;
    const max = this.options.maxBytes;
    if (
      max > 0 &&
      this.log.bytes + SegmentLog.frameBytes(payloadBytes) + SEGMENT_HEADER_BYTES > max
    ) {
      this.drops.full += samples;
      return 'full';
    }
    let at: RecordLocation;
    try {
      at = this.log.append(parts);
    } catch (err) {
      this.drops.failed += samples;
      this.logger.error('data directory: cannot write a unit; dropped', {
        remote: this.options.name,
        job: info.job,
        url: info.url,
        err,
      });
      return 'failed';
    }
    this.nextSeq++;
    const stream = this.streams.get(info.stream);
    const sendsAtOnce = stream === undefined || stream.units.length === 0;
    this.enqueue({
      ...info,
      seq,
      acceptedMs,
      requests: requests.map((r) => ({
        samples: r.samples,
        exemplars: r.exemplars,
        metadata: r.metadata,
        bytes: r.body.length,
      })),
      samples,
      at,
      bodies: sendsAtOnce ? requests.map((r) => r.body) : undefined,
      done: undefined,
    });
    return 'kept';
  }

  /**
   * Makes `sender` the one that sends from now on (the newest attached sends; what an older one
   * is sending when it aborts is sent again by the newest still attached). Returns the detach:
   * it resolves once the sender's sends in flight have settled (abort its signal first).
   */
  attach(sender: RequestSender): () => Promise<void> {
    this.senders.push(sender);
    this.inFlight.set(sender, new Set());
    for (const s of this.streams.values()) void this.pump(s);
    return async () => {
      const i = this.senders.indexOf(sender);
      if (i >= 0) this.senders.splice(i, 1);
      await Promise.all(this.inFlight.get(sender) ?? []);
      this.inFlight.delete(sender);
    };
  }

  /** Resolves when nothing is pending (at once when nothing is). */
  drained(): Promise<void> {
    if (this.pendingUnits === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  stats(): DiskQueueStats {
    return {
      pendingUnits: this.pendingUnits,
      pendingSamples: this.pendingSamples,
      bytes: this.log.bytes,
      unitsReplayed: this.replayed.units,
      samplesReplayed: this.replayed.samples,
      recordsSkipped: { ...this.skipped },
      samplesDropped: { ...this.drops },
    };
  }

  /**
   * Closes the files (syncing them). What is pending stays on disk for the next open. Detach
   * the senders first: a send that ends after this is not recorded (sent again next time).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.log.close();
    if (this.pendingUnits > 0) {
      this.logger.info('data directory: undelivered units kept for the next start', {
        remote: this.options.name,
        units: this.pendingUnits,
        samples: this.pendingSamples,
      });
    }
  }

  // ---- internals ---------------------------------------------------------------------------

  private enqueue(u: QueuedUnit): void {
    let s = this.streams.get(u.stream);
    if (s === undefined) {
      s = { key: u.stream, units: [], pumping: false };
      this.streams.set(u.stream, s);
    }
    s.units.push(u);
    this.live.set(u.at.segment, (this.live.get(u.at.segment) ?? 0) + 1);
    this.pendingUnits++;
    this.pendingSamples += u.samples;
    if (!s.pumping && this.senders.length > 0) void this.pump(s);
  }

  /** Sends the stream's units one after the other while a sender is attached. */
  private async pump(s: Stream): Promise<void> {
    if (s.pumping) return;
    s.pumping = true;
    try {
      for (;;) {
        const u = s.units[0];
        const sender = this.currentSender();
        if (u === undefined || sender === undefined || this.closed) return;
        const sending = this.sendUnit(s, u, sender);
        const tracked = this.inFlight.get(sender)!;
        tracked.add(sending);
        try {
          await sending;
        } finally {
          tracked.delete(sending);
        }
      }
    } finally {
      s.pumping = false;
      if (s.units.length === 0) this.streams.delete(s.key);
    }
  }

  /** The newest attached sender not aborted (an aborted one may not have detached yet). */
  private currentSender(): RequestSender | undefined {
    for (let i = this.senders.length - 1; i >= 0; i--) {
      if (!this.senders[i]!.signal.aborted) return this.senders[i];
    }
    return undefined;
  }

  /** One attempt at a unit with `sender`: done (written), or left at the head when aborted. */
  private async sendUnit(s: Stream, u: QueuedUnit, sender: RequestSender): Promise<void> {
    const retryUntil = u.acceptedMs + this.options.maxAgeMs;
    if (this.clock.now() >= retryUntil) {
      this.expire(u.samples);
      this.finish(s, u);
      return;
    }
    let bodies = u.bodies;
    if (bodies === undefined) {
      try {
        bodies = decodeBodies(this.log.read(u.at), u.requests);
      } catch (err) {
        this.drops.failed += u.samples;
        this.logger.error('data directory: a unit cannot be read back; dropped', {
          remote: this.options.name,
          job: u.job,
          url: u.url,
          err,
        });
        this.finish(s, u);
        return;
      }
    }
    u.done ??= u.requests.map(() => false);
    const done = u.done;
    const outcomes = await Promise.all(
      u.requests.map((r, i) =>
        done[i]
          ? undefined
          : sender
              .send({ ...r, body: bodies[i]! }, { signal: sender.signal, retryUntil })
              .catch((err: unknown): RequestOutcome => {
                // Senders promise not to reject; count the request rather than spin on it.
                return {
                  kind: 'rejected',
                  error: err instanceof Error ? err : new Error(String(err)),
                };
              }),
      ),
    );
    let expired = 0;
    outcomes.forEach((o, i) => {
      if (o === undefined) return;
      if (o.kind === 'delivered') done[i] = true;
      else if (o.kind === 'rejected') {
        done[i] = true;
        this.logger.warn('remote write rejected samples', {
          remote: this.options.name,
          job: u.job,
          url: u.url,
          err: o.error,
        });
      } else if (!sender.signal.aborted) {
        // Not aborted, so `retryUntil` came: the unit is past the horizon.
        done[i] = true;
        expired += u.requests[i]!.samples;
      }
    });
    if (expired > 0) this.expire(expired);
    if (done.every(Boolean)) this.finish(s, u);
    else u.bodies = bodies; // the head of its stream: sent again soon, by the next sender
  }

  private expire(samples: number): void {
    this.drops.expired += samples;
    this.expiredSinceWarn += samples;
    const now = this.clock.now();
    if (now - this.lastExpiryWarnMs >= EXPIRY_WARN_INTERVAL_MS) {
      this.logger.warn('data directory: units older than the retention time dropped', {
        remote: this.options.name,
        samples: this.expiredSinceWarn,
        retention_ms: this.options.maxAgeMs,
      });
      this.lastExpiryWarnMs = now;
      this.expiredSinceWarn = 0;
    }
  }

  /** The unit at the head of `s` needs no more sending: recorded on disk, then forgotten. */
  private finish(s: Stream, u: QueuedUnit): void {
    if (s.units[0] !== u) throw new Error('finish: not the head of its stream');
    if (!this.closed) {
      try {
        this.log.append([encodeDone(u.seq)]);
      } catch (err) {
        this.logger.error('data directory: cannot record a delivered unit; it may be sent again', {
          remote: this.options.name,
          err,
        });
      }
    }
    s.units.shift();
    u.bodies = undefined;
    this.pendingUnits--;
    this.pendingSamples -= u.samples;
    const left = this.live.get(u.at.segment)! - 1;
    if (left > 0) this.live.set(u.at.segment, left);
    else {
      this.live.delete(u.at.segment);
      if (!this.closed) this.truncate();
    }
    if (this.pendingUnits === 0 && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Deletes the oldest segments that hold no pending unit. */
  private truncate(): void {
    let keepFrom = this.log.currentSegment;
    for (const segment of this.log.segments) {
      if (segment === keepFrom || this.live.has(segment)) {
        keepFrom = segment;
        break;
      }
    }
    try {
      this.log.removeBefore(keepFrom);
    } catch (err) {
      this.logger.warn('data directory: cannot delete a segment', {
        remote: this.options.name,
        err,
      });
    }
  }
}

function segmentBytesFor(options: DiskUnitQueueOptions): number {
  if (options.segmentBytes !== undefined) return options.segmentBytes;
  if (options.maxBytes <= 0) return DEFAULT_SEGMENT_BYTES;
  return Math.min(DEFAULT_SEGMENT_BYTES, Math.max(64 * 1024, Math.floor(options.maxBytes / 4)));
}

// ---- record encoding ---------------------------------------------------------------------------

/** type u8, 7 bytes reserved, seq, acceptedMs, slotMs (f64), requests u32, stream/job/url lengths u32. */
const UNIT_FIXED_BYTES = 48;
const REQUEST_SHAPE_BYTES = 16;
const DONE_BYTES = 16;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

function encodeUnit(
  seq: number,
  acceptedMs: number,
  info: UnitInfo,
  requests: readonly PreparedRequest[],
): Uint8Array[] {
  const stream = utf8.encode(info.stream);
  const job = utf8.encode(info.job);
  const url = utf8.encode(info.url);
  const head = Buffer.alloc(
    UNIT_FIXED_BYTES +
      stream.length +
      job.length +
      url.length +
      REQUEST_SHAPE_BYTES * requests.length,
  );
  head[0] = RecordType.unit;
  head.writeDoubleLE(seq, 8);
  head.writeDoubleLE(acceptedMs, 16);
  head.writeDoubleLE(info.slotMs, 24);
  head.writeUInt32LE(requests.length, 32);
  head.writeUInt32LE(stream.length, 36);
  head.writeUInt32LE(job.length, 40);
  head.writeUInt32LE(url.length, 44);
  let p = UNIT_FIXED_BYTES;
  for (const s of [stream, job, url]) {
    head.set(s, p);
    p += s.length;
  }
  for (const r of requests) {
    head.writeUInt32LE(r.samples, p);
    head.writeUInt32LE(r.exemplars, p + 4);
    head.writeUInt32LE(r.metadata, p + 8);
    head.writeUInt32LE(r.body.length, p + 12);
    p += REQUEST_SHAPE_BYTES;
  }
  return [head, ...requests.map((r) => r.body)];
}

/** The unit's description (not its bodies) from a payload that checked out. */
function decodeUnit(payload: Uint8Array, at: RecordLocation): QueuedUnit {
  const b = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (b.length < UNIT_FIXED_BYTES) throw new RangeError('unit record too short');
  const count = b.readUInt32LE(32);
  const lengths = [b.readUInt32LE(36), b.readUInt32LE(40), b.readUInt32LE(44)];
  let p = UNIT_FIXED_BYTES;
  const [stream, job, url] = lengths.map((n) => {
    if (p + n > b.length) throw new RangeError('unit record too short');
    const s = fromUtf8.decode(b.subarray(p, p + n));
    p += n;
    return s;
  }) as [string, string, string];
  const requests: RequestShape[] = [];
  let samples = 0;
  let bodyBytes = 0;
  if (p + count * REQUEST_SHAPE_BYTES > b.length) throw new RangeError('unit record too short');
  for (let i = 0; i < count; i++, p += REQUEST_SHAPE_BYTES) {
    const r = {
      samples: b.readUInt32LE(p),
      exemplars: b.readUInt32LE(p + 4),
      metadata: b.readUInt32LE(p + 8),
      bytes: b.readUInt32LE(p + 12),
    };
    samples += r.samples;
    bodyBytes += r.bytes;
    requests.push(r);
  }
  if (p + bodyBytes !== b.length) throw new RangeError('unit record length mismatch');
  return {
    seq: b.readDoubleLE(8),
    acceptedMs: b.readDoubleLE(16),
    slotMs: b.readDoubleLE(24),
    stream,
    job,
    url,
    requests,
    samples,
    at,
    bodies: undefined,
    done: undefined,
  };
}

/** The request bodies of a unit record read back (views into `payload`). */
function decodeBodies(payload: Uint8Array, requests: readonly RequestShape[]): Uint8Array[] {
  const b = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  let bodyBytes = 0;
  for (const r of requests) bodyBytes += r.bytes;
  let p = b.length - bodyBytes;
  if (p < UNIT_FIXED_BYTES || b[0] !== RecordType.unit) {
    throw new LocalError(
      LocalErrorCode.recordCorrupt,
      'unit record does not match its description',
    );
  }
  return requests.map((r) => {
    const body = b.subarray(p, p + r.bytes);
    p += r.bytes;
    return body;
  });
}

function encodeDone(seq: number): Uint8Array {
  const b = Buffer.alloc(DONE_BYTES);
  b[0] = RecordType.done;
  b.writeDoubleLE(seq, 8);
  return b;
}

function decodeDone(payload: Uint8Array): number {
  if (payload.length !== DONE_BYTES) throw new RangeError('done record of the wrong size');
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).readDoubleLE(8);
}

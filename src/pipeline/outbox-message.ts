/**
 * The outbox message: how a {@link ParkedWrite} travels through the outbox queue, whatever the
 * queue is. Version 2 is one JSON object:
 * `{"v":2,"rw":<remote_write name>,"n":<samples>,"f":<firstParkedMs>,"st":<stream>,
 * "sl":<slotMs>,"p":<part>,"nx":<nextSlotMs, absent when none>,"b":<base64>}`
 * where `b` is the snappy-compressed WriteRequest exactly as it would be sent (binary, hence
 * base64: 4/3 of its size plus about 130 bytes of envelope). Version 1 (the unordered outbox of
 * earlier releases, with `a` attempts and no stream) is not read: it lived on another queue.
 *
 * Contracts: {@link encodeOutboxMessage} refuses a write with invalid fields
 * (`OUTBOX_MESSAGE_INVALID_WRITE`); {@link decodeParkedWrite} treats the text as untrusted and
 * returns a write byte-equal to the one encoded, or throws `OUTBOX_MESSAGE_MALFORMED`, never
 * another exception.
 */

import { shownValue as shown } from '../model/shown-value.js';
import type { ParkedWrite } from '../ports.js';

export const OUTBOX_MESSAGE_VERSION = 2;

export const OUTBOX_MESSAGE_ERROR_CODES = {
  invalidWrite: 'OUTBOX_MESSAGE_INVALID_WRITE',
  malformed: 'OUTBOX_MESSAGE_MALFORMED',
} as const;
export type OutboxMessageErrorCode =
  (typeof OUTBOX_MESSAGE_ERROR_CODES)[keyof typeof OUTBOX_MESSAGE_ERROR_CODES];

/** The one error class of this module. */
export class OutboxMessageError extends Error {
  override readonly name = 'OutboxMessageError';
  constructor(
    readonly code: OutboxMessageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The message text of a parked write. Throws `OUTBOX_MESSAGE_INVALID_WRITE`. */
export function encodeOutboxMessage(write: ParkedWrite): string {
  const problem = writeProblem(write);
  if (problem !== undefined) {
    throw new OutboxMessageError(OUTBOX_MESSAGE_ERROR_CODES.invalidWrite, problem);
  }
  return JSON.stringify({
    v: OUTBOX_MESSAGE_VERSION,
    rw: write.remoteWrite,
    n: write.samples,
    f: write.firstParkedMs,
    st: write.stream,
    sl: write.slotMs,
    p: write.part,
    ...(write.nextSlotMs === undefined ? {} : { nx: write.nextSlotMs }),
    b: Buffer.from(write.body.buffer, write.body.byteOffset, write.body.byteLength).toString(
      'base64',
    ),
  });
}

/** A series stream key (`seriesStreamKey`): it names the SQS message group, so it is checked. */
const STREAM = /^[0-9a-f]{1,64}$/;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes an outbox message. Throws {@link OutboxMessageError} `OUTBOX_MESSAGE_MALFORMED` only. */
export function decodeParkedWrite(body: string): ParkedWrite {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    throw malformed('outbox body is not JSON', err);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw malformed('outbox body is not a JSON object');
  }
  const r = raw as Record<string, unknown>;
  if (r.v !== OUTBOX_MESSAGE_VERSION) {
    throw malformed(`outbox body version ${shown(r.v)} is not ${OUTBOX_MESSAGE_VERSION}`);
  }
  if (typeof r.b !== 'string' || !BASE64.test(r.b)) {
    throw malformed('outbox body: b is not base64');
  }
  const buf = Buffer.from(r.b, 'base64');
  const write = {
    remoteWrite: r.rw,
    body: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength),
    samples: r.n,
    firstParkedMs: r.f,
    stream: r.st,
    slotMs: r.sl,
    part: r.p,
    ...(r.nx === undefined ? {} : { nextSlotMs: r.nx }),
  } as ParkedWrite;
  const problem = writeProblem(write);
  if (problem !== undefined) throw malformed(`outbox body: ${problem}`);
  return write;
}

function malformed(message: string, cause?: unknown): OutboxMessageError {
  return new OutboxMessageError(
    OUTBOX_MESSAGE_ERROR_CODES.malformed,
    message,
    cause === undefined ? undefined : { cause },
  );
}

function writeProblem(w: ParkedWrite): string | undefined {
  if (typeof w.remoteWrite !== 'string' || w.remoteWrite === '') return 'remoteWrite is empty';
  if (!(w.body instanceof Uint8Array)) return 'body is not bytes';
  if (typeof w.stream !== 'string' || !STREAM.test(w.stream)) {
    return `stream must be a series stream key, got ${shown(w.stream)}`;
  }
  for (const [what, v] of [
    ['samples', w.samples],
    ['firstParkedMs', w.firstParkedMs],
    ['slotMs', w.slotMs],
    ['part', w.part],
    // Absent is fine; null is not a slot (`?? 0` let `"nx":null` through as a write whose
    // nextSlotMs is null, which the replayer then handed to the backlog as a slot).
    ['nextSlotMs', w.nextSlotMs === undefined ? 0 : w.nextSlotMs],
  ] as const) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      return `${what} must be a non-negative integer, got ${shown(v)}`;
    }
  }
  return undefined;
}

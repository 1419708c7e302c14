/**
 * The Lambda flow's {@link Delivery} (docs/design.md decisions 5 and 13, §11.3). For each remote
 * writer, a unit either
 * - queues: its stream has earlier units parked for that writer (`sequence.queuedBehind`), so
 *   its requests are prepared and parked without a send — a direct send would overtake them
 *   and a receiver without an out-of-order window would then refuse the parked ones; or
 * - is sent directly, recoverable failures retried until `retryUntil` (the worker keeps that
 *   short, decision 13), and the requests still undelivered then are parked. A unit that ran
 *   out of time finds its remote_write down for the container ({@link WRITER_DOWN_MS}): the
 *   direct sends to it still in flight stop and park, and new ones try once.
 * While the requests of a unit with a next slot are parked, the backlog records that the
 * stream's next scrape must queue behind them ({@link DeliveryBacklog.hold}); a hold that cannot
 * be written is logged and the requests parked anyway (that next scrape may then overtake
 * them: the receiver refuses them later, and the outbox dead-letters them `rejected`).
 * The requests of one writer are parked in their order, in one call.
 *
 * Never rejects: rejections and requests that could be neither delivered nor parked are logged
 * and counted in the outcomes (`rejected`, `lost`).
 */
import type {
  Delivery,
  DeliveryOptions,
  DeliveryOutcome,
  UnitMeta,
  UnitSequence,
} from '../engine/delivery.js';
import { emptyOutcome } from '../engine/delivery.js';
import type { Logger } from '../log/logger.js';
import type { DeliveryBacklog, Outbox, ParkedWrite } from '../ports.js';
import type { SampleUnit } from '../remotewrite/batch.js';
import type { SendOptions } from '../remotewrite/send.js';
import type { PreparedUnit, WriteResult } from '../remotewrite/writer.js';
import type { Clock } from '../schedule/clock.js';

/** One remote_write destination as the Lambda flow uses it; `RemoteWriter` fits. */
export interface ScrapeWriter {
  /** The remote_write's name (the outbox replays to the writer of this name). */
  readonly name: string;
  /** Sends one unit; reads it synchronously during the call; never rejects. */
  write(unit: SampleUnit, options: SendOptions): Promise<WriteResult>;
  /** The unit's requests, compressed and not sent; reads it synchronously. */
  prepare(unit: SampleUnit): PreparedUnit;
}

export interface ParkingDeliveryDeps {
  readonly writers: readonly ScrapeWriter[];
  readonly outbox: Outbox;
  /** Where a park records that the stream's next scrape queues. Absent: nothing recorded. */
  readonly backlog?: DeliveryBacklog;
  /** Stamps `firstParkedMs`. */
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Longest a unit is retried directly, from when it is handed over, before it is parked (and
   * never past `retryUntil`). @default DEFAULT_DIRECT_SEND_MS
   */
  readonly directSendMs?: number;
}

/**
 * Default of {@link ParkingDeliveryDeps.directSendMs}: 2 s, Prometheus's first six backoffs
 * (30 ms doubling) — a blip is ridden out, an outage costs each stream one such wait and then
 * nothing (its later units queue at once).
 */
export const DEFAULT_DIRECT_SEND_MS = 2_000;

/**
 * How long a container treats a remote_write as down after a unit's direct send to it ran out
 * of time: its other direct sends in flight stop retrying and park, and new ones make one
 * attempt only. The first unit to find a backend down pays the direct send; the others of the
 * container do not (decision 13).
 */
export const WRITER_DOWN_MS = 10_000;

/** A remote_write's state in this container. */
interface WriterHealth {
  /** Date.now ms until which the remote_write counts as down; 0: up. */
  downUntilMs: number;
  /** Aborts the direct sends in flight when the remote_write is found down. */
  inFlight: AbortController;
}

/** What one writer made of a unit before parking: sent, refused, and what waits. */
interface Attempt {
  readonly result: Pick<WriteResult, 'delivered' | 'rejected' | 'errors' | 'warnings'>;
  /** Undelivered requests with their index in the unit, in order. */
  readonly waiting: readonly {
    readonly body: Uint8Array;
    readonly samples: number;
    readonly index: number;
  }[];
  /** True when they were not sent: the stream queues behind its backlog. */
  readonly queued: boolean;
  /** Why they wait: queued behind the stream's backlog, or the last send error. */
  readonly why: string;
}

export class ParkingDelivery implements Delivery {
  private readonly health = new Map<string, WriterHealth>();

  constructor(private readonly deps: ParkingDeliveryDeps) {}

  async deliver(
    unit: SampleUnit,
    meta: UnitMeta,
    options: DeliveryOptions = {},
  ): Promise<readonly DeliveryOutcome[]> {
    const direct = Date.now() + (this.deps.directSendMs ?? DEFAULT_DIRECT_SEND_MS);
    const send: SendOptions = { retryUntil: Math.min(direct, options.retryUntil ?? direct) };
    const sequence = options.sequence;
    // Every writer reads the unit synchronously before its first await.
    const attempts = await Promise.all(
      this.deps.writers.map((w) => this.attempt(w, unit, send, sequence)),
    );
    return Promise.all(
      attempts.map((a, i) => this.settle(this.deps.writers[i]!, a, meta, sequence)),
    );
  }

  private async attempt(
    writer: ScrapeWriter,
    unit: SampleUnit,
    send: SendOptions,
    sequence: UnitSequence | undefined,
  ): Promise<Attempt> {
    const behind = sequence?.queuedBehind;
    if (behind === 'all' || behind?.has(writer.name) === true) {
      const { requests } = writer.prepare(unit);
      return {
        result: { delivered: 0, rejected: 0, errors: [] },
        waiting: requests.map((r, index) => ({ body: r.body, samples: r.samples, index })),
        queued: true,
        why: 'queued behind earlier units of the stream',
      };
    }
    const health = this.healthOf(writer.name);
    const down = Date.now() < health.downUntilMs;
    const inFlight = health.inFlight;
    const result = await writer.write(unit, {
      ...send,
      signal: inFlight.signal,
      ...(down ? { maxAttempts: 1 } : {}),
    });
    // Only a send that ran out of time by itself finds the remote_write down (not one stopped).
    if (result.parked.length > 0 && result.delivered === 0 && !inFlight.signal.aborted) {
      // Down: the sends still retrying stop and park; new ones try once for a while.
      health.downUntilMs = Date.now() + WRITER_DOWN_MS;
      health.inFlight = new AbortController();
      inFlight.abort();
    } else if (result.parked.length === 0 && result.delivered > 0) {
      health.downUntilMs = 0;
    }
    return {
      result,
      waiting: result.parked,
      queued: false,
      why: result.parked[0]?.error.message ?? '',
    };
  }

  private healthOf(name: string): WriterHealth {
    let h = this.health.get(name);
    if (h === undefined) {
      h = { downUntilMs: 0, inFlight: new AbortController() };
      this.health.set(name, h);
    }
    return h;
  }

  /** Records the hold for the stream's next scrape; a failure is logged, never thrown. */
  private async hold(
    stream: string,
    nextSlotMs: number | undefined,
    remoteWrite: string,
    log: Record<string, unknown>,
  ): Promise<void> {
    if (nextSlotMs === undefined || this.deps.backlog === undefined) return;
    try {
      await this.deps.backlog.hold(stream, nextSlotMs, remoteWrite);
    } catch (err) {
      this.deps.logger.error('backlog not recorded: the next scrape may overtake parked writes', {
        ...log,
        remote: remoteWrite,
        err,
      });
    }
  }

  /** Logs the rejections of one writer's attempt and parks what waits, behind a hold. */
  private async settle(
    writer: ScrapeWriter,
    a: Attempt,
    meta: UnitMeta,
    sequence: UnitSequence | undefined,
  ): Promise<DeliveryOutcome> {
    const log = { job: meta.job, url: meta.url, kind: meta.kind, slotMs: meta.timestampMs };
    for (const error of [...a.result.errors, ...(a.result.warnings ?? [])]) {
      this.deps.logger.error('remote write rejected samples', {
        ...log,
        remote: writer.name,
        err: error,
      });
    }
    const outcome = {
      ...emptyOutcome(writer.name),
      sent: a.result.delivered,
      rejected: a.result.rejected,
    };
    if (a.waiting.length === 0) return outcome;
    const samples = a.waiting.reduce((n, r) => n + r.samples, 0);
    const stream = sequence?.stream ?? meta.targetKey;
    const nextSlotMs = sequence?.nextSlotMs;
    const firstParkedMs = Math.floor(this.deps.clock.now());
    const last = a.waiting.length - 1;
    const writes: ParkedWrite[] = a.waiting.map((r, i) => ({
      remoteWrite: writer.name,
      body: r.body,
      samples: r.samples,
      firstParkedMs,
      stream,
      slotMs: meta.timestampMs,
      part: r.index,
      // The last request releases the hold: the next scrape must wait for all of them.
      ...(nextSlotMs === undefined || i < last ? {} : { nextSlotMs }),
    }));
    // The hold and the park go together: both are done before the task ends, and the hold is
    // read by the next scrape only (decision 13).
    const holding = this.hold(stream, nextSlotMs, writer.name, log);
    try {
      await Promise.all([this.deps.outbox.park(writes), holding]);
    } catch (err) {
      this.deps.logger.error('undelivered remote write could not be parked: samples lost', {
        ...log,
        remote: writer.name,
        samples,
        reason: a.why,
        err,
      });
      return { ...outcome, lost: samples, lostRequests: writes.length };
    }
    // Queued units are the normal course of an outage: one line at warn per stream is enough.
    const level = a.queued ? 'debug' : 'warn';
    this.deps.logger[level]('remote write not delivered now: parked in the outbox', {
      ...log,
      remote: writer.name,
      requests: writes.length,
      samples,
      reason: a.why,
    });
    return { ...outcome, deferred: samples, deferredRequests: writes.length };
  }
}

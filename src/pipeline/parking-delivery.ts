/**
 * The Lambda flow's {@link Delivery} (docs/design.md decision 5, §11.3): a unit goes to every remote
 * writer, each retrying recoverable failures until the task's `retryUntil`; the requests still
 * undelivered then are parked in the outbox, to be replayed by the outbox function. Never
 * rejects: rejections and requests that could be neither delivered nor parked are logged and
 * counted in the outcomes (`rejected`, `lost`).
 */
import type { Delivery, DeliveryOptions, DeliveryOutcome, UnitMeta } from '../engine/delivery.js';
import { emptyOutcome } from '../engine/delivery.js';
import type { Logger } from '../log/logger.js';
import type { Outbox } from '../ports.js';
import type { SampleUnit } from '../remotewrite/batch.js';
import type { SendOptions } from '../remotewrite/send.js';
import type { WriteResult } from '../remotewrite/writer.js';
import type { Clock } from '../schedule/clock.js';

/** One remote_write destination as the Lambda flow uses it; `RemoteWriter` fits. */
export interface ScrapeWriter {
  /** The remote_write's name (the outbox replays to the writer of this name). */
  readonly name: string;
  /** Sends one unit; reads it synchronously during the call; never rejects. */
  write(unit: SampleUnit, options: SendOptions): Promise<WriteResult>;
}

export interface ParkingDeliveryDeps {
  readonly writers: readonly ScrapeWriter[];
  readonly outbox: Outbox;
  /** DelaySeconds of a freshly parked write. */
  readonly parkDelaySeconds: number;
  /** Stamps `firstParkedMs`. */
  readonly clock: Clock;
  readonly logger: Logger;
}

export class ParkingDelivery implements Delivery {
  constructor(private readonly deps: ParkingDeliveryDeps) {}

  async deliver(
    unit: SampleUnit,
    meta: UnitMeta,
    options: DeliveryOptions = {},
  ): Promise<readonly DeliveryOutcome[]> {
    const send: SendOptions =
      options.retryUntil === undefined ? {} : { retryUntil: options.retryUntil };
    // Every writer reads the unit synchronously before its first await.
    const results = await Promise.all(this.deps.writers.map((w) => w.write(unit, send)));
    return Promise.all(results.map((r, i) => this.settle(this.deps.writers[i]!, r, meta)));
  }

  /** Logs the rejections of one writer's result and parks what it could not deliver. */
  private async settle(
    writer: ScrapeWriter,
    r: WriteResult,
    meta: UnitMeta,
  ): Promise<DeliveryOutcome> {
    const log = { job: meta.job, url: meta.url, kind: meta.kind, slotMs: meta.timestampMs };
    for (const error of r.errors) {
      this.deps.logger.error('remote write rejected samples', {
        ...log,
        remote: writer.name,
        err: error,
      });
    }
    let deferred = 0;
    let deferredRequests = 0;
    let lost = 0;
    let lostRequests = 0;
    await Promise.all(
      r.parked.map((request) =>
        this.deps.outbox
          .park(
            {
              remoteWrite: writer.name,
              body: request.body,
              samples: request.samples,
              attempts: 0,
              firstParkedMs: Math.floor(this.deps.clock.now()),
            },
            this.deps.parkDelaySeconds,
          )
          .then(
            () => {
              deferredRequests++;
              deferred += request.samples;
            },
            (err: unknown) => {
              lostRequests++;
              lost += request.samples;
              this.deps.logger.error('undelivered remote write could not be parked: samples lost', {
                ...log,
                remote: writer.name,
                samples: request.samples,
                reason: request.error.message,
                err,
              });
            },
          ),
      ),
    );
    if (deferredRequests > 0) {
      this.deps.logger.warn('remote write not delivered in time: parked in the outbox', {
        ...log,
        remote: writer.name,
        requests: deferredRequests,
        samples: deferred,
      });
    }
    return {
      ...emptyOutcome(writer.name),
      sent: r.delivered,
      rejected: r.rejected,
      deferred,
      deferredRequests,
      lost,
      lostRequests,
    };
  }
}

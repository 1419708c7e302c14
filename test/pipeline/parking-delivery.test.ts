/**
 * ParkingDelivery against a real RemoteWriter and a local receiver: the direct send, the park
 * behind a hold, and what a container does once a remote_write is found down (decision 13).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { UnitMeta } from '../../src/engine/delivery.js';
import { silentLogger } from '../../src/log/logger.js';
import { labelsFromRecord } from '../../src/model/labels.js';
import { ParkingDelivery, WRITER_DOWN_MS } from '../../src/pipeline/parking-delivery.js';
import type { DeliveryBacklog, Outbox, ParkedWrite } from '../../src/ports.js';
import { RemoteWriter } from '../../src/remotewrite/writer.js';
import { systemClock } from '../../src/schedule/clock.js';
import { SampleBatch, type SeriesRef } from '../../src/scrape/batch.js';
import { reply, startReceiver, type TestReceiver } from '../remotewrite/wire.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const STREAM = '0123456789abcdef';

function unit(value: number): SampleBatch<SeriesRef> {
  const batch = new SampleBatch<SeriesRef>();
  batch.push({ labels: labelsFromRecord({ __name__: 'up', job: 'a' }) }, value, 1_000 * value);
  return batch;
}

function meta(slotMs: number): UnitMeta {
  return {
    kind: 'scrape',
    job: 'a',
    targetKey: STREAM,
    url: 'http://t/metrics',
    targetLabels: [],
    timestampMs: slotMs,
    up: true,
    error: undefined,
    durationSeconds: 0,
    samplesScraped: 1,
  };
}

async function setup(receiver: TestReceiver, directSendMs = 400) {
  const config = loadConfig(
    `remote_write:\n  - url: ${receiver.url}\n    name: rw\n    queue_config: { min_backoff: 20ms, max_backoff: 40ms }\n`,
    { env: {} },
  );
  const writer = new RemoteWriter(config.remoteWrite[0]!, {});
  cleanup.push(() => writer.close());
  const parked: ParkedWrite[] = [];
  const outbox: Outbox = {
    park: async (writes) => {
      parked.push(...writes);
    },
  };
  const holds: string[] = [];
  const backlog: DeliveryBacklog = {
    hold: async (stream, next, rw) => {
      holds.push(`${stream}@${next}#${rw}`);
    },
    release: async () => {},
    held: async () => new Map(),
  };
  const delivery = new ParkingDelivery({
    writers: [writer],
    outbox,
    backlog,
    clock: systemClock,
    logger: silentLogger,
    directSendMs,
  });
  return { delivery, parked, holds };
}

const sequence = (nextSlotMs: number) => ({
  stream: STREAM,
  nextSlotMs,
  queuedBehind: new Set<string>(),
});

describe('ParkingDelivery', () => {
  it('sends directly when the backend takes it: nothing parked, nothing held', async () => {
    const up = await startReceiver();
    cleanup.push(() => up.close());
    const { delivery, parked, holds } = await setup(up);
    const [o] = await delivery.deliver(unit(1), meta(1_000), { sequence: sequence(2_000) });
    expect(o).toMatchObject({ remote: 'rw', sent: 1, deferred: 0 });
    expect(parked).toEqual([]);
    expect(holds).toEqual([]);
  });

  it('a unit that runs out of time parks with a hold; the container then finds the remote_write down', async () => {
    const down = await startReceiver();
    cleanup.push(() => down.close());
    down.respond(...Array.from({ length: 500 }, () => reply(503, 'down')));
    // Budgets of 2 s, staggered by 1 s: the second is cut about 1 s into its own 2 s, a margin
    // wide enough for a loaded machine.
    const { delivery, parked, holds } = await setup(down, 2_000);

    // Two units in flight; the second started later, so the first runs out of time first.
    const first = delivery.deliver(unit(1), meta(1_000), { sequence: sequence(2_000) });
    await new Promise((r) => setTimeout(r, 1_000));
    const secondStart = Date.now();
    const second = delivery.deliver(unit(2), meta(2_000), { sequence: sequence(3_000) });
    const [a] = await first;
    const [b] = await second;
    expect(a).toMatchObject({ sent: 0, deferred: 1, deferredRequests: 1 });
    expect(b).toMatchObject({ sent: 0, deferred: 1 });
    // The second stopped retrying when the first found the backend down, well before its own 2 s.
    expect(Date.now() - secondStart).toBeLessThan(1_700);
    expect(parked.map((w) => [w.slotMs, w.nextSlotMs])).toEqual([
      [1_000, 2_000],
      [2_000, 3_000],
    ]);
    expect(holds).toEqual([`${STREAM}@2000#rw`, `${STREAM}@3000#rw`]);

    // While it is down, a new unit makes one attempt only. Counted by its own sample: a retry
    // of the first two units cut off in flight may still reach the receiver after they returned.
    const [c] = await delivery.deliver(unit(3), meta(3_000), { sequence: sequence(4_000) });
    expect(c).toMatchObject({ deferred: 1 });
    const attemptsOfThird = down.requests.filter((r) =>
      r.decoded?.timeseries.some((ts) => ts.samples.some((x) => x.timestamp === 3_000)),
    );
    expect(attemptsOfThird).toHaveLength(1);
    expect(WRITER_DOWN_MS).toBeGreaterThan(2_000);
  });

  it('a stream held for the remote_write is parked without a request', async () => {
    const up = await startReceiver();
    cleanup.push(() => up.close());
    const { delivery, parked, holds } = await setup(up);
    const [o] = await delivery.deliver(unit(1), meta(1_000), {
      sequence: { stream: STREAM, nextSlotMs: 2_000, queuedBehind: new Set(['rw']) },
    });
    expect(o).toMatchObject({ sent: 0, deferred: 1 });
    expect(up.requests).toHaveLength(0);
    expect(parked).toHaveLength(1);
    expect(holds).toEqual([`${STREAM}@2000#rw`]);
  });
});

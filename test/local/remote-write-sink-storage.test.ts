/**
 * The remote-write sink with a data directory: a unit settles as `deferred` once it is on disk,
 * goes out in order per stream, survives the sink's close (a restart) and a reload (a new sink
 * on the same directory), and the bounds count as dropped. Real `RemoteWriter`s post to a
 * loopback receiver that can be put down (503) and up again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirectory } from '../../src/local/data-dir.js';
import {
  createRemoteWriteSink,
  RemoteWriteSink,
  type UnitWriter,
} from '../../src/local/remote-write-sink.js';
import { RunnerMetrics } from '../../src/local/runner-metrics.js';
import type { UnitMeta } from '../../src/local/sink.js';
import { snappyDecompress } from '../../src/remotewrite/snappy.js';
import { SampleBatch } from '../../src/scrape/batch.js';
import { decodeWriteRequest } from '../remotewrite/wire.js';
import { config } from './helpers.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A remote-write receiver answering 503 while `down`, recording the slots it accepted per target. */
async function receiver(): Promise<{
  url: string;
  down: boolean;
  accepted: Map<string, number[]>;
}> {
  const state = { url: '', down: false, accepted: new Map<string, number[]>() };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.down) {
        res.writeHead(503).end('down');
        return;
      }
      const decoded = decodeWriteRequest(snappyDecompress(new Uint8Array(Buffer.concat(chunks))));
      for (const ts of decoded.timeseries) {
        const target = ts.labels.find((l) => l.name === 'target')!.value;
        const list = state.accepted.get(target) ?? [];
        state.accepted.set(target, list);
        // One sample per series per unit: record the slot once per unit (the first series).
        if (ts.labels.find((l) => l.name === '__name__')!.value === 'm0') {
          list.push(ts.samples[0]!.timestamp);
        }
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`;
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return state;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ls-sink-storage-'));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function openDir(path: string, maxBytesPerQueue = 0): DataDirectory {
  const d = DataDirectory.open(path, { maxBytesPerQueue, maxAgeMs: 3_600_000 });
  cleanup.push(() => d.close());
  return d;
}

function sinkConfig(url: string) {
  return config(`
remote_write:
  - url: ${url}
    name: backend
    queue_config:
      min_backoff: 10ms
      max_backoff: 50ms
`);
}

/** A scrape unit of `target` at slot `ts`: `n` series m0… with the target label. */
function unit(target: string, ts: number, n = 3): SampleBatch {
  const b = new SampleBatch();
  for (let i = 0; i < n; i++) {
    b.push(
      {
        labels: [
          { name: '__name__', value: `m${i}` },
          { name: 'target', value: target },
        ],
        key: `m${i}${target}`,
      },
      i,
      ts,
    );
  }
  return b;
}

function meta(target: string, ts: number): UnitMeta {
  return {
    kind: 'scrape',
    job: 'j',
    targetKey: target,
    url: `http://${target}/metrics`,
    targetLabels: [],
    timestampMs: ts,
    up: true,
    error: undefined,
    durationSeconds: 0,
    samplesScraped: 3,
  };
}

describe('RemoteWriteSink with a data directory', () => {
  it('settles a unit as deferred once it is on disk, then delivers it', async () => {
    const rx = await receiver();
    const dir = openDir(tempDir());
    const sink = createRemoteWriteSink(sinkConfig(rx.url), { storage: dir });
    cleanup.push(() => sink.close());
    const outcomes = await sink.deliver(unit('a', 1000), meta('a', 1000));
    expect(outcomes).toEqual([
      expect.objectContaining({ remote: 'backend', deferred: 3, deferredRequests: 1, lost: 0 }),
    ]);
    await sink.flush(Date.now() + 5_000);
    expect(rx.accepted.get('a')).toEqual([1000]);
    expect(sink.stats()[0]).toMatchObject({
      samplesSent: 3,
      samplesPending: 0,
      samplesDropped: 0,
      storage: expect.objectContaining({ pendingUnits: 0, unitsReplayed: 0 }),
    });
  });

  it('keeps what a closed sink had not delivered and sends it first after a restart, in order', async () => {
    const rx = await receiver();
    rx.down = true;
    const path = tempDir();
    const before = DataDirectory.open(path, { maxBytesPerQueue: 0, maxAgeMs: 3_600_000 });
    const first = createRemoteWriteSink(sinkConfig(rx.url), { storage: before });
    for (const ts of [1000, 2000, 3000]) {
      await first.deliver(unit('a', ts), meta('a', ts));
      await first.deliver(unit('b', ts), meta('b', ts));
    }
    expect(first.stats()[0]).toMatchObject({ samplesPending: 18 });
    await first.flush(Date.now() + 100);
    await first.close();
    expect(first.stats()[0]).toMatchObject({ samplesDropped: 0, samplesPending: 18 });
    before.close();

    const after = openDir(path);
    const second = createRemoteWriteSink(sinkConfig(rx.url), { storage: after });
    cleanup.push(() => second.close());
    expect(second.stats()[0]).toMatchObject({
      samplesPending: 18,
      storage: expect.objectContaining({ unitsReplayed: 6, samplesReplayed: 18 }),
    });
    await second.deliver(unit('a', 4000), meta('a', 4000));
    rx.down = false;
    await second.flush(Date.now() + 5_000);
    expect(rx.accepted.get('a')).toEqual([1000, 2000, 3000, 4000]);
    expect(rx.accepted.get('b')).toEqual([1000, 2000, 3000]);
    expect(second.stats()[0]).toMatchObject({
      samplesPending: 0,
      samplesDropped: 0,
      samplesRejected: 0,
    });
  });

  it('on a reload the new sink sends what the old one had not delivered, before its own units', async () => {
    const rx = await receiver();
    rx.down = true;
    const dir = openDir(tempDir());
    const old = createRemoteWriteSink(sinkConfig(rx.url), { storage: dir });
    await old.deliver(unit('a', 1000), meta('a', 1000));
    await old.deliver(unit('a', 2000), meta('a', 2000));
    const next = createRemoteWriteSink(sinkConfig(rx.url), { storage: dir });
    cleanup.push(() => next.close());
    await next.deliver(unit('a', 3000), meta('a', 3000));
    await old.close();
    rx.down = false;
    await next.flush(Date.now() + 5_000);
    expect(rx.accepted.get('a')).toEqual([1000, 2000, 3000]);
  });

  it('drops a unit over the size limit and counts it as dropped', async () => {
    const rx = await receiver();
    rx.down = true;
    const dir = openDir(tempDir(), 600);
    const sink = createRemoteWriteSink(sinkConfig(rx.url), { storage: dir });
    cleanup.push(() => sink.close());
    const lost: number[] = [];
    for (let ts = 1000; ts <= 10_000; ts += 1000) {
      const [o] = await sink.deliver(unit('a', ts, 10), meta('a', ts));
      lost.push(o!.lost);
    }
    expect(lost.at(-1)).toBe(10);
    const stats = sink.stats()[0]!;
    expect(stats.samplesDropped).toBe(lost.reduce((a, b) => a + b, 0));
    expect(stats.storage?.samplesDropped.full).toBe(stats.samplesDropped);
    expect(stats.storage?.bytes).toBeLessThanOrEqual(600);
  });

  it('refuses writers that cannot prepare requests', () => {
    const writer: UnitWriter = {
      name: 'plain',
      counters: { samplesSent: 0, samplesFailed: 0, samplesRetried: 0 },
      write: async () => ({ delivered: 0, rejected: 0, pending: 0, errors: [] }),
      close: async () => {},
    };
    const dir = openDir(tempDir());
    expect(() => new RemoteWriteSink([writer], { storage: dir })).toThrow(/prepare and replay/);
  });

  it('exports the data directory in the runner metrics', async () => {
    const rx = await receiver();
    rx.down = true;
    const dir = openDir(tempDir());
    const sink = createRemoteWriteSink(sinkConfig(rx.url), { storage: dir });
    cleanup.push(() => sink.close());
    await sink.deliver(unit('a', 1000), meta('a', 1000));
    const text = new RunnerMetrics({
      targetCounts: () => [],
      sinkStats: () => sink.stats(),
      storage: true,
    }).render();
    expect(text).toMatch(
      /^lambdascrape_remote_write_storage_bytes\{remote_name="backend"\} [1-9]\d*$/m,
    );
    for (const line of [
      'lambdascrape_remote_write_storage_units_replayed_total{remote_name="backend"} 0',
      'lambdascrape_remote_write_storage_samples_replayed_total{remote_name="backend"} 0',
      'lambdascrape_remote_write_storage_records_skipped_total{remote_name="backend",kind="torn"} 0',
      'lambdascrape_remote_write_storage_samples_dropped_total{remote_name="backend",reason="expired"} 0',
      'lambdascrape_remote_write_samples_pending{remote_name="backend"} 3',
    ]) {
      expect(text).toContain(line);
    }
    const without = new RunnerMetrics({ targetCounts: () => [], sinkStats: () => [] }).render();
    expect(without).not.toContain('storage');
  });
});

import { describe, expect, it } from 'vitest';
import {
  createRemoteWriteSink,
  RemoteWriteSink,
  type UnitWriteResult,
  type UnitWriter,
} from '../../src/local/remote-write-sink.js';
import type { UnitMeta } from '../../src/local/sink.js';
import { SampleBatch } from '../../src/scrape/batch.js';
import { config } from './helpers.js';

function unit(n: number, ts: number): SampleBatch {
  const b = new SampleBatch();
  for (let i = 0; i < n; i++)
    b.push({ labels: [{ name: '__name__', value: `m${i}` }], key: `m${i}` }, i, ts);
  return b;
}

function meta(targetKey: string, ts: number): UnitMeta {
  return {
    kind: 'scrape',
    job: 'j',
    targetKey,
    url: `http://${targetKey}/metrics`,
    targetLabels: [],
    timestampMs: ts,
    up: true,
    error: undefined,
    durationSeconds: 0,
    samplesScraped: 0,
  };
}

/** A writer whose writes finish only when released (or fail when aborted). */
class FakeWriter implements UnitWriter {
  readonly name = 'rw';
  readonly counters = { samplesSent: 0, samplesFailed: 0, samplesRetried: 0 };
  readonly started: { ts: number; release: () => void }[] = [];
  closed = false;

  write(b: SampleBatch, options: { readonly signal?: AbortSignal }): Promise<UnitWriteResult> {
    const ts = b.timestamps[0]!;
    const n = b.length;
    return new Promise((resolve) => {
      const release = () => {
        this.counters.samplesSent += n;
        resolve({ delivered: n, rejected: 0, pending: 0, errors: [] });
      };
      this.started.push({ ts, release });
      options.signal?.addEventListener('abort', () =>
        resolve({ delivered: 0, rejected: 0, pending: n, errors: [] }),
      );
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('RemoteWriteSink', () => {
  it('writes the units of one target in order and different targets concurrently', async () => {
    const w = new FakeWriter();
    const sink = new RemoteWriteSink([w]);
    const a1 = sink.deliver(unit(2, 1), meta('a', 1));
    const a2 = sink.deliver(unit(2, 2), meta('a', 2));
    const b1 = sink.deliver(unit(3, 1), meta('b', 1));
    await tick();
    expect(w.started.map((s) => s.ts)).toEqual([1, 1]); // a1 and b1; a2 waits for a1
    expect(sink.stats()[0]).toMatchObject({ samplesPending: 7, samplesSent: 0 });
    w.started[0]!.release();
    await a1;
    await tick();
    expect(w.started.map((s) => s.ts)).toEqual([1, 1, 2]);
    w.started[1]!.release();
    w.started[2]!.release();
    await Promise.all([a2, b1]);
    expect(sink.stats()).toEqual([
      {
        name: 'rw',
        samplesSent: 7,
        samplesRejected: 0,
        samplesDropped: 0,
        samplesRetried: 0,
        samplesPending: 0,
      },
    ]);
  });

  it('drops a unit that would overflow the queue and counts it as dropped', async () => {
    const w = new FakeWriter();
    const sink = new RemoteWriteSink([w], { maxPendingSamples: 5 });
    void sink.deliver(unit(4, 1), meta('a', 1));
    const outcomes = await sink.deliver(unit(2, 1), meta('b', 1));
    expect(outcomes).toEqual([expect.objectContaining({ remote: 'rw', lost: 2, sent: 0 })]);
    expect(sink.stats()[0]).toMatchObject({ samplesPending: 4, samplesDropped: 2 });
    w.started[0]!.release();
  });

  it('flush waits until the deadline; close stops retrying and counts what was left', async () => {
    const w = new FakeWriter();
    const sink = new RemoteWriteSink([w]);
    const p = sink.deliver(unit(3, 1), meta('a', 1));
    void sink.deliver(unit(2, 2), meta('a', 2));
    const t0 = Date.now();
    await sink.flush(Date.now() + 50);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
    await sink.close();
    await p;
    expect(w.closed).toBe(true);
    expect(sink.stats()[0]).toMatchObject({ samplesPending: 0, samplesDropped: 5, samplesSent: 0 });
    await sink.deliver(unit(1, 3), meta('a', 3));
    expect(sink.stats()[0]).toMatchObject({ samplesDropped: 6 });
  });

  it('flush returns at once when everything is delivered', async () => {
    const w = new FakeWriter();
    const sink = new RemoteWriteSink([w]);
    const p = sink.deliver(unit(1, 1), meta('a', 1));
    await tick();
    w.started[0]!.release();
    await p;
    const t0 = Date.now();
    await sink.flush(Date.now() + 5_000);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('gives every remote_write every sample', async () => {
    const first = new FakeWriter();
    const second = new FakeWriter();
    const sink = new RemoteWriteSink([first, second]);
    const done = sink.deliver(unit(4, 7), meta('a', 7));
    await tick();
    expect(first.started.map((s) => s.ts)).toEqual([7]);
    expect(second.started.map((s) => s.ts)).toEqual([7]);
    first.started[0]!.release();
    second.started[0]!.release();
    await done;
    expect([first.counters.samplesSent, second.counters.samplesSent]).toEqual([4, 4]);
  });

  it("counts a writer's histogram samples among the samples it reports", () => {
    const w = new FakeWriter();
    Object.assign(w.counters, { samplesSent: 5, samplesFailed: 1, samplesRetried: 2 });
    const withHistograms = Object.assign(w, {
      counters: { ...w.counters, histogramsSent: 3, histogramsFailed: 4, histogramsRetried: 6 },
    });
    const [stats] = new RemoteWriteSink([withHistograms]).stats();
    expect(stats).toMatchObject({ samplesSent: 8, samplesRejected: 5, samplesRetried: 8 });
  });

  it('builds one writer per remote_write from a config', async () => {
    const sink = createRemoteWriteSink(
      config(`
remote_write:
  - url: http://127.0.0.1:1/api/v1/write
    name: first
  - url: http://127.0.0.1:2/api/v1/write
    name: second
    write_relabel_configs:
      - source_labels: [__name__]
        regex: drop_me
        action: drop
`),
    );
    expect(sink.stats().map((s) => s.name)).toEqual(['first', 'second']);
    await sink.close();
  });
});

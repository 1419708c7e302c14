/**
 * Remote write into a real Prometheus (Debian's `prometheus`, 2.42 here) with the remote-write
 * receiver on: proves our protobuf, our snappy (including bodies larger than one 64 KiB fragment)
 * and the StaleNaN bits are accepted and mean what we intend (§8.1, §11). Skipped, with a message,
 * only when the binary is absent; CI installs it.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Labels } from '../../src/model/labels.js';
import { RemoteWriter } from '../../src/remotewrite/writer.js';
import { SampleBatch, type SeriesRef } from '../../src/scrape/batch.js';
import {
  binaryAvailable,
  queryInstant,
  type RunningProcess,
  startPrometheus,
} from '../support/processes.js';
import { remoteWriteConfig } from './config.js';

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const available = binaryAvailable(PROMETHEUS);
const title = available
  ? 'remote write into a real Prometheus receiver'
  : `remote write into a real Prometheus receiver (SKIPPED: ${PROMETHEUS} not installed; apt-get install prometheus)`;

describe.runIf(available)(title, () => {
  let prometheus: RunningProcess;
  let base: string;
  let writer: RemoteWriter;
  // A minute ago: inside the head block's window, clear of "too old" and of the future.
  const t0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;

  const query = (expr: string, atMs: number) => queryInstant(base, expr, atMs / 1000);

  const series = (rec: Record<string, string>): SeriesRef => ({
    labels: Object.keys(rec)
      .sort()
      .map((name) => ({ name, value: rec[name]! })) as Labels,
  });

  beforeAll(async () => {
    prometheus = await startPrometheus('global: {}\n', { bin: PROMETHEUS });
    base = prometheus.url;
    writer = new RemoteWriter(remoteWriteConfig(`${base}/api/v1/write`), {
      externalLabels: { cluster: 'it', job: 'from-external' },
    });
  });

  afterAll(async () => {
    await writer?.close();
    await prometheus?.stop();
  });

  it('stores values, NaN, UTF-8 labels and external labels (series wins)', async () => {
    const b = new SampleBatch<SeriesRef>();
    b.push(series({ __name__: 'rw_it_gauge', job: 'it', case: 'value' }), 42.5, t0);
    b.push(series({ __name__: 'rw_it_nan', job: 'it' }), Number.NaN, t0);
    b.push(series({ __name__: 'rw_it_utf8', job: 'it', text: 'é 😀 "q"' }), -3, t0);
    const r = await writer.write(b, { retryUntil: Date.now() + 10_000 });
    expect(r.errors.map((e) => e.message)).toEqual([]);
    expect(r.delivered).toBe(3);

    const gauge = await query('rw_it_gauge', t0 + 1000);
    expect(gauge).toEqual([
      {
        metric: { __name__: 'rw_it_gauge', case: 'value', cluster: 'it', job: 'it' },
        value: [(t0 + 1000) / 1000, '42.5'],
      },
    ]);
    expect((await query('rw_it_nan', t0))[0]?.value[1]).toBe('NaN');
    expect((await query('rw_it_utf8', t0))[0]?.metric.text).toBe('é 😀 "q"');
  });

  it('a stale marker ends the series at once (StaleNaN bits preserved)', async () => {
    const s = series({ __name__: 'rw_it_stale', job: 'it' });
    const first = new SampleBatch<SeriesRef>();
    first.push(s, 1, t0);
    expect((await writer.write(first)).delivered).toBe(1);
    const second = new SampleBatch<SeriesRef>();
    second.push(s, Number.NaN, t0 + 15_000, true);
    expect((await writer.write(second)).delivered).toBe(1);

    expect((await query('rw_it_stale', t0 + 10_000))[0]?.value[1]).toBe('1');
    expect(await query('rw_it_stale', t0 + 15_000)).toEqual([]);
    expect(await query('rw_it_stale', t0 + 60_000)).toEqual([]);

    // Control: an ordinary NaN in the same place does not end the series.
    const c = series({ __name__: 'rw_it_not_stale', job: 'it' });
    const control = new SampleBatch<SeriesRef>();
    control.push(c, 1, t0);
    await writer.write(control);
    control.clear();
    control.push(c, Number.NaN, t0 + 15_000);
    await writer.write(control);
    expect((await query('rw_it_not_stale', t0 + 60_000))[0]?.value[1]).toBe('NaN');
  });

  it('accepts a body spanning several snappy fragments (5000 series, 8 labels)', async () => {
    const b = new SampleBatch<SeriesRef>();
    for (let i = 0; i < 5000; i++) {
      b.push(
        series({
          __name__: 'rw_it_many',
          job: 'it',
          instance: `host-${i % 50}:9100`,
          device: `dev${i % 7}`,
          mode: ['user', 'system', 'idle'][i % 3]!,
          shard: String(i % 13),
          id: String(i),
          env: 'test',
        }),
        i,
        t0,
      );
    }
    const w = new RemoteWriter(
      remoteWriteConfig(`${base}/api/v1/write`, { queueConfig: { maxSamplesPerSend: 5000 } }),
    );
    try {
      const r = await w.write(b);
      expect(r.requests).toBe(1);
      expect(r.errors).toEqual([]);
      expect(w.counters.bytesSent).toBeGreaterThan(0);
    } finally {
      await w.close();
    }
    const [count] = await query('count(rw_it_many)', t0);
    expect(count?.value[1]).toBe('5000');
    const [sum] = await query('sum(rw_it_many)', t0);
    expect(sum?.value[1]).toBe(String((4999 * 5000) / 2));
  });

  it('an out-of-order sample is rejected for good with the receiver message', async () => {
    const s = series({ __name__: 'rw_it_ooo', job: 'it' });
    const newer = new SampleBatch<SeriesRef>();
    newer.push(s, 1, t0 + 30_000);
    expect((await writer.write(newer)).delivered).toBe(1);
    const older = new SampleBatch<SeriesRef>();
    older.push(s, 2, t0);
    const r = await writer.write(older);
    expect(r.rejected).toBe(1);
    expect(r.errors[0]).toMatchObject({ status: 400, recoverable: false });
    expect(r.errors[0]!.body).toMatch(/out of order/);
  });
});

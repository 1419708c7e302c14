/**
 * RemoteWriter with `protobuf_message: io.prometheus.write.v2.Request` against real local
 * receivers (wire-v2.ts): written counts, the fallback to 1.0 (415, or a 2xx without written
 * headers) remembered and losing nothing, counted sample by sample; and 1.0 metadata requests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FamilyMetadataView } from '../../src/remotewrite/batch.js';
import {
  PROTOBUF_MESSAGE_V1,
  PROTOBUF_MESSAGE_V2,
  protobufMessageOf,
} from '../../src/remotewrite/transcode.js';
import { RemoteWriter, type RemoteWriterOptions } from '../../src/remotewrite/writer.js';
import { SampleBatch, type SeriesRef } from '../../src/scrape/batch.js';
import { remoteWriteConfig } from './config.js';
import { L } from './series.js';
import { type ReceiverMode, STALE_BITS, startV2Receiver, type V2Receiver } from './wire-v2.js';

const receivers: V2Receiver[] = [];
const writers: RemoteWriter[] = [];
afterEach(async () => {
  for (const w of writers.splice(0)) await w.close();
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(mode: ReceiverMode): Promise<V2Receiver> {
  const rx = await startV2Receiver(mode);
  receivers.push(rx);
  return rx;
}

type Cfg = Parameters<typeof remoteWriteConfig>[1];
function writer(rx: V2Receiver, overrides: Cfg = {}, options: RemoteWriterOptions = {}) {
  const w = new RemoteWriter(
    remoteWriteConfig(rx.url, {
      protobufMessage: PROTOBUF_MESSAGE_V2,
      ...overrides,
      queueConfig: { minBackoff: 5, maxBackoff: 20, ...overrides?.queueConfig },
    }),
    options,
  );
  writers.push(w);
  return w;
}

const T = 1_700_000_000_000;
/** One scrape of `n` series at `ts`; series `stale` (indices) get stale markers. */
function scrape(series: SeriesRef[], ts: number, stale: readonly number[] = []) {
  const b = new SampleBatch<SeriesRef>();
  series.forEach((s, i) => {
    b.push(s, stale.includes(i) ? Number.NaN : i + ts / 1000, ts, stale.includes(i));
  });
  return b;
}
const seriesSet = (n: number, target = 't1'): SeriesRef[] =>
  Array.from({ length: n }, (_, i) => ({
    labels: L({ __name__: 'm', instance: target, i: String(i) }),
  }));

/** What the receiver must hold: every sample of every unit, by series, in order. */
function expected(units: SampleBatch<SeriesRef>[]) {
  const want = new Map<string, { bits: string; timestamp: number }[]>();
  for (const u of units) {
    for (let i = 0; i < u.length; i++) {
      const k = JSON.stringify(u.entries[i]!.labels.map((l) => [l.name, l.value]));
      const v = u.values[i]!;
      const bits = u.stale[i] === 1 ? STALE_BITS : bitsOf(v);
      let list = want.get(k);
      if (list === undefined) {
        list = [];
        want.set(k, list);
      }
      list.push({ bits, timestamp: u.timestamps[i]! });
    }
  }
  return want;
}
function storedBits(rx: V2Receiver) {
  const got = new Map<string, { bits: string; timestamp: number }[]>();
  for (const [k, list] of rx.stored()) {
    got.set(
      k,
      list.map((s) => ({ bits: s.bits, timestamp: s.timestamp })),
    );
  }
  return got;
}
function bitsOf(v: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  return view.getBigUint64(0).toString(16).padStart(16, '0');
}

describe('RemoteWriter 2.0: a receiver that takes 2.0', () => {
  it('sends 2.0 requests and counts what the written headers say', async () => {
    const rx = await receiver('v2');
    const w = writer(rx, { queueConfig: { maxSamplesPerSend: 4 } });
    const s = seriesSet(10);
    const r = await w.write(scrape(s, T, [9]));
    expect(r).toMatchObject({ requests: 3, samples: 10, delivered: 10, rejected: 0, pending: 0 });
    expect(r.warnings).toBeUndefined();
    expect(rx.requests.map((q) => q.message)).toEqual(['v2', 'v2', 'v2']);
    expect(w.protobufMessage).toBe(PROTOBUF_MESSAGE_V2);
    expect(w.counters).toMatchObject({
      samplesSent: 10,
      protocolFallbacks: 0,
      requestsReencoded: 0,
    });
    expect(storedBits(rx)).toEqual(expected([scrape(s, T, [9])]));
  });

  it('symbolizes a series once per entry, also when the entry rebuilds its labels on each read', async () => {
    const rx = await receiver('v2');
    const w = writer(rx);
    let reads = 0;
    const labels = L({ __name__: 'm', i: '0' });
    const entry: SeriesRef = {
      get labels() {
        reads++;
        return labels.map((l) => ({ ...l }));
      },
    };
    for (let i = 0; i < 3; i++) await w.write(scrape([entry], T + i * 1000));
    expect(reads).toBe(1);
    expect(rx.requests.map((q) => q.message)).toEqual(['v2', 'v2', 'v2']);
  });

  it('a 2xx whose written counts fall short: the rest is rejected, reported, not sent again', async () => {
    const rx = await receiver('v2');
    rx.override((res) => {
      res.writeHead(204, {
        'X-Prometheus-Remote-Write-Samples-Written': '3',
        'X-Prometheus-Remote-Write-Exemplars-Written': '0',
      });
      res.end();
    });
    const w = writer(rx, { sendExemplars: true });
    const s = seriesSet(5);
    const u = scrape(s, T);
    u.addExemplar(s[0]!, { labels: L({ trace_id: 'x' }), value: 1, timestampMs: T });
    const r = await w.write(u);
    expect(r).toMatchObject({ samples: 5, delivered: 3, rejected: 2, pending: 0 });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      expect.objectContaining({
        code: 'RW_PARTIAL_WRITE',
        message: expect.stringContaining('wrote 3 of 5 samples and 0 of 1 exemplars'),
      }),
    ]);
    expect(rx.requests).toHaveLength(1);
    expect(w.counters).toMatchObject({
      samplesSent: 3,
      samplesFailed: 2,
      exemplarsSent: 0,
      exemplarsFailed: 1,
      requestsSent: 1,
    });
  });

  it('a 400 to a 2.0 request is a rejection like any 4xx, not a reason to fall back', async () => {
    const rx = await receiver('v2');
    rx.override((res) => {
      res.writeHead(400);
      res.end('out of order sample');
    });
    const w = writer(rx);
    const r = await w.write(scrape(seriesSet(2), T));
    expect(r).toMatchObject({ delivered: 0, rejected: 2 });
    expect(w.protobufMessage).toBe(PROTOBUF_MESSAGE_V2);
    expect(rx.requests).toHaveLength(1);
  });
});

describe.each([
  { mode: 'v1-415' as const, why: '415 Unsupported Media Type' },
  { mode: 'v1-silent' as const, why: 'a 2xx without written headers (Prometheus 2.42)' },
])('RemoteWriter 2.0 → 1.0 on $why', ({ mode }) => {
  it('re-encodes the refused requests at once, remembers, and loses no sample', async () => {
    const rx = await receiver(mode);
    const warnings: unknown[] = [];
    const logger = {
      ...(await import('../../src/log/logger.js')).silentLogger,
      warn: (msg: string, fields?: Record<string, unknown>) => warnings.push([msg, fields]),
    };
    const w = writer(rx, { queueConfig: { maxSamplesPerSend: 3 } }, { concurrency: 4, logger });
    const s = seriesSet(8);
    const units = [scrape(s, T), scrape(s, T + 15_000, [2, 5]), scrape(s.slice(0, 4), T + 30_000)];
    const results = [];
    for (const u of units) results.push(await w.write(u));

    // The first unit: its three 2.0 requests refused, each sent again as 1.0.
    expect(results[0]).toMatchObject({ requests: 3, samples: 8, delivered: 8, rejected: 0 });
    const first = rx.requests
      .slice(0, 6)
      .map((q) => q.message)
      .sort();
    expect(first).toEqual(['v1', 'v1', 'v1', 'v2', 'v2', 'v2']);
    // Remembered: the later units go out in 1.0 only.
    expect(rx.requests.slice(6).map((q) => q.message)).toEqual(['v1', 'v1', 'v1', 'v1', 'v1']);
    expect(results.map((r) => r.delivered)).toEqual([8, 8, 4]);
    expect(w.protobufMessage).toBe(PROTOBUF_MESSAGE_V1);
    expect(w.counters).toMatchObject({
      protocolFallbacks: 1,
      requestsReencoded: 3,
      samplesSent: 20,
      samplesFailed: 0,
    });
    expect(warnings).toEqual([
      [
        'remote write receiver does not take 2.0: sending 1.0 from now on',
        expect.objectContaining({ remote: 'test' }),
      ],
    ]);
    // Sample by sample, stale markers bit for bit, in order per series.
    expect(storedBits(rx)).toEqual(expected(units));
  });

  it('a 2.0 request parked before the fallback is sent as 1.0 when replayed', async () => {
    const rx = await receiver(mode);
    rx.override(
      (res) => {
        res.writeHead(503);
        res.end();
      },
      (res) => {
        res.writeHead(503);
        res.end();
      },
    );
    const w = writer(rx);
    const s = seriesSet(3);
    const u = scrape(s, T, [1]);
    const first = await w.write(u, { maxAttempts: 1 });
    expect(first.parked).toHaveLength(1);
    const parked = first.parked[0]!;
    expect(protobufMessageOf(parked.body)).toBe(PROTOBUF_MESSAGE_V2);
    // Another unit finds the receiver back and learns that it wants 1.0.
    await w.write(scrape(seriesSet(2, 't2'), T), {});
    expect(w.protobufMessage).toBe(PROTOBUF_MESSAGE_V1);
    const before = rx.requests.length;
    const r = await w.replay(parked, { maxAttempts: 1 });
    expect(r).toMatchObject({ delivered: 3, rejected: 0, pending: 0 });
    expect(rx.requests.slice(before).map((q) => q.message)).toEqual(['v1']);
    expect(storedBits(rx).get(JSON.stringify(s[1]!.labels.map((l) => [l.name, l.value])))).toEqual([
      { bits: STALE_BITS, timestamp: T },
    ]);
  });

  it('a request parked in the middle of a fallback is parked as 1.0', async () => {
    const rx = await receiver(mode);
    const w = writer(rx);
    // The 2.0 attempt is refused, its 1.0 resend meets a 503 and runs out of attempts.
    rx.override(
      (res) => {
        // the mode's own answer to the 2.0 request
        res.writeHead(mode === 'v1-415' ? 415 : 204);
        res.end();
      },
      (res) => {
        res.writeHead(503);
        res.end();
      },
    );
    const r = await w.write(scrape(seriesSet(2), T), { maxAttempts: 1 });
    expect(r.parked).toHaveLength(1);
    expect(protobufMessageOf(r.parked[0]!.body)).toBe(PROTOBUF_MESSAGE_V1);
    expect(w.protobufMessage).toBe(PROTOBUF_MESSAGE_V1);
  });
});

describe('RemoteWriter: bodies of either message, whatever the writer sends', () => {
  it('a 1.0 body replayed by a 2.0 writer goes out as 1.0, with the 1.0 headers', async () => {
    const rx = await receiver('v2');
    const v1 = new RemoteWriter(remoteWriteConfig(rx.url));
    writers.push(v1);
    const body = v1.prepare(scrape(seriesSet(2), T)).requests[0]!;
    const w = writer(rx);
    const r = await w.replay(body, {});
    expect(r.delivered).toBe(2);
    expect(rx.requests.at(-1)!.message).toBe('v1');
    expect(rx.requests.at(-1)!.headers['x-prometheus-remote-write-version']).toBe('0.1.0');
    expect(w.protobufMessage).toBe(PROTOBUF_MESSAGE_V2);
  });
});

describe('RemoteWriter 1.0: metadata_config', () => {
  const families = new Map<string, FamilyMetadataView>([
    ['http_requests', { type: 'counter', help: 'Requests.', unit: '' }],
    ['temp', { type: 'gauge', help: 'Temperature.', unit: 'celsius' }],
    ['latency', { type: 'histogram', help: 'Latency.', unit: 'seconds' }],
  ]);
  const withMetadata = (ts: number, source = families) => {
    const u = scrape(seriesSet(2), ts);
    u.metadata = source;
    return u;
  };

  it('sends the target’s MetricMetadata with its samples, once per send_interval', async () => {
    const rx = await receiver('v2');
    const w = writer(rx, {
      protobufMessage: PROTOBUF_MESSAGE_V1,
      metadataConfig: { send: true, sendInterval: 60_000, maxSamplesPerSend: 2 },
    });
    const r = await w.write(withMetadata(T));
    // The first part rides in the (last) sample request, the rest in a request of its own.
    expect(r).toMatchObject({ requests: 2, samples: 2, delivered: 2 });
    expect(rx.requests.map((q) => [q.v1!.timeseries.length, q.v1!.metadata.length])).toEqual([
      [2, 2],
      [0, 1],
    ]);
    const meta = rx.requests.flatMap((q) => q.v1!.metadata);
    expect(meta).toEqual([
      { type: 1, metricFamilyName: 'http_requests', help: 'Requests.', unit: '' },
      { type: 2, metricFamilyName: 'temp', help: 'Temperature.', unit: 'celsius' },
      { type: 3, metricFamilyName: 'latency', help: 'Latency.', unit: 'seconds' },
    ]);
    expect(w.counters.metadataSent).toBe(3);
    // Within send_interval: samples only. Another target's source: its metadata.
    expect((await w.write(withMetadata(T + 15_000))).requests).toBe(1);
    expect((await w.write(withMetadata(T + 15_000, new Map(families)))).requests).toBe(2);
  });

  it('sends none with send: false, and none per unit in 2.0 (metadata rides per series)', async () => {
    const rx = await receiver('v2');
    const off = writer(rx, {
      protobufMessage: PROTOBUF_MESSAGE_V1,
      metadataConfig: { send: false, sendInterval: 0, maxSamplesPerSend: 2000 },
    });
    expect((await off.write(withMetadata(T))).requests).toBe(1);
    const v2 = writer(rx);
    expect((await v2.write(withMetadata(T))).requests).toBe(1);
  });

  it('starts sending 1.0 metadata once the writer has fallen back', async () => {
    const rx = await receiver('v1-415');
    const w = writer(rx);
    await w.write(withMetadata(T));
    expect(w.protobufMessage).toBe(PROTOBUF_MESSAGE_V1);
    const before = rx.requests.length;
    await w.write(withMetadata(T + 15_000));
    const after = rx.requests.slice(before);
    expect(after.map((q) => [q.message, q.v1!.timeseries.length, q.v1!.metadata.length])).toEqual([
      ['v1', 2, 3],
    ]);
  });
});

/**
 * Remote write 1.0 against 2.0 on the same batch, in the steady state (each series' labels
 * already cached by the writer: 1.0 its encoded bytes, 2.0 its symbol ids): ns/sample and
 * bytes/sample, on the shared big-target input (bench/lib/big-target-series.ts).
 *
 *   npx tsx bench/remotewrite-v2.bench.ts [N]
 *
 * Rows, each at max_samples_per_send 2000 (Prometheus's default):
 * - `encode`: the encoder alone, no snappy: 1.0 `encodeSamples` on cached label bytes; 2.0
 *   `encode` on cached ids, building each request's symbol table (a target's first scrape, or
 *   any scrape whose series changed), and from the request templates (a target scraped again
 *   with the same series: symbols and labels_refs copied);
 * - `prepare`: `RemoteWriter.prepare`, the writer's whole hot path (cache lookups, metadata,
 *   encoding, snappy) in the steady state, with the label cache in the series entry (what `run`
 *   and Lambda use for the first remote_write) and in a WeakMap. The unit carries its target's
 *   families as a scrape's does: 2.0 sends each series' type and help (1.0 does not send
 *   metadata with samples; here its metadata_config.send is off).
 * Times are median (min) over 21 scrapes after 5 warm-up scrapes; values change every scrape.
 */

import type { RemoteWriteConfig } from '../src/config/types.js';
import { SampleBatch, type SeriesRef } from '../src/remotewrite/batch.js';
import { encodeLabels, WriteRequestEncoder } from '../src/remotewrite/encode.js';
import {
  type RequestTemplateSlot,
  RequestV2Encoder,
  seriesSymbolIds,
} from '../src/remotewrite/encode-v2.js';
import { snappyCompress } from '../src/remotewrite/snappy.js';
import { SymbolTable } from '../src/remotewrite/symbols.js';
import {
  PROTOBUF_MESSAGE_V1,
  PROTOBUF_MESSAGE_V2,
  type ProtobufMessage,
} from '../src/remotewrite/transcode.js';
import { RemoteWriter } from '../src/remotewrite/writer.js';
import { remoteWriteConfig } from '../test/remotewrite/config.js';
import { loadSeries } from './lib/big-target-series.js';

const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 100_000);
const ROUNDS = 21;
const WARMUP = 5;
const MAX = 2000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number, d = 1) => x.toFixed(d).padStart(7);
const stat = (xs: number[]) => `${fmt(median(xs))} (${fmt(Math.min(...xs)).trim()})`;

function config(message: ProtobufMessage): RemoteWriteConfig {
  return remoteWriteConfig('http://127.0.0.1:9/', {
    protobufMessage: message,
    queueConfig: { maxSamplesPerSend: MAX },
    metadataConfig: { send: false, sendInterval: 60_000, maxSamplesPerSend: 2000 },
  });
}

function fillScrape(batch: SampleBatch, series: SeriesRef[], values: number[], round: number) {
  batch.clear();
  const ts = 1_700_000_000_000 + round * 15_000;
  for (let i = 0; i < series.length; i++) {
    batch.push(series[i]!, values[i]! + round * (i % 7), ts);
  }
}

/** Runs `fn` per scrape: ns/sample per round after the warm-up, and the last result. */
function rounds<T>(batch: SampleBatch, big: ReturnType<typeof loadSeries>, fn: () => T) {
  const times: number[] = [];
  let last: T | undefined;
  for (let round = -WARMUP; round <= ROUNDS; round++) {
    fillScrape(batch, big.series, big.values, round + WARMUP);
    const t = process.hrtime.bigint();
    last = fn();
    if (round >= 1) times.push(Number(process.hrtime.bigint() - t) / big.series.length);
  }
  return { times, last: last! };
}

async function main() {
  const big = loadSeries(N);
  const n = big.series.length;
  const batch = new SampleBatch(n);
  const avgLabels = big.series.reduce((s, x) => s + x.labels.length, 0) / n;
  console.log(
    `${n} series, ${avgLabels.toFixed(2)} labels/series, ${big.metadata.size} families, max_samples_per_send ${MAX}, node ${process.version}`,
  );
  const rows = Int32Array.from({ length: n }, (_, i) => i);

  // Encoders alone, no snappy; the bytes of one scrape raw and compressed.
  const labelBytes = big.series.map((s) => encodeLabels(s.labels));
  const v1enc = new WriteRequestEncoder();
  const e1 = rounds(batch, big, () => {
    let raw = 0;
    for (let from = 0; from < n; from += MAX) {
      raw += v1enc.encodeSamples(labelBytes, rows, from, Math.min(from + MAX, n), batch).length;
    }
    return raw;
  });
  const symbols = new SymbolTable();
  const ids = big.series.map((s) => seriesSymbolIds(s.labels, symbols));
  const v2enc = new RequestV2Encoder(symbols);
  const e2 = rounds(batch, big, () => {
    let raw = 0;
    for (let from = 0; from < n; from += MAX) {
      raw += v2enc.encode(ids, rows, from, Math.min(from + MAX, n), batch).length;
    }
    return raw;
  });
  const slots: RequestTemplateSlot[] = [];
  const e2t = rounds(batch, big, () => {
    let raw = 0;
    for (let from = 0, j = 0; from < n; from += MAX, j++) {
      slots[j] ??= {};
      const to = Math.min(from + MAX, n);
      raw += v2enc.encode(ids, rows, from, to, batch, undefined, undefined, slots[j]).length;
    }
    return raw;
  });

  const prepare = (message: ProtobufMessage, cacheInSeries: boolean) => {
    for (const s of big.series) s.encoded = undefined;
    const w = new RemoteWriter(config(message), { cacheInSeries });
    batch.metadata = big.metadata;
    const r = rounds(batch, big, () => w.prepare(batch));
    batch.metadata = undefined;
    const bytes = r.last.requests.reduce((s, q) => s + q.body.length, 0);
    return { times: r.times, bytes, close: () => w.close() };
  };
  const rows2: [string, ReturnType<typeof prepare>][] = [];
  for (const [label, message, inSeries] of [
    ['1.0 prepare, cache in series slot', PROTOBUF_MESSAGE_V1, true],
    ['2.0 prepare, cache in series slot', PROTOBUF_MESSAGE_V2, true],
    ['1.0 prepare, cache in WeakMap', PROTOBUF_MESSAGE_V1, false],
    ['2.0 prepare, cache in WeakMap', PROTOBUF_MESSAGE_V2, false],
  ] as const) {
    rows2.push([label, prepare(message, inSeries)]);
  }

  // Bytes of one scrape's requests after snappy, for the encoder rows.
  const snappyBytes = (encode: (from: number, to: number) => Uint8Array) => {
    let out = 0;
    for (let from = 0; from < n; from += MAX) {
      out += snappyCompress(encode(from, Math.min(from + MAX, n))).length;
    }
    return out;
  };
  const c1 = snappyBytes((f, t) => v1enc.encodeSamples(labelBytes, rows, f, t, batch));
  const c2 = snappyBytes((f, t) => v2enc.encode(ids, rows, f, t, batch));

  console.log('ns/sample, median (min) of 21 scrapes        bytes/sample raw → snappy');
  console.log(
    `  1.0 encode (labels cached):        ${stat(e1.times)}   ${(e1.last / n).toFixed(1)} → ${(c1 / n).toFixed(1)}`,
  );
  console.log(
    `  2.0 encode, symbols worked out:    ${stat(e2.times)}   ${(e2.last / n).toFixed(1)} → ${(c2 / n).toFixed(1)}`,
  );
  console.log(`  2.0 encode, from templates:        ${stat(e2t.times)}   same bytes`);
  for (const [label, r] of rows2) {
    console.log(`  ${label.padEnd(34)} ${stat(r.times)}   snappy ${(r.bytes / n).toFixed(1)}`);
    await r.close();
  }
}

await main();

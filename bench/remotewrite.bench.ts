/**
 * Remote write 1.0 encode + snappy throughput in the steady state (labels already encoded and
 * cached per series), on the shared big-target input: 100,000 series with 5–8 labels after
 * `job` and `instance` are added, as a scrape would produce them.
 *
 *   npx tsx bench/remotewrite.bench.ts [N] [--send]
 *
 * Reports ns/sample for each stage and bytes/sample before and after snappy. Peers send about
 * 34 bytes/sample after snappy on this input (shared/bench/README.md). `--send` also posts every
 * scrape to a local receiver that discards the body (whole write path, loopback HTTP).
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpClientConfig, RemoteWriteConfig } from '../src/config/types.js';
import { SampleBatch, type SeriesRef } from '../src/remotewrite/batch.js';
import { encodeLabels, WriteRequestEncoder } from '../src/remotewrite/encode.js';
import { snappyCompress } from '../src/remotewrite/snappy.js';
import { RemoteWriter } from '../src/remotewrite/writer.js';
import { loadSeries } from './lib/big-target-series.js';

const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 100_000);
const SEND = process.argv.includes('--send');
const ROUNDS = 21;
const WARMUP = 5;

const httpClient: HttpClientConfig = {
  basicAuth: undefined,
  authorization: undefined,
  oauth2: undefined,
  tlsConfig: {
    ca: undefined,
    caFile: undefined,
    cert: undefined,
    certFile: undefined,
    key: undefined,
    keyFile: undefined,
    serverName: undefined,
    insecureSkipVerify: false,
    minVersion: undefined,
    maxVersion: undefined,
  },
  followRedirects: false,
  enableHttp2: false,
  proxyUrl: undefined,
  noProxy: undefined,
  proxyFromEnvironment: false,
  proxyConnectHeader: {},
  httpHeaders: {},
};

function config(url: string, maxSamplesPerSend: number): RemoteWriteConfig {
  return {
    url,
    name: 'bench',
    displayName: 'bench',
    remoteTimeout: 30_000,
    headers: {},
    writeRelabelConfigs: [],
    sendExemplars: false,
    sendNativeHistograms: false,
    roundRobinDns: false,
    protobufMessage: 'prometheus.WriteRequest',
    queueConfig: {
      capacity: 10_000,
      maxShards: 50,
      minShards: 1,
      maxSamplesPerSend,
      batchSendDeadline: 5000,
      minBackoff: 30,
      maxBackoff: 5000,
      retryOnHttp429: false,
      sampleAgeLimit: 0,
    },
    metadataConfig: { send: false, sendInterval: 60_000, maxSamplesPerSend: 2000 },
    sigv4: undefined,
    httpClient,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number, d = 1) => x.toFixed(d).padStart(7);
/** `median (min)`: the machine is shared, so the minimum is the best estimate of the cost. */
const stat = (xs: number[]) => `${fmt(median(xs))} (${fmt(Math.min(...xs)).trim()})`;

function fillScrape(batch: SampleBatch, series: SeriesRef[], values: number[], round: number) {
  batch.clear();
  const ts = 1_700_000_000_000 + round * 15_000;
  for (let i = 0; i < series.length; i++) {
    // Counters move a little between scrapes; the value bytes change every time.
    batch.push(series[i]!, values[i]! + round * (i % 7), ts);
  }
}

async function main() {
  const { series, values } = loadSeries(N);
  const n = series.length;
  const avgLabels = series.reduce((s, x) => s + x.labels.length, 0) / n;
  const batch = new SampleBatch(n);
  console.log(
    `${n} series, ${avgLabels.toFixed(2)} labels/series on average, node ${process.version}`,
  );

  // Cold: labels encoded once per series.
  let t = process.hrtime.bigint();
  const encoded = series.map((s) => encodeLabels(s.labels));
  const coldNs = Number(process.hrtime.bigint() - t) / n;
  const labelBytes = encoded.reduce((s, b) => s + b.length, 0) / n;
  console.log(
    `encodeLabels (once per series, cold):  ${fmt(coldNs)} ns/series, ${labelBytes.toFixed(1)} label bytes/series`,
  );

  for (const max of [2000, 10_000]) {
    // Stage by stage, on the same requests as the writer builds.
    const encoder = new WriteRequestEncoder();
    const rows = Int32Array.from({ length: n }, (_, i) => i);
    const encTimes: number[] = [];
    const snapTimes: number[] = [];
    let raw = 0;
    let compressed = 0;
    for (let round = 1 - WARMUP; round <= ROUNDS; round++) {
      fillScrape(batch, series, values, round + WARMUP);
      let enc = 0;
      let snap = 0;
      raw = 0;
      compressed = 0;
      for (let from = 0; from < n; from += max) {
        const to = Math.min(from + max, n);
        t = process.hrtime.bigint();
        const body = encoder.encodeSamples(encoded, rows, from, to, batch);
        const t1 = process.hrtime.bigint();
        const c = snappyCompress(body);
        const t2 = process.hrtime.bigint();
        enc += Number(t1 - t);
        snap += Number(t2 - t1);
        raw += body.length;
        compressed += c.length;
      }
      if (round < 1) continue;
      encTimes.push(enc / n);
      snapTimes.push(snap / n);
    }
    console.log(`max_samples_per_send ${max}: ns/sample, median (min) of ${ROUNDS} scrapes`);
    console.log(`  encode WriteRequest (labels pre-encoded):          ${stat(encTimes)}`);
    console.log(`  snappy:                                            ${stat(snapTimes)}`);

    for (const cacheInSeries of [false, true]) {
      for (const s of series) s.encoded = undefined;
      const writer = new RemoteWriter(config('http://127.0.0.1:9/', max), { cacheInSeries });
      const prepTimes: number[] = [];
      // Round 0 fills the label cache (the first scrape of a container), then warm-up rounds.
      for (let round = -WARMUP; round <= ROUNDS; round++) {
        fillScrape(batch, series, values, round + WARMUP);
        t = process.hrtime.bigint();
        writer.prepare(batch);
        if (round >= 1) prepTimes.push(Number(process.hrtime.bigint() - t) / n);
      }
      const cache = cacheInSeries ? 'series slot' : 'WeakMap    ';
      console.log(`  RemoteWriter.prepare, cache in ${cache}:         ${stat(prepTimes)}`);
      await writer.close();
    }
    console.log(
      `  bytes/sample: ${(raw / n).toFixed(1)} raw, ${(compressed / n).toFixed(1)} after snappy (ratio ${(raw / compressed).toFixed(2)})`,
    );
  }

  if (SEND) {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(204);
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    for (const s of series) s.encoded = undefined;
    const writer = new RemoteWriter(config(`http://127.0.0.1:${port}/api/v1/write`, 2000), {
      concurrency: 4,
      cacheInSeries: true,
    });
    for (let round = 0; round < WARMUP; round++) {
      fillScrape(batch, series, values, round);
      await writer.write(batch);
    }
    const wall: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let round = 1; round <= ROUNDS; round++) {
      fillScrape(batch, series, values, round + WARMUP);
      t = process.hrtime.bigint();
      const r = await writer.write(batch);
      wall.push(Number(process.hrtime.bigint() - t) / n);
      if (r.delivered !== n) throw new Error(`delivered ${r.delivered} of ${n}`);
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuNs = ((cpu.user + cpu.system) * 1000) / (n * ROUNDS);
    console.log(
      'write() to a discarding loopback receiver (same process), max_samples_per_send 2000:',
    );
    console.log(`  wall ns/sample, median (min): ${stat(wall)}`);
    console.log(`  CPU ns/sample (writer and receiver together): ${fmt(cpuNs).trim()}`);
    await writer.close();
    server.close();
  }
}

await main();

/**
 * The cost of `run --storage.path` (the data directory) beside the in-memory queue, in-process:
 * scrape units of 1,000 series go through the real `RemoteWriteSink` and `RemoteWriter`
 * (prepare: encoding and snappy, in both modes) to a client that answers at once, so what differs
 * between the modes is the disk path: each unit written to a segment file, its done record,
 * segments deleted behind the head (and, during an outage, the bodies read back).
 *
 *   npx tsx bench/remote-write-storage.bench.ts [--mode memory|disk] [--units N] [--targets T]
 *                                              [--outage]
 *
 * Steady state (default): N units (default 20,000: 20 M samples) over T targets (default 50),
 * each delivered before the next batch of T is handed over. Prints units/s, µs per unit and
 * peak RSS (whole process, `maxRSS`).
 *
 * `--outage` (disk mode): the client answers 503 while the N units are handed over (they wait:
 * in memory up to 500,000 samples, the rest dropped; on disk all of them), then 204: prints the
 * bytes on disk per sample, the memory held per waiting unit, and how fast the backlog drains
 * (units read back from disk and sent per second).
 *
 * The data directory is a fresh temporary directory on the machine's disk (removed at the end).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.js';
import { DataDirectory } from '../src/local/data-dir.js';
import { RemoteWriteSink } from '../src/local/remote-write-sink.js';
import type { UnitMeta } from '../src/local/sink.js';
import type { Labels } from '../src/model/labels.js';
import type { RemoteWriteClient } from '../src/remotewrite/client.js';
import { REMOTE_WRITE_ERROR_CODES, RemoteWriteError } from '../src/remotewrite/errors.js';
import { RemoteWriter } from '../src/remotewrite/writer.js';
import { SampleBatch, type SeriesEntry } from '../src/scrape/batch.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const MODE = arg('mode', 'disk') as 'memory' | 'disk';
const UNITS = Number(arg('units', '20000'));
const TARGETS = Number(arg('targets', '50'));
const OUTAGE = process.argv.includes('--outage');
const SERIES = 1_000;
const INTERVAL_MS = 30_000;

const config = loadConfig(`
remote_write:
  - url: http://127.0.0.1:1/api/v1/write
    name: bench
    queue_config:
      min_backoff: 5ms
      max_backoff: 20ms
`);
const rwConfig = config.remoteWrite[0]!;

/** A client that answers 204 at once, or 503 while `down`. */
const state = { down: false };
const client: RemoteWriteClient = {
  name: 'bench',
  url: new URL(rwConfig.url),
  safeUrl: rwConfig.url,
  config: rwConfig,
  post: async () =>
    state.down
      ? {
          ok: false,
          error: new RemoteWriteError(REMOTE_WRITE_ERROR_CODES.serverError, '503 down', {
            recoverable: true,
            status: 503,
          }),
        }
      : { ok: true, status: 204 },
  close: async () => {},
};

/** The series of one target: node_exporter-like names and labels. */
function targetSeries(t: number): SeriesEntry[] {
  const out: SeriesEntry[] = [];
  for (let i = 0; i < SERIES; i++) {
    const labels: Labels = [
      { name: '__name__', value: `node_component${i % 37}_operations_total` },
      { name: 'cpu', value: String(i % 16) },
      { name: 'instance', value: `10.0.${t >> 8}.${t & 255}:9100` },
      { name: 'job', value: 'node' },
      { name: 'mode', value: ['user', 'system', 'idle', 'iowait'][i % 4]! },
      { name: 'series', value: String(i) },
    ];
    out.push({ labels, key: `${t}/${i}` });
  }
  return out;
}

function unit(series: readonly SeriesEntry[], slot: number, ts: number): SampleBatch {
  const b = new SampleBatch();
  for (let i = 0; i < series.length; i++) b.push(series[i]!, slot * 17 + i * 3.5, ts);
  return b;
}

function meta(t: number, ts: number): UnitMeta {
  return {
    kind: 'scrape',
    job: 'node',
    targetKey: `t${t}`,
    url: `http://10.0.0.${t}:9100/metrics`,
    targetLabels: [],
    timestampMs: ts,
    up: true,
    error: undefined,
    durationSeconds: 0.01,
    samplesScraped: SERIES,
  };
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ls-storage-bench-'));
  const dataDir =
    MODE === 'disk'
      ? DataDirectory.open(dir, { maxBytesPerQueue: 0, maxAgeMs: 7_200_000 })
      : undefined;
  const writer = new RemoteWriter(rwConfig, { client });
  const sink = new RemoteWriteSink([writer], dataDir === undefined ? {} : { storage: dataDir });
  const targets = Array.from({ length: TARGETS }, (_, t) => targetSeries(t));
  const t0 = Date.now() - UNITS * INTERVAL_MS;
  const rounds = Math.ceil(UNITS / TARGETS);
  /** Hands over a round of units; resolves when they settle (at once during an outage). */
  const handOver = (round: number): Promise<unknown> => {
    const settled: Promise<unknown>[] = [];
    for (let t = 0; t < TARGETS && round * TARGETS + t < UNITS; t++) {
      const ts = t0 + round * INTERVAL_MS;
      settled.push(sink.deliver(unit(targets[t]!, round, ts), meta(t, ts)));
    }
    // In memory a unit settles when delivered: during an outage, do not wait for it.
    return state.down ? Promise.resolve() : Promise.all(settled);
  };
  try {
    // Warm-up: prepare's label cache and the JIT.
    await handOver(0);
    await sink.flush(Date.now() + 60_000);

    if (!OUTAGE) {
      const start = process.hrtime.bigint();
      for (let r = 1; r <= rounds; r++) {
        await handOver(r);
        await sink.flush(Date.now() + 60_000);
      }
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      const stats = sink.stats()[0]!;
      console.log(
        JSON.stringify({
          mode: MODE,
          units: UNITS,
          samples: UNITS * SERIES,
          seconds: Number(s.toFixed(3)),
          units_per_s: Math.round(UNITS / s),
          us_per_unit: Number(((s * 1e6) / UNITS).toFixed(1)),
          sent: stats.samplesSent,
          dropped: stats.samplesDropped,
          peak_rss_mib: Number(mib(process.resourceUsage().maxRSS * 1024)),
        }),
      );
      return;
    }

    state.down = true;
    global.gc?.();
    const heapBefore = process.memoryUsage();
    const start = process.hrtime.bigint();
    for (let r = 1; r <= rounds; r++) await handOver(r);
    const handSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    global.gc?.();
    const heapDuring = process.memoryUsage();
    const during = sink.stats()[0]!;
    const waitingUnits = during.storage?.pendingUnits ?? Math.round(during.samplesPending / SERIES);
    state.down = false;
    const drainStart = process.hrtime.bigint();
    await sink.flush(Date.now() + 600_000);
    const drainSeconds = Number(process.hrtime.bigint() - drainStart) / 1e9;
    const after = sink.stats()[0]!;
    console.log(
      JSON.stringify({
        mode: MODE,
        units: UNITS,
        hand_over_s: Number(handSeconds.toFixed(3)),
        waiting_samples: during.samplesPending,
        dropped_samples: during.samplesDropped,
        bytes_on_disk: during.storage?.bytes ?? 0,
        bytes_per_sample_on_disk: Number(
          ((during.storage?.bytes ?? 0) / during.samplesPending).toFixed(2),
        ),
        heap_and_buffers_mib_per_1000_waiting_units: Number(
          (
            ((heapDuring.heapUsed +
              heapDuring.arrayBuffers -
              heapBefore.heapUsed -
              heapBefore.arrayBuffers) /
              2 ** 20 /
              Math.max(waitingUnits, 1)) *
            1000
          ).toFixed(2),
        ),
        drain_s: Number(drainSeconds.toFixed(3)),
        drain_units_per_s: Math.round(waitingUnits / drainSeconds),
        sent_after: after.samplesSent,
        pending_after: after.samplesPending,
        peak_rss_mib: Number(mib(process.resourceUsage().maxRSS * 1024)),
      }),
    );
  } finally {
    await sink.close();
    dataDir?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

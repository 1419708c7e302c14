/**
 * `npm run bench`: parse + metric relabeling of the shared 100,000-series text body through
 * the scrape's real append path (no network), reporting samples per second and peak memory.
 *
 *   cold  — the first scrape of a target: every series is new, so its labels are built,
 *           merged with the target labels, relabeled and checked.
 *   warm  — every later scrape: each series text is a cache hit (§6.4), so a sample costs
 *           a lookup plus its value.
 *
 * Cold is the median of `--cold` fresh caches (default: max(3, rounds/3)), and is also printed
 * as ms per 100,000 series, the figure issue 14 tracks (target: < 500 ms). `--rounds 0` skips
 * the warm pass (for profiling the cold path alone).
 *
 * Usage: npm run bench [-- --series N --rounds R --cold C]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/index.js';
import { createParser } from '../src/exposition/index.js';
import { labelsFromRecord } from '../src/model/labels.js';
import { applyRelabel, compileRelabelConfigs } from '../src/relabel/index.js';
import { type AppendCounts, appendSamples } from '../src/scrape/append.js';
import { SampleBatch } from '../src/scrape/batch.js';
import { ScrapeCache } from '../src/scrape/cache.js';
import { TrackedSeries } from '../src/scrape/state.js';

const { values } = parseArgs({
  options: {
    series: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '10' },
    cold: { type: 'string' },
  },
});
const series = Number(values.series);
const rounds = Number(values.rounds);
const coldRounds =
  values.cold === undefined ? Math.max(3, Math.ceil(rounds / 3)) : Number(values.cold);

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bodyPath = resolve(repo, `.bench-tmp/big-${series}.prom`);
if (!existsSync(bodyPath)) {
  mkdirSync(dirname(bodyPath), { recursive: true });
  execFileSync('node', [
    resolve(repo, '../shared/bench/gen-big-target.mjs'),
    bodyPath,
    String(series),
  ]);
}
const body = readFileSync(bodyPath);

// A typical job: drop one family, rewrite one label, drop one label.
const config = loadConfig(`
scrape_configs:
  - job_name: bench
    static_configs: [{targets: ['bench:9100']}]
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: 'go_gc_.*'
        action: drop
      - source_labels: [instance]
        regex: '(.*):\\d+'
        target_label: host
      - regex: 'pod_template_hash'
        action: labeldrop
`);
const job = config.scrapeConfigs[0]!;
const program = compileRelabelConfigs(job.metricRelabelConfigs, job.metricNameValidationScheme);
const opts = {
  targetLabels: labelsFromRecord({ instance: 'bench:9100', job: 'bench' }),
  honorLabels: false,
  honorTimestamps: true,
  trackTimestampsStaleness: false,
  sampleLimit: 0,
  labelLimit: 0,
  labelNameLengthLimit: 0,
  labelValueLengthLimit: 0,
  validationScheme: job.metricNameValidationScheme,
  bucketLimit: 0,
  maxSchema: 8,
  startTimestamps: false,
  relabel: (l: Parameters<typeof applyRelabel>[1]) => applyRelabel(program, l),
};

function scrapeOnce(
  cache: ScrapeCache,
  batch: SampleBatch,
): { ms: number; cpuMs: number; compactMs: number; samples: number } {
  const counts: AppendCounts = {
    total: 0,
    added: 0,
    seriesAdded: 0,
    duplicates: 0,
    outOfBounds: 0,
  };
  batch.clear();
  cache.beginScrape();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  appendSamples(
    createParser('prometheus-text', body),
    Date.now(),
    opts,
    cache,
    batch,
    new TrackedSeries(),
    counts,
  );
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  cache.endScrape(true, false);
  // What the scrape engine does once the unit is delivered: new series keep only their keys.
  // Timed on its own: it is not on the scrape's way to delivery.
  const c0 = performance.now();
  cache.compactNew();
  const compactMs = performance.now() - c0;
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, compactMs, samples: counts.total };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const cold: number[] = [];
const coldCpu: number[] = [];
const coldCompact: number[] = [];
let samples = 0;
/** A first scrape into a fresh cache (in a function, so no register of the loop keeps it). */
const coldScrape = () => scrapeOnce(new ScrapeCache(), new SampleBatch());
for (let i = 0; i < coldRounds; i++) {
  const r = coldScrape();
  cold.push(r.ms);
  coldCpu.push(r.cpuMs);
  coldCompact.push(r.compactMs);
  samples = r.samples;
}
// With --expose-gc: the heap one cached scrape keeps (what every cold scrape has to allocate
// and the young-generation GC has to copy).
const gc = (globalThis as { gc?: () => void }).gc;
const retainedBytes = gc === undefined ? undefined : measureRetained(gc);
function measureRetained(gc: () => void): number {
  const keep = new ScrapeCache();
  gc();
  const before = process.memoryUsage().heapUsed;
  scrapeOnce(keep, new SampleBatch());
  gc();
  const bytes = process.memoryUsage().heapUsed - before;
  if (keep.size !== samples) throw new Error(`cached ${keep.size} of ${samples} series`);
  return bytes;
}

const cache = new ScrapeCache();
const batch = new SampleBatch();
const warm: number[] = [];
let cpuSecondsPerMillion = 0;
if (rounds > 0) {
  scrapeOnce(cache, batch);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < rounds; i++) warm.push(scrapeOnce(cache, batch).ms);
  const cpu = process.cpuUsage(cpu0);
  cpuSecondsPerMillion = (cpu.user + cpu.system) / 1e6 / ((samples * rounds) / 1e6);
}

const peakRssMiB = process.resourceUsage().maxRSS / 1024;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
process.stdout.write(
  [
    `body: ${series.toLocaleString('en-US')} series, ${(body.length / 1048576).toFixed(1)} MiB, ${samples} samples`,
    `node ${process.version}, ${coldRounds} cold rounds (fresh caches), ${rounds} warm rounds`,
    '',
    '| pass | median ms per scrape | samples/s | ns/sample |',
    '|---|---|---|---|',
    `| cold (first scrape) | ${median(cold).toFixed(1)} | ${fmt((samples / median(cold)) * 1000)} | ${((median(cold) * 1e6) / samples).toFixed(0)} |`,
    ...(rounds > 0
      ? [
          `| warm (cache hits) | ${median(warm).toFixed(1)} | ${fmt((samples / median(warm)) * 1000)} | ${((median(warm) * 1e6) / samples).toFixed(0)} |`,
        ]
      : []),
    '',
    `cold: ${((median(cold) * 100000) / samples).toFixed(0)} ms per 100k series (median of ${coldRounds}; all: ${cold.map((x) => x.toFixed(0)).join(' ')})`,
    `cold CPU: ${((median(coldCpu) * 100000) / samples).toFixed(0)} ms per 100k series (process CPU, GC threads included; all: ${coldCpu.map((x) => x.toFixed(0)).join(' ')})`,
    `cold, then compaction after delivery: ${((median(coldCompact) * 100000) / samples).toFixed(0)} ms per 100k series (once per new series: the cache keeps keys, not label objects)`,
    ...(retainedBytes === undefined
      ? []
      : [
          `cold retained heap: ${(retainedBytes / 1048576).toFixed(1)} MiB, ${(retainedBytes / samples).toFixed(0)} bytes per series`,
        ]),
    ...(rounds > 0
      ? [`warm CPU: ${cpuSecondsPerMillion.toFixed(3)} CPU-s per million samples`]
      : []),
    `peak RSS: ${peakRssMiB.toFixed(0)} MiB (process, including the body${rounds > 0 ? ` and ${cache.size.toLocaleString('en-US')} cached series` : ''})`,
    '',
  ].join('\n'),
);

/**
 * In-process A/B of warm-path stages between two builds, on the shared 100,000-series target:
 * both builds' modules are loaded into one process and run alternately, round by round, so the
 * machine's other load hits both alike (on a shared 2-core machine whole-process figures move by
 * ±20 % from run to run; per-round ratios here move by a few %).
 *
 *   npm run build   # this checkout's dist/ is B
 *   node bench/warm-ab.mjs --a OLD_CHECKOUT_OR_COPY [--rounds 40] STAGE…
 *
 * `--a` is a directory holding another build's `dist/` (a copy made before a change, say).
 * Stages:
 * - `encode`  WriteRequestEncoder.encodeSamples, 2000 samples per request: ns/sample and JS heap
 *             growth per 100k samples; checks both builds write the same bytes.
 * - `snappy`  snappyCompress of the 51 requests of one scrape: ns/sample, bytes/sample.
 * - `cache`   one warm scrape's ScrapeCache work: 100k lookups (all hits), markSeen, endScrape.
 * - `gunzip`  fetch's gunzip is not exported: compares zlib gunzip with default chunks and with one
 *             chunk of the trailer's size (the two ways), CPU including the thread pool.
 * Each prints medians and the median of the per-round B/A ratios.
 */

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzipSync } from 'node:zlib';
import { ensureBigTarget, REPO_ROOT } from './lib/target-server.mjs';

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
}
const A_ROOT = arg('a', undefined);
const ROUNDS = Number(arg('rounds', 40));
const WARMUP = 4;
const STAGES = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
if (STAGES.length === 0) {
  console.error('usage: node bench/warm-ab.mjs --a DIR [--rounds N] encode|snappy|cache|gunzip…');
  process.exit(2);
}
const distA = A_ROOT === undefined ? undefined : join(resolve(A_ROOT), 'dist');
const distB = join(REPO_ROOT, 'dist');
const load = async (dist, mod) => import(join(dist, 'src', mod));

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
/** Runs `fa` and `fb` alternately ROUNDS times; each returns a figure (lower is better). */
function alternate(fa, fb) {
  const A = [];
  const B = [];
  for (let r = 0; r < ROUNDS + WARMUP; r++) {
    for (const w of r % 2 ? ['A', 'B'] : ['B', 'A']) {
      const x = w === 'A' ? fa(r) : fb(r);
      if (r >= WARMUP) (w === 'A' ? A : B).push(x);
    }
  }
  return { A, B, ratio: median(A.map((a, i) => B[i] / a)) };
}
const fmt = ({ A, B, ratio }, unit) =>
  `A median ${median(A).toFixed(1)} min ${Math.min(...A).toFixed(1)} | B median ${median(B).toFixed(1)} min ${Math.min(...B).toFixed(1)} ${unit} | B/A per-round median ${ratio.toFixed(3)}`;

/** The target's series as sorted label sets (plus job and instance), and their values. */
function loadSeries() {
  const labelSets = [];
  const values = [];
  for (const line of readFileSync(ensureBigTarget(), 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const close = line.lastIndexOf('}');
    const labels = [
      { name: '__name__', value: line.slice(0, brace) },
      { name: 'instance', value: '127.0.0.1:19100' },
      { name: 'job', value: 'big' },
    ];
    for (const m of line.slice(brace + 1, close).matchAll(/([a-zA-Z_]\w*)="([^"]*)"/g)) {
      labels.push({ name: m[1], value: m[2] });
    }
    labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    labelSets.push(labels);
    values.push(Number(line.slice(close + 2)));
  }
  return { labelSets, values };
}

async function encodeStage() {
  const [ma, mb] = [
    await load(distA, 'remotewrite/encode.js'),
    await load(distB, 'remotewrite/encode.js'),
  ];
  const { labelSets, values: vals } = loadSeries();
  const enc = labelSets.map((l) => mb.encodeLabels(l));
  const n = enc.length;
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const cols = {
    timestamps: new Float64Array(n).fill(1.7e12 + 15_000),
    values: Float64Array.from(vals, (v, i) => v + (i % 7)),
    stale: new Uint8Array(n),
  };
  const [ea, eb] = [new ma.WriteRequestEncoder(), new mb.WriteRequestEncoder()];
  for (let f = 0; f < n; f += 2000) {
    const a = ea.encodeSamples(enc, rows, f, Math.min(f + 2000, n), cols).slice();
    const b = eb.encodeSamples(enc, rows, f, Math.min(f + 2000, n), cols);
    if (Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0)
      throw new Error('encode: bytes differ');
  }
  const heap = { A: [], B: [] };
  const run = (e, w) => () => {
    const h0 = process.memoryUsage().heapUsed;
    const t = process.hrtime.bigint();
    for (let f = 0; f < n; f += 2000) e.encodeSamples(enc, rows, f, Math.min(f + 2000, n), cols);
    const ns = Number(process.hrtime.bigint() - t) / n;
    heap[w].push(process.memoryUsage().heapUsed - h0);
    return ns;
  };
  const res = alternate(run(ea, 'A'), run(eb, 'B'));
  console.log(`encode: ${fmt(res, 'ns/sample')}`);
  console.log(
    `  JS heap growth per 100k samples, median: A ${(median(heap.A) / 1e6).toFixed(2)} MB, B ${(median(heap.B) / 1e6).toFixed(2)} MB`,
  );
}

async function snappyStage() {
  const [sa, sb] = [
    await load(distA, 'remotewrite/snappy.js'),
    await load(distB, 'remotewrite/snappy.js'),
  ];
  const mb = await load(distB, 'remotewrite/encode.js');
  const { labelSets, values: vals } = loadSeries();
  const enc = labelSets.map((l) => mb.encodeLabels(l));
  const n = enc.length;
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const cols = {
    timestamps: new Float64Array(n).fill(1.7e12 + 15_000),
    values: Float64Array.from(vals, (v, i) => v + (i % 7)),
    stale: new Uint8Array(n),
  };
  const e = new mb.WriteRequestEncoder();
  const bodies = [];
  for (let f = 0; f < n; f += 2000) {
    bodies.push(e.encodeSamples(enc, rows, f, Math.min(f + 2000, n), cols).slice());
  }
  const bytes = { A: 0, B: 0 };
  const run = (m, w) => () => {
    const t = process.hrtime.bigint();
    let b = 0;
    for (const body of bodies) b += m.snappyCompress(body).length;
    bytes[w] = b / n;
    return Number(process.hrtime.bigint() - t) / n;
  };
  for (const body of bodies) {
    const back = sb.snappyDecompress(sb.snappyCompress(body));
    if (Buffer.compare(Buffer.from(back), Buffer.from(body)) !== 0)
      throw new Error('snappy: round trip');
  }
  const res = alternate(run(sa, 'A'), run(sb, 'B'));
  console.log(
    `snappy: ${fmt(res, 'ns/sample')}; bytes/sample A ${bytes.A.toFixed(2)} B ${bytes.B.toFixed(2)}`,
  );
}

async function cacheStage() {
  const [ma, mb] = [await load(distA, 'scrape/cache.js'), await load(distB, 'scrape/cache.js')];
  const N = 100_000;
  const texts = Array.from({ length: N }, (_, i) => `metric_${i % 97}{a="${i}",b="x${i * 7}"}`);
  const setup = (m) => {
    const c = new m.ScrapeCache();
    c.beginScrape();
    for (const t of texts) {
      c.lookup(t);
      c.addSeries(t, { labels: [] });
    }
    c.endScrape(true, false);
    return c;
  };
  const heap = { A: [], B: [] };
  const run = (c, w) => () => {
    const h0 = process.memoryUsage().heapUsed;
    const t = process.hrtime.bigint();
    c.beginScrape();
    for (let i = 0; i < N; i++) c.markSeen(c.lookup(texts[i]));
    c.endScrape(true, false);
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    heap[w].push(process.memoryUsage().heapUsed - h0);
    return ms;
  };
  const res = alternate(run(setup(ma), 'A'), run(setup(mb), 'B'));
  console.log(`cache (one warm scrape of 100k texts): ${fmt(res, 'ms')}`);
  console.log(
    `  JS heap growth per scrape, median: A ${(median(heap.A) / 1e6).toFixed(2)} MB, B ${(median(heap.B) / 1e6).toFixed(2)} MB`,
  );
}

async function gunzipStage() {
  const g = promisify(gunzip);
  const raw = gzipSync(readFileSync(ensureBigTarget()), { level: 6 });
  const n = raw.length;
  const isize = raw.readUInt32LE(n - 4);
  const A = [];
  const B = [];
  for (let r = 0; r < ROUNDS + WARMUP; r++) {
    for (const w of r % 2 ? ['A', 'B'] : ['B', 'A']) {
      const c0 = process.cpuUsage();
      const out = w === 'A' ? await g(raw) : await g(raw, { chunkSize: isize + 64 });
      const c = process.cpuUsage(c0);
      if (out.length !== isize) throw new Error('gunzip: length');
      if (r >= WARMUP) (w === 'A' ? A : B).push((c.user + c.system) / 1000);
    }
  }
  const res = { A, B, ratio: median(A.map((a, i) => B[i] / a)) };
  console.log(`gunzip (A default 16 KiB chunks, B one chunk of ISIZE): ${fmt(res, 'ms CPU')}`);
}

const stages = { encode: encodeStage, snappy: snappyStage, cache: cacheStage, gunzip: gunzipStage };
for (const s of STAGES) {
  if (!(s in stages)) throw new Error(`unknown stage ${s}`);
  if (s !== 'gunzip' && distA === undefined) throw new Error(`${s} needs --a DIR (a build's root)`);
  await stages[s]();
}

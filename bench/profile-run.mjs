/**
 * CPU profile and CPU cost of warm scrapes of `lambdascrape run`: the shared 100,000-series
 * target scraped every `--interval` s, remote write to a discarding receiver (no decoding).
 *
 *   node bench/profile-run.mjs [--root 'DIR [NODE_FLAG…]']… [--rounds R] [--skip 3] [--scrapes 8]
 *                              [--interval 2] [--top 25] [--trace-gc] [--heap] [--out DIR]
 *
 * Per run: start the built CLI (`DIR/bin/lambdascrape.js`, default this checkout; run
 * `npm run build` first) with `bench/lib/warm-profiler.mjs` preloaded, let `--skip` scrapes pass
 * (the first is cold: series cache and encoded labels are built), then profile exactly
 * `--scrapes` scrape intervals, starting at a scrape request. Reports for that window the
 * process's CPU ms per scrape (/proc utime + stime), GC pauses from `--trace-gc` when asked,
 * and the profile's self time summed by function as % of busy (non-idle) samples. `--heap` adds
 * what the JS heap allocated in the window (sampling heap profiler, garbage included) by
 * function; ArrayBuffer contents (typed arrays, Buffers) live outside the JS heap and are not in it.
 *
 * Several `--root`s are run alternately, `--rounds` times each (A/B on a noisy machine): the
 * summary gives the median CPU ms per scrape of each. Profiles are kept in `--out`
 * (default .bench-tmp/profile-run/).
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDiscardReceiver } from './lib/discard-receiver.mjs';
import { clockTicks, readStat } from './lib/proc.mjs';
import { BENCH_TMP, ensureBigTarget, REPO_ROOT, startTargetServer } from './lib/target-server.mjs';

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
}
const roots = [];
for (let i = 0; i < process.argv.length; i++) {
  if (process.argv[i] === '--root') roots.push(process.argv[i + 1]);
}
if (roots.length === 0) roots.push(REPO_ROOT);
const ROUNDS = Number(arg('rounds', 1));
const SKIP = Number(arg('skip', 3));
const SCRAPES = Number(arg('scrapes', 8));
const INTERVAL = Number(arg('interval', 2));
const TOP = Number(arg('top', 25));
const TRACE_GC = process.argv.includes('--trace-gc');
const HEAP = process.argv.includes('--heap');
const OUT = resolve(arg('out', join(BENCH_TMP, 'profile-run')));
const PRELOAD = join(REPO_ROOT, 'bench', 'lib', 'warm-profiler.mjs');

function cpuTicks(pid) {
  const st = readStat(pid);
  if (!st) return Number.NaN;
  return st.utime + st.stime;
}

/** Self time (µs) by function, and busy total, from a .cpuprofile. */
function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const f = node.callFrame;
    if (f.functionName === '(idle)') continue;
    busy += dt;
    const key =
      f.url === ''
        ? f.functionName || '(anonymous)'
        : `${f.functionName || '(anonymous)'} ${basename(f.url)}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  return { busy, self };
}

/** Bytes allocated (sampled, garbage included) by function, from a .heapprofile. */
function summarizeHeap(heap) {
  const self = new Map();
  let total = 0;
  const walk = (node, parentKey) => {
    const f = node.callFrame;
    let key =
      f.url === ''
        ? f.functionName || '(anonymous)'
        : `${f.functionName || '(anonymous)'} ${basename(f.url)}:${f.lineNumber + 1}`;
    // Node's own helpers (Buffer, streams) are charged to their caller too, to show who asked.
    if (parentKey && (f.url.startsWith('node:') || f.url === '')) key = `${key} < ${parentKey}`;
    const bytes = node.selfSize;
    total += bytes;
    if (bytes > 0) self.set(key, (self.get(key) ?? 0) + bytes);
    for (const c of node.children)
      walk(c, f.url.startsWith('node:') || f.url === '' ? parentKey : key);
  };
  walk(heap.head, '');
  return { total, self };
}

/** A `--root` is a checkout, optionally followed by node flags: `--root 'DIR --no-memory-reducer'`. */
function splitRoot(spec) {
  const [dir, ...nodeArgs] = spec.split(' ').filter(Boolean);
  return { dir: resolve(dir), nodeArgs };
}

async function runOnce(spec, target, receiver, tag) {
  const { dir: root, nodeArgs } = splitRoot(spec);
  const dir = join(OUT, tag);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    `global:
  scrape_interval: ${INTERVAL}s
  scrape_timeout: ${INTERVAL}s
scrape_configs:
  - job_name: big
    static_configs:
      - targets: ['127.0.0.1:${target.port}']
remote_write:
  - url: ${receiver.url}
`,
  );
  const profFile = join(dir, 'warm.cpuprofile');
  const args = [...nodeArgs, '--import', PRELOAD];
  if (TRACE_GC) args.push('--trace-gc');
  args.push(
    join(root, 'bin', 'lambdascrape.js'),
    'run',
    '--config',
    config,
    '--listen',
    '127.0.0.1:0',
  );
  const child = spawn(process.execPath, args, {
    env: { ...process.env, WARM_PROF_OUT: profFile, ...(HEAP ? { WARM_PROF_HEAP: '1' } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  try {
    for (let i = 0; i < SKIP; i++) await target.nextScrape(30_000);
    // Profile from a scrape request to the request SCRAPES intervals later.
    await target.nextScrape(30_000);
    child.kill('SIGUSR2');
    const gcFrom = stdout.length;
    const t0 = cpuTicks(child.pid);
    const r0 = receiver.counts();
    for (let i = 0; i < SCRAPES; i++) await target.nextScrape(30_000);
    const t1 = cpuTicks(child.pid);
    const r1 = receiver.counts();
    const gcText = stdout.slice(gcFrom);
    child.kill('SIGUSR2');
    for (let i = 0; i < 200 && !existsSync(`${profFile}.done`); i++) await sleep(50);
    const profile = JSON.parse(readFileSync(profFile, 'utf8'));
    const cpuMsPerScrape = (((t1 - t0) / clockTicks()) * 1000) / SCRAPES;
    let gcMs = 0;
    let gcEvents = 0;
    let scavenges = 0;
    for (const line of gcText.split('\n')) {
      const m =
        /(Scavenge|Mark-Compact|Mark-sweep|Minor Mark-Sweep)[^,]*,\s*([\d.]+)\s*\/\s*([\d.]+)\s*ms/.exec(
          line,
        );
      if (!m) continue;
      gcEvents++;
      if (m[1] === 'Scavenge') scavenges++;
      gcMs += Number(m[2]);
    }
    return {
      root: spec,
      cpuMsPerScrape,
      requestsPerScrape: (r1.requests - r0.requests) / SCRAPES,
      bytesPerScrape: (r1.bytes - r0.bytes) / SCRAPES,
      gc: TRACE_GC
        ? { events: gcEvents / SCRAPES, scavenges: scavenges / SCRAPES, ms: gcMs / SCRAPES }
        : null,
      summary: summarize(profile),
      heap: HEAP
        ? summarizeHeap(JSON.parse(readFileSync(`${profFile}.heapprofile`, 'utf8')))
        : null,
    };
  } catch (err) {
    process.stderr.write(stderr.slice(-4000));
    throw err;
  } finally {
    child.kill('SIGTERM');
    await new Promise((ok) => {
      if (child.exitCode !== null) ok();
      else child.once('exit', ok);
      setTimeout(() => {
        child.kill('SIGKILL');
        ok();
      }, 10_000).unref();
    });
  }
}

function printRun(r) {
  const { busy, self } = r.summary;
  const gc = r.gc
    ? `, GC ${r.gc.events.toFixed(1)} events (${r.gc.scavenges.toFixed(1)} scavenges) ${r.gc.ms.toFixed(1)} ms`
    : '';
  console.log(
    `${r.root}: CPU ${r.cpuMsPerScrape.toFixed(0)} ms/scrape, ${r.requestsPerScrape.toFixed(1)} requests/scrape, ${(r.bytesPerScrape / 1e6).toFixed(2)} MB/scrape${gc}; profile busy ${(busy / 1000 / SCRAPES).toFixed(0)} ms/scrape`,
  );
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP);
  for (const [k, us] of rows) {
    console.log(
      `  ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / 1000 / SCRAPES).toFixed(1).padStart(6)} ms/scrape  ${k}`,
    );
  }
  if (r.heap) {
    const { total, self: bytes } = r.heap;
    console.log(
      `  allocated on the JS heap (sampled, garbage included): ${(total / 1e6 / SCRAPES).toFixed(1)} MB/scrape`,
    );
    for (const [k, b] of [...bytes.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
      console.log(
        `  ${((100 * b) / total).toFixed(1).padStart(5)}%  ${(b / 1e6 / SCRAPES).toFixed(2).padStart(6)} MB/scrape  ${k}`,
      );
    }
  }
}

const target = await startTargetServer({ file: ensureBigTarget({ series: 100_000 }) });
const receiver = await startDiscardReceiver({ decode: false });
const results = new Map(roots.map((r) => [r, []]));
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < roots.length; k++) {
      const r = await runOnce(roots[k], target, receiver, `r${round}-${k}`);
      results.get(roots[k]).push(r);
      printRun(r);
    }
  }
} finally {
  await target.close();
  await receiver.close();
}
if (ROUNDS > 1 || roots.length > 1) {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log('summary: median CPU ms/scrape (all runs)');
  for (const [root, rs] of results) {
    const xs = rs.map((r) => r.cpuMsPerScrape);
    const gc = rs[0].gc ? `, GC ms/scrape ${median(rs.map((r) => r.gc.ms)).toFixed(1)}` : '';
    console.log(
      `  ${root}: ${median(xs).toFixed(0)}  [${xs.map((x) => x.toFixed(0)).join(' ')}]${gc}`,
    );
  }
}

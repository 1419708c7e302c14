/**
 * Scrape-start lateness under `lambdascrape simulate`: the whole serverless
 * path on one machine — dynalite, fauxqs, the four handlers on one runtime, on the real clock,
 * with one-minute windows and cron-aligned discovery/dispatch runs (src/cli/simulate.ts) —
 * against M small local targets at mixed intervals, remote-writing to a discarding receiver.
 *
 *   AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true \
 *     npx tsx bench/simulate-lateness.ts [--minutes 3] [--targets 200]
 *
 * Everything runs in this process: the targets (one `node:http` server each, ~12 series per
 * body), the receiver (bench/lib/discard-receiver.mjs, counting only), the stand-ins and the
 * simulation. Targets are split evenly over three jobs with scrape_interval 15s, 30s and 60s.
 *
 * Measured from the simulation's own logs (a capturing logger, nothing added to the code):
 * the handler's one `scrape` line per target gives `latenessMs` (scrape start − slot on the
 * worker's clock; negative = started early, within the worker's start tolerance of 50 ms) and
 * `waitedMs` (time that target waited for its slot: billed idle time), and `outcome: 'late'`
 * for a target dropped as late. Figures cover every scrape from start to stop, so the first
 * window — planned at least 10 s ahead of the first dispatch, i.e. starting at the first minute
 * boundary ≥ 10 s after start — comes after a warm-up with no scrapes.
 *
 * "Within 50 ms" is the share of scrapes with lateness ≤ 50 ms (early starts included).
 * Lateness here includes everything a deployment has: SQS delivery (fauxqs long polling), the
 * wait for the slot, the state read before scraping; plus what a real deployment would not have:
 * all of it sharing this process's event loop and the machine's two cores with the targets, the
 * receiver and the stand-ins.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulation } from '../src/cli/simulate.js';
import { createLogger } from '../src/log/logger.js';
// @ts-expect-error: plain ESM JavaScript helper without types
import { startDiscardReceiver } from './lib/discard-receiver.mjs';

interface ReceiverCounts {
  requests: number;
  bytes: number;
  samples: number;
}

interface DiscardReceiver {
  readonly url: string;
  counts(): ReceiverCounts;
  close(): Promise<void>;
}

interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    targets: { type: 'string', default: '200' },
  },
});
const minutes = Number(values.minutes);
const targetCount = Number(values.targets);
if (!(minutes > 0) || !(Number.isSafeInteger(targetCount) && targetCount >= 3)) {
  throw new Error('--minutes must be > 0 and --targets a whole number ≥ 3');
}

const JOBS = [
  { name: 'bench-15s', interval: '15s' },
  { name: 'bench-30s', interval: '30s' },
  { name: 'bench-60s', interval: '60s' },
] as const;

function body(i: number): string {
  let text = '# TYPE bench_requests_total counter\n';
  for (const code of ['200', '404', '500']) {
    for (const method of ['GET', 'POST']) {
      text += `bench_requests_total{code="${code}",method="${method}"} ${i * 7 + code.length}\n`;
    }
  }
  text += '# TYPE bench_temperature gauge\n';
  for (let s = 0; s < 6; s++) text += `bench_temperature{sensor="${s}"} ${20 + s + i / 1000}\n`;
  return text;
}

async function startTargets(n: number): Promise<{ servers: Server[]; addresses: string[] }> {
  const servers: Server[] = [];
  const addresses: string[] = [];
  for (let i = 0; i < n; i++) {
    const text = body(i);
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(text);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    addresses.push(`127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  return { servers, addresses };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

function summary(valuesMs: readonly number[]) {
  const s = [...valuesMs].sort((a, b) => a - b);
  return {
    count: s.length,
    min: s[0] ?? Number.NaN,
    p50: quantile(s, 0.5),
    p90: quantile(s, 0.9),
    p99: quantile(s, 0.99),
    max: s[s.length - 1] ?? Number.NaN,
    within50: s.length === 0 ? Number.NaN : s.filter((v) => v <= 50).length / s.length,
  };
}

const dir = await mkdtemp(join(tmpdir(), 'ls-simulate-lateness-'));
const { servers, addresses } = await startTargets(targetCount);
const receiver = (await startDiscardReceiver({ decode: true })) as DiscardReceiver;
const configPath = join(dir, 'prometheus.yml');
const lines: string[] = ['global: { scrape_timeout: 5s }', 'scrape_configs:'];
JOBS.forEach((job, j) => {
  const mine = addresses.filter((_, i) => i % JOBS.length === j);
  lines.push(
    `  - job_name: ${job.name}`,
    `    scrape_interval: ${job.interval}`,
    `    static_configs: [{ targets: [${mine.map((a) => `"${a}"`).join(', ')}] }]`,
  );
});
lines.push('remote_write:', `  - url: ${receiver.url}`, '');
await writeFile(configPath, lines.join('\n'));

const scrapes: LogLine[] = [];
const problems = new Map<string, number>();
let dispatches = 0;
let dispatchesSkipped = 0;
let emfLines = 0;
const logger = createLogger({
  format: 'json',
  level: 'debug',
  write: (text) => {
    const l = JSON.parse(text) as LogLine;
    if (l.msg === 'scrape') scrapes.push(l);
    else if (l.msg === 'dispatch done') {
      if (l.skipped === undefined) dispatches++;
      else dispatchesSkipped++;
    }
    if (l.level === 'warn' || l.level === 'error') {
      const key = `${l.level}: ${l.msg}`;
      problems.set(key, (problems.get(key) ?? 0) + 1);
    }
  },
});

const startedMs = Date.now();
const sim = await startSimulation({
  configPath,
  logger,
  configEnv: {},
  writeEmf: () => {
    emfLines++;
  },
});
process.stderr.write(
  `simulating ${targetCount} targets (${JOBS.map((j) => j.interval).join('/')}) for ${minutes} min…\n`,
);
await new Promise((r) => setTimeout(r, minutes * 60_000));
await sim.stop();
const elapsedS = (Date.now() - startedMs) / 1000;
const counts = receiver.counts();
await receiver.close();
for (const s of servers) {
  s.closeAllConnections();
  await new Promise<void>((r) => s.close(() => r()));
}
await rm(dir, { recursive: true, force: true });

const scraped = scrapes.filter((l) => l.outcome === 'scraped');
const late = scrapes.filter((l) => l.outcome === 'late').length;
const down = scraped.filter((l) => l.up !== true).length;
const lateness = summary(scraped.map((l) => Number(l.latenessMs)));
const waited = summary(scraped.map((l) => Number(l.waitedMs)));
const fmt = (v: number) => (Number.isFinite(v) ? String(Math.round(v)) : '–');
const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : '–');

console.log(
  `\n${targetCount} targets (15s/30s/60s), ${minutes} min (${elapsedS.toFixed(0)} s), ` +
    `Node ${process.version}\n`,
);
console.log('| ms | count | min | p50 | p90 | p99 | max | ≤ 50 ms |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [name, s] of [
  ['lateness (start − slot)', lateness],
  ['waited for the slot', waited],
] as const) {
  console.log(
    `| ${name} | ${s.count} | ${fmt(s.min)} | ${fmt(s.p50)} | ${fmt(s.p90)} | ${fmt(s.p99)} | ` +
      `${fmt(s.max)} | ${pct(s.within50)} |`,
  );
}
console.log('\nper job (lateness, ms):');
for (const job of JOBS) {
  const s = summary(scraped.filter((l) => l.job === job.name).map((l) => Number(l.latenessMs)));
  console.log(
    `  ${job.name}: ${s.count} scrapes, p50 ${fmt(s.p50)}, p99 ${fmt(s.p99)}, max ${fmt(s.max)}`,
  );
}
console.log(
  `\nlate drops: ${late}; scrapes down: ${down}; windows planned: ${dispatches}, ` +
    `dispatches that found their window planned: ${dispatchesSkipped}; EMF lines: ${emfLines}; ` +
    `remote write: ${counts.requests} requests, ${counts.samples} samples`,
);
if (problems.size > 0) {
  console.log('warn/error lines:');
  for (const [k, n] of [...problems].sort((a, b) => b[1] - a[1])) console.log(`  ${n} × ${k}`);
}
console.log(
  `\n${JSON.stringify({ targets: targetCount, minutes, lateness, waited, late, down, dispatches, dispatchesSkipped })}`,
);

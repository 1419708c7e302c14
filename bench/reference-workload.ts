/**
 * The monthly AWS bill of the reference workload — 500 targets × 1,000 series every 30 s, 1% of
 * scrapes changing their series set — measured under `lambdascrape simulate` and priced by its
 * cost report (src/serverless/cost.ts), then the same for an idle deployment (no targets).
 *
 *   AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true \
 *     npx tsx bench/reference-workload.ts [--duration 2m] [--targets 250 --interval 15s]
 *       [--idle-duration 2m] [--outage 2m] [--price key=value]… [--memory function=MB]…
 *
 * By default it runs 250 targets every 15 s: the same scrape rate (16.7 scrapes a second) as
 * 500 every 30 s, so twice the scrapes per minute of wall time at the same cost per scrape.
 * With `--outage D`, the receiver then answers 503 to everything for D, and the same
 * deployment's cost during that outage is reported apart (billed scraper time per scrape,
 * parked writes, late drops): what an outage costs and what it does to the schedule.
 * Whatever is run, the report is extrapolated to the reference rate (500 / 30 s): the scraper
 * and the outbox per scrape, the minute schedules per invocation (cost.ts).
 *
 * All on 127.0.0.1. In a child process, so their work is not timed as the functions' (on
 * Lambda the targets are other hosts): the targets (one `node:http` server each, a fixed body of
 * 1,000 series; on every 100th request, staggered across targets, 10 series get a new value of
 * a `generation` label, so 1% of scrapes change the series set) and a remote-write receiver
 * that discards (bench/lib/discard-receiver.mjs). In this process: the DynamoDB and SQS
 * stand-ins and the simulation. The measured period starts once every target has been scraped once (simulate's
 * warm-up: the first window comes at the first whole minute at least 10 s after start), so
 * the run takes up to ~70 s longer than `--duration`. All functions share one process with
 * the stand-ins (whose work while a function awaits them is timed as the function's), and the
 * machine's two cores with the targets: billed times are upper bounds of what Lambda would bill.
 */

import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startSimulation } from '../src/cli/simulate.js';
import { SimulationMeter } from '../src/cli/simulate-meter.js';
import { parseDuration } from '../src/config/index.js';
import { createLogger } from '../src/log/logger.js';
import {
  type CostModelOptions,
  type CostReport,
  DEFAULT_COST_MODEL,
  formatCostReport,
  parseMemory,
  parsePrices,
} from '../src/serverless/cost.js';
// @ts-expect-error: plain ESM JavaScript helper without types
import { startDiscardReceiver } from './lib/discard-receiver.mjs';

/** The reference workload's scrape rate: 500 targets every 30 s. */
const REFERENCE_SCRAPES_PER_SECOND = 500 / 30;
const SERIES_PER_TARGET = 1_000;
const CHANGING_SERIES = 10;
/** One request in this many changes the series set. */
const CHANGE_EVERY = 100;

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '2m' },
    'idle-duration': { type: 'string', default: '2m' },
    targets: { type: 'string', default: '250' },
    interval: { type: 'string', default: '15s' },
    price: { type: 'string', multiple: true },
    memory: { type: 'string', multiple: true },
    outage: { type: 'string' },
    'serve-targets': { type: 'string' },
  },
});
const durationMs = parseDuration(values.duration);
const idleDurationMs = parseDuration(values['idle-duration']);
const intervalMs = parseDuration(values.interval);
const targetCount = Number(values.targets);
if (!Number.isSafeInteger(targetCount) || targetCount < 1 || targetCount > 2_000) {
  throw new Error('--targets must be a whole number from 1 to 2000');
}
if (durationMs > 30 * 60_000 || idleDurationMs > 30 * 60_000) {
  throw new Error('--duration and --idle-duration are at most 30m');
}
const model: CostModelOptions = {
  ...DEFAULT_COST_MODEL,
  prices: parsePrices(values.price ?? []),
  memoryMb: parseMemory(values.memory ?? []),
};

interface DiscardReceiver {
  readonly url: string;
  counts(): { requests: number; bytes: number };
  setDown(on: boolean): void;
  refused(): number;
  close(): Promise<void>;
}

/** A body of 1,000 series: 20 families × 50; the last 10 carry the target's generation. */
function body(target: number, generation: number): string {
  const lines: string[] = [];
  for (let f = 0; f < SERIES_PER_TARGET / 50; f++) {
    lines.push(`# TYPE bench_family_${f}_total counter`);
    for (let s = 0; s < 50; s++) {
      const n = f * 50 + s;
      const gen = n >= SERIES_PER_TARGET - CHANGING_SERIES ? `,generation="${generation}"` : '';
      lines.push(
        `bench_family_${f}_total{path="/api/v1/resource/${s}",code="${200 + (s % 5)}"${gen}} ${target * 1_000 + n}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The child's side: targets and receiver, addresses to the parent, counts when asked. */
async function serveTargets(n: number): Promise<void> {
  const receiver = (await startDiscardReceiver({ decode: false })) as DiscardReceiver;
  const { addresses } = await startTargets(n);
  process.on('message', (m) => {
    if (m === 'down' || m === 'up') receiver.setDown(m === 'down');
    if (m === 'counts') {
      const counts = { ...receiver.counts(), refused: receiver.refused() };
      process.send?.({ counts }, () => process.exit(0));
    }
  });
  process.send?.({ addresses, receiverUrl: receiver.url });
}

/** Targets and receiver in a child process (see the file comment). */
async function startTargetProcess(n: number): Promise<{
  addresses: string[];
  receiverUrl: string;
  /** Puts the receiver down (503 to everything) or back up. */
  setDown(on: boolean): void;
  stop(): Promise<{ requests: number; bytes: number; refused: number }>;
}> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve-targets', String(n)], {
    execArgv: ['--import', 'tsx'],
  });
  const ready = await new Promise<{ addresses: string[]; receiverUrl: string }>(
    (resolve, reject) => {
      child.once('message', (m) => resolve(m as { addresses: string[]; receiverUrl: string }));
      child.once('exit', (code) => reject(new Error(`target process exited with ${code}`)));
    },
  );
  return {
    ...ready,
    setDown: (on) => child.send(on ? 'down' : 'up'),
    stop: () =>
      new Promise((resolve) => {
        child.once('message', (m) =>
          resolve((m as { counts: { requests: number; bytes: number; refused: number } }).counts),
        );
        child.send('counts');
      }),
  };
}

async function startTargets(n: number): Promise<{ servers: Server[]; addresses: string[] }> {
  const servers: Server[] = [];
  const addresses: string[] = [];
  for (let i = 0; i < n; i++) {
    // Staggered, so the changing scrapes are spread over the targets and over time.
    let requests = i % CHANGE_EVERY;
    let generation = 0;
    let text = body(i, generation);
    const server = createServer((_req, res) => {
      if (++requests % CHANGE_EVERY === 0) text = body(i, ++generation);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(text);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    addresses.push(`127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  return { servers, addresses };
}

/** One simulation of `config` measured for `measureMs` after its warm-up. */
/** A backend outage measured right after the normal period, in the same simulation. */
interface OutagePlan {
  readonly durationMs: number;
  setDown(on: boolean): void;
}

async function measure(
  label: string,
  config: string,
  measureMs: number,
  scrapesPerSecond?: number,
  outage?: OutagePlan,
): Promise<{
  report: CostReport;
  problems: Map<string, number>;
  outage?: { report: CostReport; problems: Map<string, number> };
}> {
  const dir = await mkdtemp(join(tmpdir(), 'ls-reference-workload-'));
  const configPath = join(dir, 'prometheus.yml');
  await writeFile(configPath, config);
  const meter = new SimulationMeter();
  let problems = new Map<string, number>();
  const logger = createLogger({
    format: 'json',
    write: (line) => {
      meter.logLine(line);
      if (line.includes('"level":"warn"') || line.includes('"level":"error"')) {
        const msg = (JSON.parse(line) as { level: string; msg: string }).msg;
        problems.set(msg, (problems.get(msg) ?? 0) + 1);
      }
    },
  });
  const sim = await startSimulation({
    configPath,
    logger,
    configEnv: {},
    writeEmf: () => {},
    meter,
  });
  try {
    const startedMs = Date.now();
    while (!meter.steady) {
      if (Date.now() - startedMs > 150_000) throw new Error(`${label}: no steady period in 150 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
    process.stderr.write(
      `${label}: warm-up ${((Date.now() - startedMs) / 1_000).toFixed(0)} s; measuring ` +
        `${measureMs / 1_000} s…\n`,
    );
    await new Promise((r) => setTimeout(r, measureMs));
    const normal = { report: sim.costReport(model, scrapesPerSecond), problems };
    if (outage === undefined) return normal;
    process.stderr.write(`${label}: backend down for ${outage.durationMs / 1_000} s…\n`);
    problems = new Map();
    meter.startSteady();
    outage.setDown(true);
    try {
      await new Promise((r) => setTimeout(r, outage.durationMs));
      return { ...normal, outage: { report: sim.costReport(model, scrapesPerSecond), problems } };
    } finally {
      outage.setDown(false);
    }
  } finally {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (values['serve-targets'] !== undefined) {
  await serveTargets(Number(values['serve-targets']));
} else {
  await main();
}

async function main(): Promise<void> {
  const targets = await startTargetProcess(targetCount);
  const { addresses } = targets;
  const workload = [
    `global: { scrape_interval: ${values.interval}, scrape_timeout: 5s }`,
    'scrape_configs:',
    '  - job_name: reference',
    `    static_configs: [{ targets: [${addresses.map((a) => `"${a}"`).join(', ')}] }]`,
    'remote_write:',
    `  - url: ${targets.receiverUrl}`,
    '',
  ].join('\n');
  const runRate = (targetCount * 1_000) / intervalMs;
  process.stderr.write(
    `reference workload: ${targetCount} targets × ${SERIES_PER_TARGET} series every ` +
      `${values.interval} (${runRate.toFixed(1)} scrapes/s), extrapolated to 500 every 30 s ` +
      `(${REFERENCE_SCRAPES_PER_SECOND.toFixed(1)} scrapes/s); Node ${process.version}\n`,
  );
  let busy: Awaited<ReturnType<typeof measure>>;
  let received: { requests: number; bytes: number; refused: number };
  try {
    const outage =
      values.outage === undefined
        ? undefined
        : { durationMs: parseDuration(values.outage), setDown: targets.setDown };
    busy = await measure('workload', workload, durationMs, REFERENCE_SCRAPES_PER_SECOND, outage);
  } finally {
    received = await targets.stop();
  }

  const idleConfig = ['scrape_configs:', '  - job_name: none', '    static_configs: []', ''].join(
    '\n',
  );
  const idle = await measure('idle', idleConfig, idleDurationMs);

  console.log(`\n## Reference workload (${targetCount} targets every ${values.interval})\n`);
  console.log(formatCostReport(busy.report));
  console.log(`remote write received: ${received.requests} requests, ${received.bytes} bytes`);
  for (const [msg, n] of busy.problems) console.log(`warn/error: ${n} × ${msg}`);
  if (busy.outage !== undefined) {
    console.log(`\n## The same deployment while the backend answers 503 (${values.outage})\n`);
    console.log(formatCostReport(busy.outage.report));
    console.log(`requests refused by the backend: ${received.refused}`);
    for (const [msg, n] of busy.outage.problems) console.log(`warn/error: ${n} × ${msg}`);
  }
  console.log('\n## Idle (no targets)\n');
  console.log(formatCostReport(idle.report));
  for (const [msg, n] of idle.problems) console.log(`warn/error: ${n} × ${msg}`);
  console.log(
    JSON.stringify({
      targets: targetCount,
      interval: values.interval,
      measuredS: busy.report.durationMs / 1_000,
      scrapes: busy.report.scrapes,
      totalUsd: busy.report.totalUsd,
      byGroup: busy.report.byGroup,
      perScrape: busy.report.perScrape,
      latenessMs: busy.report.latenessMs,
      functions: busy.report.functions,
      idleUsd: idle.report.totalUsd,
      idleByGroup: idle.report.byGroup,
    }),
  );
}

/**
 * One scraper invocation's cost: a task of 50 targets of 1,000 series each,
 * handled by the real `ScrapeWorker` (the code the scraper Lambda runs) with the real
 * DynamoDB state store against dynalite and real remote writers to a discarding receiver.
 *
 *   npx tsx bench/scraper-task.bench.ts [--targets 50] [--series 1000] [--rounds 5]
 *
 * The harness (dynalite, the 50 targets, the receiver) runs in this process; the worker runs in
 * a child process, so the CPU time and the resident memory reported are the worker's alone —
 * what one Lambda container would use. Per task the child reports wall time, CPU time
 * (user + system), peak RSS and heap, DynamoDB read/write units (dynalite's accounting: a client
 * middleware asks every request for `ReturnConsumedCapacity: TOTAL`) and DynamoDB requests.
 *
 * Rounds, each one task at a fresh slot:
 * - `cold`: first task of a new container, no state stored yet (every target writes its state);
 * - `unchanged`: same bodies again (no state write at all);
 * - `after change`: same bodies, the slot after a round that wrote every state (cold or churn):
 *   each stream's own write is in the change log, so its head is read once more;
 * - `churn 1%`: 10 of each target's 1,000 series replaced (a delta write per target);
 * - `queued`: same bodies, every stream held behind a parked unit (a backend outage after its
 *   first round, decision 13): each unit is prepared and parked on a real FIFO outbox (fauxqs,
 *   in the harness process) with a hold for its next slot, instead of being sent.
 * The worker is built as the runtime builds it (state store and change log on one table), and
 * each round is the targets' next slot (every 4 s), so a warm container takes the states it
 * wrote from memory as it would on Lambda. The worker's clock reads the slot when the task
 * starts, so nothing waits: the times are the work, not the scheduling.
 */
import { fork } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbDeliveryBacklog } from '../src/aws/dynamodb-delivery-backlog.js';
import { DynamoDbStateChangeLog } from '../src/aws/dynamodb-state-change-log.js';
import { DynamoDbScrapeStateStore } from '../src/aws/dynamodb-state-store.js';
import { SqsOutbox } from '../src/aws/sqs-outbox.js';
import { loadConfig } from '../src/config/index.js';
import { seriesStreamKey } from '../src/engine/series-stream.js';
import { ScrapeWorker } from '../src/pipeline/scraper.js';
import type { ScrapeTask } from '../src/ports.js';
import { createRemoteWriters } from '../src/remotewrite/from-config.js';
import type { Clock } from '../src/schedule/clock.js';
import { buildTargets } from '../src/targets/index.js';
// @ts-expect-error: plain ESM JavaScript helper without types
import { startDiscardReceiver } from './lib/discard-receiver.mjs';

/** The targets' scrape interval: one round per slot, and a round takes well under it. */
const ROUND_INTERVAL_MS = 4_000;
const TABLE = 'scrape-state';

const { values: args } = parseArgs({
  options: {
    targets: { type: 'string', default: '50' },
    series: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '5' },
    worker: { type: 'boolean', default: false },
  },
});

/** A realistic 1,000-series body: histograms of an HTTP server, `gen` renames 1% of series. */
function body(target: number, series: number, churnGen: number): string {
  const les = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf'];
  const lines = ['# TYPE http_request_duration_seconds histogram'];
  const churned = Math.round(series / 100);
  for (let i = 0; i < series; i++) {
    const handler = `/api/v1/resource${i % 23}`;
    const code = ['200', '404', '500'][(i >> 4) % 3];
    const le = les[i % les.length];
    const pod = i < churned ? `pod-g${churnGen}-${i}` : `pod-${i >> 6}`;
    lines.push(
      `http_request_duration_seconds_bucket{handler="${handler}",code="${code}",pod="${pod}",series="${i}",le="${le}"} ${target * 1000 + i}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

interface TaskReport {
  readonly round: string;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly rssPeakMiB: number;
  readonly heapUsedMiB: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly requests: number;
  readonly scrapes: number;
  readonly up: number;
  readonly samplesSent: number;
  /** Units parked (the queued round parks every one; elsewhere only a slow receiver does). */
  readonly parked: number;
  readonly stateWrites: number;
  readonly stateUnchanged: number;
}

interface WorkerInput {
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly outboxUrl: string;
  readonly receiverUrl: string;
  readonly ports: readonly number[];
  readonly rounds: readonly string[];
}

/** The worker side: one "container", tasks in the order of `rounds`. */
async function runWorker(input: WorkerInput): Promise<void> {
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const client: DynamoDBClient = new DynamoDBClient({
    endpoint: input.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const usage = { read: 0, write: 0, requests: 0 };
  client.middlewareStack.add(
    (next, context) => async (a) => {
      usage.requests++;
      (a.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
      const res = await next(a);
      const cc = (res.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      const list = (Array.isArray(cc) ? cc : cc ? [cc] : []) as { CapacityUnits?: number }[];
      const units = list.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      // dynalite reports total CapacityUnits per table; the command says which kind they are.
      if (/^(Get|BatchGet|Query|Scan)/.test(context.commandName ?? '')) usage.read += units;
      else usage.write += units;
      return res;
    },
    { step: 'initialize', name: 'capacity' },
  );

  const config = loadConfig(
    [
      'global: { scrape_interval: 1m, scrape_timeout: 10s }',
      'scrape_configs:',
      '  - job_name: bench',
      '    static_configs:',
      `      - targets: [${input.ports.map((p) => `"127.0.0.1:${p}"`).join(', ')}]`,
      'remote_write:',
      `  - url: ${input.receiverUrl}`,
    ].join('\n'),
  );
  const job = config.scrapeConfigs[0]!;
  const groups = job.staticConfigs.map((g, i) => ({
    source: `static/${i}`,
    targets: g.targets.map((t) => ({ __address__: t })),
    labels: g.labels,
  }));
  const targets = buildTargets(job, groups, { offsetSeed: 0n }).active;
  if (targets.length !== input.ports.length) throw new Error(`built ${targets.length} targets`);

  let nowShift = 0;
  const clock: Clock = {
    now: () => Date.now() + nowShift,
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
  const sqs = new SQSClient({
    endpoint: input.sqsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const backlog = new DynamoDbDeliveryBacklog(client, TABLE);
  const worker = new ScrapeWorker({
    config,
    states: new DynamoDbScrapeStateStore(client, TABLE),
    changes: new DynamoDbStateChangeLog(client, TABLE),
    backlog,
    outbox: new SqsOutbox(sqs, input.outboxUrl),
    writers: createRemoteWriters(config),
    clock,
  });

  // The container before its first task (modules loaded, clients built): what INIT leaves.
  process.send?.({ kind: 'baseline', rssMiB: process.memoryUsage.rss() / 2 ** 20 });
  let slotMs: number | undefined;
  let previousRound: string | undefined;
  for (const round of input.rounds) {
    process.send?.({ kind: 'round', round });
    await new Promise<void>((resolve) => process.once('message', () => resolve()));
    // Each round is the next slot of the same targets (interval ROUND_INTERVAL_MS, phase at
    // the first slot), on the real clock: the worker sleeps until the slot, unmeasured.
    const slot: number =
      slotMs === undefined
        ? (Math.floor(Date.now() / 1000) + 2) * 1000
        : slotMs + ROUND_INTERVAL_MS;
    slotMs = slot;
    await new Promise((r) => setTimeout(r, Math.max(0, slot - Date.now())));
    nowShift = slot - Date.now();
    const atSlot = targets.map((t) => ({
      ...t,
      intervalMs: ROUND_INTERVAL_MS,
      offsetMs: slot % ROUND_INTERVAL_MS,
    }));
    const task: ScrapeTask = { kind: 'scrape', slotMs: slot, targets: atSlot };
    // Unmeasured: the holds an earlier park left for this slot — set for a queued round; after
    // one, released (as the outbox does once it delivered), so the next round sends directly.
    const name = config.remoteWrite[0]!.name;
    if (round === 'queued') {
      await Promise.all(atSlot.map((t) => backlog.hold(seriesStreamKey(t), slot, name)));
    } else if (previousRound === 'queued') {
      await Promise.all(atSlot.map((t) => backlog.release(seriesStreamKey(t), slot, name)));
    }
    previousRound = round;
    const before = { ...usage };
    let rssPeak = process.memoryUsage.rss();
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    }, 5);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const outcome = await worker.handleTask(task, { deadlineMs: clock.now() + 60_000 });
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    const c = outcome.counters;
    if (c.parkFailed > 0) throw new Error(`round ${round}: ${c.parkFailed} parks failed`);
    const report: TaskReport = {
      round,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      rssPeakMiB: rssPeak / 2 ** 20,
      heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
      readUnits: usage.read - before.read,
      writeUnits: usage.write - before.write,
      requests: usage.requests - before.requests,
      scrapes: c.scrapes,
      up: c.up,
      samplesSent: c.samplesSent,
      parked: c.parked,
      stateWrites: c.stateWrites,
      stateUnchanged: c.stateUnchanged,
    };
    process.send?.({ kind: 'report', report });
  }
  await worker.close();
  client.destroy();
  sqs.destroy();
  process.send?.({ kind: 'done' });
}

async function runHarness(): Promise<void> {
  const nTargets = Number(args.targets);
  const nSeries = Number(args.series);
  const rounds = Number(args.rounds);
  let churnGen = 0;
  const servers: Server[] = [];
  for (let t = 0; t < nTargets; t++) {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(body(t, nSeries, churnGen));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    servers.push(server);
  }
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  // Loaded here, not at the top: the worker child imports this file too and must hold only what
  // a scraper container holds (dynalite and fauxqs added ~40 MiB to its RSS).
  const { createTable, KEY_SCHEMAS, startDynalite } = await import('../test/support/dynalite.js');
  const { createQueue, startLocalSqs } = await import('../test/support/fauxqs.js');
  const db = await startDynalite();
  await createTable(db.client(), TABLE, KEY_SCHEMAS.state);
  const receiver = await startDiscardReceiver();

  const plan = ['cold'];
  for (let i = 0; i < rounds; i++) plan.push('after change', 'unchanged', 'churn 1%', 'queued');
  const sqs = await startLocalSqs();
  const outbox = await createQueue(sqs.client, 'outbox', { fifo: true });
  const child = fork(await bundleWorker(), ['--worker'], {
    execArgv: (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean),
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const reports: TaskReport[] = [];
  let baselineRssMiB = 0;
  await new Promise<void>((resolve, reject) => {
    child.on(
      'message',
      (m: { kind: string; round?: string; report?: TaskReport; rssMiB?: number }) => {
        if (m.kind === 'baseline') baselineRssMiB = m.rssMiB ?? 0;
        else if (m.kind === 'ready') {
          child.send({
            dynamodbEndpoint: db.endpoint,
            sqsEndpoint: sqs.endpoint,
            outboxUrl: outbox.url,
            receiverUrl: receiver.url,
            ports,
            rounds: plan,
          } satisfies WorkerInput);
        } else if (m.kind === 'round') {
          if (m.round === 'churn 1%') churnGen++;
          child.send('go');
        } else if (m.kind === 'report' && m.report !== undefined) {
          reports.push(m.report);
        } else if (m.kind === 'done') resolve();
      },
    );
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`)),
    );
  });

  const fmt = (n: number, d = 0) => n.toFixed(d).padStart(8);
  console.log(
    `task: ${nTargets} targets × ${nSeries} series (worker: this file bundled by esbuild in a plain node child${process.env.BENCH_WORKER_NODE_ARGS ? ` with ${process.env.BENCH_WORKER_NODE_ARGS}` : ''}; dynalite and targets in the harness)`,
  );
  console.log(
    `worker RSS before its first task (modules loaded, clients built): ${baselineRssMiB.toFixed(0)} MiB; RSS below is the peak during each task`,
  );
  console.log(
    'round          wall ms   CPU ms  RSS MiB heap MiB      RCU      WCU  DDB req   up  samples parked',
  );
  for (const r of reports) {
    console.log(
      `${r.round.padEnd(12)} ${fmt(r.wallMs)} ${fmt(r.cpuMs)} ${fmt(r.rssPeakMiB)} ${fmt(r.heapUsedMiB)} ${fmt(r.readUnits, 1)} ${fmt(r.writeUnits, 1)} ${fmt(r.requests)} ${String(r.up).padStart(4)} ${fmt(r.samplesSent)} ${String(r.parked).padStart(6)}`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  for (const round of ['after change', 'unchanged', 'churn 1%', 'queued']) {
    const rs = reports.filter((r) => r.round === round);
    console.log(
      `median ${round}: wall ${median(rs.map((r) => r.wallMs)).toFixed(0)} ms, CPU ${median(rs.map((r) => r.cpuMs)).toFixed(0)} ms, ` +
        `peak RSS ${Math.max(...rs.map((r) => r.rssPeakMiB)).toFixed(0)} MiB, ` +
        `RCU/scrape ${(median(rs.map((r) => r.readUnits)) / nTargets).toFixed(2)}, WCU/scrape ${(median(rs.map((r) => r.writeUnits)) / nTargets).toFixed(2)}`,
    );
  }
  await receiver.close();
  await db.stop();
  await sqs.stop();
  for (const s of servers) s.close();
}

/**
 * This file bundled by esbuild (packages left to node_modules), as the scraper function is: the
 * worker then runs in plain `node`, without tsx's loader (which added ~36 MiB to its RSS).
 */
async function bundleWorker(): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = fileURLToPath(new URL('../.bench-tmp/scraper-task-worker.mjs', import.meta.url));
  await build({
    entryPoints: [fileURLToPath(import.meta.url)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return outfile;
}

if (args.worker) {
  process.once('message', (input: WorkerInput) => {
    runWorker(input).then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
  process.send?.({ kind: 'ready' });
} else {
  await runHarness();
}

#!/usr/bin/env node
/**
 * Whole-path benchmark: scrape the shared 100,000-series body every 5 s and remote-write it to a
 * receiver that discards it, one scraper after another in the same run, and report each
 * scraper's CPU-seconds per million samples delivered, peak RSS and bytes per sample on the wire.
 *
 *   node bench/whole-path.mjs [--seconds N] [--warmup N] [--windows K] [--only NAME[,NAME]]
 *                             [--rounds R] [--series N] [--decode warmup|all|off]
 *                             [--wait-idle N] [--list]
 *
 * The target server and the receiver live in this process (127.0.0.1 only). See bench/README.md.
 */

import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { diffCounts, startDiscardReceiver } from './lib/discard-receiver.mjs';
import { machineBusySeconds, sampleTree } from './lib/proc.mjs';
import { BENCH_TMP, ensureBigTarget, REPO_ROOT, startTargetServer } from './lib/target-server.mjs';

const INTERVAL_S = 5;
/** The lambdascrape checkout whose build (dist/) the `lambdascrape` entry runs. */
const LAMBDASCRAPE_ROOT = process.env.LAMBDASCRAPE_ROOT
  ? resolve(process.env.LAMBDASCRAPE_ROOT)
  : REPO_ROOT;
/** Series a Prometheus-style scraper adds to each scrape: up, scrape_duration_seconds,
 * scrape_samples_scraped, scrape_samples_post_metric_relabeling, scrape_series_added (vmagent
 * 1.79 adds a sixth). Used only with `--decode off`; otherwise the receiver counts them. */
const REPORT_SERIES = 5;
/** Other processes busier than this (CPUs) make a run noisy: said in the log and the JSON. */
const BUSY_CPUS = 0.25;

// ---------------------------------------------------------------------------------------------
// Scraper definitions. Each entry:
//   name      id for --only
//   title     shown in the table
//   skip()    a reason (string) to skip this scraper on this machine, or null to run it
//   version() one line naming the version (optional)
//   launch(ctx) writes whatever config it needs under ctx.dir and returns
//     { command, args, env?, selfMetrics? }
//   where selfMetrics = { url, names: [metric names whose values are summed] } points at the
//   scraper's own metrics, read before and after each window as a cross-check of the samples
//   counted at the receiver.
// ctx = { dir, target: { host, url }, receiverUrl, listenPort, interval: '5s', timeout: '5s',
//         repoRoot, promConfig(withRemoteWrite = true): string }
// ---------------------------------------------------------------------------------------------

/** @type {Array<{ name: string, title: string, skip: () => string | null, version?: () => string,
 *   launch: (ctx: any) => { command: string, args: string[], env?: Record<string, string>,
 *   selfMetrics?: { url: string, names: string[] } } }>} */
const SCRAPERS = [
  {
    name: 'prometheus-agent',
    title: 'Prometheus agent (default queue)',
    skip: () => (existsSync('/usr/bin/prometheus') ? null : '/usr/bin/prometheus not installed'),
    version: () => commandOutput('/usr/bin/prometheus', ['--version']),
    launch: (ctx) => {
      const config = join(ctx.dir, 'prometheus.yml');
      writeFileSync(config, ctx.promConfig(true));
      return {
        command: '/usr/bin/prometheus',
        args: [
          '--enable-feature=agent',
          `--config.file=${config}`,
          `--storage.agent.path=${join(ctx.dir, 'agent-data')}`,
          `--web.listen-address=127.0.0.1:${ctx.listenPort}`,
        ],
        selfMetrics: {
          url: `http://127.0.0.1:${ctx.listenPort}/metrics`,
          // 2.42: samples sent successfully (the pre-2.25 name was ..._succeeded_samples_total).
          names: ['prometheus_remote_storage_samples_total'],
        },
      };
    },
  },
  {
    name: 'vmagent',
    title: 'vmagent',
    skip: () => (existsSync('/usr/bin/vmagent') ? null : '/usr/bin/vmagent not installed'),
    version: () => `vmagent ${dpkgVersion('victoria-metrics')}`,
    launch: (ctx) => {
      const config = join(ctx.dir, 'scrape.yml');
      writeFileSync(config, ctx.promConfig(false));
      return {
        command: '/usr/bin/vmagent',
        args: [
          `-promscrape.config=${config}`,
          `-remoteWrite.url=${ctx.receiverUrl}`,
          `-remoteWrite.tmpDataPath=${join(ctx.dir, 'vmagent-data')}`,
          `-httpListenAddr=127.0.0.1:${ctx.listenPort}`,
        ],
        selfMetrics: {
          url: `http://127.0.0.1:${ctx.listenPort}/metrics`,
          // Rows in blocks sent (and acknowledged) to -remoteWrite.url.
          names: ['vmagent_remotewrite_block_size_rows_sum'],
        },
      };
    },
  },
  // lambdascrape's local runner: skipped while dist/src/local is absent (not built) or the
  // built CLI has no `run` command. It reads the same prometheus.yml as Prometheus does.
  // LAMBDASCRAPE_ROOT points it at another checkout's build (default: this repository).
  {
    name: 'lambdascrape',
    title: 'lambdascrape local runner',
    skip: () => {
      if (!existsSync(join(LAMBDASCRAPE_ROOT, 'dist', 'src', 'local'))) {
        return `${join(LAMBDASCRAPE_ROOT, 'dist', 'src', 'local')} absent (npm run build)`;
      }
      const cli = join(LAMBDASCRAPE_ROOT, 'bin', 'lambdascrape.js');
      const help = commandOutput(process.execPath, [cli, '--help'], true);
      return /^\s*run\b/m.test(help) ? null : 'the built CLI has no run command yet';
    },
    version: () => {
      const pkg = JSON.parse(readFileSync(join(LAMBDASCRAPE_ROOT, 'package.json'), 'utf8'));
      const rev = commandOutput('git', ['-C', LAMBDASCRAPE_ROOT, 'rev-parse', '--short', 'HEAD']);
      return `lambdascrape ${pkg.version} ${rev} (node ${process.version})`;
    },
    launch: (ctx) => {
      const config = join(ctx.dir, 'prometheus.yml');
      writeFileSync(config, ctx.promConfig(true));
      return {
        command: process.execPath,
        args: [
          join(LAMBDASCRAPE_ROOT, 'bin', 'lambdascrape.js'),
          'run',
          '--config',
          config,
          '--listen',
          `127.0.0.1:${ctx.listenPort}`,
        ],
        selfMetrics: {
          url: `http://127.0.0.1:${ctx.listenPort}/metrics`,
          names: ['lambdascrape_remote_write_samples_total{result="sent"}'],
        },
      };
    },
  },
];

// ---------------------------------------------------------------------------------------------

function usage() {
  return `usage: node bench/whole-path.mjs [options]
  --seconds N    measured time per scraper, split into --windows sub-windows (default 60)
  --warmup N     seconds from start to the first window (default 20)
  --windows K    sub-windows; figures are their medians (default 3)
  --rounds R     measure every scraper R times, alternating (default 1); medians pool all
                 windows
  --only NAMES   comma-separated scraper names (${SCRAPERS.map((s) => s.name).join(', ')})
  --series N     series in the generated body (default 100000)
  --decode MODE  how samples are counted (default warmup):
                   warmup  decode remote-write bodies during warm-up only, to learn the samples
                           of one scrape; in the windows samples = scrapes x that
                   all     decode in the windows too: exact samples delivered, but the
                           receiver's decoding then competes with the scraper for the CPUs
                   off     never decode; samples = scrapes x (series + ${REPORT_SERIES})
  --no-decode    same as --decode off
  --wait-idle N  before each scraper, wait up to N s for other processes to quiet down
                 (below ${BUSY_CPUS} CPUs busy; default 0: just report how busy they were)
  --list         list the scrapers and whether they would run, then exit`;
}

/** A mistake on the command line: reported without a stack trace. */
class UsageError extends Error {}

function parseArgs(argv) {
  const o = {
    seconds: 60,
    warmup: 20,
    windows: 3,
    only: null,
    series: 100_000,
    decode: 'warmup',
    waitIdle: 0,
    rounds: 1,
    list: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=')
      ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
      : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const num = () => {
      const v = Number(value());
      if (!Number.isFinite(v) || v <= 0) throw new UsageError(`${flag} needs a positive number`);
      return v;
    };
    if (flag === '--seconds') o.seconds = num();
    else if (flag === '--warmup') o.warmup = num();
    else if (flag === '--windows') o.windows = Math.round(num());
    else if (flag === '--rounds') o.rounds = Math.round(num());
    else if (flag === '--series') o.series = Math.round(num());
    else if (flag === '--only')
      o.only = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (flag === '--no-decode') o.decode = 'off';
    else if (flag === '--decode') {
      o.decode = value();
      if (!['warmup', 'all', 'off'].includes(o.decode))
        throw new UsageError('--decode takes warmup, all or off');
    } else if (flag === '--wait-idle') o.waitIdle = Number(value()) || 0;
    else if (flag === '--list') o.list = true;
    else if (flag === '--help' || flag === '-h') {
      console.log(usage());
      process.exit(0);
    } else throw new UsageError(`unknown option ${a}\n${usage()}`);
  }
  if (o.only) {
    const known = new Set(SCRAPERS.map((s) => s.name));
    for (const n of o.only)
      if (!known.has(n))
        throw new UsageError(`unknown scraper ${n} (known: ${[...known].join(', ')})`);
  }
  return o;
}

/** What a command prints on stdout (its first line unless `all`); 'unknown' on failure. */
function commandOutput(cmd, args, all = false) {
  try {
    const out = execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
    });
    return all ? out : out.split('\n')[0].trim();
  } catch {
    return 'unknown';
  }
}

function dpkgVersion(pkg) {
  // dpkg-query's own field syntax, not a JS template.
  return commandOutput('dpkg-query', ['-W', `-f=${'$'}{Version}`, pkg]);
}

/** A free TCP port on 127.0.0.1 (bound and released; the scraper binds it right after). */
function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
      s.close(() => ok(port));
    });
  });
}

function promConfigYaml(targetHost, receiverUrl, withRemoteWrite) {
  const lines = [
    'global:',
    `  scrape_interval: ${INTERVAL_S}s`,
    `  scrape_timeout: ${INTERVAL_S}s`,
    'scrape_configs:',
    '  - job_name: big',
    '    static_configs:',
    `      - targets: ['${targetHost}']`,
  ];
  if (withRemoteWrite) lines.push('remote_write:', `  - url: ${receiverUrl}`);
  return `${lines.join('\n')}\n`;
}

/** Sum of the values of the named metrics in a text exposition (all label sets). */
function sumMetrics(text, names) {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line === '' || line[0] === '#') continue;
    for (const entry of names) {
      // `name` or `name{label="value"}`: a label matcher the line's label set must contain.
      const brace = entry.indexOf('{');
      const name = brace < 0 ? entry : entry.slice(0, brace);
      const matcher = brace < 0 ? '' : entry.slice(brace + 1, -1);
      if (matcher !== '' && !line.includes(matcher)) continue;
      if (line.startsWith(name) && (line[name.length] === '{' || line[name.length] === ' ')) {
        // The value follows the label set when there is one, else the name.
        const rest =
          line[name.length] === '{'
            ? line.slice(line.lastIndexOf('}') + 1)
            : line.slice(name.length);
        const v = Number(rest.trim().split(' ')[0]);
        if (Number.isFinite(v)) {
          sum += v;
          found = true;
        }
      }
    }
  }
  return found ? sum : null;
}

/** The scraper's own count, or null (and the reason in `self.error`) when it cannot be read. */
async function readSelfMetric(self) {
  if (!self) return null;
  try {
    const res = await fetch(self.url, { signal: AbortSignal.timeout(5000) });
    const v = sumMetrics(await res.text(), self.names);
    if (v === null) self.error = `${self.names.join(', ')} not in ${self.url} (HTTP ${res.status})`;
    return v;
  } catch (err) {
    self.error = `${self.url}: ${err instanceof Error ? err.message : String(err)}`;
    return null;
  }
}

const median = (xs) => {
  const v = xs.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const round = (x, d) => (x === null || x === undefined ? null : Math.round(x * 10 ** d) / 10 ** d);
const MiB = (kb) => kb / 1024;

// --- cleanup of what we started, even on Ctrl-C or an error ----------------------------------

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
/** @type {Set<string>} */
const tempDirs = new Set();
/** @type {Array<() => Promise<void>>} */
const closers = [];

function killChild(child, signal) {
  if (child.exitCode === null && child.signalCode === null && child.pid) {
    try {
      process.kill(child.pid, signal);
    } catch {
      /* already gone */
    }
  }
}

async function stopChild(child, graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return;
  }
  const exited = new Promise((ok) => child.once('exit', ok));
  killChild(child, 'SIGTERM');
  const t = await Promise.race([exited.then(() => 'exited'), sleep(graceMs).then(() => 'timeout')]);
  if (t === 'timeout') {
    killChild(child, 'SIGKILL');
    await exited;
  }
  children.delete(child);
}

function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

let interrupted = false;
async function onSignal(sig) {
  if (interrupted) return;
  interrupted = true;
  process.stderr.write(`\n${sig}: stopping scrapers and cleaning up\n`);
  await Promise.allSettled([...children].map((c) => stopChild(c, 5000)));
  for (const d of [...tempDirs]) removeDir(d);
  await Promise.allSettled(closers.map((f) => f()));
  process.exit(sig === 'SIGINT' ? 130 : 143);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('exit', () => {
  // Last resort (an uncaught error): nothing we started outlives us.
  for (const c of children) killChild(c, 'SIGKILL');
  for (const d of [...tempDirs]) rmSync(d, { recursive: true, force: true });
});

// --- one scraper ------------------------------------------------------------------------------

function tail(file, n = 15) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/** Resolves when `p` does; rejects if the child exits first. */
function unlessExited(child, p, what) {
  return new Promise((ok, fail) => {
    const onExit = (code, sig) =>
      fail(new Error(`scraper exited (${sig ?? code}) while waiting for ${what}`));
    if (child.exitCode !== null || child.signalCode !== null) {
      onExit(child.exitCode, child.signalCode);
      return;
    }
    child.once('exit', onExit);
    p.then(
      (v) => {
        child.off('exit', onExit);
        ok(v);
      },
      (e) => {
        child.off('exit', onExit);
        fail(e);
      },
    );
  });
}

/**
 * CPUs kept busy by other processes (not this one) over the next `ms`, from /proc/stat.
 * The scraper under test is not running yet when this is called.
 */
async function otherCpusBusy(ms) {
  const m0 = machineBusySeconds();
  const h0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(ms);
  const h = process.cpuUsage(h0);
  const busy = machineBusySeconds() - m0 - (h.user + h.system) / 1e6;
  return Math.max(0, busy / ((performance.now() - t0) / 1000));
}

/** Report (and with --wait-idle, wait out) what else keeps the machine busy. */
async function waitForIdle(maxSeconds, name) {
  const deadline = Date.now() + maxSeconds * 1000;
  for (;;) {
    const busy = await otherCpusBusy(2000);
    if (busy < BUSY_CPUS) return round(busy, 2);
    if (Date.now() >= deadline) {
      log(
        `${name}: other processes keep ${busy.toFixed(2)} of ${cpus().length} CPUs busy; ` +
          'figures will be noisier (see --wait-idle)',
      );
      return round(busy, 2);
    }
    log(`${name}: waiting for other processes to quiet down (${busy.toFixed(2)} CPUs busy)`);
    await sleep(3000);
  }
}

async function measure(def, env) {
  const { target, receiver, opts } = env;
  const dir = mkdtempSync(join(tmpdir(), `lsbench-${def.name}-`));
  tempDirs.add(dir);
  const listenPort = await freePort();
  const ctx = {
    dir,
    target: { host: target.host, url: target.url },
    receiverUrl: receiver.url,
    listenPort,
    interval: `${INTERVAL_S}s`,
    timeout: `${INTERVAL_S}s`,
    repoRoot: REPO_ROOT,
    promConfig: (withRemoteWrite = true) =>
      promConfigYaml(target.host, receiver.url, withRemoteWrite),
  };
  const launch = def.launch(ctx);
  const idle = await waitForIdle(opts.waitIdle, def.name);
  receiver.setDecode(opts.decode !== 'off');
  receiver.resetTimestamps();
  const countsAtStart = receiver.counts();
  const logFile = join(dir, 'scraper.log');
  const logFd = openSync(logFile, 'a');
  const started = Date.now();
  const child = spawn(launch.command, launch.args, {
    cwd: dir,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, ...(launch.env ?? {}) },
  });
  closeSync(logFd);
  children.add(child);
  const spawnError = new Promise((_, fail) => child.once('error', fail));
  spawnError.catch(() => {});
  const result = {
    name: def.name,
    title: def.title,
    version: def.version?.() ?? '',
    command: [launch.command, ...launch.args].join(' '),
    status: 'ok',
    error: null,
    otherCpusBusyBefore: idle,
    samplesPerScrape: target.series + REPORT_SERIES,
    samplesSource: `assumed: ${target.series} series + ${REPORT_SERIES} report series per scrape`,
    warmup: null,
    windows: [],
  };
  try {
    log(`${def.name}: started pid ${child.pid}; waiting for the first scrape and remote write`);
    await Promise.race([
      spawnError,
      unlessExited(child, target.nextScrape(30_000), 'the first scrape'),
    ]);
    await unlessExited(
      child,
      receiver.firstRequest(INTERVAL_S * 1000 * 4),
      'the first remote write',
    );
    const warmLeft = started + opts.warmup * 1000 - Date.now();
    if (warmLeft > 0) {
      log(`${def.name}: warming up ${Math.ceil(warmLeft / 1000)} s`);
      await unlessExited(child, sleep(warmLeft), 'warm-up');
    }
    // Window boundaries fall 80% into a scrape interval, after the previous scrape's burst of
    // work and before the next one; windows are whole intervals long, so every boundary does.
    const windowS = Math.max(1, Math.round(opts.seconds / opts.windows / INTERVAL_S)) * INTERVAL_S;
    const lastScrape = await unlessExited(
      child,
      target.nextScrape(INTERVAL_S * 3000),
      'a scrape to align to',
    );
    await unlessExited(
      child,
      sleep(Math.max(0, lastScrape + INTERVAL_S * 800 - Date.now())),
      'alignment',
    );
    // What one scrape delivers, learnt from the bodies received during warm-up.
    const cal = diffCounts(countsAtStart, receiver.counts());
    result.warmup = {
      seconds: round((Date.now() - started) / 1000, 1),
      requests: cal.requests,
      bytes: cal.bytes,
      samplesDecoded: cal.samples,
      decodeErrors: cal.decodeErrors,
      receiverDecodeSeconds: round(cal.decodeMs / 1000, 3),
    };
    if (cal.decodeErrors) {
      log(
        `${def.name}: ${cal.decodeErrors} bodies failed to decode: ${receiver.firstDecodeError()}`,
      );
    }
    const perScrape = receiver.maxSamplesPerTimestamp();
    if (opts.decode !== 'off' && perScrape > 0) {
      result.samplesPerScrape = perScrape;
      result.samplesSource =
        opts.decode === 'all'
          ? 'counted by the receiver in the windows'
          : 'scrapes x samples of one scrape, counted by the receiver during warm-up';
    }
    if (opts.decode === 'warmup') receiver.setDecode(false);
    log(
      `${def.name}: one scrape delivers ${result.samplesPerScrape} samples; ` +
        `measuring ${opts.windows} x ${windowS} s`,
    );

    const snap = async () => {
      const tree = sampleTree(child.pid);
      if (!tree) throw new Error('scraper process vanished');
      return {
        t: performance.now(),
        tree,
        recv: receiver.counts(),
        scrapes: target.scrapes(),
        self: await readSelfMetric(launch.selfMetrics),
        harnessCpu: process.cpuUsage(),
        machineBusy: machineBusySeconds(),
      };
    };
    let a = await snap();
    let end = a.t;
    for (let w = 0; w < opts.windows; w++) {
      end += windowS * 1000;
      let maxRssKb = a.tree.rssKb;
      while (performance.now() < end - 1) {
        await unlessExited(
          child,
          sleep(Math.min(1000, end - performance.now())),
          'the window to end',
        );
        // Between snapshots, read the processes found at the last one (no /proc scan).
        const s = sampleTree(child.pid, a.tree.pids);
        if (s) maxRssKb = Math.max(maxRssKb, s.rssKb);
      }
      const b = await snap();
      const recv = diffCounts(a.recv, b.recv);
      const scrapes = b.scrapes.count - a.scrapes.count;
      const expected = scrapes * result.samplesPerScrape;
      const samples = opts.decode === 'all' ? recv.samples : expected;
      const cpu = b.tree.cpuSeconds - a.tree.cpuSeconds;
      const hc = b.harnessCpu;
      const harnessCpu = (hc.user + hc.system - a.harnessCpu.user - a.harnessCpu.system) / 1e6;
      // Everything else the machine ran meanwhile (other users, the kernel's own work).
      const otherCpu = b.machineBusy - a.machineBusy - cpu - harnessCpu;
      const win = {
        seconds: round((b.t - a.t) / 1000, 3),
        cpuSeconds: round(cpu, 3),
        scrapes,
        gzipScrapes: b.scrapes.gzip - a.scrapes.gzip,
        samples,
        samplesExpected: expected,
        samplesSelfReported: a.self !== null && b.self !== null ? b.self - a.self : null,
        samplesDecoded: opts.decode === 'all' ? recv.samples : null,
        requests: recv.requests,
        bytes: recv.bytes,
        decodeErrors: recv.decodeErrors,
        cpuSecondsPerMillionSamples: samples > 0 ? round(cpu / (samples / 1e6), 3) : null,
        bytesPerSample: samples > 0 ? round(recv.bytes / samples, 2) : null,
        rssMiBAtEnd: round(MiB(b.tree.rssKb), 1),
        maxRssMiB: round(MiB(maxRssKb), 1),
        hwmMiB: round(MiB(b.tree.hwmKb), 1),
        processes: b.tree.pids.length,
        harnessCpuSeconds: round(harnessCpu, 3),
        otherCpuSeconds: round(otherCpu, 3),
        receiverDecodeSeconds: round(recv.decodeMs / 1000, 3),
      };
      result.windows.push(win);
      log(
        `${def.name}: window ${w + 1}: ${win.cpuSeconds} CPU-s, ${win.scrapes} scrapes, ` +
          `${win.samples} samples -> ${win.cpuSecondsPerMillionSamples} CPU-s/M, ` +
          `${win.bytesPerSample} B/sample, RSS ${win.rssMiBAtEnd} MiB (peak ${win.hwmMiB}); ` +
          `others kept ${(win.otherCpuSeconds / win.seconds).toFixed(2)} CPUs busy`,
      );
      a = b;
    }
  } catch (err) {
    result.status = interrupted ? 'interrupted' : 'failed';
    result.error = interrupted ? 'interrupted' : err instanceof Error ? err.message : String(err);
    if (!interrupted) {
      const t = tail(logFile);
      log(
        `${def.name}: FAILED: ${result.error}${t ? `\n--- last lines of its log ---\n${t}\n---` : ''}`,
      );
    }
  } finally {
    await stopChild(child);
    removeDir(dir);
  }
  if (launch.selfMetrics?.error) result.selfMetricsError = launch.selfMetrics.error;
  const last = result.windows[result.windows.length - 1];
  result.peakRssMiB = last ? last.hwmMiB : null;
  return result;
}

/** Figures over the windows of all of a scraper's runs. */
function summarize(runs) {
  const ws = runs.flatMap((r) => r.windows);
  if (!ws.length) return null;
  const sum = (f) => ws.reduce((s, w) => s + f(w), 0);
  const perM = ws.map((w) => w.cpuSecondsPerMillionSamples).filter((x) => x !== null);
  return {
    windows: ws.length,
    cpuSecondsPerMillionSamples: round(median(perM), 2),
    cpuSecondsPerMillionSamplesRange: [round(Math.min(...perM), 2), round(Math.max(...perM), 2)],
    peakRssMiB: round(Math.max(...runs.map((r) => r.peakRssMiB ?? 0)), 0),
    maxRssInWindowsMiB: round(Math.max(...ws.map((w) => w.maxRssMiB)), 0),
    bytesPerSample: round(median(ws.map((w) => w.bytesPerSample)), 1),
    scrapes: sum((w) => w.scrapes),
    samples: sum((w) => w.samples),
    samplesPerScrape: round(
      sum((w) => w.samples) /
        Math.max(
          1,
          sum((w) => w.scrapes),
        ),
      1,
    ),
    samplesSelfReported: ws.every((w) => w.samplesSelfReported !== null)
      ? sum((w) => w.samplesSelfReported)
      : null,
    gzipScrapes: sum((w) => w.gzipScrapes),
    /** Mean number of CPUs kept busy by other processes during the windows. */
    otherCpusBusy: round(sum((w) => w.otherCpuSeconds) / sum((w) => w.seconds), 2),
    harnessCpuSecondsPerMillionSamples: round(
      median(ws.map((w) => (w.samples > 0 ? w.harnessCpuSeconds / (w.samples / 1e6) : null))),
      2,
    ),
  };
}

function log(msg) {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function table(results) {
  const rows = [
    '| scraper | CPU-s per million samples (median; range) | peak RSS MiB (VmHWM) | RSS MiB in windows (max VmRSS) | bytes/sample on the wire | scrapes counted | samples/scrape |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    if (r.status === 'skipped') {
      rows.push(`| ${r.title} | skipped: ${r.reason} | | | | | |`);
      continue;
    }
    const s = r.summary;
    if (!s) {
      rows.push(`| ${r.title} | failed: ${r.error} | | | | | |`);
      continue;
    }
    const note = r.status === 'ok' ? '' : ` (failed after ${s.windows} windows: ${r.error})`;
    rows.push(
      `| ${r.title}${note} | ${s.cpuSecondsPerMillionSamples} (${s.cpuSecondsPerMillionSamplesRange.join('–')}) | ` +
        `${s.peakRssMiB} | ${s.maxRssInWindowsMiB} | ${s.bytesPerSample} | ${s.scrapes} | ${s.samplesPerScrape} |`,
    );
  }
  const notes = results
    .filter((r) => r.summary)
    .map(
      (r) =>
        `- ${r.title}: receiver and target server used ${r.summary.harnessCpuSecondsPerMillionSamples} ` +
        `CPU-s per million samples; other processes kept ${r.summary.otherCpusBusy} CPUs busy; ` +
        `${r.summary.gzipScrapes}/${r.summary.scrapes} scrapes gzip` +
        (r.summary.samplesSelfReported !== null
          ? `; the scraper's own count of samples sent: ${r.summary.samplesSelfReported} (used: ${r.summary.samples})`
          : ''),
    );
  return [...rows, '', ...notes].join('\n');
}

// --- main -------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const chosen = SCRAPERS.filter((s) => !opts.only || opts.only.includes(s.name));
  if (opts.list) {
    for (const s of SCRAPERS) console.log(`${s.name.padEnd(18)} ${s.skip() ?? 'runs'}`);
    return;
  }
  const file = ensureBigTarget({ series: opts.series });
  const target = await startTargetServer({ file });
  closers.push(target.close);
  const receiver = await startDiscardReceiver({ decode: opts.decode !== 'off' });
  closers.push(receiver.close);
  log(
    `target ${target.url}: ${target.series} series, ${(target.plainBytes / 2 ** 20).toFixed(1)} MiB ` +
      `(${(target.gzipBytes / 2 ** 20).toFixed(1)} MiB gzip); receiver ${receiver.url}` +
      ` (decoding: ${opts.decode})`,
  );
  const startedAt = new Date();
  /** @type {Map<string, any[]>} runs per scraper */
  const runs = new Map();
  /** @type {Map<string, string>} why a scraper is skipped */
  const skipped = new Map();
  for (const def of chosen) {
    const reason = def.skip();
    if (reason) {
      log(`${def.name}: skipped: ${reason}`);
      skipped.set(def.name, reason);
    } else runs.set(def.name, []);
  }
  try {
    // Rounds alternate the scrapers (A B A B …), so load that comes and goes hits all alike.
    for (let r = 1; r <= opts.rounds && !interrupted; r++) {
      if (opts.rounds > 1) log(`round ${r} of ${opts.rounds}`);
      for (const def of chosen) {
        if (interrupted || skipped.has(def.name)) continue;
        const run = await measure(def, { target, receiver, opts });
        run.round = r;
        runs.get(def.name).push(run);
      }
    }
  } finally {
    await Promise.allSettled(closers.map((f) => f()));
  }
  // Interrupted: the signal handler cleans up and exits; no table, no JSON for a partial run.
  if (interrupted) return;
  const results = chosen.map((def) => {
    if (skipped.has(def.name)) {
      return { name: def.name, title: def.title, status: 'skipped', reason: skipped.get(def.name) };
    }
    const rs = runs.get(def.name);
    const bad = rs.find((x) => x.status !== 'ok');
    return {
      name: def.name,
      title: def.title,
      version: rs[0]?.version ?? '',
      status: bad ? 'failed' : 'ok',
      error: bad ? bad.error : null,
      summary: summarize(rs),
      runs: rs,
    };
  });
  const md = table(results);
  console.log(
    `\nWhole path, ${target.series} series every ${INTERVAL_S} s, ${opts.rounds > 1 ? `${opts.rounds} rounds of ` : ''}${opts.windows} windows of ` +
      `${Math.max(1, Math.round(opts.seconds / opts.windows / INTERVAL_S)) * INTERVAL_S} s after ${opts.warmup} s ` +
      `warm-up; samples: ${
        {
          warmup: 'scrapes x samples of one scrape (decoded during warm-up)',
          all: 'decoded by the receiver',
          off: `scrapes x ${target.series + REPORT_SERIES}`,
        }[opts.decode]
      }; ` +
      `${cpus().length} CPUs, node ${process.version}, ${startedAt.toISOString()}\n`,
  );
  console.log(md);
  mkdirSync(BENCH_TMP, { recursive: true });
  const out = join(BENCH_TMP, `whole-path-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        benchmark: 'whole-path',
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        machine: {
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model ?? '',
          node: process.version,
          loadavgAtEnd: loadavg(),
        },
        options: opts,
        input: {
          series: target.series,
          reportSeriesAssumed: REPORT_SERIES,
          bytes: target.plainBytes,
          gzipBytes: target.gzipBytes,
          scrapeIntervalSeconds: INTERVAL_S,
        },
        results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nJSON: ${out}`);
  if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
}

main().catch((err) => {
  const text = err instanceof UsageError ? err.message : err instanceof Error ? err.stack : err;
  process.stderr.write(`whole-path: ${text}\n`);
  process.exitCode = 1;
  for (const c of children) killChild(c, 'SIGKILL');
  for (const d of [...tempDirs]) removeDir(d);
  Promise.allSettled(closers.map((f) => f())).then(() => process.exit(1));
});

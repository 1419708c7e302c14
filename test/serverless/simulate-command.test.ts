/**
 * `lambdascrape simulate` as a person and as a script see it: the command run through its
 * injectable io (CliIo) with windows of 2 s, so the first scrapes come ~10–12 s after start
 * (plan.ts `windowFor`). The two runs are concurrent to keep the suite short.
 * - human (stdout a terminal, no flag): the start line, the no-remote_write warning, when the
 *   first scrapes come, the unreachable target named once with its redacted URL, status lines,
 *   the summary and the cost table, no JSON and nothing on stderr;
 * - json (stdout not a terminal, no flag): JSON lines only, with the first-scrape, summary and
 *   cost-report lines; the cost table on stderr;
 * - as a process: no AWS SDK notice on stderr (on Node 20 it printed nine lines first).
 */
import { spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateCommand } from '../../src/cli/simulate.js';
import { startReceiver, type TestReceiver } from '../remotewrite/wire.js';
import { captureIo } from '../support/captured-cli.js';

const TIMING = { windowMs: 2_000, periodMs: 2_000, pollWaitSeconds: 1 } as const;

async function simulate(args: readonly string[], stdoutIsTTY: boolean) {
  const captured = captureIo({ stdoutIsTTY });
  const code = await simulateCommand(args, captured.io, {
    signals: new EventEmitter(),
    statusEveryMs: 1_000,
    timing: TIMING,
  });
  return { code, out: captured.out, err: captured.err };
}

describe('simulate output (integration)', () => {
  let dir: string;
  let target: Server;
  let receiver: TestReceiver;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ls-simulate-command-'));
    target = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# TYPE sim_value gauge\nsim_value 42\n');
    });
    target.listen(0, '127.0.0.1');
    await once(target, 'listening');
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
    target?.closeAllConnections();
    await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
    await rm(dir, { recursive: true, force: true });
  });

  const config = async (name: string, lines: readonly string[]): Promise<string> => {
    const { port } = target.address() as AddressInfo;
    const path = join(dir, name);
    await writeFile(
      path,
      [
        'global: { scrape_interval: 1s, scrape_timeout: 500ms }',
        'scrape_configs:',
        '  - job_name: app',
        `    static_configs: [{ targets: ["127.0.0.1:${port}"] }]`,
        ...lines,
        '',
      ].join('\n'),
    );
    return path;
  };

  it.concurrent('human on a terminal: start, first scrapes, warnings, status lines, summary', async () => {
    // Nothing listens on port 1; its token must not be printed.
    const path = await config('human.yml', [
      '  - job_name: gone',
      '    params: { token: [s3cr3t] }',
      '    static_configs: [{ targets: ["127.0.0.1:1"] }]',
    ]);
    const r = await simulate(['--config', path, '--duration', '16s'], true);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    // SHOW_SIMULATE=1 shows what a person sees.
    if (process.env.SHOW_SIMULATE) process.stderr.write(r.out);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe(
      `simulating the Lambda deployment of ${path} on this machine for 16s (DynamoDB and SQS in process)`,
    );
    expect(r.out).toContain('warning: the config has no remote_write: scraped samples go nowhere');
    expect(r.out).toMatch(
      /^first scrapes at \d\d:\d\d:\d\d \(in \d+ s\): each dispatch plans the first whole window at least 10s ahead; 2 targets, 4 scrapes planned for \d\d:\d\d:\d\d–\d\d:\d\d:\d\d$/m,
    );
    // The unreachable target: once, redacted, with the error.
    const down = lines.filter((l) => l.startsWith('warning: job "gone"'));
    expect(down).toHaveLength(1);
    expect(down[0]).toMatch(
      /^warning: job "gone": target http:\/\/127\.0\.0\.1:1\/metrics\?token=xxxxx is down: .*ECONNREFUSED/,
    );
    expect(lines[lines.indexOf(down[0]!) + 1]).toContain('a deployment cannot scrape it either');
    expect(r.out).not.toContain('s3cr3t');
    // Status lines: before the first scrape, then with the targets' health.
    expect(r.out).toMatch(
      /^\d\d:\d\d:\d\d {2}no scrape yet \(first at \d\d:\d\d:\d\d, in \d+ s\) · outbox \d+ · /m,
    );
    expect(r.out).toMatch(
      /^\d\d:\d\d:\d\d {2}targets 1 up, 1 down · scrapes \d+ \(\+\d+\) · lateness p99 -?\d+ ms · outbox \d+ · /m,
    );
    // The summary, then the cost table.
    const summary = r.out.slice(r.out.indexOf('summary: '));
    const [head, ...rest] = summary.split('\n');
    const up = Number(/: (\d+) up, (\d+) down/.exec(head!)![1]);
    const downs = Number(/: (\d+) up, (\d+) down/.exec(head!)![2]);
    expect(up).toBeGreaterThanOrEqual(2);
    expect(downs).toBeGreaterThanOrEqual(2);
    expect(head).toMatch(/^summary: ran 1[6-8]s, \d+ scrapes: /);
    expect(rest[0]).toMatch(/^ {2}job +targets +scrapes +up +down$/);
    expect(rest[1]).toMatch(new RegExp(`^  app +1 +\\d+ +${up} +0$`));
    expect(rest[2]).toMatch(new RegExp(`^  gone +1 +\\d+ +0 +${downs}$`));
    expect(rest[3]).toMatch(
      /^ {2}samples: \d+ written \(scraped, up and the other report series\), sent nowhere \(no remote_write\)$/,
    );
    expect(rest[4]).toMatch(
      /^ {2}lateness \(read time − slot\): p50 -?\d+ ms, p99 -?\d+ ms, max -?\d+ ms$/,
    );
    expect(summary).toContain('\ncost estimate: ');
    // People get no JSON and no EMF blobs.
    expect(lines.some((l) => l.startsWith('{'))).toBe(false);
  }, 40_000);

  it.concurrent("a process: on stderr the cost table, not the SDK's Node version notice", async () => {
    const path = await config('process.yml', []);
    const env = { ...process.env };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const entry = fileURLToPath(new URL('../support/lambdascrape-cli.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', entry, 'simulate', '--config', path, '--duration', '1s'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(err).toMatch(/^cost estimate: /);
    expect(err).not.toContain('NodeVersionSupportWarning');
    // Piped: JSON lines.
    expect(JSON.parse(out.split('\n')[0]!)).toMatchObject({ level: 'info' });
  }, 40_000);

  it.concurrent('json when stdout is not a terminal: JSON lines only, the cost table on stderr', async () => {
    const path = await config('json.yml', ['remote_write:', `  - url: ${receiver.url}`]);
    const r = await simulate(['--config', path, '--duration', '15s'], false);
    expect(r.code).toBe(0);
    if (process.env.SHOW_SIMULATE) process.stderr.write(r.out);
    const records = r.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const msgs = records.map((l) => l.msg);
    expect(msgs[0]).toMatch(/^simulating the Lambda deployment locally/);
    expect(msgs).toContain('dispatch done');
    expect(msgs).not.toContain('no remote_write: scraped samples go nowhere');
    // At the end, in this order (a discovery run in flight may still log after them).
    const end = ['simulation summary', 'cost report', 'stopping'].map((m) => msgs.indexOf(m));
    expect(end[0]).toBeGreaterThan(0);
    expect([...end].sort((a, b) => a - b)).toEqual(end);
    const first = records.find((l) => l.msg === 'first scrapes planned')!;
    expect(first).toMatchObject({ targets: 1, scrapes: 2 });
    expect((first.firstScrapeMs as number) % TIMING.windowMs).toBe(0);
    const summary = records.find((l) => l.msg === 'simulation summary')!;
    expect(summary.scrapes).toBeGreaterThanOrEqual(2);
    expect(summary).toMatchObject({ down: 0, jobs: [{ job: 'app', targets: 1, down: 0 }] });
    const samples = summary.samples as { written: number; delivered: number; parked: number };
    expect(samples.delivered).toBeGreaterThan(0);
    // A write that misses its deadline on this busy machine is parked, not lost.
    expect(samples.delivered + samples.parked).toBe(samples.written);
    expect(r.err).toMatch(/^cost estimate: /);
  }, 40_000);
});

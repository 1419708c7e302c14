/**
 * `lambdascrape run` as a command: arguments, reload on SIGHUP (good and bad file), graceful
 * exit 0 on SIGTERM. Signals are injected; the runner listens on a free loopback port.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { runCommand, type SignalSource } from '../../src/cli/run.js';
import type { LocalRunner } from '../../src/local/runner.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function io(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readStdin: async () => new Uint8Array(),
    env: {},
  };
}

async function configFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ls-run-'));
  dirs.push(dir);
  const file = join(dir, 'prometheus.yml');
  await writeFile(file, text);
  return file;
}

const job = (name: string) => `
  - job_name: ${name}
    static_configs:
      - targets: ['127.0.0.1:1']
`;

describe('run command', () => {
  it.each([
    { name: 'no --config', args: [], code: 2, err: 'run needs --config FILE' },
    {
      name: 'bad --listen',
      args: ['--config', 'x.yml', '--listen', 'nope'],
      code: 2,
      err: 'invalid listen address',
    },
    {
      name: 'bad --log.level',
      args: ['--config', 'x.yml', '--log.level', 'loud'],
      code: 2,
      err: '--log.level must be one of',
    },
    {
      name: 'unknown flag',
      args: ['--config', 'x.yml', '--nope'],
      code: 2,
      err: 'unknown option --nope for "run"',
    },
  ])('usage error: $name', async ({ args, code, err }) => {
    const cli = io();
    expect(await runCli(['run', ...args], cli)).toBe(code);
    expect(cli.err.join('')).toContain(err);
  });

  it('exits 1 with the reason when the config is invalid', async () => {
    const file = await configFile('scrape_configs:\n  - job_name: j\n    scrape_interval: soon\n');
    const cli = io();
    expect(await runCli(['run', '--config', file, '--listen', '127.0.0.1:0'], cli)).toBe(1);
    expect(cli.err.join('')).toContain('not a valid duration string');
  });

  it('refuses a job with only unsupported discovery unless --skip-unsupported-discovery', async () => {
    const k8s = "\n  - job_name: k8s\n    docker_sd_configs: [{host: 'unix:///d.sock'}]\n";
    const file = await configFile(`scrape_configs:${job('one')}${k8s}`);
    const refused = io();
    expect(await runCli(['run', '--config', file, '--listen', '127.0.0.1:0'], refused)).toBe(1);
    expect(refused.err.join('')).toContain(
      `${file}:7:25: job "k8s" has no discovery lambdascrape supports`,
    );

    const signals = new EventEmitter();
    const cli = io();
    let runner: LocalRunner | undefined;
    const args = ['--config', file, '--listen', '127.0.0.1:0', '--skip-unsupported-discovery'];
    const done = runCommand(args, cli, {
      signals: signals as unknown as SignalSource,
      onStarted: (r) => {
        runner = r;
      },
    });
    await vi.waitFor(() => expect(runner).toBeDefined());
    expect(runner!.targetsView().map((j) => j.name)).toEqual(['one']);
    expect(cli.err.join('')).toContain(
      `${file}:7:25: job \\"k8s\\" is skipped: docker_sd_configs is not supported yet, and it has no other discovery`,
    );
    signals.emit('SIGTERM');
    expect(await done).toBe(0);
  });

  it('reloads on SIGHUP, keeps the old config after a bad one, exits 0 on SIGTERM', async () => {
    const file = await configFile(`scrape_configs:${job('one')}`);
    const signals = new EventEmitter();
    const cli = io();
    let runner: LocalRunner | undefined;
    const done = runCommand(['--config', file, '--listen', '127.0.0.1:0'], cli, {
      signals: signals as unknown as SignalSource,
      onStarted: (r) => {
        runner = r;
      },
    });
    await vi.waitFor(() => expect(runner).toBeDefined());
    const jobs = () => runner!.targetsView().map((j) => j.name);
    expect(jobs()).toEqual(['one']);
    expect((await fetch(`${runner!.url}/-/ready`)).status).toBe(200);

    await writeFile(file, `scrape_configs:${job('one')}${job('two')}`);
    signals.emit('SIGHUP');
    await vi.waitFor(() => expect(jobs()).toEqual(['one', 'two']));

    await writeFile(file, 'scrape_configs: [');
    signals.emit('SIGHUP');
    await vi.waitFor(() => expect(cli.err.join('')).toContain('configuration reload failed'));
    expect(jobs()).toEqual(['one', 'two']);

    signals.emit('SIGTERM');
    expect(await done).toBe(0);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
    expect(signals.listenerCount('SIGHUP')).toBe(0);
    const log = cli.err.join('');
    expect(log).toContain('level=info msg="shutting down" signal=SIGTERM');
    expect(log).toContain('msg=stopped');
  });
});

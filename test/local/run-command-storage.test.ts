/**
 * `lambdascrape run --storage.path DIR`: the flags, the lock (a second run on the same directory
 * is refused with a clear error) and its release at a graceful exit. What the directory does
 * with the units is in disk-unit-queue.test.ts and remote-write-sink-storage.test.ts; a kill and
 * restart against a real Prometheus in test/e2e/remote-write-data-dir.test.ts.
 */
import { EventEmitter } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { runCommand, type SignalSource } from '../../src/cli/run.js';
import { DataDirectory } from '../../src/local/data-dir.js';
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

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ls-run-storage-'));
  dirs.push(dir);
  return dir;
}

/** A config with one unreachable target and a remote_write nobody listens on. */
async function configFile(): Promise<string> {
  const file = join(await tempDir(), 'prometheus.yml');
  await writeFile(
    file,
    `scrape_configs:
  - job_name: j
    static_configs:
      - targets: ['127.0.0.1:1']
remote_write:
  - url: http://127.0.0.1:1/api/v1/write
    name: backend
`,
  );
  return file;
}

describe('run --storage.*', () => {
  it.each([
    {
      name: 'retention without a path',
      args: ['--storage.retention.time', '1h'],
      err: '--storage.retention.* need --storage.path',
    },
    {
      name: 'bad retention time',
      args: ['--storage.path', 'd', '--storage.retention.time', 'soon'],
      err: '--storage.retention.time: not a valid duration string: "soon"',
    },
    {
      name: 'zero retention time',
      args: ['--storage.path', 'd', '--storage.retention.time', '0'],
      err: '--storage.retention.time must be more than 0',
    },
    {
      name: 'bad retention size',
      args: ['--storage.path', 'd', '--storage.retention.size', '2 GB'],
      err: '--storage.retention.size: units: unknown unit',
    },
    { name: 'empty path', args: ['--storage.path', ''], err: '--storage.path must not be empty' },
  ])('usage error: $name', async ({ args, err }) => {
    const cli = io();
    expect(await runCli(['run', '--config', 'x.yml', ...args], cli)).toBe(2);
    expect(cli.err.join('')).toContain(err);
  });

  it('refuses a data directory another run process uses, and says which', async () => {
    const data = await tempDir();
    const holder = DataDirectory.open(data, {
      maxBytesPerQueue: 0,
      maxAgeMs: 1000,
      pid: process.ppid, // alive, and not this process
    });
    try {
      const cli = io();
      const args = ['--config', await configFile(), '--listen', '127.0.0.1:0'];
      expect(await runCli(['run', ...args, '--storage.path', data], cli)).toBe(1);
      expect(cli.err.join('')).toContain(
        `error: data directory ${data} is in use by process ${process.ppid}`,
      );
    } finally {
      holder.close();
    }
  });

  it('creates the directory, holds the lock while running, releases it on SIGTERM', async () => {
    const data = join(await tempDir(), 'data');
    const signals = new EventEmitter();
    const cli = io();
    let runner: LocalRunner | undefined;
    const done = runCommand(
      [
        '--config',
        await configFile(),
        '--listen',
        '127.0.0.1:0',
        '--storage.path',
        data,
        '--storage.retention.size',
        '64MiB',
        '--storage.retention.time',
        '30m',
      ],
      cli,
      {
        signals: signals as unknown as SignalSource,
        onStarted: (r) => {
          runner = r;
        },
      },
    );
    await vi.waitFor(() => expect(runner).toBeDefined());
    expect(readFileSync(join(data, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    expect(readdirSync(join(data, 'remote_write'))).toEqual(['backend']);
    const metrics = await (await fetch(`${runner!.url}/metrics`)).text();
    expect(metrics).toContain('lambdascrape_remote_write_storage_bytes{remote_name="backend"}');
    signals.emit('SIGTERM');
    expect(await done).toBe(0);
    expect(existsSync(join(data, 'lock'))).toBe(false);
  });
});

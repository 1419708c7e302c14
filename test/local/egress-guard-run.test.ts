/**
 * The deny-list in the `run` driver (`--deny-cidrs`, src/http/egress-guard.ts): a target whose
 * name resolves into a denied range, a redirect into it and an HTTP SD URL into it are refused
 * before connecting (the server there records nothing); the scrapes are down with the reason;
 * a target outside the ranges is scraped.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { runCommand, type SignalSource } from '../../src/cli/run.js';
import { installEgressPolicy } from '../../src/http/egress-guard.js';
import type { LocalRunner } from '../../src/local/runner.js';
import {
  type RecordingServer,
  startExporter,
  startRedirector,
} from '../support/runtime-api-fixture.js';

describe('run --deny-cidrs (integration)', () => {
  let dir: string;
  let denied: RecordingServer;
  let allowed: RecordingServer;
  let redirector: RecordingServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ls-run-egress-'));
    denied = await startExporter('127.0.0.1');
    allowed = await startExporter('127.0.0.2');
    redirector = await startRedirector(() => `http://${denied.hostPort}/metrics`, '127.0.0.2');
  });
  afterAll(async () => {
    installEgressPolicy(undefined);
    for (const s of [denied, allowed, redirector]) await s?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses names, redirects and SD URLs into a denied range; scrapes the rest', async () => {
    const file = join(dir, 'prometheus.yml');
    await writeFile(
      file,
      [
        'global: { scrape_interval: 1s, scrape_timeout: 500ms }',
        'scrape_configs:',
        '  - job_name: denied',
        `    static_configs: [{ targets: ["localhost:${denied.port}"] }]`,
        '  - job_name: redirect',
        `    static_configs: [{ targets: ["${redirector.hostPort}"] }]`,
        '  - job_name: sd',
        `    http_sd_configs: [{ url: "http://localhost:${denied.port}/sd" }]`,
        '  - job_name: allowed',
        `    static_configs: [{ targets: ["${allowed.hostPort}"] }]`,
        '',
      ].join('\n'),
    );
    const signals = new EventEmitter();
    const err: string[] = [];
    const io: CliIo = {
      stdout: () => {},
      stderr: (t) => err.push(t),
      readStdin: async () => new Uint8Array(),
      env: {},
    };
    let runner: LocalRunner | undefined;
    const done = runCommand(
      ['--config', file, '--listen', '127.0.0.1:0', '--deny-cidrs', '127.0.0.1/32, ::1'],
      io,
      { signals: signals as unknown as SignalSource, onStarted: (r) => (runner = r) },
    );
    await vi.waitFor(() => expect(runner).toBeDefined());
    const view = () =>
      Object.fromEntries(
        runner!.targetsView().flatMap((j) => j.targets.map((t) => [j.name, t] as const)),
      );
    await vi.waitFor(
      () => {
        const v = view();
        for (const j of ['denied', 'redirect', 'allowed']) expect(v[j]?.lastScrapeMs).toBeDefined();
        expect(err.join('')).toContain('discovery refresh failed');
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(denied.requests).toEqual([]);
    const v = view();
    expect(v.allowed?.health).toBe('up');
    expect(v.denied?.health).toBe('down');
    expect(v.denied?.lastError).toMatch(
      /connection refused by lambdascrape: address in denied range (127\.0\.0\.1\/32|::1)$/,
    );
    expect(v.redirect?.health).toBe('down');
    expect(v.redirect?.lastError).toContain(
      `dial tcp ${denied.hostPort}: connection refused by lambdascrape: address in denied range 127.0.0.1/32`,
    );
    expect(err.join('')).toMatch(
      /cannot fetch http_sd targets.*connection refused by lambdascrape/,
    );

    signals.emit('SIGTERM');
    expect(await done).toBe(0);
  }, 30_000);

  it('refuses a bad range as a usage error', async () => {
    const io: CliIo = {
      stdout: () => {},
      stderr: () => {},
      readStdin: async () => new Uint8Array(),
      env: {},
    };
    await expect(runCommand(['--config', 'x.yml', '--deny-cidrs', 'metadata'], io)).rejects.toThrow(
      '--deny-cidrs: invalid address range "metadata"',
    );
  });
});

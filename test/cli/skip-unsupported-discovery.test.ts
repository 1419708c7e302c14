/**
 * `--skip-unsupported-discovery` means the same to `simulate` and `targets` as to `check config`
 * and `run`: without it, a job whose only discovery lambdascrape lacks fails the command; with
 * it, the job is skipped with a warning. (`run`: test/local/run-command.test.ts.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/captured-cli.js';

let dir: string;
let file: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ls-skip-'));
  file = join(dir, 'prometheus.yml');
  await writeFile(
    file,
    "scrape_configs:\n  - job_name: web\n    static_configs: [{targets: ['127.0.0.1:1']}]\n  - job_name: k8s\n    docker_sd_configs: [{host: 'unix:///d.sock'}]\n",
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const REFUSED = ':5:25: job "k8s" has no discovery lambdascrape supports';
const SKIPPED = ':5:25: job \\"k8s\\" is skipped';

describe.each([
  { command: 'simulate', args: ['--duration', '1s'] },
  { command: 'targets', args: ['--json'] },
])('$command', ({ command, args }) => {
  it('fails without the flag', async () => {
    const r = await runCliCaptured([command, '--config', file, ...args]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}${REFUSED}`);
  });

  it('skips the job with it', async () => {
    const r = await runCliCaptured([
      command,
      '--config',
      file,
      ...args,
      '--skip-unsupported-discovery',
    ]);
    expect(r.code).toBe(0);
    if (command === 'simulate') {
      // JSON log lines on stdout: the runtime logs the warning once per container.
      expect(r.out).toContain(`${file}${SKIPPED}`);
    } else {
      expect(JSON.parse(r.out).map((t: { job: string }) => t.job)).toEqual(['web']);
    }
  });
});

/**
 * The habits Prometheus users bring to a command line: `--help` on every command (exit 0, the
 * command's own options), `--version`, unknown commands, options and jobs answered with the
 * closest name, and the documented exit codes (0 ok, 1 failure, 2 usage).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../src/cli/command.js';
import { USAGE } from '../../src/cli/main.js';
import { runCliCaptured } from '../support/captured-cli.js';

describe('--help on every command', () => {
  it.each([
    [
      ['check', 'config'],
      ['FILE...', '--skip-unsupported-discovery'],
    ],
    [
      ['check', 'metrics'],
      ['--content-type TYPE', '--print', '--lenient'],
    ],
    [['targets'], ['--config FILE', '--json']],
    [['scrape'], ['--config FILE', '--job JOB', '--target ADDRESS']],
    [['run'], ['--listen ADDR', '(default 127.0.0.1:9099)', '--storage.path DIR', '--deny-cidrs']],
    [
      ['simulate'],
      ['--duration DURATION', '--price KEY=USD', '(repeatable)', '--detailed-monitoring'],
    ],
  ])('%j --help', async (command, mentions) => {
    for (const flag of ['--help', '-h']) {
      const r = await runCliCaptured([...command, flag]);
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      expect(r.out).toMatch(new RegExp(`^usage: lambdascrape ${command.join(' ')}`));
      for (const m of mentions) expect(r.out).toContain(m);
    }
    // `help <command>` says the same.
    expect((await runCliCaptured(['help', ...command])).out).toBe(
      (await runCliCaptured([...command, '--help'])).out,
    );
  });

  it('the top-level usage lists every command; --help exits 0, no command exits 2', async () => {
    const help = await runCliCaptured(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toBe(USAGE);
    for (const name of ['check config', 'check metrics', 'targets', 'scrape', 'run', 'simulate']) {
      expect(USAGE).toContain(`  ${name} `);
    }
    const none = await runCliCaptured([]);
    expect(none.code).toBe(2);
    expect(none.err).toBe(USAGE);
  });

  it('--version', async () => {
    const r = await runCliCaptured(['--version']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^lambdascrape \d+\.\d+\.\d+ \(node \d+\.\d+\.\d+\)\n$/);
  });
});

describe('typos get the closest name', () => {
  it('an unknown option: exit 2, the suggestion and the command help', async () => {
    const r = await runCliCaptured(['targets', '--confg', 'x.yml']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown option --confg for "targets"; did you mean --config?');
    expect(r.err).toContain('usage: lambdascrape targets');
  });

  it('an unknown option with nothing close: no suggestion', async () => {
    const r = await runCliCaptured(['scrape', '--zzzzzz']);
    expect(r.err).toContain('unknown option --zzzzzz for "scrape"\n');
  });

  it('an unknown command', async () => {
    expect((await runCliCaptured(['simulte'])).err).toContain(
      'unknown command "simulte"; did you mean "simulate"?',
    );
    expect((await runCliCaptured(['check', 'confg'])).err).toContain(
      'unknown command "check confg"; did you mean "check config"?',
    );
    expect((await runCliCaptured(['frobnicate'])).code).toBe(2);
  });

  it('an unknown job lists the jobs and the closest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lambdascrape-help-'));
    const file = join(dir, 'p.yml');
    await writeFile(
      file,
      'scrape_configs:\n  - job_name: node\n    static_configs: [{targets: ["127.0.0.1:1"]}]\n  - job_name: api\n',
    );
    const r = await runCliCaptured(['scrape', '--config', file, '--job', 'nodes']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'error: no scrape config with job_name "nodes"; did you mean "node"? (jobs: "node", "api")\n',
    );
  });

  it('an unexpected argument', async () => {
    const r = await runCliCaptured(['targets', 'p.yml']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('"targets" takes no argument "p.yml" (options start with --)');
  });
});

describe('closest', () => {
  it.each([
    ['confg', ['config', 'json'], 'config'],
    ['jsn', ['config', 'json'], 'json'],
    ['stor', ['storage.path', 'listen'], 'storage.path'],
    ['x', ['config', 'json'], undefined],
    ['deny', ['deny-cidrs'], 'deny-cidrs'],
  ])('%s in %j → %s', (input, candidates, want) => {
    expect(closest(input, candidates)).toBe(want);
  });

  it('editDistance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});

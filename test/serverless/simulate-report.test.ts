/**
 * `simulate`'s report on its own (no stand-ins): which format is chosen, the line saying when
 * the first scrapes come and the warning when the run ends before them, the functions'
 * warnings shown once, the summary of a run with a down target, and the JSON events.
 */
import { describe, expect, it } from 'vitest';
import { commandHelp } from '../../src/cli/command.js';
import { SIMULATE_COMMAND } from '../../src/cli/simulate-command.js';
import { SimulateReport, simulateLogFormat } from '../../src/cli/simulate-report.js';
import { createLogger } from '../../src/log/logger.js';
import type { TargetOutcome, TaskOutcome } from '../../src/pipeline/scraper-outcome.js';
import { NO_DELIVERY, newTaskCounters } from '../../src/pipeline/scraper-outcome.js';
import type { ScrapeTask } from '../../src/ports.js';

/** 2026-12-06 10:00:00 local time. */
const T0 = new Date(2026, 11, 6, 10, 0, 0).getTime();

function report(format: 'human' | 'json') {
  let now = T0;
  let text = '';
  const json: Record<string, unknown>[] = [];
  const r = new SimulateReport({
    format,
    write: (t) => {
      text += t;
    },
    logger: createLogger({ format: 'json', write: (l) => json.push(JSON.parse(l)) }),
    now: () => now,
  });
  return {
    r,
    text: () => text,
    json,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const window = (startMs: number) =>
  ({
    window: { startMs, endMs: startMs + 60_000 },
    shard: 0,
    targets: 2,
    tasks: 8,
    scrapes: 8,
  }) as const;

function task(urls: Record<string, string>): ScrapeTask {
  return {
    kind: 'scrape',
    slotMs: T0,
    targets: Object.entries(urls).map(([id, url]) => ({ id, url, job: id })),
  } as unknown as ScrapeTask;
}

function scraped(id: string, up: boolean, latenessMs: number): TargetOutcome {
  return {
    kind: 'scraped',
    targetId: id,
    job: id,
    slotMs: T0,
    latenessMs,
    waitedMs: 0,
    up,
    error: up ? undefined : 'Get "https://user:pw@db.example:9100/metrics": dial tcp: i/o timeout',
    samples: up ? 10 : 5,
    samplesScraped: up ? 5 : 0,
    durationSeconds: 0.01,
    state: 'unchanged',
    delivery: { ...NO_DELIVERY, samplesSent: up ? 10 : 5 },
    deliveries: [],
  };
}

const outcome = (targets: TargetOutcome[]): TaskOutcome => ({
  kind: 'scrape',
  targets,
  counters: newTaskCounters(),
});

describe('simulateLogFormat', () => {
  it.each([
    [undefined, true, 'human'],
    [undefined, false, 'json'],
    ['json', true, 'json'],
    ['human', false, 'human'],
    ['logfmt', true, undefined],
  ] as const)('--log-format %s, terminal %s → %s', (flag, tty, want) => {
    expect(simulateLogFormat(flag, tty)).toBe(want);
  });

  it('--help documents it and the default', () => {
    const help = commandHelp(SIMULATE_COMMAND);
    expect(help).toContain('--log-format human|json');
    expect(help).toContain('default: human on a terminal, json when stdout is not one');
    expect(help).toContain('stdout stays JSON lines');
  });
});

describe('SimulateReport, human', () => {
  it('says when the first scrapes come, and warns when the run ends before them', () => {
    const h = report('human');
    h.r.started({ configPath: 'p.yml', durationMs: 30_000, remoteWrites: 1 });
    h.advance(500);
    // The first whole minute at least 10 s ahead of 10:00:00.5 starts at 10:01:00.
    h.r.dispatched(window(T0 + 60_000));
    expect(h.text()).toBe(
      'simulating the Lambda deployment of p.yml on this machine for 30s (DynamoDB and SQS in process)\n' +
        '  Ctrl-C stops and prints a summary and the cost report; SIGHUP redeploys the config, SIGUSR1 prints the cost report\n' +
        'first scrapes at 10:01:00 (in 60 s): each dispatch plans the first whole window at least 10s ahead; 2 targets, 8 scrapes planned for 10:01:00–10:02:00\n' +
        'warning: the run ends at 10:00:30, before the first scrape: nothing will be scraped; give --duration 2m or more\n',
    );
    // Only the first dispatch says it.
    h.r.dispatched(window(T0 + 120_000));
    expect(h.text().match(/first scrapes at/g)).toHaveLength(1);
  });

  it('a first dispatch done before the start line is said after it', () => {
    const h = report('human');
    h.r.dispatched(window(T0 + 60_000));
    expect(h.text()).toBe('');
    h.r.started({ configPath: 'p.yml', durationMs: undefined, remoteWrites: 1 });
    expect(h.text().split('\n')[2]).toMatch(/^first scrapes at 10:01:00 \(in 60 s\)/);
  });

  it('warns once when there is no remote_write, and once per down target', () => {
    const h = report('human');
    h.r.started({ configPath: 'p.yml', durationMs: undefined, remoteWrites: 0 });
    expect(h.text()).toContain('until Ctrl-C');
    expect(h.text()).toContain(
      'warning: the config has no remote_write: scraped samples go nowhere',
    );
    const t = task({ a: 'http://a:9100/metrics', db: 'https://user:pw@db.example:9100/metrics' });
    h.r.taskDone(t, outcome([scraped('a', true, 3), scraped('db', false, 5)]));
    h.r.taskDone(t, outcome([scraped('a', true, 4), scraped('db', false, 6)]));
    const warnings = h
      .text()
      .split('\n')
      .filter((l) => l.startsWith('warning: job'));
    expect(warnings).toEqual([
      'warning: job "db": target https://db.example:9100/metrics is down: Get "https://db.example:9100/metrics": dial tcp: i/o timeout',
    ]);
    expect(h.text()).toContain(
      '\n  simulate scrapes from this machine: the target must run and be reachable from here (reported once per target',
    );
    expect(h.text()).not.toContain('pw@');
  });

  it('status lines: before the first scrape, then health, scrapes, lateness p99, outbox, cost', () => {
    const h = report('human');
    h.r.started({ configPath: 'p.yml', durationMs: undefined, remoteWrites: 1 });
    h.r.dispatched(window(T0 + 60_000));
    h.advance(10_000);
    h.r.status({ outboxDepth: 0, monthlyUsd: undefined });
    const t = task({ a: 'http://a/metrics', b: 'http://b/metrics' });
    h.advance(60_000);
    h.r.taskDone(t, outcome([scraped('a', true, 3), scraped('b', false, 12)]));
    h.advance(1_000);
    h.r.status({ outboxDepth: 2, monthlyUsd: 1.234 });
    h.r.status({ outboxDepth: undefined, monthlyUsd: 1.5 });
    expect(
      h
        .text()
        .split('\n')
        .filter((l) => /^\d\d:/.test(l)),
    ).toEqual([
      '10:00:10  no scrape yet (first at 10:01:00, in 50 s) · outbox 0 · cost: after warm-up',
      '10:01:11  targets 1 up, 1 down · scrapes 2 (+2) · lateness p99 12 ms · outbox 2 · ≈ $1.23/month so far',
      '10:01:11  targets 1 up, 1 down · scrapes 2 (+0) · lateness p99 – · outbox ? · ≈ $1.50/month so far',
    ]);
  });

  it("shows the functions' warnings and errors once each, and counts the repeats in the summary", () => {
    const h = report('human');
    h.r.started({ configPath: 'p.yml', durationMs: undefined, remoteWrites: 1 });
    const line = (level: string, msg: string, fields = {}) =>
      `${JSON.stringify({ ts: 'x', level, msg, ...fields })}\n`;
    h.r.functionLine(line('info', 'dispatch done', { window: 1 }));
    h.r.functionLine(line('warn', 'self-metrics not sent', { function: 'scraper', err: 'boom' }));
    h.r.functionLine(line('warn', 'self-metrics not sent', { function: 'outbox', err: 'boom' }));
    h.r.functionLine(line('error', 'dispatch failed'));
    h.r.functionLine('{"_aws":{}} not json');
    const t = task({ a: 'http://a/metrics' });
    h.r.taskDone(t, outcome([scraped('a', true, 3)]));
    h.advance(65_000);
    h.r.summary({ outboxDepth: 0, remoteWrites: 1 });
    expect(h.text().split('\n').slice(2)).toEqual([
      'warning: self-metrics not sent (function=scraper err=boom)',
      'error: dispatch failed',
      'summary: ran 1m5s, 1 scrape: 1 up, 0 down',
      '  job  targets  scrapes      up    down',
      '  a          1        1       1       0',
      '  samples: 10 written, 10 delivered, 0 parked in the outbox (0 delivered from it later, 0 writes still there), 0 rejected',
      '  lateness (read time − slot): p50 3 ms, p99 3 ms, max 3 ms',
      '  repeated 2 times: self-metrics not sent',
      '',
    ]);
  });

  it('a summary with nothing scraped says why', () => {
    const h = report('human');
    h.r.started({ configPath: 'p.yml', durationMs: 20_000, remoteWrites: 0 });
    h.r.dispatched(window(T0 + 60_000));
    h.advance(20_000);
    h.r.summary({ outboxDepth: 0, remoteWrites: 0 });
    expect(h.text()).toContain(
      'summary: ran 20s, 0 scrapes: 0 up, 0 down\n' +
        '  nothing was scraped: the run ended before the first scrapes (planned from 10:01:00)\n' +
        '  samples: 0 written (scraped, up and the other report series), sent nowhere (no remote_write)\n',
    );
  });
});

describe('SimulateReport, json', () => {
  it('events as JSON lines, no text, no status lines', () => {
    const j = report('json');
    j.r.started({ configPath: 'p.yml', durationMs: 5_000, remoteWrites: 0 });
    j.r.dispatched(window(T0 + 60_000));
    j.r.taskDone(
      task({ db: 'https://user:pw@db.example:9100/metrics' }),
      outcome([scraped('db', false, 5)]),
    );
    j.r.status({ outboxDepth: 0, monthlyUsd: 1 });
    j.r.functionLine('{"level":"warn","msg":"x"}\n');
    j.r.summary({ outboxDepth: 0, remoteWrites: 0 });
    expect(j.text()).toBe('');
    expect(j.json.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'no remote_write: scraped samples go nowhere'],
      ['info', 'first scrapes planned'],
      ['warn', 'the run ends before the first scrape'],
      ['warn', 'target down: not reachable from where simulate runs?'],
      ['info', 'simulation summary'],
    ]);
    expect(j.json[1]).toMatchObject({ firstScrapeMs: T0 + 60_000, inMs: 60_000, targets: 2 });
    expect(j.json[3]).toMatchObject({ job: 'db', url: 'https://db.example:9100/metrics' });
    expect(j.json[4]).toMatchObject({ scrapes: 1, up: 0, down: 1, jobs: [{ job: 'db', down: 1 }] });
  });
});

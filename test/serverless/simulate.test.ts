/**
 * The whole serverless flow on the real clock, as `lambdascrape simulate` runs it: dynalite,
 * fauxqs, discovery, dispatch, the scrape queue and the outbox replayer, against a local
 * target and a local remote-write receiver. Windows of 2 s (the planner plans ≥ 10 s ahead,
 * plan.ts `windowFor`), so the first samples arrive ~12 s after start.
 */
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  nextScheduleMs,
  type Simulation,
  scheduleOffsetMs,
  startSimulation,
} from '../../src/cli/simulate.js';
import { createLogger } from '../../src/log/logger.js';
import { DEFAULT_LEAD_MS } from '../../src/pipeline/plan.js';
import { startReceiver, type TestReceiver } from '../remotewrite/wire.js';
import { pollUntil } from '../support/poll.js';

describe('simulate (integration)', () => {
  let dir: string;
  let target: Server;
  let receiver: TestReceiver;
  let sim: Simulation | undefined;
  const logs: string[] = [];
  const emf: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ls-simulate-'));
    target = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# TYPE sim_value gauge\nsim_value 42\n');
    });
    target.listen(0, '127.0.0.1');
    await once(target, 'listening');
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await sim?.stop();
    await receiver?.close();
    target?.closeAllConnections();
    await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
    await rm(dir, { recursive: true, force: true });
  });

  it('scrapes on slot timestamps and remote-writes the samples', async () => {
    const { port } = target.address() as AddressInfo;
    const configPath = join(dir, 'prometheus.yml');
    await writeFile(
      configPath,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 500ms',
        '  external_labels: { sim: "yes" }',
        'scrape_configs:',
        '  - job_name: app',
        `    static_configs: [{ targets: ["127.0.0.1:${port}"] }]`,
        'remote_write:',
        `  - url: ${receiver.url}`,
        '',
      ].join('\n'),
    );
    const startedMs = Date.now();
    sim = await startSimulation({
      configPath,
      logger: createLogger({ format: 'json', level: 'debug', write: (l) => logs.push(l) }),
      windowMs: 2_000,
      periodMs: 2_000,
      pollWaitSeconds: 1,
      configEnv: {},
      writeEmf: (line) => emf.push(line),
      emfMetrics: true,
    });

    const valueSamples = () =>
      receiver.requests.flatMap((r) =>
        (r.decoded?.timeseries ?? [])
          .filter((s) => s.labels.some((l) => l.name === '__name__' && l.value === 'sim_value'))
          .map((s) => ({ labels: s.labels, samples: s.samples })),
      );
    await pollUntil(async () => (valueSamples().length >= 2 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'two scrapes remote-written',
      describe: () => logs.join(''),
    });

    const [stored] = await sim.runtime.targets.list();
    expect(stored).toBeDefined();
    const series = valueSamples();
    for (const s of series) {
      expect(s.labels).toEqual(
        expect.arrayContaining([
          { name: 'job', value: 'app' },
          { name: 'instance', value: `127.0.0.1:${port}` },
          { name: 'sim', value: 'yes' },
        ]),
      );
      expect(s.samples).toHaveLength(1);
      const { value, timestamp } = s.samples[0]!;
      expect(value).toBe(42);
      // A slot: the target's fixed phase (§9), not the time the scrape happened to run.
      expect(timestamp % stored!.intervalMs).toBe(stored!.offsetMs);
      expect(timestamp).toBeGreaterThan(startedMs);
      // A target is read up to the lead before its slot (plan.ts DEFAULT_LEAD_MS).
      expect(timestamp).toBeLessThanOrEqual(Date.now() + DEFAULT_LEAD_MS);
    }
    const stamps = series.map((s) => s.samples[0]!.timestamp);
    expect(new Set(stamps).size).toBe(stamps.length);
    expect(logs.some((l) => l.includes('"msg":"task done"') && l.includes('"up":1'))).toBe(true);
  }, 45_000);

  it('replays the outbox: a delivered write, and a malformed one moved to the outbox DLQ', async () => {
    expect(sim).toBeDefined();
    const { sqs, env } = sim!.runtime;
    const before = receiver.requests.length;
    const body = new Uint8Array([0xca, 0xfe]);
    await sim!.runtime.outbox.park([
      {
        remoteWrite: sim!.runtime.config.remoteWrite[0]!.name,
        body,
        samples: 1,
        firstParkedMs: Date.now(),
        stream: '0123456789abcdef',
        slotMs: 1_700_000_000_000,
        part: 0,
      },
    ]);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: env.outboxQueueUrl,
        MessageBody: 'junk',
        MessageGroupId: 'junk',
        MessageDeduplicationId: 'junk',
      }),
    );
    const letter = await pollUntil(
      async () => {
        const r = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: env.outboxDlqUrl,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ['All'],
          }),
        );
        return r.Messages?.[0];
      },
      { timeoutMs: 10_000, what: 'malformed outbox message in the DLQ' },
    );
    expect(letter.Body).toBe('junk');
    expect(letter.MessageAttributes?.reason?.StringValue).toBe('malformed');
    await pollUntil(
      async () =>
        receiver.requests.slice(before).some((r) => Buffer.from(r.body).equals(Buffer.from(body)))
          ? true
          : undefined,
      { timeoutMs: 10_000, what: 'replayed write delivered' },
    );
    expect(logs.some((l) => l.includes('"msg":"outbox write done"'))).toBe(true);
  }, 30_000);

  it('each of the four functions flushed its own self-metrics: EMF lines and series', async () => {
    const functionsSent = (): string[] => {
      const sent = new Set<string>();
      for (const r of receiver.requests) {
        for (const s of r.decoded?.timeseries ?? []) {
          const get = (n: string) => s.labels.find((l) => l.name === n)?.value;
          if (get('job') !== 'lambdascrape') continue;
          expect(get('instance')).toMatch(/^lambdascrape:[0-9a-f]{8}$/);
          expect(get('sim')).toBe('yes');
          sent.add(get('function') ?? '');
        }
      }
      return [...sent].sort();
    };
    const all = ['discovery', 'dispatcher', 'outbox', 'scraper'];
    // The outbox's flush follows its replay (the previous test), so it may still be on its way.
    await pollUntil(async () => (functionsSent().length === all.length ? true : undefined), {
      timeoutMs: 5_000,
      what: 'self-metrics of the four functions remote-written',
      describe: () => functionsSent().join(', '),
    });
    expect(functionsSent()).toEqual(all);
    const functions = new Set(emf.map((l) => (JSON.parse(l) as { Function: string }).Function));
    expect([...functions].sort()).toEqual(all);
  });
});

describe('the simulated schedule', () => {
  it.each([
    { name: 'offset is 1% of a short period', periodMs: 2_000, offsetMs: 20 },
    { name: 'offset is at most 500 ms', periodMs: 60_000, offsetMs: 500 },
  ])('$name', ({ periodMs, offsetMs }) => {
    expect(scheduleOffsetMs(periodMs)).toBe(offsetMs);
  });

  it.each([
    { name: 'mid-period → next boundary + offset', now: 1_000_030_000, want: 1_000_080_500 },
    { name: 'just before the offset → this boundary', now: 1_000_020_499, want: 1_000_020_500 },
    { name: 'exactly at the offset → the next one', now: 1_000_020_500, want: 1_000_080_500 },
    { name: 'on the boundary → its offset', now: 1_000_020_000, want: 1_000_020_500 },
  ])('$name', ({ now, want }) => {
    // 1_000_020_000 is a multiple of 60 000.
    expect(nextScheduleMs(now, 60_000)).toBe(want);
  });
});

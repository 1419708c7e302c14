/**
 * `simulate` with `protobuf_message: io.prometheus.write.v2.Request` (it used to crash at
 * start): the whole Lambda flow sends 2.0 Requests to a local 2.0 receiver, each series with
 * its family's metadata, read back with the independent decoder (wire-v2.ts).
 */
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulation, startSimulation } from '../../src/cli/simulate.js';
import { createLogger } from '../../src/log/logger.js';
import { startV2Receiver, type V2Receiver } from '../remotewrite/wire-v2.js';
import { pollUntil } from '../support/poll.js';

describe('simulate with remote write 2.0 (integration)', () => {
  let dir: string;
  let target: Server;
  let receiver: V2Receiver;
  let sim: Simulation | undefined;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ls-simulate-v2-'));
    target = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# HELP sim_value A value.\n# TYPE sim_value gauge\nsim_value 42\n');
    });
    target.listen(0, '127.0.0.1');
    await once(target, 'listening');
    receiver = await startV2Receiver('v2');
  });

  afterAll(async () => {
    await sim?.stop();
    await receiver?.close();
    target?.closeAllConnections();
    await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
    await rm(dir, { recursive: true, force: true });
  });

  it('scrapes and sends 2.0 Requests with per-series metadata', async () => {
    const { port } = target.address() as AddressInfo;
    const configPath = join(dir, 'prometheus.yml');
    await writeFile(
      configPath,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 500ms',
        'scrape_configs:',
        '  - job_name: app',
        `    static_configs: [{ targets: ["127.0.0.1:${port}"] }]`,
        'remote_write:',
        `  - url: ${receiver.url}`,
        '    protobuf_message: io.prometheus.write.v2.Request',
        '',
      ].join('\n'),
    );
    sim = await startSimulation({
      configPath,
      logger: createLogger({ format: 'json', level: 'debug', write: (l) => logs.push(l) }),
      windowMs: 2_000,
      periodMs: 2_000,
      pollWaitSeconds: 1,
      configEnv: {},
      writeEmf: () => {},
    });
    const series = (name: string) =>
      receiver.requests.flatMap((r) =>
        (r.v2?.timeseries ?? []).filter((t) =>
          t.labels.some(([n, v]) => n === '__name__' && v === name),
        ),
      );
    await pollUntil(async () => (series('sim_value').length >= 2 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'two scrapes remote-written in 2.0',
      describe: () => logs.join(''),
    });
    expect(receiver.requests.every((r) => r.message === 'v2' && r.status === 204)).toBe(true);
    for (const t of series('sim_value')) {
      expect(t.samples.map((s) => s.value)).toEqual([42]);
      expect(t.metadata).toMatchObject({ type: 2, help: 'A value.', unit: '' });
      expect(Object.fromEntries(t.labels)).toMatchObject({
        job: 'app',
        instance: `127.0.0.1:${port}`,
      });
    }
    expect(series('up')[0]!.metadata).toMatchObject({ type: 2, unit: 'targets' });
    expect(logs.some((l) => l.includes('does not take 2.0'))).toBe(false);
  }, 45_000);
});

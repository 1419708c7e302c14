/**
 * lambdascrape `run` with `protobuf_message: io.prometheus.write.v2.Request` into the real
 * Prometheus of this machine (Debian's 2.42). That Prometheus predates remote write 2.0: it
 * decodes a 2.0 body as an empty 1.0 WriteRequest and answers 204 without the written-count
 * headers, storing nothing (docs/testing.md). So what this proves is the fallback the 2.0 spec
 * asks for: a 2xx without written headers read as a 415, the writer switches to 1.0 for good,
 * re-sends what was refused, and every scrape is stored. A Prometheus that takes 2.0 (3.x with
 * `--web.remote-write-receiver.accepted-protobuf-messages`) would take the 2.0 path instead;
 * the test says which one it saw.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { LocalRunner } from '../../src/local/runner.js';
import { createLogger } from '../../src/log/logger.js';
import { snappyCompress } from '../../src/remotewrite/snappy.js';
import { pollUntil } from '../support/poll.js';
import {
  binaryAvailable,
  queryInstant,
  queryMatrix,
  type RestartableProcess,
  startNodeExporter,
  startPrometheus,
} from '../support/processes.js';

const BINARIES = ['/usr/bin/prometheus', '/usr/bin/prometheus-node-exporter'];
const missing = BINARIES.filter((b) => !binaryAvailable(b));
const title =
  missing.length === 0
    ? 'remote write 2.0 config into a real Prometheus receiver'
    : `remote write 2.0 config into Prometheus (SKIPPED: ${missing.join(', ')} not installed)`;

/** An uncompressed 2.0 Request: symbols "", "__name__", "v2_probe"; one series, one sample. */
function probeRequest(tsMs: number): Uint8Array {
  const ts: number[] = [];
  let v = tsMs;
  while (v >= 0x80) {
    ts.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  ts.push(v);
  const sample = [0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, ...ts]; // value 1.0, timestamp
  const series = [0x0a, 0x02, 0x01, 0x02, 0x12, sample.length, ...sample];
  const symbol = (s: string) => [0x22, s.length, ...Buffer.from(s)];
  return Uint8Array.from([
    ...symbol(''),
    ...symbol('__name__'),
    ...symbol('v2_probe'),
    0x2a,
    series.length,
    ...series,
  ]);
}

describe.runIf(missing.length === 0)(title, () => {
  let backend: RestartableProcess;
  let exporter: RestartableProcess;
  let runner: LocalRunner;
  const log: string[] = [];

  beforeAll(async () => {
    [backend, exporter] = await Promise.all([startPrometheus('global: {}\n'), startNodeExporter()]);
    runner = new LocalRunner({
      config: loadConfig(
        `
global:
  scrape_interval: 2s
  scrape_timeout: 1500ms
scrape_configs:
  - job_name: ls-node
    static_configs:
      - targets: ['127.0.0.1:${exporter.port}']
remote_write:
  - url: ${backend.url}/api/v1/write
    name: backend
    protobuf_message: io.prometheus.write.v2.Request
`,
        { sourcePath: 'e2e-remote-write-v2.yml' },
      ),
      listen: { host: '127.0.0.1', port: 0 },
      logger: createLogger({ level: 'info', write: (line) => log.push(line) }),
      flushTimeoutMs: 3_000,
    });
    await runner.start();
  }, 60_000);

  afterAll(async () => {
    await runner?.stop();
    await exporter?.stop();
    await backend?.stop();
  });

  it('this Prometheus answers a 2.0 request 204 without written headers and stores nothing', async () => {
    const at = Math.floor(Date.now() / 1000) * 1000 - 30_000;
    const res = await fetch(`${backend.url}/api/v1/write`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
        'content-encoding': 'snappy',
        'x-prometheus-remote-write-version': '2.0.0',
      },
      body: snappyCompress(probeRequest(at)),
    });
    const written = res.headers.get('x-prometheus-remote-write-samples-written');
    if (res.status === 204 && written === null) {
      expect(await queryInstant(backend.url, 'v2_probe', at / 1000)).toEqual([]);
    } else {
      // A receiver with 2.0: the rest of this file then checks the 2.0 path, not the fallback.
      expect(written).toBe('1');
    }
  });

  it('every scrape reaches it: 2.0 refused as the spec says to read it, then 1.0 for good', async () => {
    await pollUntil(
      async () => {
        const up = await queryInstant(backend.url, 'count_over_time(up{job="ls-node"}[1m]) >= 3');
        return up.length === 1 ? true : undefined;
      },
      { what: 'three scrapes stored', timeoutMs: 45_000, describe: () => log.join('') },
    );
    const fellBack = log.some((l) => l.includes('does not take 2.0: sending 1.0 from now on'));
    const version = execFileSync('/usr/bin/prometheus', ['--version'], { encoding: 'utf8' });
    if (/version 2\./.test(version)) expect(fellBack).toBe(true);
    // One fallback, however many requests were in flight.
    expect(log.filter((l) => l.includes('does not take 2.0')).length).toBeLessThanOrEqual(1);
    // The whole exporter, not just `up`: about 500 series on this machine.
    const series = await queryInstant(backend.url, 'count({job="ls-node"})');
    expect(Number(series[0]?.value[1])).toBeGreaterThan(300);
    // Every slot from the first on, one interval apart: none lost to the refused 2.0 requests.
    const [up] = await queryMatrix(backend.url, 'up{job="ls-node"}[5m]');
    const stamps = up!.values.map(([t]) => Math.round(t * 1000));
    expect(stamps.length).toBeGreaterThanOrEqual(3);
    expect(stamps.slice(1).map((t, i) => t - stamps[i]!)).toEqual(
      Array(stamps.length - 1).fill(2_000),
    );
  }, 60_000);
});

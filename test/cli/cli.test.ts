/**
 * The `lambdascrape` commands, run in process with captured output.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/captured-cli.js';

let dir: string;
let server: Server;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lambdascrape-cli-'));
  server = createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# TYPE reqs counter\nreqs_total{code="200"} 5\n');
    } else {
      res.writeHead(500);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function configFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('check config', () => {
  it('exits 0 for a valid file', async () => {
    const f = await configFile('ok.yml', 'scrape_configs: [{job_name: a}]\n');
    const r = await runCliCaptured(['check', 'config', f]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('SUCCESS');
  });

  it('accepts remote write 2.0 and refuses an unknown protobuf_message as Prometheus does', async () => {
    const rw = (message: string) =>
      `remote_write:\n  - url: http://127.0.0.1:9/api/v1/write\n    protobuf_message: ${message}\n`;
    const ok = await runCliCaptured([
      'check',
      'config',
      await configFile('rw2.yml', rw('io.prometheus.write.v2.Request')),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('1 remote writes');
    const bad = await runCliCaptured([
      'check',
      'config',
      await configFile('rw2-bad.yml', rw('io.prometheus.writet.v2.Request')),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(
      'invalid protobuf_message value: unknown type for remote write protobuf message io.prometheus.writet.v2.Request, supported: prometheus.WriteRequest, io.prometheus.write.v2.Request',
    );
  });

  it('exits 1 with file:line:col and never prints a secret', async () => {
    const f = await configFile(
      'bad.yml',
      [
        'scrape_configs:',
        '  - job_name: a',
        '    basic_auth: {username: u, password: hunter2}',
        '    authorization: {credentials: s3cr3t}',
        '    scrape_intervl: 5s',
      ].join('\n'),
    );
    const r = await runCliCaptured(['check', 'config', f]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.yml:5:5: field scrape_intervl not found/);
    expect(r.out + r.err).not.toMatch(/hunter2|s3cr3t/);
  });
});

describe('check metrics', () => {
  it('prints every sample with sorted labels when asked', async () => {
    const r = await runCliCaptured(['check', 'metrics', '--print'], {
      stdin: 'b{z="1",a="2"} 3 1000\nc NaN\n',
    });
    expect(r.code).toBe(0);
    expect(r.out).toBe('b{a="2", z="1"} 3 1000\nc NaN\n');
  });

  it('exits 1 with the line number of the first error', async () => {
    const r = await runCliCaptured(['check', 'metrics'], { stdin: 'ok 1\nbad{ 2\n' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/line 2/);
  });

  it('parses OpenMetrics when told so', async () => {
    const om = '# TYPE a counter\na_total 1\n# EOF\n';
    const ok = await runCliCaptured(
      ['check', 'metrics', '--content-type', 'application/openmetrics-text'],
      { stdin: om },
    );
    expect(ok.code).toBe(0);
    const missingEof = await runCliCaptured(
      ['check', 'metrics', '--content-type', 'application/openmetrics-text'],
      { stdin: 'a_total 1\n' },
    );
    expect(missingEof.code).toBe(1);
  });

  it('applies the OpenMetrics family rules unless --lenient', async () => {
    // A negative counter value: invalid OpenMetrics, but Prometheus ingests it.
    const body = '# TYPE a counter\na_total -1\n# EOF\n';
    const ct = ['--content-type', 'application/openmetrics-text'];
    expect((await runCliCaptured(['check', 'metrics', ...ct], { stdin: body })).code).toBe(1);
    expect(
      (await runCliCaptured(['check', 'metrics', ...ct, '--lenient'], { stdin: body })).code,
    ).toBe(0);
  });
});

describe('targets', () => {
  it('lists active and dropped targets as JSON', async () => {
    const f = await configFile(
      'targets.yml',
      `
scrape_configs:
  - job_name: web
    static_configs:
      - targets: ['a:80', 'b:81']
        labels: {env: prod}
    relabel_configs:
      - source_labels: [__address__]
        regex: 'b:.*'
        action: drop
`,
    );
    const r = await runCliCaptured(['targets', '--config', f, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([
      {
        job: 'web',
        url: 'http://a:80/metrics',
        labels: { env: 'prod', instance: 'a:80', job: 'web' },
        discoveredLabels: {
          __address__: 'a:80',
          __metrics_path__: '/metrics',
          __scheme__: 'http',
          __scrape_interval__: '1m',
          __scrape_timeout__: '10s',
          __scrape_native_histograms__: 'false',
          __always_scrape_classic_histograms__: 'false',
          __convert_classic_histograms_to_nhcb__: 'false',
          env: 'prod',
          job: 'web',
        },
        state: 'active',
      },
      {
        job: 'web',
        url: null,
        labels: {},
        discoveredLabels: expect.objectContaining({ __address__: 'b:81', env: 'prod' }),
        state: 'dropped',
      },
    ]);
  });
});

describe('scrape', () => {
  it('prints the series of one scrape, report series included', async () => {
    const f = await configFile(
      'scrape.yml',
      `scrape_configs:\n  - job_name: app\n    static_configs: [{targets: ['127.0.0.1:${port}']}]\n`,
    );
    const r = await runCliCaptured(['scrape', '--config', f, '--job', 'app']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    const inst = `127.0.0.1:${port}`;
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^reqs_total\\{code="200", instance="${inst}", job="app"\\} 5 \\d{13}$`),
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^up\\{instance="${inst}", job="app"\\} 1 \\d{13}$`)),
    );
    expect(lines).toHaveLength(6);
  });

  it('exits 1 and says why when the target is down', async () => {
    const f = await configFile(
      'down.yml',
      `scrape_configs:\n  - job_name: app\n    metrics_path: /nope\n    static_configs: [{targets: ['127.0.0.1:${port}']}]\n`,
    );
    const r = await runCliCaptured(['scrape', '--config', f, '--job', 'app']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/server returned HTTP status 500/);
    expect(r.out).toMatch(/^up\{.*\} 0 \d+$/m);
  });

  it('rejects an unknown job', async () => {
    const f = await configFile('nojob.yml', 'scrape_configs: [{job_name: a}]\n');
    const r = await runCliCaptured(['scrape', '--config', f, '--job', 'b']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no scrape config with job_name "b"');
  });
});

describe('usage', () => {
  it('exits 2 on an unknown command', async () => {
    const r = await runCliCaptured(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('usage: lambdascrape');
  });
});

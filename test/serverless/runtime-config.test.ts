/**
 * The Lambda functions load the config with the same check as `check config` and `cdk synth`
 * (src/serverless/runtime.ts): a job whose only discovery lambdascrape lacks fails the container
 * unless LAMBDASCRAPE_SKIP_UNSUPPORTED_DISCOVERY is on, and warnings are logged once.
 * Nothing connects: the endpoints are never called while the runtime is built.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { createLogger, type LogFields } from '../../src/log/logger.js';
import { createRuntime } from '../../src/serverless/all-functions.js';
import { readServerlessEnv } from '../../src/serverless/env.js';

describe('createRuntime and discovery lambdascrape lacks', () => {
  let dir: string;
  let env: Record<string, string>;
  const lines: (LogFields & { msg: string; level: string })[] = [];
  const options = {
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    logger: createLogger({ format: 'json', write: (l) => lines.push(JSON.parse(l)) }),
    configEnv: {},
    selfMetrics: { writeEmf: () => {} },
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ls-runtime-config-'));
    const config = join(dir, 'prometheus.yml');
    await writeFile(
      config,
      [
        'scrape_configs:',
        '  - job_name: web',
        "    static_configs: [{targets: ['127.0.0.1:1']}]",
        '  - job_name: k8s',
        "    docker_sd_configs: [{host: 'unix:///d.sock'}]",
        '',
      ].join('\n'),
    );
    const queue = 'http://127.0.0.1:1/000000000000/q';
    env = {
      LAMBDASCRAPE_CONFIG: config,
      TARGETS_TABLE: 'targets',
      STATE_TABLE: 'state',
      SCRAPE_QUEUE_URL: queue,
      OUTBOX_QUEUE_URL: queue,
      OUTBOX_DLQ_URL: queue,
      DEPLOYMENT_ID: 'test',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:1',
      SQS_ENDPOINT: 'http://127.0.0.1:1',
    };
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fails the container by default, with the message check config gives', async () => {
    const err = await createRuntime(readServerlessEnv(env), options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).errors).toEqual([
      expect.stringContaining(
        'prometheus.yml:5:25: job "k8s" has no discovery lambdascrape supports',
      ),
    ]);
  });

  it('skips the job with LAMBDASCRAPE_SKIP_UNSUPPORTED_DISCOVERY=on, logging why', async () => {
    lines.length = 0;
    const on = { ...env, LAMBDASCRAPE_SKIP_UNSUPPORTED_DISCOVERY: 'on' };
    const runtime = await createRuntime(readServerlessEnv(on), options);
    try {
      expect(runtime.config.scrapeConfigs.map((j) => j.jobName)).toEqual(['web']);
      expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
        expect.stringMatching(
          /prometheus\.yml:5:25: job "k8s" is skipped: docker_sd_configs is not supported yet, and it has no other discovery$/,
        ),
      ]);
    } finally {
      await runtime.close();
    }
  });
});

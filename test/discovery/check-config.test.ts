import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/captured-cli.js';

/**
 * `check config` reports every mechanism's config errors the way it reports the rest of the
 * config: `file:line:col: message` with the loader's wording. Each entry is written on line 4,
 * starting at column 9.
 */
const cases: { name: string; key: string; entry: string; error: string }[] = [
  {
    name: 'static_configs: unknown field',
    key: 'static_configs',
    entry: '{targets: [a:1], labls: {}}',
    error: '4:26: field labls not found in type targetgroup.Group',
  },
  {
    name: 'static_configs: wrong type',
    key: 'static_configs',
    entry: '{targets: a:1}',
    error: '4:19: cannot unmarshal !!str `a:1` into []string',
  },
  {
    name: 'file_sd_configs: unknown field',
    key: 'file_sd_configs',
    entry: '{files: [a.json], refresh: 1m}',
    error: '4:27: field refresh not found in type file.SDConfig',
  },
  {
    name: 'file_sd_configs: wrong type',
    key: 'file_sd_configs',
    entry: '{files: [a.json], refresh_interval: [1m]}',
    error: '4:45: cannot unmarshal !!seq into model.Duration',
  },
  {
    name: 'ec2_sd_configs: unknown field',
    key: 'ec2_sd_configs',
    entry: '{regoin: x}',
    error: '4:10: field regoin not found in type aws.EC2SDConfig',
  },
  {
    name: 'ec2_sd_configs: wrong type',
    key: 'ec2_sd_configs',
    entry: '{port: http}',
    error: '4:16: cannot unmarshal !!str `http` into int',
  },
  {
    name: 'dns_sd_configs: unknown field',
    key: 'dns_sd_configs',
    entry: '{names: [a], nam: b}',
    error: '4:22: field nam not found in type dns.SDConfig',
  },
  {
    name: 'dns_sd_configs: wrong type',
    key: 'dns_sd_configs',
    entry: '{names: a}',
    error: '4:17: cannot unmarshal !!str `a` into []string',
  },
  {
    name: 'http_sd_configs: unknown field',
    key: 'http_sd_configs',
    entry: '{url: http://h/, refresh: 1m}',
    error: '4:26: field refresh not found in type http.SDConfig',
  },
  {
    name: 'http_sd_configs: wrong type',
    key: 'http_sd_configs',
    entry: '{url: http://h/, follow_redirects: maybe}',
    error: '4:44: cannot unmarshal !!str `maybe` into bool',
  },
  {
    name: 'consul_sd_configs: unknown field',
    key: 'consul_sd_configs',
    entry: '{servers: h}',
    error: '4:10: field servers not found in type consul.SDConfig',
  },
  {
    name: 'consul_sd_configs: wrong type',
    key: 'consul_sd_configs',
    entry: '{services: web}',
    error: '4:20: cannot unmarshal !!str `web` into []string',
  },
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lambdascrape-sd-check-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function checkConfig(text: string): Promise<{ code: number; err: string; file: string }> {
  const file = join(dir, 'prometheus.yml');
  await writeFile(file, text);
  const { code, err } = await runCliCaptured(['check', 'config', file]);
  return { code, err, file };
}

describe('check config: service-discovery errors', () => {
  it.each(cases)('$name', async ({ key, entry, error }) => {
    const text = ['scrape_configs:', '  - job_name: j', `    ${key}:`, `      - ${entry}`, ''];
    const { code, err, file } = await checkConfig(text.join('\n'));
    expect(code).toBe(1);
    expect(err).toBe(`  FAILED: ${file}:${error}\n`);
  });
});

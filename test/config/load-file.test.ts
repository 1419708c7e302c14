import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { checkConfig, loadConfigFile } from '../../src/config/load.js';
import { loadCheckedConfig } from '../../src/config/load-file.js';

const FIXTURES = 'test/fixtures/config';
const ABS_FIXTURES = resolve(FIXTURES);

describe('loadConfigFile', () => {
  it('loads a realistic prometheus.yml', async () => {
    const config = await loadConfigFile(join(FIXTURES, 'valid.yml'), { env: { CLUSTER: 'c1' } });
    expect(config.sourcePath).toBe(join(FIXTURES, 'valid.yml'));
    expect(config.global.externalLabels).toEqual({ cluster: 'c1', replica: '$literal' });
    expect(config.scrapeConfigs.map((j) => [j.jobName, j.scrapeInterval, j.scrapeTimeout])).toEqual(
      [
        ['prometheus', 15_000, 10_000],
        ['node', 30_000, 20_000],
      ],
    );
    const node = config.scrapeConfigs[1]!;
    expect(node.httpClient.basicAuth?.passwordFile).toBe(
      join(ABS_FIXTURES, 'secrets/node-password'),
    );
    expect(node.httpClient.tlsConfig.caFile).toBe(join(ABS_FIXTURES, 'certs/ca.pem'));
    expect(node.otherSdConfigs).toEqual({ ec2_sd_configs: [{ region: 'eu-west-1', port: 9100 }] });
    expect(node.relabelConfigs.map((r) => r.action)).toEqual(['replace', 'labeldrop']);
    expect(config.remoteWrite[0]?.queueConfig.maxSamplesPerSend).toBe(1000);
    expect(config.remoteWrite[0]?.sigv4?.region).toBe('eu-west-1');
  });

  it("scrape_failure_log_file: resolved against the config folder, the job's own over the global", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failure-log-config-'));
    try {
      const file = join(dir, 'prometheus.yml');
      writeFileSync(
        file,
        [
          'global: { scrape_failure_log_file: logs/all.log }',
          'scrape_configs:',
          '  - job_name: a',
          '  - job_name: b',
          '    scrape_failure_log_file: /var/log/b.log',
        ].join('\n'),
      );
      const config = await loadConfigFile(file);
      expect(config.global.scrapeFailureLogFile).toBe(join(dir, 'logs/all.log'));
      expect(config.scrapeConfigs.map((j) => j.scrapeFailureLogFile)).toEqual([
        join(dir, 'logs/all.log'),
        '/var/log/b.log',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('wraps an unreadable file in a ConfigError', async () => {
    const missing = join(FIXTURES, 'does-not-exist.yml');
    await expect(loadConfigFile(missing)).rejects.toBeInstanceOf(ConfigError);
    await expect(loadConfigFile(missing)).rejects.toThrow(`${missing}: ENOENT`);
  });
});

describe('scrape_config_files (§1.3)', () => {
  it('appends the jobs of every matching file, in glob order, with the main global', async () => {
    const main = join(FIXTURES, 'scrape-config-files/prometheus.yml');
    const config = await loadConfigFile(main);
    expect(config.scrapeConfigs.map((j) => [j.jobName, j.scrapeInterval, j.sampleLimit])).toEqual([
      ['main', 30_000, 5000],
      ['file-targets', 30_000, 5000],
      ['node', 15_000, 5000],
    ]);
    // Paths in an included file resolve against that file's folder.
    const jobsDir = join(ABS_FIXTURES, 'scrape-config-files/jobs');
    const fileTargets = config.scrapeConfigs[1]!;
    expect(fileTargets.fileSdConfigs[0]?.files).toEqual([join(jobsDir, 'targets/*.json')]);
    expect(fileTargets.httpClient.authorization?.credentialsFile).toBe(
      join(jobsDir, 'secrets/token'),
    );
    expect(config.scrapeConfigFiles).toEqual([
      join(ABS_FIXTURES, 'scrape-config-files/jobs/*.yml'),
    ]);
  });

  it('reports duplicate job names across files and errors inside them', async () => {
    const dir = join(FIXTURES, 'scrape-config-files-dup');
    const a = join(dir, 'jobs/a.yml');
    const b = join(dir, 'jobs/b.yml');
    expect(await checkConfig(join(dir, 'prometheus.yml'))).toEqual([
      `${a}:2:15: found multiple scrape configs with job name "main", first found in main config file`,
      `${b}:2:15: found multiple scrape configs with job name "shared", first found in ${JSON.stringify(a)}`,
      `${b}:3:5: field unknown_field not found in type config.ScrapeConfig`,
      `${b}:4:1: field global not found in type config.ScrapeConfigs`,
    ]);
  });
});

describe('checkConfig', () => {
  it('returns [] for a valid file', async () => {
    expect(await checkConfig(join(FIXTURES, 'valid.yml'), { env: {} })).toEqual([]);
  });

  it('returns every problem with its position, without secrets', async () => {
    const path = join(FIXTURES, 'invalid/prometheus.yml');
    const errors = await checkConfig(path);
    expect(errors).toEqual([
      `${path}:3:19: global scrape timeout greater than scrape interval`,
      `${path}:9:22: at most one of basic_auth password, password_file & password_ref must be configured`,
      `${path}:11:19: "http://node:9100/metrics" is not a valid hostname`,
    ]);
    expect(errors.join('\n')).not.toContain('s3cr3t-value');
  });
});

describe('loadCheckedConfig', () => {
  const path = join(FIXTURES, 'valid.yml');
  const env = { CLUSTER: 'c1' };

  it('returns the config the check accepts, having passed it the loaded config', async () => {
    const seen: string[] = [];
    const config = await loadCheckedConfig(path, env, (c) => {
      seen.push(...c.scrapeConfigs.map((j) => j.jobName));
      return { errors: [], config: c };
    });
    expect(config.sourcePath).toBe(path);
    expect(seen).toEqual(['prometheus', 'node']);
  });

  it('returns the config the check gives back (jobs left out, warnings added)', async () => {
    const config = await loadCheckedConfig(path, env, (c) => ({
      errors: [],
      config: { ...c, scrapeConfigs: c.scrapeConfigs.slice(1), warnings: ['w'] },
    }));
    expect(config.scrapeConfigs.map((j) => j.jobName)).toEqual(['node']);
    expect(config.warnings).toEqual(['w']);
  });

  it('throws every problem of the check as it is (each names its file:line:col)', async () => {
    const problems = [`${path}:3:5: bad`, `${path}:9:7: worse`];
    const err = await loadCheckedConfig(path, env, (config) => ({
      errors: problems,
      config,
    })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).errors).toEqual(problems);
  });
});

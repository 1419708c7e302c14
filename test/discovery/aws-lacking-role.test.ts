/**
 * The code path of an aws_sd_configs role lambdascrape does not run (src/discovery/check.ts via
 * the mechanism's `lacking`): every role of Prometheus runs now, so this file pretends that
 * `elasticache` does not (the config module mocked) to keep that path exercised: such an entry
 * is validated field by field and never becomes a discoverer; beside other discovery it is
 * ignored with a warning, alone it refuses its job, or the job is skipped on request (also
 * through `lambdascrape targets`).
 */
import { describe, expect, it, vi } from 'vitest';
import { isMap, type Node } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { awsMechanism } from '../../src/discovery/aws/index.js';
import { checkDiscovery } from '../../src/discovery/check.js';
import { validMechanismConfigs } from '../../src/discovery/registry.js';
import { load, yaml } from '../config/helpers.js';
import { runTargets, targetRows } from '../support/captured-cli.js';
import { sdConfigText, sdJob } from './sd-config.js';

vi.mock('../../src/discovery/aws/config.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/discovery/aws/config.js')>();
  return {
    ...real,
    LACKING_AWS_SD_ROLES: ['elasticache'],
    lackingAwsSdRole: (node: Node) =>
      isMap(node) && node.get('role') === 'elasticache' ? 'role: elasticache' : undefined,
  };
});

const SUPPORTED =
  'static_configs, file_sd_configs, ec2_sd_configs, dns_sd_configs, http_sd_configs, consul_sd_configs, aws_sd_configs, ecs_sd_configs, elasticache_sd_configs, lightsail_sd_configs, msk_sd_configs, rds_sd_configs, kubernetes_sd_configs';
const refused = (job: string, what: string) =>
  `job "${job}" has no discovery lambdascrape supports: ${what} (supported: ${SUPPORTED}); skip such jobs with --skip-unsupported-discovery (CDK context skipUnsupportedDiscovery=true)`;

describe('an aws_sd_configs role that does not run (elasticache pretended so)', () => {
  it('is lacking, and building discoverers never parses it', () => {
    const job = sdJob('aws_sd_configs', [{ role: 'elasticache' }]);
    const entry = job.sdConfigNodes.aws_sd_configs![0]!;
    expect(awsMechanism.lacking?.(entry.node)).toBe('role: elasticache');
    expect(validMechanismConfigs(job, awsMechanism)).toEqual([]);
  });

  const check = (entries: unknown[], extra: Record<string, unknown> = {}) => {
    const text = sdConfigText('aws_sd_configs', entries);
    const config = loadConfig(
      extra.static === true
        ? text.replace(
            'aws_sd_configs:',
            "static_configs: [{targets: ['a:1']}]\n    aws_sd_configs:",
          )
        : text,
      { env: {} },
    );
    return checkDiscovery(config, { skipUnsupportedDiscovery: extra.skip === true });
  };

  it('is ignored, with a warning, beside a role that runs', () => {
    for (const extra of [{}, { static: true }, { skip: true }]) {
      const r = check([{ role: 'ecs' }, { role: 'elasticache' }], extra);
      expect(r.errors).toEqual([]);
      expect(r.config.warnings).toHaveLength(1);
      expect(r.config.warnings?.[0]).toMatch(
        /^<config>:\d+:\d+: job "job1": aws_sd_configs role: elasticache is not supported yet and is ignored$/,
      );
      expect(r.config.scrapeConfigs[0]!.sdConfigNodes.aws_sd_configs).toHaveLength(1);
    }
  });

  it('refuses a job whose only discovery it is, or skips it', () => {
    const r = check([{ role: 'elasticache' }]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      /^<config>:\d+:\d+: job "job1" has no discovery lambdascrape supports: aws_sd_configs role: elasticache is not supported yet .*--skip-unsupported-discovery/,
    );
    const skipped = check([{ role: 'elasticache' }], { skip: true });
    expect(skipped.errors).toEqual([]);
    expect(skipped.config.scrapeConfigs).toEqual([]);
    expect(skipped.config.warnings?.[0]).toMatch(
      /job "job1" is skipped: aws_sd_configs role: elasticache/,
    );
  });

  const AWS_JOBS = yaml`
    scrape_configs:
      - job_name: cache
        aws_sd_configs: [{role: elasticache, region: r}]
      - job_name: db-and-cache
        aws_sd_configs: [{role: rds, region: r}, {role: elasticache, region: r}]
      - job_name: static-and-cache
        static_configs: [{targets: ['a:1']}]
        aws_sd_configs: [{role: elasticache, region: r, clusters: [c]}]
  `;

  it('at the entry: refused alone, ignored beside other discovery, skipped on request', () => {
    expect(checkDiscovery(load(AWS_JOBS), { skipUnsupportedDiscovery: false }).errors).toEqual([
      `prometheus.yml:3:22: ${refused('cache', 'aws_sd_configs role: elasticache is not supported yet')}`,
    ]);
    const result = checkDiscovery(load(AWS_JOBS), { skipUnsupportedDiscovery: true });
    expect(result.errors).toEqual([]);
    expect(result.config.warnings).toEqual([
      'prometheus.yml:3:22: job "cache" is skipped: aws_sd_configs role: elasticache is not supported yet, and it has no other discovery',
      'prometheus.yml:5:46: job "db-and-cache": aws_sd_configs role: elasticache is not supported yet and is ignored',
      'prometheus.yml:8:22: job "static-and-cache": aws_sd_configs role: elasticache is not supported yet and is ignored',
    ]);
    expect(result.config.scrapeConfigs.map((j) => j.jobName)).toEqual([
      'db-and-cache',
      'static-and-cache',
    ]);
    // The ignored entries are dropped from the jobs kept.
    const aws = result.config.scrapeConfigs.map((j) => j.sdConfigNodes.aws_sd_configs?.length);
    expect(aws).toEqual([1, 0]);
  });

  it('is still validated field by field', () => {
    const result = checkDiscovery(
      load(yaml`
        scrape_configs:
          - job_name: cache
            aws_sd_configs: [{role: elasticache, region: r, port: nine}]
      `),
      { skipUnsupportedDiscovery: true },
    );
    expect(result.errors).toEqual(['prometheus.yml:3:59: cannot unmarshal !!str `nine` into int']);
  });
});

describe('lambdascrape targets with a role that does not run', () => {
  const lacking = `
scrape_configs:
  - job_name: cache
    aws_sd_configs:
      - role: elasticache
        region: us-east-1
  - job_name: static
    static_configs:
      - targets: ['a:9100']
`;

  it('a job whose only discovery it is is refused, at its line', async () => {
    const r = await runTargets(lacking, ['--json']);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(
      'prometheus.yml:5:9: job "cache" has no discovery lambdascrape supports: aws_sd_configs role: elasticache is not supported yet',
    );
    expect(r.err).toContain('--skip-unsupported-discovery');
  });

  it('--skip-unsupported-discovery skips that job; the others run', async () => {
    const rows = await targetRows(lacking, ['--skip-unsupported-discovery']);
    expect(rows.map((row) => row.job)).toEqual(['static']);
  });
});

/**
 * `lambdascrape check config` on real files: Prometheus's example configs (excerpts in
 * test/fixtures/config/prometheus-examples/), with the verdict, the messages and their positions,
 * and `--skip-unsupported-discovery`.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/captured-cli.js';

const EXAMPLES = 'test/fixtures/config/prometheus-examples';
const SUPPORTED =
  'static_configs, file_sd_configs, ec2_sd_configs, dns_sd_configs, http_sd_configs, consul_sd_configs, aws_sd_configs, ecs_sd_configs, elasticache_sd_configs, lightsail_sd_configs, msk_sd_configs, rds_sd_configs, kubernetes_sd_configs';
const SKIP_HINT =
  'skip such jobs with --skip-unsupported-discovery (CDK context skipUnsupportedDiscovery=true)';

async function check(args: readonly string[]) {
  const { code, out, err } = await runCliCaptured(['check', 'config', ...args]);
  return { code, out, stderr: err.split('\n').filter((l) => l !== '') };
}

interface Case {
  readonly file: string;
  readonly flags?: readonly string[];
  readonly code: number;
  /** stderr lines, with `F` standing for the file's path. */
  readonly stderr: readonly string[];
}

const cases: Case[] = [
  {
    file: 'prometheus.yml',
    code: 0,
    stderr: [
      '  WARNING: F:9:3: alerting is validated but ignored: lambdascrape evaluates no rules and sends no alerts',
    ],
  },
  { file: 'prometheus-agent.yml', code: 0, stderr: [] },
  {
    file: 'prometheus-otlp.yml',
    code: 0,
    stderr: [
      '  WARNING: F:8:3: otlp is validated but ignored: lambdascrape has no OTLP receiver',
      '  WARNING: F:18:3: storage is validated but ignored: lambdascrape keeps no TSDB (remote_write delivers the samples)',
    ],
  },
  {
    file: 'prometheus-docker.yml',
    code: 1,
    stderr: [
      `  FAILED: F:30:9: job "docker-containers" has no discovery lambdascrape supports: docker_sd_configs is not supported yet (supported: ${SUPPORTED}); ${SKIP_HINT}`,
    ],
  },
  {
    file: 'prometheus-docker.yml',
    flags: ['--skip-unsupported-discovery'],
    code: 0,
    stderr: [
      '  WARNING: F:30:9: job "docker-containers" is skipped: docker_sd_configs is not supported yet, and it has no other discovery',
    ],
  },
  { file: 'prometheus-kubernetes.yml', code: 0, stderr: [] },
];

describe("check config on Prometheus's example configs", () => {
  it.each(cases)('$file $flags → exit $code', async ({ file, flags = [], code, stderr }) => {
    const path = join(EXAMPLES, file);
    const r = await check([...flags, path]);
    expect(r.code).toBe(code);
    expect(r.stderr).toEqual(stderr.map((l) => l.replaceAll('F:', `${path}:`)));
    expect(r.out).toContain(code === 0 ? 'SUCCESS' : `Checking ${path}`);
  });

  it('reports how many jobs are left once skipped ones are out', async () => {
    const r = await check([
      '--skip-unsupported-discovery',
      join(EXAMPLES, 'prometheus-docker.yml'),
    ]);
    expect(r.out).toContain('(2 scrape configs, 0 remote writes)');
  });
});

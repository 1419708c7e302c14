/**
 * `lambdascrape targets` end to end with aws_sd_configs `role: rds`: the command loads and
 * checks the config, the real RDS client reads the local Query API stand-in (aws-fixture.ts),
 * and a keep-on-tag relabel rule picks the instances of the tagged cluster; an instance without
 * an endpoint (and so without `__address__`) is dropped by the rule before it could fail.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { AwsFixture, REGION } from './aws-fixture.js';
import { RDS_CLUSTERS, RDS_INSTANCES } from './aws-rds-world.js';

const fixture = new AwsFixture();
let dir: string;

beforeAll(async () => {
  await fixture.start();
  dir = await mkdtemp(join(tmpdir(), 'lambdascrape-rds-targets-'));
});
afterAll(() => fixture.stop());

async function targets(config: string): Promise<{ code: number; out: string; err: string }> {
  const path = join(dir, 'prometheus.yml');
  await writeFile(path, config);
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    readStdin: async () => Buffer.from(''),
    env: {},
  };
  const code = await runCli(['targets', '--config', path, '--json'], io);
  return { code, out, err };
}

describe('lambdascrape targets with aws_sd_configs role rds', () => {
  it('keeps the instances of the cluster tagged Env=prod, addressed at the configured port', async () => {
    fixture.reset();
    fixture.world.rds = { clusters: RDS_CLUSTERS, instances: RDS_INSTANCES };
    const r = await targets(`
scrape_configs:
  - job_name: postgres-exporter
    aws_sd_configs:
      - role: rds
        region: ${REGION}
        endpoint: ${fixture.endpoint}
        access_key: AKIDTESTKEY
        secret_key: not-a-real-secret
        port: 9187
    relabel_configs:
      - source_labels: [__meta_rds_cluster_tag_Env]
        regex: prod
        action: keep
      - source_labels: [__meta_rds_instance_identifier]
        target_label: db
      - source_labels: [__meta_rds_instance_is_cluster_writer]
        target_label: writer
`);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as {
      url: string | null;
      labels: Record<string, string>;
      discoveredLabels: Record<string, string>;
      state: string;
    }[];
    expect(
      rows.filter((row) => row.state === 'active').map((row) => [row.url, row.labels]),
    ).toEqual([
      [
        'http://prod-1.abc.us-east-1.rds.amazonaws.com:9187/metrics',
        {
          db: 'prod-1',
          instance: 'prod-1.abc.us-east-1.rds.amazonaws.com:9187',
          job: 'postgres-exporter',
          writer: 'true',
        },
      ],
      [
        'http://prod-2.abc.us-east-1.rds.amazonaws.com:9187/metrics',
        {
          db: 'prod-2',
          instance: 'prod-2.abc.us-east-1.rds.amazonaws.com:9187',
          job: 'postgres-exporter',
          writer: 'false',
        },
      ],
    ]);
    const dropped = rows.filter((row) => row.state === 'dropped');
    expect(dropped.map((row) => row.discoveredLabels.__meta_rds_instance_identifier)).toEqual([
      'dev-1',
    ]);
  });
});

/**
 * `lambdascrape targets` end to end with aws_sd_configs `role: rds`: the command loads and
 * checks the config, the real RDS client reads the local Query API stand-in (aws-fixture.ts),
 * and a keep-on-tag relabel rule picks the instances of the tagged cluster; an instance without
 * an endpoint (and so without `__address__`) is dropped by the rule before it could fail. The
 * multi-target exporter pattern an operator writes for databases (one exporter, each endpoint
 * a `target` parameter) gets one probe URL per Postgres endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetRows } from '../support/captured-cli.js';
import { AwsFixture, REGION } from './aws-fixture.js';
import { RDS_CLUSTERS, RDS_INSTANCES } from './aws-rds-world.js';

const fixture = new AwsFixture();

beforeAll(() => fixture.start());
afterAll(() => fixture.stop());

describe('lambdascrape targets with aws_sd_configs role rds', () => {
  it('keeps the instances of the cluster tagged Env=prod, addressed at the configured port', async () => {
    fixture.reset();
    fixture.world.rds = { clusters: RDS_CLUSTERS, instances: RDS_INSTANCES };
    const rows = await targetRows(`
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

  it('feeds the multi-target exporter pattern: each Postgres endpoint becomes a probe target', async () => {
    fixture.reset();
    fixture.world.rds = { clusters: RDS_CLUSTERS, instances: RDS_INSTANCES };
    const rows = await targetRows(`
scrape_configs:
  - job_name: postgres
    metrics_path: /probe
    aws_sd_configs:
      - role: rds
        region: ${REGION}
        endpoint: ${fixture.endpoint}
        access_key: AKIDTESTKEY
        secret_key: not-a-real-secret
    relabel_configs:
      - source_labels: [__meta_rds_instance_engine]
        regex: aurora-postgresql|postgres
        action: keep
      - source_labels: [__meta_rds_instance_endpoint_address, __meta_rds_instance_endpoint_port]
        separator: ':'
        regex: (.+:\\d+)
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: postgres-exporter.monitoring:9187
      - regex: __meta_rds_instance_tag_(.+)
        action: labelmap
        replacement: tag_$1
`);
    // The exporter is scraped once per database, which it names by the probe's target; the
    // instance label keeps the database's endpoint, not the exporter's.
    const probe = (host: string) =>
      `http://postgres-exporter.monitoring:9187/probe?target=${host}.abc.us-east-1.rds.amazonaws.com%3A5432`;
    expect(
      rows.filter((row) => row.state === 'active').map((row) => [row.url, row.labels]),
    ).toEqual([
      [
        probe('prod-1'),
        {
          instance: 'prod-1.abc.us-east-1.rds.amazonaws.com:5432',
          job: 'postgres',
          tag_Env: 'prod',
          tag_scrape: 'yes',
        },
      ],
      [
        probe('prod-2'),
        { instance: 'prod-2.abc.us-east-1.rds.amazonaws.com:5432', job: 'postgres' },
      ],
    ]);
    // The MySQL instance is dropped by the engine rule.
    const dropped = rows.filter((row) => row.state === 'dropped');
    expect(dropped.map((row) => row.discoveredLabels.__meta_rds_instance_engine)).toEqual([
      'aurora-mysql',
    ]);
  });
});

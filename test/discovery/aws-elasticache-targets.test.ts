/**
 * `lambdascrape targets` end to end with aws_sd_configs `role: elasticache`: the command loads
 * and checks the config, the real ElastiCache client reads the local Query API stand-in
 * (aws-fixture.ts), and relabel rules keep the Redis and Valkey targets tagged Env=prod, each at
 * its own endpoint (the configured `port` is not used, as in Prometheus); the Memcached nodes are
 * dropped, the one without an endpoint among them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetRows } from '../support/captured-cli.js';
import { CACHE_CLUSTERS, SERVERLESS_CACHES, TAGS } from './aws-elasticache-world.js';
import { AwsFixture, REGION } from './aws-fixture.js';

const fixture = new AwsFixture();

beforeAll(() => fixture.start());
afterAll(() => fixture.stop());

describe('lambdascrape targets with aws_sd_configs role elasticache', () => {
  it('keeps the caches tagged Env=prod, each at its own endpoint', async () => {
    fixture.reset();
    fixture.world.elasticache = {
      serverless: SERVERLESS_CACHES,
      clusters: CACHE_CLUSTERS,
      tags: TAGS,
    };
    const rows = await targetRows(`
scrape_configs:
  - job_name: redis
    aws_sd_configs:
      - role: elasticache
        region: ${REGION}
        endpoint: ${fixture.endpoint}
        access_key: AKIDTESTKEY
        secret_key: not-a-real-secret
        port: 9121
    relabel_configs:
      - source_labels: [__meta_elasticache_serverless_cache_tag_Env, __meta_elasticache_cache_cluster_tag_Env]
        regex: 'prod;|;prod'
        action: keep
      - source_labels: [__meta_elasticache_deployment_option]
        target_label: deployment
`);
    expect(
      rows.filter((row) => row.state === 'active').map((row) => [row.url, row.labels]),
    ).toEqual([
      [
        'http://sessions-abc.serverless.use1.cache.amazonaws.com:6379/metrics',
        {
          deployment: 'serverless',
          instance: 'sessions-abc.serverless.use1.cache.amazonaws.com:6379',
          job: 'redis',
        },
      ],
      [
        'http://redis-rg-001.abc.0001.use1.cache.amazonaws.com:6379/metrics',
        {
          deployment: 'node',
          instance: 'redis-rg-001.abc.0001.use1.cache.amazonaws.com:6379',
          job: 'redis',
        },
      ],
    ]);
    const dropped = rows.filter((row) => row.state === 'dropped');
    expect(
      dropped.map((row) => row.discoveredLabels.__meta_elasticache_cache_cluster_node_id),
    ).toEqual(['0001', '0002']);
  });
});

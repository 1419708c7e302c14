/**
 * The discovery run's dropped-target summaries (src/pipeline/dropped-targets.ts) on dynalite:
 * what relabeling dropped, per job, bounded and redacted, written only when it changes.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDroppedTargetsStore } from '../../src/aws/dynamodb-health-store.js';
import { DynamoDbTargetStore } from '../../src/aws/dynamodb-target-store.js';
import { loadConfig } from '../../src/config/load.js';
import { DiscoveryRun } from '../../src/pipeline/discovery.js';
import {
  DroppedTargetsRecorder,
  droppedSummary,
  MAX_DROPPED_JSON_BYTES,
  MAX_DROPPED_LABEL_SETS,
} from '../../src/pipeline/dropped-targets.js';
import type { DroppedTargetsStore } from '../../src/ports.js';
import { createTable, type Dynalite, KEY_SCHEMAS, startDynalite } from '../support/dynalite.js';

let db: Dynalite;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  db = await startDynalite();
  dynamo = db.client();
});
afterAll(async () => {
  await db?.stop();
});

const config = (targets: string[]) =>
  loadConfig(
    `
scrape_configs:
  - job_name: node
    static_configs:
      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]
    relabel_configs:
      - source_labels: [__address__]
        regex: 'drop.*'
        action: drop
  - job_name: quiet
    static_configs:
      - targets: ['127.0.0.1:1']
`,
    { env: {} },
  );

async function tables() {
  const targets = `targets-${randomUUID()}`;
  const state = `state-${randomUUID()}`;
  await createTable(dynamo, targets, KEY_SCHEMAS.targets);
  await createTable(dynamo, state, KEY_SCHEMAS.state);
  return {
    targets: new DynamoDbTargetStore(dynamo, targets),
    dropped: new DynamoDbDroppedTargetsStore(dynamo, state),
  };
}

const run = (targets: string[], t: Awaited<ReturnType<typeof tables>>) =>
  new DiscoveryRun({
    config: config(targets),
    targets: t.targets,
    queue: { send: async () => {} },
    deploymentId: 'test',
    dropped: t.dropped,
  });

describe('dropped target summaries', () => {
  it('one summary per job with drops, written when it changes, nothing while it stays', async () => {
    const t = await tables();
    const d = run(['drop-a:1', 'drop-b:2', '10.0.0.1:9100'], t);
    await d.run();
    const [summary, ...others] = await t.dropped.list();
    expect(others).toEqual([]);
    expect(summary).toMatchObject({ job: 'node', count: 2 });
    expect(
      summary!.discoveredLabels.map((l) => l.find((x) => x.name === '__address__')?.value),
    ).toEqual(['drop-a:1', 'drop-b:2']);
    const written = t.dropped.consumedCapacity().writeUnits;
    expect(written).toBe(1);
    for (let i = 0; i < 3; i++) await d.run();
    expect(t.dropped.consumedCapacity().writeUnits).toBe(written);
    await d.close();

    // A new instance lists once, finds the same, writes nothing; then the drops go: removed.
    const again = run(['drop-a:1', 'drop-b:2', '10.0.0.1:9100'], t);
    await again.run();
    expect(t.dropped.consumedCapacity().writeUnits).toBe(written);
    await again.close();
    const none = run(['10.0.0.1:9100'], t);
    await none.run();
    expect(await t.dropped.list()).toEqual([]);
    await none.close();
  });

  it('bounded in sets and bytes; userinfo and secret params redacted', () => {
    const many = Array.from({ length: 100 }, (_, i) => [{ name: '__address__', value: `h${i}:1` }]);
    const s = droppedSummary('j', 100, many);
    expect(s.count).toBe(100);
    expect(s.discoveredLabels).toHaveLength(MAX_DROPPED_LABEL_SETS);
    const big = Array.from({ length: 10 }, () => [{ name: '__meta_x', value: 'v'.repeat(5_000) }]);
    const b = droppedSummary('j', 10, big);
    expect(JSON.stringify(b.discoveredLabels).length).toBeLessThanOrEqual(MAX_DROPPED_JSON_BYTES);
    expect(b.discoveredLabels.length).toBe(3);
    const secret = droppedSummary('j', 1, [
      [
        { name: '__address__', value: 'u:pw@h:1' },
        { name: '__param_token', value: 'abcd' },
      ],
    ]);
    expect(secret.discoveredLabels[0]).toEqual([
      { name: '__address__', value: 'h:1' },
      { name: '__param_token', value: 'xxxxx' },
    ]);
  });

  it('a failing store never fails discovery, and is listed again next time', async () => {
    let lists = 0;
    const store: DroppedTargetsStore = {
      list: async () => {
        lists++;
        throw new Error('throttled');
      },
      apply: async () => {},
    };
    const warnings: string[] = [];
    const r = new DroppedTargetsRecorder(store, { warn: (m) => warnings.push(m) });
    await r.record([droppedSummary('j', 1, [])]);
    await r.record([droppedSummary('j', 1, [])]);
    expect(lists).toBe(2);
    expect(warnings).toEqual([
      'dropped targets summary not written',
      'dropped targets summary not written',
    ]);
  });
});

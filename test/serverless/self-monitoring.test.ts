import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { RemoteWriter } from '../../src/remotewrite/writer.js';
import {
  DEFAULT_SELF_METRICS_WRITE_BUDGET_MS,
  SELF_METRICS_MAX_ATTEMPTS,
  SelfMonitoring,
} from '../../src/serverless/self-monitoring.js';
import { reply, startReceiver, type TestReceiver } from '../remotewrite/wire.js';

let down: TestReceiver;
beforeAll(async () => {
  down = await startReceiver();
  down.respond(...Array.from({ length: 100 }, () => reply(503, 'down')));
});
afterAll(async () => {
  await down?.close();
});

describe('SelfMonitoring flush while the backend is down', () => {
  it('tries twice and gives up, well within its budget: an outage costs an invocation little', async () => {
    const config = loadConfig(
      `remote_write:\n  - url: ${down.url}\n    queue_config: { min_backoff: 30ms, max_backoff: 100ms }\n`,
      { env: {} },
    );
    const writer = new RemoteWriter(config.remoteWrite[0]!, {});
    const monitoring = new SelfMonitoring({
      deploymentId: 'test',
      instance: 'scraper:abcd1234',
      writers: [writer],
      logger: silentLogger,
      emf: false,
    });
    monitoring.metrics('scraper').observeSqsMessagesSent('outbox', 1);
    const before = Date.now();
    await monitoring.flush('scraper');
    expect(down.requests).toHaveLength(SELF_METRICS_MAX_ATTEMPTS);
    expect(Date.now() - before).toBeLessThan(DEFAULT_SELF_METRICS_WRITE_BUDGET_MS / 2);
    await writer.close();
  });
});

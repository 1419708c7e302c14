/** The config the scraper tests run: one job `app` over fixed targets, one remote_write `rw`. */
import { loadConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/types.js';

/**
 * Job `app` (10 s interval, 5 s timeout) scraping `addresses`, writing to `remoteWriteUrl` with
 * short backoffs (20–50 ms); `protobufMessage` as remote_write's `protobuf_message` when given.
 */
export function appConfig(
  addresses: readonly string[],
  remoteWriteUrl: string,
  protobufMessage?: string,
): Config {
  return loadConfig(
    `
remote_write:
  - url: ${remoteWriteUrl}
    name: rw${protobufMessage === undefined ? '' : `\n    protobuf_message: ${protobufMessage}`}
    queue_config:
      min_backoff: 20ms
      max_backoff: 50ms
scrape_configs:
  - job_name: app
    scrape_interval: 10s
    scrape_timeout: 5s
    static_configs:
      - targets: [${addresses.map((a) => `'${a}'`).join(', ')}]
`,
    { env: {} },
  );
}

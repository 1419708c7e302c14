/**
 * Static targets (§10.1): all of a job's `static_configs` entries form one discoverer, as in
 * Prometheus, whose groups never change.
 */
import type { DiscoveryMechanism } from '../types.js';
import { parseStaticConfig, type StaticConfig } from './config.js';
import { refresh } from './discoverer.js';

export { parseStaticConfig, type StaticConfig } from './config.js';
export { refresh } from './discoverer.js';

export const staticMechanism: DiscoveryMechanism<StaticConfig> = {
  name: 'static_configs',
  parse: parseStaticConfig,
  loaded: (job) => job.staticConfigs,
  create(configs) {
    if (configs.length === 0) return [];
    const groups = refresh(configs);
    return [{ refresh: async () => ({ groups, errors: [] }) }];
  },
};

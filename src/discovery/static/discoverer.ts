/**
 * static_configs (§10.1): each entry is one target group, each target string becomes
 * `{__address__: <string>}`, the group's labels are used as given. Prometheus gathers all
 * static entries of a job into one provider and names each group's source by its index
 * (`"0"`, `"1"`, …), which we copy so sources stay stable as long as the config does.
 */
import type { StaticConfig } from '../../config/types.js';
import type { TargetGroup } from '../types.js';

export function refresh(configs: readonly StaticConfig[]): TargetGroup[] {
  return configs.map((config, index) => ({
    source: String(index),
    targets: config.targets.map((address) => ({ __address__: address })),
    labels: { ...config.labels },
  }));
}

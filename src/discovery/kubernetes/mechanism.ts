/**
 * The Kubernetes mechanism as the registry sees it, kept small because every Lambda function
 * loads it at INIT (config checks run there): config parsing, and discoverers that import the
 * rest of this folder (client, roles, kubeconfig, EKS signing) on their first refresh, so a
 * config without kubernetes_sd_configs never loads it (the functions' INIT budget, issue 14).
 */
import type { Discoverer, DiscoveryMechanism, DiscoveryRefresh } from '../types.js';
import {
  KUBERNETES_SD_REFRESH_INTERVAL_MS,
  type KubernetesSdConfig,
  parseKubernetesSdConfig,
} from './config.js';
import type { EksTokenSource } from './connection.js';
import type { KubernetesSdOptions } from './discoverer.js';

/** What Kubernetes discovery takes from the registry's deps. */
export interface KubernetesSdDeps {
  /** Folder relative TLS and credential files resolve against (configs built in code). */
  readonly configDir?: string;
  /** In-cluster values, EKS tokens, limits, a dispatcher. */
  readonly kubernetes?: KubernetesSdOptions;
}

/** A discoverer that loads discoverer.ts on its first refresh and hands every call to it. */
class LazyKubernetesDiscoverer implements Discoverer {
  readonly refreshIntervalMs: number;
  private inner: Promise<Discoverer> | undefined;

  constructor(
    private readonly config: KubernetesSdConfig,
    private readonly options: KubernetesSdOptions,
  ) {
    this.refreshIntervalMs = options.refreshIntervalMs ?? KUBERNETES_SD_REFRESH_INTERVAL_MS;
  }

  async refresh(): Promise<DiscoveryRefresh> {
    this.inner ??= import('./discoverer.js').then(
      (m) => new m.KubernetesDiscoverer(this.config, this.options),
      (err: unknown) => {
        this.inner = undefined;
        throw err;
      },
    );
    return (await this.inner).refresh();
  }

  async close(): Promise<void> {
    const inner = this.inner;
    this.inner = undefined;
    await (await inner?.catch(() => undefined))?.close?.();
  }
}

export const kubernetesMechanism: DiscoveryMechanism<KubernetesSdConfig, KubernetesSdDeps> = {
  name: 'kubernetes_sd_configs',
  parse: parseKubernetesSdConfig,
  create: (configs, deps) =>
    configs.map(
      (config) =>
        new LazyKubernetesDiscoverer(config, {
          ...deps.kubernetes,
          ...(deps.kubernetes?.baseDir === undefined &&
          deps.configDir !== undefined &&
          deps.configDir !== ''
            ? { baseDir: deps.configDir }
            : {}),
        }),
    ),
};

/**
 * `defaultEksTokenSource(region)` of eks.ts, whose module (and the AWS signing code it loads)
 * is imported on the first token: what the Lambda runtime injects.
 */
export function lazyDefaultEksTokenSource(region: string | undefined): EksTokenSource {
  let source: Promise<EksTokenSource> | undefined;
  return async (exec) => {
    source ??= import('./eks.js').then(
      (m) => m.defaultEksTokenSource(region),
      (err: unknown) => {
        source = undefined;
        throw err;
      },
    );
    return (await source)(exec);
  };
}

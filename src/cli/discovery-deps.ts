import { nodeDnsResolver } from '../discovery/dns/index.js';
import { defaultEksTokenSource } from '../discovery/kubernetes/eks.js';
import type { DiscoveryDeps } from '../discovery/registry.js';

/**
 * What the discovery mechanisms take from the process running them (they read no
 * environment themselves):
 *
 * - `LAMBDASCRAPE_DNS_SERVERS`: comma-separated `ip` or `ip:port` name servers for
 *   dns_sd_configs; unset = the operating system's (resolv.conf).
 * - `KUBERNETES_SERVICE_HOST`, `KUBERNETES_SERVICE_PORT`: the API server of kubernetes_sd_configs
 *   entries with neither api_server nor kubeconfig_file (in-cluster, as Prometheus).
 * - AWS credentials (the SDK's default chain) and `AWS_REGION` / `AWS_DEFAULT_REGION`: the EKS
 *   tokens of kubeconfig files whose user runs `aws eks get-token`.
 */
export function discoveryDepsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Pick<DiscoveryDeps, 'dns' | 'kubernetes'> {
  const servers = (env.LAMBDASCRAPE_DNS_SERVERS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return {
    ...(servers.length === 0 ? {} : { dns: { resolver: nodeDnsResolver({ servers }) } }),
    kubernetes: {
      inCluster: { host: env.KUBERNETES_SERVICE_HOST, port: env.KUBERNETES_SERVICE_PORT },
      eksToken: defaultEksTokenSource(env.AWS_REGION ?? env.AWS_DEFAULT_REGION),
    },
  };
}

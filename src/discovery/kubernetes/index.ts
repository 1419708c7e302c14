/**
 * Kubernetes discovery: each `kubernetes_sd_configs` entry becomes one `KubernetesDiscoverer`,
 * which lists the role's objects from the API server every minute. The registry imports
 * mechanism.ts only (small, and loading the rest on first use); this index is for tests and
 * embedders.
 */
export {
  DEFAULT_KUBERNETES_MAX_PAGES,
  DEFAULT_KUBERNETES_MAX_RESPONSE_BYTES,
  DEFAULT_KUBERNETES_PAGE_SIZE,
  DEFAULT_KUBERNETES_REQUEST_TIMEOUT_MS,
  KubeClient,
} from './client.js';
export {
  ALLOWED_SELECTORS,
  KUBERNETES_ROLES,
  KUBERNETES_SD_REFRESH_INTERVAL_MS,
  type KubernetesRole,
  type KubernetesSdConfig,
  parseKubernetesSdConfig,
} from './config.js';
export {
  type EksTokenSource,
  type InClusterEnv,
  type KubeConnection,
  resolveConnection,
  SERVICE_ACCOUNT_DIR,
} from './connection.js';
export {
  DEFAULT_KUBERNETES_CONCURRENCY,
  KubernetesDiscoverer,
  type KubernetesSdOptions,
  RESOURCES,
} from './discoverer.js';
export {
  type AwsCredentials,
  defaultEksTokenSource,
  EKS_TOKEN_PREFIX,
  EKS_TOKEN_REUSE_MS,
  type EksTokenOptions,
  eksTokenSource,
  makeEksToken,
  stsEndpoint,
} from './eks.js';
export { KubernetesSdError, KubernetesSdErrorCode } from './error.js';
export { type EksExec, parseKubeconfig } from './kubeconfig.js';
export { sanitizeLabelName } from './labels.js';
export {
  type KubernetesSdDeps,
  kubernetesMechanism,
  lazyDefaultEksTokenSource,
} from './mechanism.js';
export * as kubeObjects from './objects.js';

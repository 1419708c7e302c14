export {
  CONSUL_SD_DEFAULTS,
  type ConsulSdConfig,
  parseConsulSdConfig,
} from './config.js';
export {
  aggregatedStatus,
  CONSUL_LABEL,
  ConsulDiscoverer,
  type ConsulSdOptions,
  type ConsulServiceEntry,
  consulTargetLabels,
  DEFAULT_CONSUL_CONCURRENCY,
  DEFAULT_CONSUL_MAX_RESPONSE_BYTES,
  DEFAULT_CONSUL_REQUEST_TIMEOUT_MS,
  parseHealthEntries,
  sanitizeLabelName,
} from './discoverer.js';
export { ConsulSdError, ConsulSdErrorCode } from './error.js';
export { CONSUL_SD_CONFIGS, type ConsulSdDeps, createConsulDiscoverers } from './mechanism.js';

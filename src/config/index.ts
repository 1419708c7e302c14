/** Public surface of the config loader (§1). */
export { formatDuration, formatSeconds, parseDuration } from './duration.js';
export { ConfigError } from './errors.js';
export { checkConfig, type LoadOptions, loadConfig, loadConfigFile } from './load.js';
export { type ConfigCheck, type ConfigCheckResult, loadCheckedConfig } from './load-file.js';
export { compileRelabelRegex } from './relabel-config.js';
export { DEFAULT_SCRAPE_PROTOCOLS, PROTO_FIRST_SCRAPE_PROTOCOLS } from './scrape-protocols.js';
export { createSecret, SecretValue } from './secret.js';
export { parseSize } from './size.js';
export type * from './types.js';
export { RELABEL_ACTIONS, SCRAPE_PROTOCOLS } from './types.js';

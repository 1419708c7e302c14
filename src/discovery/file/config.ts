/**
 * `file_sd_configs` entries (§10.2). The config loader reads them itself, with this parser (paths
 * resolved against the config folder); discovery takes them from the job.
 */
export { parseFileSdConfig } from '../../config/service-discovery.js';
export type { FileSdConfig } from '../../config/types.js';

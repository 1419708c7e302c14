/**
 * File-based discovery (§10.2): each `file_sd_configs` entry becomes one {@link FileDiscoverer},
 * which re-reads its files every refresh_interval.
 */
import { posix } from 'node:path';
import type { DiscoveryMechanism } from '../types.js';
import { type FileSdConfig, parseFileSdConfig } from './config.js';
import { FileDiscoverer, type FileSdDeps } from './discoverer.js';
import { nodeFileSdDeps } from './node-deps.js';

export { type FileSdConfig, parseFileSdConfig } from './config.js';
export {
  DEFAULT_MAX_FILE_BYTES,
  FileDiscoverer,
  type FileSdDeps,
  type FileSdOptions,
  type FileSdRefresh,
  refresh,
} from './discoverer.js';
export { FileSdError, FileSdErrorCode } from './error.js';
export { expandPattern, matchStar } from './glob.js';
export { nodeFileSdDeps } from './node-deps.js';
export { FILEPATH_LABEL, fileGroupSource, fileSdFormat, parseFileSdContent } from './parse.js';

/** What file_sd takes from the registry's deps. */
export interface FileSdMechanismDeps {
  /** File system. @default nodeFileSdDeps (the local file system) */
  readonly file?: FileSdDeps;
  /**
   * Folder relative paths are joined to (Prometheus `JoinDir`). The config loader already
   * resolves them, so this only matters for configs built in code.
   */
  readonly configDir?: string;
}

export const fileMechanism: DiscoveryMechanism<FileSdConfig, FileSdMechanismDeps> = {
  name: 'file_sd_configs',
  parse: parseFileSdConfig,
  loaded: (job) => job.fileSdConfigs,
  create: (configs, deps) =>
    configs.map(
      (config) =>
        new FileDiscoverer(withConfigDir(config, deps.configDir), deps.file ?? nodeFileSdDeps),
    ),
};

function withConfigDir(config: FileSdConfig, dir: string | undefined): FileSdConfig {
  if (dir === undefined || dir === '') return config;
  const files = config.files.map((f) => (posix.isAbsolute(f) ? f : posix.join(dir, f)));
  return { ...config, files };
}

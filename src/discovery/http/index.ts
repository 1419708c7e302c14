/**
 * HTTP-based discovery (§10.3): each `http_sd_configs` entry becomes one {@link HttpDiscoverer},
 * which GETs a JSON list of target groups.
 */
import type { DiscoveryMechanism } from '../types.js';
import { type HttpSdConfig, parseHttpSdConfig } from './config.js';
import { HttpDiscoverer, type HttpSdOptions } from './discoverer.js';

export {
  DEFAULT_HTTP_SD_REFRESH_INTERVAL,
  type HttpSdConfig,
  parseHttpSdConfig,
} from './config.js';
export {
  DEFAULT_MAX_BODY_BYTES,
  HttpDiscoverer,
  type HttpSdOptions,
  isHttpSdContentType,
} from './discoverer.js';
export { HttpSdError, HttpSdErrorCode } from './error.js';
export { HttpSdParseProblem, httpGroupSource, parseHttpSdBody, URL_LABEL } from './parse.js';

/** What http_sd takes from the registry's deps. */
export interface HttpSdDeps {
  /** Folder relative TLS and credential files resolve against (configs built in code). */
  readonly configDir?: string;
  /** Per-discoverer options (body cap, User-Agent, dispatcher) for tests and embedders. */
  readonly http?: Omit<HttpSdOptions, 'configDir'>;
}

export const httpMechanism: DiscoveryMechanism<HttpSdConfig, HttpSdDeps> = {
  name: 'http_sd_configs',
  parse: parseHttpSdConfig,
  create: (configs, deps) =>
    configs.map(
      (config) =>
        new HttpDiscoverer(config, {
          ...deps.http,
          ...(deps.configDir === undefined ? {} : { configDir: deps.configDir }),
        }),
    ),
};

export {
  DEFAULT_HTTP_SD_REFRESH_INTERVAL,
  type HttpSdConfig,
  type HttpSdConfigOptions,
  parseHttpSdConfig,
} from './config.js';
export {
  createHttpDiscoverers,
  DEFAULT_MAX_BODY_BYTES,
  HttpDiscoverer,
  type HttpSdDeps,
  type HttpSdOptions,
  isHttpSdContentType,
} from './discoverer.js';
export { HttpSdError, HttpSdErrorCode } from './error.js';
export { HttpSdParseProblem, httpGroupSource, parseHttpSdBody, URL_LABEL } from './parse.js';

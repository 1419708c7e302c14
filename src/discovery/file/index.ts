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

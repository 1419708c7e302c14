/**
 * Remote write 1.0 (§11): what the scraper and the local runner import.
 * See writer.ts for the unit rule and the per-series label cache.
 */

export {
  type BatchExemplar,
  type Exemplar,
  SampleBatch,
  type SampleUnit,
  type SeriesRef,
} from './batch.js';
export {
  type AttemptOutcome,
  createRemoteWriteClient,
  DEFAULT_USER_AGENT,
  LAMBDASCRAPE_VERSION,
  MAX_ERROR_BODY_BYTES,
  parseRetryAfter,
  REMOTE_WRITE_VERSION_1,
  type RemoteWriteClient,
  type RemoteWriteClientOptions,
  type RequestSigner,
  type SignableRequest,
} from './client.js';
export {
  addExternalLabels,
  type ExemplarEntry,
  encodeLabels,
  METRIC_TYPE,
  type MetricMetadata,
  type MetricType,
  PROMETHEUS_NAN_BYTES,
  type SampleColumns,
  STALE_NAN_BYTES,
  WriteRequestEncoder,
} from './encode.js';
export {
  REMOTE_WRITE_ERROR_CODES,
  RemoteWriteError,
  type RemoteWriteErrorCode,
  type RemoteWriteErrorDetails,
} from './errors.js';
export { createRemoteWriters } from './from-config.js';
export { type SendOptions, type SendResult, sendWriteRequest } from './send.js';
export {
  CREDENTIALS_REFRESH_WINDOW_MS,
  createSigV4Signer,
  DEFAULT_SIGV4_SERVICE,
  SIGV4_ERROR_CODES,
  type SigV4Credentials,
  SigV4Error,
  type SigV4ErrorCode,
  type SigV4SignerOptions,
} from './sigv4.js';
export {
  maxCompressedLength,
  SNAPPY_ERROR_CODES,
  SnappyError,
  type SnappyErrorCode,
  snappyCompress,
  snappyCompressInto,
  snappyDecompress,
  snappyUncompressedLength,
} from './snappy.js';
export {
  newRemoteWriteCounters,
  type ParkedRequest,
  type PreparedRequest,
  type PreparedUnit,
  type RemoteWriteCounters,
  RemoteWriter,
  type RemoteWriterOptions,
  type WriteResult,
} from './writer.js';

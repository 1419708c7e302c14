/**
 * Remote write 1.0 and 2.0 (§11): what the scraper and the local runner import.
 * See writer.ts for the unit rule, the per-series label cache and the fallback to 1.0.
 */

export {
  type BatchExemplar,
  type Exemplar,
  type FamilyMetadataView,
  type MetadataSource,
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
  REMOTE_WRITE_VERSION_2,
  type RemoteWriteClient,
  type RemoteWriteClientOptions,
  type RequestSigner,
  type SignableRequest,
  WRITTEN_HEADERS,
  type WrittenCounts,
  writtenCounts,
} from './client.js';
export {
  addExternalLabels,
  type ExemplarEntry,
  encodeLabels,
  METRIC_TYPE,
  type MetricMetadata,
  type MetricType,
  type SampleColumns,
  WriteRequestEncoder,
} from './encode.js';
export {
  type ExemplarV2,
  type MetadataColumns,
  RequestV2Encoder,
  type SampleColumnsV2,
  SERIES_LABELS_AT,
  type SeriesSymbols,
  seriesSymbolIds,
} from './encode-v2.js';
export {
  REMOTE_WRITE_ERROR_CODES,
  RemoteWriteError,
  type RemoteWriteErrorCode,
  type RemoteWriteErrorDetails,
} from './errors.js';
export { createRemoteWriters, type RemoteWritersOptions } from './from-config.js';
export { metricMetadataList, seriesMetadata } from './metadata.js';
export { PROMETHEUS_NAN_BYTES, STALE_NAN_BYTES } from './protobuf.js';
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
export { SymbolTable } from './symbols.js';
export {
  PROTOBUF_MESSAGE_V1,
  PROTOBUF_MESSAGE_V2,
  type ProtobufMessage,
  protobufMessageOf,
  type Reencoded,
  requestV2ToV1,
} from './transcode.js';
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

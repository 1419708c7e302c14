/** The local runner (`lambdascrape run`) and the in-process pieces it is made of. */
export { configEqual } from './config-equal.js';
export { ConsoleSink, formatScrapeLine } from './console-sink.js';
export { LocalError, LocalErrorCode } from './errors.js';
export {
  createRemoteWriteSink,
  DEFAULT_MAX_PENDING_SAMPLES,
  RemoteWriteSink,
  type RemoteWriteSinkOptions,
  type UnitWriteResult,
  type UnitWriter,
} from './remote-write-sink.js';
export { defaultSink, LocalRunner, type LocalRunnerOptions } from './runner.js';
export type { SampleSink, SinkStats, UnitMeta } from './sink.js';
export { type JobView, TargetHealth, type TargetView } from './target-view.js';
export {
  DEFAULT_LISTEN_ADDRESS,
  type ListenAddress,
  parseListenAddress,
  type ReloadOutcome,
} from './web.js';

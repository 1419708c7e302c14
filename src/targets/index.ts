export { compareUtf8 } from '../model/byte-order.js';
export {
  type BuildTargetsOptions,
  type BuildTargetsResult,
  buildTargets,
  TargetError,
  TargetErrorCode,
} from './build.js';
export {
  discoveredLabels,
  HISTOGRAM_FLAG_LABELS,
  META_LABEL_PREFIX,
  TargetLabel,
} from './discovered.js';
export { formatTargetId, labelsHash, targetHash } from './identity.js';
export {
  computeOffsetSeed,
  formatExternalLabels,
  goQuote,
  nextScrapeTime,
  phaseProblem,
  ScheduleError,
  scrapeOffsetMs,
} from './offset.js';
export type { DroppedTarget, Target } from './types.js';
export { encodeQuery, PARAM_LABEL_PREFIX, queryEscape, scrapeUrl, targetParams } from './url.js';

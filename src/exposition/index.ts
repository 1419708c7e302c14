export { type SelectedFormat, selectFormat } from './content-type.js';
export { ExpositionParseError } from './errors.js';
export { formatGoFloat, formatOpenMetricsFloat, parseGoFloat } from './float.js';
export { formatSampleLine } from './format.js';
export { EXEMPLAR_MAX_LABEL_CHARS } from './openmetrics-strict.js';
export { createParser, loadParser } from './parser.js';
export {
  EntryKind,
  type Exemplar,
  type ExpositionFormat,
  type ExpositionParser,
  type ExpositionParserOptions,
  type MetricType,
} from './types.js';

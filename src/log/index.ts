/** Logging and redaction, used by both drivers: imports nothing from the rest of `src`. */
export {
  createLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFields,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  logfmtValue,
  silentLogger,
} from './logger.js';
export {
  isUrlFieldName,
  REDACTED_VALUE,
  redactTargetUrl,
  redactUrlField,
  redactUrlsInText,
  SAFE_QUERY_PARAMS,
} from './redact.js';

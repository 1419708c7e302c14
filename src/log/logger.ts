/**
 * A small structured logger: one line per event, logfmt (default, like Prometheus's
 * `--log.format=logfmt`) or JSON lines, written to stderr unless told otherwise.
 *
 * Never logs secrets: a value with a `reveal()` method (the config's `Secret`) prints as
 * `<secret>`, and so does any field whose name says it holds a credential (password, token,
 * secret, authorization, credentials, api key). Errors print as their message (and `code`).
 * Every string, error message included and at any depth, has its URLs redacted
 * (`redact.ts`: no userinfo, no query values but the safe ones), and a field named like an
 * endpoint (`url`, `endpoint`, `target`, `proxy_url`, …) is redacted as a URL even without a
 * scheme, so a caller cannot log `?token=…` or `user:pass@` in clear by passing a raw URL.
 */
import { isUrlFieldName, redactUrlField, redactUrlsInText } from './redact.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['logfmt', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Lines below this level are dropped. @default 'info' */
  readonly level?: LogLevel;
  /** @default 'logfmt' */
  readonly format?: LogFormat;
  /** Receives each line, newline included. @default process.stderr.write */
  readonly write?: (line: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

const REDACTED = '<secret>';
const SENSITIVE_NAME =
  /(^|[_.-])(password|passwd|secret|token|bearer|authorization|credentials?|api_?key)($|[_.-])/i;
const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = RANK[options.level ?? 'info'];
  const format = options.format ?? 'logfmt';
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? Date.now;
  const make = (base: LogFields): Logger => {
    const log = (level: LogLevel, msg: string, fields?: LogFields): void => {
      if (RANK[level] < min) return;
      const record: Record<string, unknown> = {
        ts: new Date(now()).toISOString(),
        level,
        msg,
        ...base,
        ...fields,
      };
      write(format === 'json' ? jsonLine(record) : logfmtLine(record));
    };
    return {
      debug: (msg, fields) => log('debug', msg, fields),
      info: (msg, fields) => log('info', msg, fields),
      warn: (msg, fields) => log('warn', msg, fields),
      error: (msg, fields) => log('error', msg, fields),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make({});
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

/**
 * A field value made safe and plain: secrets redacted, URLs redacted, errors as text, bigint as
 * decimal. An error's code (`LOCAL_RELOAD_FAILED`, …) follows its message in parentheses only
 * when `withCode`: JSON lines keep it for machines (metric filters, alarms); logfmt, which
 * people read, gives the message alone.
 */
function plain(name: string, value: unknown, withCode = true): unknown {
  if (SENSITIVE_NAME.test(name)) return REDACTED;
  if (isSecret(value)) return REDACTED;
  if (typeof value === 'string') return safeText(name, value);
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    const text =
      withCode && typeof code === 'string' ? `${value.message} (${code})` : value.message;
    return redactUrlsInText(text);
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function safeText(name: string, value: string): string {
  return isUrlFieldName(name) ? redactUrlField(value) : redactUrlsInText(value);
}

function isSecret(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { reveal?: unknown }).reveal === 'function'
  );
}

/** JSON with every nested value made {@link plain} too (sensitive names, secrets, errors). */
function safeJson(value: unknown): string {
  return JSON.stringify(value, (key, v: unknown) => (key === '' ? v : plain(key, v))) ?? '';
}

function jsonLine(record: Record<string, unknown>): string {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) out[name] = plain(name, value);
  return `${safeJson(out)}\n`;
}

function logfmtLine(record: Record<string, unknown>): string {
  let line = '';
  for (const [name, value] of Object.entries(record)) {
    if (value === undefined) continue;
    if (line !== '') line += ' ';
    line += `${logfmtKey(name)}=${logfmtValue(plain(name, value, false))}`;
  }
  return `${line}\n`;
}

function logfmtKey(name: string): string {
  return name.replace(/[^A-Za-z0-9_.\-/]/g, '_') || '_';
}

/** Bare when it is a plain token; otherwise double-quoted with `\\ \" \n \r \t` escaped. */
export function logfmtValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    text = String(value);
  } else {
    text = safeJson(plain('', value));
  }
  if (text !== '' && !/[\s"=\\\p{Cc}]/u.test(text)) return text;
  return `"${text.replace(/[\\"\n\r\t]|\p{Cc}/gu, escapeChar)}"`;
}

function escapeChar(c: string): string {
  switch (c) {
    case '\\':
      return '\\\\';
    case '"':
      return '\\"';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default:
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  }
}

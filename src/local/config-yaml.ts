/**
 * The YAML that `/api/v1/status/config` answers: the config file the runner loaded, with every
 * secret replaced the way Prometheus marshals a `Secret` (`<secret>`), and more, because the
 * runner's pages must hold no secret at all (issue 13, docs/security.md "Secrets"):
 * - a value under a secret field name (`password`, `bearer_token`, `credentials`,
 *   `client_secret`, `key`, `secret_key`, … — Prometheus's `Secret` fields) → `<secret>`;
 * - every value of remote_write `headers`, of `proxy_connect_header` and the `values` and
 *   `secrets` of `http_headers` → `<secret>` (header values often carry API keys);
 * - `params` values and `labels` values as the targets page shows the `__param_*` and other
 *   labels (`xxxxx` but for safe names), and a relabel `replacement` whose `target_label` is a
 *   `__param_*` label or `__address__` likewise;
 * - endpoint fields (`url`, `proxy_url`, `targets`, …) lose userinfo and query values, and
 *   every other string has the URLs in it redacted;
 * - comments are dropped (they may hold anything).
 * The text is the file as written, `${VAR}` references unexpanded; defaults are not filled in
 * (Prometheus prints the loaded config with its defaults).
 */
import { parseDocument, stringify } from 'yaml';
import {
  isUrlFieldName,
  redactLabelValue,
  redactUrlField,
  redactUrlsInText,
} from '../log/redact.js';

/** What Prometheus prints for a `Secret`. */
export const SECRET_PLACEHOLDER = '<secret>';

/** Field names whose values are secrets (Prometheus's `Secret` fields, SD ones included). */
const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'password',
  'bearer_token',
  'credentials',
  'client_secret',
  'client_certificate_key',
  'key',
  'secret_key',
  'token',
  'auth_token',
  'service_account_key',
  'private_key',
  'key_passphrase',
  'consumer_key',
  'application_secret',
  'application_credential_secret',
]);

/** Maps whose every value (or list of values) is secret. */
const SECRET_MAPS: ReadonlySet<string> = new Set(['headers', 'proxy_connect_header']);

/** `text` (a config file) as `/api/v1/status/config` may show it; '' when it does not parse. */
export function redactedConfigYaml(text: string): string {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0) return '';
  const value: unknown = doc.toJS({ maxAliasCount: 1000 });
  if (value === null || value === undefined) return '';
  return stringify(redactValue(value, ''), { lineWidth: 0 });
}

function redactValue(value: unknown, key: string): unknown {
  if (typeof value === 'string') {
    if (SECRET_FIELDS.has(key)) return SECRET_PLACEHOLDER;
    if (isUrlFieldName(key)) return redactUrlField(value);
    return redactUrlsInText(value);
  }
  if (Array.isArray(value)) {
    if (key === 'secrets' || key === 'values') return value.map(() => SECRET_PLACEHOLDER);
    return value.map((v) => redactValue(v, key));
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(record)) {
      if (SECRET_MAPS.has(key)) out[name] = secretAll(v);
      else if (key === 'params') out[name] = paramValues(name, v);
      else if (key === 'labels' && typeof v === 'string') out[name] = redactLabelValue(name, v);
      else out[name] = redactValue(v, name);
    }
    const target = record.target_label;
    if (typeof target === 'string' && typeof record.replacement === 'string') {
      if (target.startsWith('__param_') || target === '__address__') {
        out.replacement = redactLabelValue(target, record.replacement);
      }
    }
    return out;
  }
  return value;
}

function secretAll(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(() => SECRET_PLACEHOLDER);
  if (value !== null && typeof value === 'object') return redactValue(value, '');
  return value === null || value === undefined ? value : SECRET_PLACEHOLDER;
}

function paramValues(name: string, value: unknown): unknown {
  const one = (v: unknown) => (typeof v === 'string' ? redactLabelValue(`__param_${name}`, v) : v);
  return Array.isArray(value) ? value.map(one) : one(value);
}

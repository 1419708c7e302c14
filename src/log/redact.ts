/**
 * Redaction of URLs and of text that holds URLs, for everything the project logs or prints.
 *
 * A target URL is built from `__scheme__`, `__address__`, `__metrics_path__` and params
 * (§2.5), so secrets can sit in two places, and {@link redactTargetUrl} removes both:
 * - userinfo in the address (`user:pass@host`, which the URL builder escapes to
 *   `user:pass%40host`): everything up to the last `@` or `%40` of the authority is dropped;
 * - query values (`?token=…`, `?apikey=…`): every value is replaced by {@link REDACTED_VALUE},
 *   except the values of {@link SAFE_QUERY_PARAMS} (exporter module and probe target), which
 *   are kept unless they hold `@`, `?`, `&`, `=` or `#` (an embedded URL with credentials or a
 *   query of its own). A bare parameter without `=` is redacted unless it is a safe name.
 * The path is kept (it is configuration, and no exporter puts credentials there by default);
 * the fragment is dropped.
 *
 * Free text (an error message, a log message) goes through {@link redactUrlsInText}: every
 * http(s) URL in it is redacted as above and any other `scheme://user:pass@` loses its
 * userinfo. Every function here is idempotent: redacting redacted text changes nothing.
 *
 * This module imports nothing: both drivers and the logger use it.
 */

/** What a redacted query value reads as (Go's `URL.Redacted` writes passwords the same way). */
export const REDACTED_VALUE = 'xxxxx';

/**
 * Query parameters whose values identify a target rather than authenticate it: the
 * blackbox/snmp exporters' `module` and `target`, and selectors of common exporters.
 */
export const SAFE_QUERY_PARAMS: ReadonlySet<string> = new Set([
  'module',
  'target',
  'collect[]',
  'format',
  'name[]',
  'match[]',
]);

/** `url` without userinfo, fragment and secret query values (see the file comment). */
export function redactTargetUrl(url: string): string {
  let rest = url;
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  let query: string | undefined;
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const slashes = rest.indexOf('//');
  if (slashes >= 0 && /^([A-Za-z][A-Za-z0-9+.-]*:)?$/.test(rest.slice(0, slashes))) {
    const start = slashes + 2;
    const slash = rest.indexOf('/', start);
    const end = slash < 0 ? rest.length : slash;
    rest = rest.slice(0, start) + withoutUserinfo(rest.slice(start, end)) + rest.slice(end);
  }
  if (query === undefined || query === '') return rest;
  return `${rest}?${query.split('&').map(redactParam).join('&')}`;
}

/**
 * The value of a field that names an endpoint ({@link isUrlFieldName}): redacted as a URL even
 * without a scheme, so `user:pass@host:9100/metrics?token=…` loses its userinfo and query
 * values too. A value with no `@`, `?` or `#` (a host:port, a target id) is returned as is.
 */
export function redactUrlField(value: string): string {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/\S*$/.test(value)) return redactTargetUrl(value);
  if (value.includes('://')) return redactUrlsInText(value);
  if (!/[@?#]/.test(value) && !value.toLowerCase().includes('%40')) return value;
  return redactTargetUrl(`//${value}`).slice(2);
}

const HTTP_URL = /\bhttps?:\/\/[^\s"'<>`]+/gi;
/** Punctuation that ends a sentence rather than the URL in front of it. */
const TRAILING_PUNCTUATION = /[.,;:!)\]}]+$/;
const USERINFO = /([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/?#@"'<>]*@/g;

/** `text` with every http(s) URL redacted and any other URL's userinfo removed. */
export function redactUrlsInText(text: string): string {
  if (!text.includes('://')) return text;
  return text
    .replace(HTTP_URL, (url) => {
      const tail = TRAILING_PUNCTUATION.exec(url)?.[0] ?? '';
      return redactTargetUrl(url.slice(0, url.length - tail.length)) + tail;
    })
    .replace(USERINFO, '$1');
}

/**
 * Whether a field of that name holds an endpoint: `url`, `uri`, `endpoint`, `target`,
 * `address`, `addr`, `proxy`, alone or as the last word (`proxy_url`, `remoteUrl`, `targets`).
 */
export function isUrlFieldName(name: string): boolean {
  return URL_NAME.test(name) || URL_NAME_CAMEL.test(name);
}

const URL_NAME = /(^|[_.-])(url|uri|endpoint|target|address|addr|proxy)(s|es)?$/i;
const URL_NAME_CAMEL = /[a-z0-9](Url|URL|Uri|URI|Endpoint|Target|Address|Addr|Proxy)(s|es)?$/;

function withoutUserinfo(authority: string): string {
  const at = authority.lastIndexOf('@');
  const escaped = authority.toLowerCase().lastIndexOf('%40');
  if (at < 0 && escaped < 0) return authority;
  return at > escaped ? authority.slice(at + 1) : authority.slice(escaped + 3);
}

function redactParam(param: string): string {
  const eq = param.indexOf('=');
  const rawName = eq < 0 ? param : param.slice(0, eq);
  const safe = SAFE_QUERY_PARAMS.has(decodeQueryComponent(rawName));
  if (eq < 0) return safe ? param : REDACTED_VALUE;
  const value = decodeQueryComponent(param.slice(eq + 1));
  if (safe && !/[@?&=#]/.test(value)) return param;
  return `${rawName}=${REDACTED_VALUE}`;
}

/** Form decoding (`+` is a space); undecodable text stays as is, which is never a safe name. */
function decodeQueryComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * A target label value as the targets page and API may show it (issue 13: the runner's pages
 * hold no secret, where Prometheus shows them in clear): a `__param_<name>` label is a query
 * value of the scrape URL, so it is redacted as {@link redactTargetUrl} redacts that value;
 * `__address__` may hold userinfo ({@link redactUrlField}); any other value has the URLs in it
 * redacted (`__meta_url` of HTTP SD is the SD URL, userinfo and `?token=` included).
 */
export function redactLabelValue(name: string, value: string): string {
  if (name.startsWith('__param_')) {
    const param = name.slice('__param_'.length);
    return SAFE_QUERY_PARAMS.has(param) && !/[@?&=#]/.test(value) ? value : REDACTED_VALUE;
  }
  if (name === '__address__') return redactUrlField(value);
  return redactUrlsInText(value);
}

/** Shorter values are not scrubbed from text: no credential is that short, and text would garble. */
const MIN_SCRUBBED_LENGTH = 4;

/**
 * The secrets a request carries, for {@link redactSecretsInText} on what a peer answers (a
 * receiver that echoes the request in its error body): each of `headerValues` (the values of
 * the credential headers sent), its credentials after the scheme (`Bearer <token>`) and, for
 * `Basic`, the password it encodes; the URL's password and its query values but those of
 * {@link SAFE_QUERY_PARAMS}; each as written and percent-decoded.
 */
export function requestSecrets(url: URL, headerValues: readonly string[]): string[] {
  const out = new Set<string>();
  const add = (v: string) => {
    out.add(v);
    out.add(decodeQueryComponent(v));
  };
  for (const value of headerValues) {
    add(value);
    const space = value.indexOf(' ');
    if (space < 0) continue;
    const credentials = value.slice(space + 1).trim();
    add(credentials);
    if (value.slice(0, space).toLowerCase() === 'basic') {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) add(decoded.slice(colon + 1));
    }
  }
  if (url.password !== '') add(url.password);
  for (const [name, value] of url.searchParams) if (!SAFE_QUERY_PARAMS.has(name)) add(value);
  return [...out].filter((s) => s.length >= MIN_SCRUBBED_LENGTH);
}

/** `text` with every occurrence of each of `secrets` replaced by `<secret>`, longest first. */
export function redactSecretsInText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length >= MIN_SCRUBBED_LENGTH) out = out.split(s).join('<secret>');
  }
  return out;
}

/**
 * The one structured log line per scrape (issue 5, item 4): which fields it has, and the URL
 * redaction that keeps credentials out of it.
 *
 * Contract: the fields name the target by job, id and redacted URL only: no target labels (they
 * are unbounded and may carry anything relabeling put there) and no secrets. A target URL is
 * built from `__scheme__`, `__address__`, `__metrics_path__` and params (§2.5), so secrets can
 * sit in two places, and both are removed by {@link redactTargetUrl}:
 * - userinfo in the address (`user:pass@host`, which the URL builder escapes to
 *   `user:pass%40host`): everything up to the last `@` or `%40` of the authority is dropped;
 * - query values (`?token=…`, `?apikey=…`): every value is replaced by {@link REDACTED_VALUE},
 *   except the values of {@link SAFE_QUERY_PARAMS} (exporter module and probe target), which
 *   are kept unless they hold `@`, `?`, `&`, `=` or `#` (an embedded URL with credentials or a
 *   query of its own). A bare parameter without `=` is redacted unless it is a safe name.
 * The path is kept (it is configuration, and no exporter puts credentials there by default);
 * the fragment is dropped. The scrape error is scrubbed the same way: the target's URL is
 * replaced by its redacted form, and any other `scheme://user:pass@` loses its userinfo.
 */
import type { Target } from '../targets/types.js';
import type { DeliveryTotals, StateWriteOutcome, TargetOutcome } from './scraper-outcome.js';

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

/** The fields of one scrape's log line; absent fields do not apply to the outcome's kind. */
export interface ScrapeLogFields {
  readonly job: string;
  /** Target id (§2.6). */
  readonly target: string;
  /** Scrape URL without userinfo and without secret query values. */
  readonly url: string;
  /** What happened to the target: scraped, late (dropped), skipped, retired. */
  readonly outcome: TargetOutcome['kind'];
  readonly slotMs?: number;
  readonly latenessMs?: number;
  readonly waitedMs?: number;
  readonly up?: boolean;
  /** Samples sent for the scrape (scraped, stale markers, report series). */
  readonly samples?: number;
  /** The scrape error, scrubbed like the URL. */
  readonly err?: string;
  /** Outcome of the state write. */
  readonly state?: StateWriteOutcome;
  /** Why a target was skipped. */
  readonly reason?: 'unknown-job' | 'duplicate';
  /** End-of-run stale markers written (retired). */
  readonly markers?: number;
  readonly delivery?: DeliveryTotals;
}

/** The log fields of one target's outcome (see the file comment for what is left out). */
export function scrapeLogFields(
  target: Pick<Target, 'job' | 'url'>,
  outcome: TargetOutcome,
): ScrapeLogFields {
  const url = redactTargetUrl(target.url);
  const base = { job: target.job, target: outcome.targetId, url, outcome: outcome.kind };
  switch (outcome.kind) {
    case 'scraped': {
      const fields = {
        ...base,
        slotMs: outcome.slotMs,
        latenessMs: outcome.latenessMs,
        waitedMs: outcome.waitedMs,
        up: outcome.up,
        samples: outcome.samples,
        state: outcome.state,
        delivery: outcome.delivery,
      };
      return outcome.error === undefined
        ? fields
        : { ...fields, err: scrubError(outcome.error, target.url, url) };
    }
    case 'late':
      return { ...base, slotMs: outcome.slotMs, latenessMs: outcome.latenessMs };
    case 'skipped':
      return { ...base, reason: outcome.reason };
    case 'retired':
      return { ...base, markers: outcome.markers, delivery: outcome.delivery };
  }
}

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

const USERINFO = /([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/?#@"'<>]*@/g;

function scrubError(error: string, rawUrl: string, redactedUrl: string): string {
  const text = rawUrl === '' ? error : error.split(rawUrl).join(redactedUrl);
  return text.replace(USERINFO, '$1');
}

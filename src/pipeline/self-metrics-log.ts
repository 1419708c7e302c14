/**
 * The one structured log line per scrape: which fields it has.
 *
 * Contract: the fields name the target by job, id and redacted URL only: no target labels (they
 * are unbounded and may carry anything relabeling put there) and no secrets. The URL is
 * redacted by `src/log/redact.ts` (userinfo and query values); the scrape error is scrubbed
 * the same way: the target's URL is replaced by its redacted form, and any other URL in it is
 * redacted too.
 */
import { redactTargetUrl, redactUrlsInText } from '../log/redact.js';
import type { Target } from '../targets/types.js';
import type { DeliveryTotals, StateWriteOutcome, TargetOutcome } from './scraper-outcome.js';

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

function scrubError(error: string, rawUrl: string, redactedUrl: string): string {
  return redactUrlsInText(rawUrl === '' ? error : error.split(rawUrl).join(redactedUrl));
}

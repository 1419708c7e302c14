/**
 * What must survive between scrapes of one target for staleness (§8): the identities
 * (`labelsKey`) of the series tracked by the last scrape. It is a value the caller keeps: in
 * memory locally, in DynamoDB between Lambda invocations (through the serialised form).
 */
import type { SeriesEntry } from './batch.js';

let nextScrapeSeq = 1;

/**
 * The series one scrape tracks for staleness (§8.2), collected by stamping each cache entry
 * with the scrape's sequence number: adding a series costs a comparison, not a set insertion.
 */
export class TrackedSeries {
  /** Unique per scrape in this process. */
  readonly seq = nextScrapeSeq++;
  readonly entries: SeriesEntry[] = [];

  track(entry: SeriesEntry): void {
    if (entry.trackedIn === this.seq) return;
    entry.trackedIn = this.seq;
    this.entries.push(entry);
  }

  /** True when `entry` was tracked by this scrape (false can still mean "same key, other entry"). */
  has(entry: SeriesEntry): boolean {
    return entry.trackedIn === this.seq;
  }
}

export class ScrapeState {
  private keys: ReadonlySet<string> | undefined;

  /**
   * A state store's digest of this state's series set (the store's own function), when one is
   * known: set by the store that read, wrote or compared it, and carried over to the next
   * scrape's state when that scrape tracked exactly the same series (`scrapeTarget`), so an
   * unchanged set is recognised without sorting and hashing it again.
   */
  seriesDigest: string | undefined;

  /**
   * @param lastScrapeTimeMs scrape time of the last attempt; undefined before the first one.
   * @param keys the tracked series keys, when known as keys (a deserialised state).
   * @param tracked the tracked entries, when this process made the state (a warm target).
   * @param seriesDigest see {@link ScrapeState.seriesDigest}.
   */
  constructor(
    readonly lastScrapeTimeMs: number | undefined,
    keys: ReadonlySet<string> | undefined,
    readonly tracked?: TrackedSeries,
    seriesDigest?: string,
  ) {
    this.keys = keys;
    this.seriesDigest = seriesDigest;
  }

  /**
   * True when this state is known, without looking at its keys, to have the series set whose
   * digest is `digest` (it carries that digest). False says nothing.
   */
  knownToHaveDigest(digest: string | undefined): boolean {
    return digest !== undefined && this.seriesDigest === digest;
  }

  /** Keys of the series tracked by the last scrape (§8.2). Built on first use. */
  get series(): ReadonlySet<string> {
    if (this.keys === undefined) {
      this.keys = new Set(this.tracked?.entries.map((e) => e.key));
    }
    return this.keys;
  }
}

export const EMPTY_SCRAPE_STATE = new ScrapeState(undefined, new Set());

export interface SerializedScrapeState {
  readonly series: string[];
  readonly lastScrapeTimeMs: number | null;
}

export function serializeScrapeState(state: ScrapeState): SerializedScrapeState {
  return { series: [...state.series], lastScrapeTimeMs: state.lastScrapeTimeMs ?? null };
}

export function deserializeScrapeState(value: SerializedScrapeState): ScrapeState {
  return new ScrapeState(value.lastScrapeTimeMs ?? undefined, new Set(value.series));
}

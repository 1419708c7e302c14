/**
 * What must survive between scrapes of one target for staleness (§8): the identities
 * (`labelsKey`) of the series tracked by the last scrape. It is a plain value the caller keeps:
 * in memory locally, in DynamoDB between Lambda invocations.
 */
export interface ScrapeState {
  /** Keys of the series tracked by the last scrape (§8.2). */
  readonly series: ReadonlySet<string>;
  /** Scrape time (ms) of the last scrape attempt, undefined before the first one. */
  readonly lastScrapeTimeMs: number | undefined;
}

export const EMPTY_SCRAPE_STATE: ScrapeState = { series: new Set(), lastScrapeTimeMs: undefined };

export interface SerializedScrapeState {
  readonly series: string[];
  readonly lastScrapeTimeMs: number | null;
}

export function serializeScrapeState(state: ScrapeState): SerializedScrapeState {
  return { series: [...state.series], lastScrapeTimeMs: state.lastScrapeTimeMs ?? null };
}

export function deserializeScrapeState(value: SerializedScrapeState): ScrapeState {
  return { series: new Set(value.series), lastScrapeTimeMs: value.lastScrapeTimeMs ?? undefined };
}

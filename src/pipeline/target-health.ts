/**
 * The scraper's record of each target's health for `lambdascrape status`, written only when it
 * changes (docs/deploy.md "Seeing what the deployment does"), so a healthy steady target costs
 * no write per scrape.
 *
 * Contracts:
 * - A scrape writes its target's record ({@link TargetHealthStore.put}) when there is none, when
 *   `up` differs from the recorded one, or when its error differs from the recorded error in more
 *   than its digits (a timeout's "after 10.002s" or a sample count does not make a write per
 *   failing scrape). `sinceMs` is the first slot of the current health.
 * - What is recorded is known without a read when this container scraped the target's previous
 *   slot (`slot − interval`) itself: it remembers the record it wrote or left as it was, for at
 *   most `maxTargets` targets (least recently used first out). For the others,
 *   {@link TargetHealthRecorder.prepare} reads the records once per task (one BatchGetItem,
 *   beside the task's state read, eventually consistent where the states are).
 * - Records are never read back at the same slot: two deliveries of one slot that disagree
 *   may leave the record of the one that wrote first (the store keeps the earlier write of a
 *   slot) until the health changes again; a container that lost such a write forgets the
 *   target and reads its record at the next scrape.
 * - Failures are logged and cost the record, never the scrape: a read that fails leaves the
 *   task's cold targets unrecorded (and unremembered, so their next scrape reads again), a
 *   write that fails is forgotten the same way.
 * - Errors are stored with their URLs redacted and cut to {@link MAX_HEALTH_ERROR_LENGTH}.
 */

import type { Logger } from '../log/logger.js';
import { redactUrlsInText } from '../log/redact.js';
import type { TargetHealth, TargetHealthStore } from '../ports.js';

/** Longest error text a record keeps (characters). */
export const MAX_HEALTH_ERROR_LENGTH = 512;

/** What one scrape of a target came to, as far as its health goes. */
export interface HealthObservation {
  readonly up: boolean;
  readonly error: string | undefined;
  readonly durationSeconds: number;
  readonly latenessMs: number;
}

/** A target of a task, as {@link TargetHealthRecorder.prepare} needs it. */
export interface HealthSlot {
  readonly targetId: string;
  readonly slotMs: number;
  readonly intervalMs: number;
}

/** The record before this slot: a record, `none` (no record), or `unknown` (unreadable). */
export type PriorHealth = TargetHealth | 'none' | 'unknown';

/** What {@link TargetHealthRecorder.observe} did. */
export type HealthWriteOutcome = 'written' | 'unchanged' | 'conflict' | 'error' | 'unknown';

interface Remembered {
  readonly health: TargetHealth | 'none';
  /** The slot this container last scraped the target at. */
  readonly scrapedSlotMs: number;
}

export class TargetHealthRecorder {
  private readonly known = new Map<string, Remembered>();

  constructor(
    private readonly store: TargetHealthStore,
    private readonly logger: Logger,
    private readonly maxTargets: number,
  ) {}

  /**
   * The record before each slot of `slots` (keyed by target id): from memory where this
   * container scraped the previous slot, else read in one batch. Never throws.
   */
  async prepare(
    slots: readonly HealthSlot[],
    consistent: boolean,
  ): Promise<Map<string, PriorHealth>> {
    const out = new Map<string, PriorHealth>();
    const cold: string[] = [];
    for (const s of slots) {
      const k = this.known.get(s.targetId);
      if (k !== undefined && k.scrapedSlotMs === s.slotMs - s.intervalMs)
        out.set(s.targetId, k.health);
      else cold.push(s.targetId);
    }
    if (cold.length === 0) return out;
    try {
      const stored = await this.store.getMany(cold, { consistent });
      for (const id of cold) out.set(id, stored.get(id) ?? 'none');
    } catch (err) {
      this.logger.warn('target health records unreadable: not recorded this scrape', {
        targets: cold.length,
        err,
      });
      for (const id of cold) out.set(id, 'unknown');
    }
    return out;
  }

  /** Records the scrape of `targetId` at `slotMs` if its health changed. Never throws. */
  async observe(
    targetId: string,
    slotMs: number,
    prior: PriorHealth,
    seen: HealthObservation,
  ): Promise<HealthWriteOutcome> {
    if (prior === 'unknown') {
      this.known.delete(targetId);
      return 'unknown';
    }
    const error = seen.up ? '' : healthError(seen.error);
    if (prior !== 'none' && prior.up === seen.up && errorShape(prior.error) === errorShape(error)) {
      this.remember(targetId, { health: prior, scrapedSlotMs: slotMs });
      return 'unchanged';
    }
    const health: TargetHealth = {
      up: seen.up,
      sinceMs: prior !== 'none' && prior.up === seen.up ? prior.sinceMs : slotMs,
      slotMs,
      error,
      durationSeconds: seen.durationSeconds,
      latenessMs: seen.latenessMs,
    };
    try {
      if (await this.store.put(targetId, health)) {
        this.remember(targetId, { health, scrapedSlotMs: slotMs });
        return 'written';
      }
      this.known.delete(targetId);
      return 'conflict';
    } catch (err) {
      this.known.delete(targetId);
      this.logger.warn('target health record not written', { target: targetId, err });
      return 'error';
    }
  }

  /** Removes a retired target's record. Never throws (a leftover record is only shown). */
  async forget(targetId: string): Promise<void> {
    this.known.delete(targetId);
    try {
      await this.store.remove([targetId]);
    } catch (err) {
      this.logger.warn('target health record not removed', { target: targetId, err });
    }
  }

  private remember(targetId: string, r: Remembered): void {
    this.known.delete(targetId);
    while (this.known.size >= this.maxTargets) {
      const oldest = this.known.keys().next();
      if (oldest.done === true) break;
      this.known.delete(oldest.value);
    }
    this.known.set(targetId, r);
  }
}

/** The error as a record keeps it: URLs redacted, bounded, never empty for a failure. */
export function healthError(error: string | undefined): string {
  const text = redactUrlsInText(error ?? '') || 'scrape failed';
  return text.length > MAX_HEALTH_ERROR_LENGTH
    ? `${text.slice(0, MAX_HEALTH_ERROR_LENGTH - 1)}…`
    : text;
}

/** The error without its digits: two errors of one shape are one health. */
export function errorShape(error: string): string {
  return error.replace(/[0-9]+/g, '#');
}

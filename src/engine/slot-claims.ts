/**
 * One scrape at a time per series stream, in slot order (§9): what a Prometheus scrape loop
 * guarantees by being one loop. A driver claims a stream's slot before it scrapes it:
 * - the same slot claimed twice by the same owner (a target id: an SQS redelivery, a target
 *   repeated in a task) is refused;
 * - a later slot waits for the claims of earlier slots to be released (the state it diffs
 *   against is the one they leave); the same slot claimed by another owner (two targets whose
 *   labels coincide, which Prometheus scrapes both) neither waits nor is refused;
 * - an earlier slot arriving after a later one does not wait for it.
 * Claims are registered synchronously, so a claim made before the caller's first await is
 * seen by every claim made after it.
 */

export interface SlotClaim {
  /** Settles when every earlier claimed slot of the stream is released; never rejects. */
  readonly after: Promise<void> | undefined;
  /** Ends the claim. Idempotent. */
  release(): void;
}

interface Held {
  readonly slotMs: number;
  readonly owner: string;
  readonly done: Promise<void>;
}

export class SlotClaims {
  private readonly held = new Map<string, Held[]>();

  /** Claims currently held, all streams together. */
  get size(): number {
    let n = 0;
    for (const list of this.held.values()) n += list.length;
    return n;
  }

  /** True when some slot of `key` is claimed. */
  busy(key: string): boolean {
    return this.held.has(key);
  }

  /** Settles when every claim held now is released. */
  idle(): Promise<void> {
    return Promise.all([...this.held.values()].flat().map((h) => h.done)).then(() => {});
  }

  /** Claims `slotMs` of stream `key` for `owner`; undefined when it holds that slot already. */
  claim(key: string, slotMs: number, owner = ''): SlotClaim | undefined {
    const list = this.held.get(key) ?? [];
    if (list.some((h) => h.slotMs === slotMs && h.owner === owner)) return undefined;
    const earlier = list.filter((h) => h.slotMs < slotMs).map((h) => h.done);
    let finish!: () => void;
    const entry: Held = {
      slotMs,
      owner,
      done: new Promise<void>((resolve) => {
        finish = resolve;
      }),
    };
    list.push(entry);
    this.held.set(key, list);
    let released = false;
    return {
      after: earlier.length === 0 ? undefined : Promise.all(earlier).then(() => {}),
      release: () => {
        if (released) return;
        released = true;
        const rest = (this.held.get(key) ?? []).filter((h) => h !== entry);
        if (rest.length === 0) this.held.delete(key);
        else this.held.set(key, rest);
        finish();
      },
    };
  }
}

/**
 * The daily subject quotas as this replica sees them. A quota is read on every request and added
 * to after most, and neither needs to be exact to the request (a request is let through while its
 * organisation is under quota, so the last one may take it past anyway): so the shared counter is
 * read at most once per `freshMs` per key, and what this replica released meanwhile is added to
 * it, in one increment per key, at the same pace. A request reads the last shared count plus
 * what this replica added since; another replica's releases show within `freshMs`.
 *
 * Over Redis this turns two commands per request into one per key every `freshMs`. An increment
 * that fails is kept and sent with the next; what is still unsent when the gateway stops is sent
 * by `flush()` (RateLimits.close).
 */
import type { Counters } from './counters';

interface Tally {
  /** The shared count when last read (this replica's sent additions included). */
  shared: number;
  /** Added here, not yet sent. */
  unsent: number;
  windowMs: number;
  readAt: number;
  /** The read or send in progress. */
  syncing?: Promise<void>;
}

export interface TalliesOptions {
  /** How old a shared count may be when read, and how long an addition may wait to be sent. @default 50 */
  freshMs?: number;
  /** A send that failed in the background (its additions are kept for the next). */
  onError(err: unknown): void;
}

export class Tallies {
  private readonly tallies = new Map<string, Tally>();
  private readonly freshMs: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly counters: Counters,
    private readonly options: TalliesOptions,
  ) {
    this.freshMs = options.freshMs ?? 50;
    this.timer = setInterval(() => void this.flush().catch(options.onError), this.freshMs);
    this.timer.unref();
  }

  /** The count of `key` (a window of `windowMs` when it has none): at most `freshMs` old, plus this replica's additions since. */
  async read(key: string, windowMs: number): Promise<number> {
    const tally = this.tallyOf(key, windowMs);
    // A read or send already on its way brings a fresh count back for every request waiting.
    if (Date.now() - tally.readAt >= this.freshMs) await (tally.syncing ?? this.sync(key, tally));
    return tally.shared + tally.unsent;
  }

  /** Adds `by` to `key` here at once, and to the shared count within `freshMs`. */
  add(key: string, by: number, windowMs: number): void {
    this.tallyOf(key, windowMs).unsent += by;
  }

  /** Sends every unsent addition; forgets the tallies nobody read or added to lately. */
  async flush(): Promise<void> {
    const now = Date.now();
    const sends: Promise<void>[] = [];
    for (const [key, tally] of this.tallies) {
      if (tally.unsent > 0) sends.push(this.sync(key, tally));
      else if (!tally.syncing && now - tally.readAt > 100 * this.freshMs) this.tallies.delete(key);
    }
    await Promise.all(sends);
  }

  /** Flushes and stops the timer. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private tallyOf(key: string, windowMs: number): Tally {
    let tally = this.tallies.get(key);
    if (!tally) this.tallies.set(key, (tally = { shared: 0, unsent: 0, windowMs, readAt: 0 }));
    tally.windowMs = windowMs; // the caller's latest: what is left of the day
    return tally;
  }

  /** Sends the unsent additions (none: reads) and takes the shared count back; one at a time per key. */
  private async sync(key: string, tally: Tally): Promise<void> {
    while (tally.syncing) await tally.syncing.catch(() => {});
    const by = tally.unsent;
    tally.unsent = 0;
    tally.syncing = this.counters.increment(key, by, tally.windowMs).then(
      ({ count }) => {
        tally.shared = count;
        tally.readAt = Date.now();
      },
      (err) => {
        tally.unsent += by; // kept for the next send
        throw err;
      },
    );
    try {
      await tally.syncing;
    } finally {
      tally.syncing = undefined;
    }
  }
}

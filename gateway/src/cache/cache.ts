/**
 * The cache as the gateway uses it: a CacheStore whose failures never reach a client. A failed
 * or slow command (past the store's command timeout) makes that request go on uncached. A refused
 * command, or a few timeouts in a row, are an outage: it is logged and shown on a gauge once, and
 * requests skip the store for a short window rather than each wait for it; the store's
 * reconnection (or the window's end) resumes caching. One slow command alone (a GC pause, a busy
 * event loop) is a blip.
 *
 * An invalidation that cannot reach the store is kept and retried before any later read or
 * write; until it succeeds this gateway serves uncached, so it never answers from entries the
 * change should have dropped. With a shared store, every invalidation is also appended to the
 * durable invalidation log (invalidation-log.ts), which every replica checks entries against:
 * that covers a store that comes back with old data and a replica that dies holding a deferred one.
 */
import type { Logger } from '../../../lib/logger';
import type { CacheMetrics } from './metrics';
import type { InvalidationLog } from './invalidation-log';
import type { CacheRead, CacheStore } from './store';

export interface CacheOptions {
  store: CacheStore;
  logger: Logger;
  metrics: CacheMetrics;
  /** After an outage is detected, how long requests skip the store before trying it again. @default 1000 */
  retryAfterMs: number;
  /** The durable invalidation log (a shared store only); without it invalidations live in the store alone. */
  log?: InvalidationLog;
}

/** A response lookup: the entry, the store's epoch, and the invalidation-log position to stamp a new entry with. */
export type CacheLookup = CacheRead & { position: number };

const FAILED = Symbol('failed');
/** Consecutive timeouts that make an outage (any other failure is one at once). */
const OUTAGE_AFTER_FAILURES = 3;
// ioredis's commandTimeout error; a refused command (disconnected, no offline queue) says otherwise.
const isTimeout = (err: unknown) => /timed out/i.test((err as Error)?.message ?? '');

export class Cache {
  readonly store: CacheStore;
  private readonly logger: Logger;
  private readonly metrics: CacheMetrics;
  private readonly retryAfterMs: number;
  private skipUntil = 0;
  private failures = 0;
  private up = true;
  private readonly pending = new Set<string>();
  private readonly log?: InvalidationLog;

  constructor(options: CacheOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.retryAfterMs = options.retryAfterMs;
    this.log = options.log;
    this.metrics.available.set(1);
    // A fresh connection is the best sign the store is back: do not wait out the window. It may
    // be back with old data (a snapshot, a promoted replica): read the log again before trusting it.
    this.store.onReady(() => {
      this.skipUntil = 0;
      this.log?.requireRefresh();
    });
  }

  /** False from an outage until the next command succeeds. */
  get available(): boolean {
    return this.up;
  }

  /** Waits (at most `timeoutMs`) for the store; an unreachable store is logged, not thrown. */
  async connect(timeoutMs: number): Promise<void> {
    try {
      await this.store.connect(timeoutMs);
    } catch (err) {
      this.failures = OUTAGE_AFTER_FAILURES;
      this.markDown('connect', err);
    }
  }

  /** A plain value (persisted queries): `{ value }`, or undefined when the store is unavailable. */
  async get(key: string): Promise<{ value: string | undefined } | undefined> {
    const value = await this.attempt('get', () => this.store.get(key));
    return value === FAILED ? undefined : { value };
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.attempt('set', () => this.store.set(key, value, ttlSeconds));
  }

  /** A response lookup; undefined when the store is unavailable or the log is not current (the request goes on uncached). */
  async read(key: string): Promise<CacheLookup | undefined> {
    if (this.log && !this.log.current) return undefined;
    // Taken before the read: an entry written from this execution is stamped no later than it.
    const position = this.log?.position ?? 0;
    if (!(await this.flush())) return undefined;
    const found = await this.attempt('read', () => this.store.read(key));
    // This very read may have ended an outage (markUp): then the log is re-read before trusting it.
    if (found === FAILED || (this.log && !this.log.current)) return undefined;
    return { ...found, position };
  }

  /** Whether an entry stamped with `position` and tagged `tags` survived every invalidation logged since. */
  trusts(tags: readonly string[], position: number): boolean {
    return !this.log?.invalidatedSince(tags, position);
  }

  /** Stores a response entry (see CacheStore.write); reports how it went. */
  async write(key: string, value: string, ttlSeconds: number, tags: string[], epoch: string): Promise<'stored' | 'raced' | 'failed'> {
    if (!(await this.flush())) return 'failed';
    const stored = await this.attempt('write', () => this.store.write(key, value, ttlSeconds, tags, epoch));
    return stored === FAILED ? 'failed' : stored ? 'stored' : 'raced';
  }

  /**
   * Drops every entry tagged with any of `tags`: appends them to the durable log (when there is
   * one), then deletes them from the store. False when either had to be deferred.
   */
  async invalidate(tags: string[]): Promise<boolean> {
    if (tags.length === 0) return true;
    const logged = this.log ? await this.log.append(tags) : true;
    tags.forEach((t) => this.pending.add(t));
    return (await this.flush()) && logged;
  }

  async close(): Promise<void> {
    this.log?.close();
    await this.store.close();
  }

  /** Applies deferred invalidations; true when none are left. */
  private async flush(): Promise<boolean> {
    if (this.pending.size === 0) return true;
    const tags = [...this.pending];
    const dropped = await this.attempt('invalidate', () => this.store.invalidate(tags));
    if (dropped === FAILED) return false;
    tags.forEach((t) => this.pending.delete(t));
    this.metrics.invalidated.inc(dropped);
    return true;
  }

  private async attempt<T>(operation: string, command: () => Promise<T>): Promise<T | typeof FAILED> {
    if (Date.now() < this.skipUntil) return FAILED;
    const done = this.metrics.duration.startTimer({ operation });
    try {
      const result = await command();
      done();
      this.failures = 0;
      this.markUp();
      return result;
    } catch (err) {
      done();
      this.metrics.errors.inc({ operation });
      this.failures = isTimeout(err) ? this.failures + 1 : OUTAGE_AFTER_FAILURES;
      if (this.failures >= OUTAGE_AFTER_FAILURES) this.markDown(operation, err);
      return FAILED;
    }
  }

  private markDown(operation: string, err: unknown): void {
    this.skipUntil = Date.now() + this.retryAfterMs;
    if (!this.up) return;
    this.up = false;
    this.metrics.available.set(0);
    this.logger.warn({ err, operation, store: this.store.kind }, 'cache unavailable: serving requests uncached until it answers again');
  }

  private markUp(): void {
    if (this.up) return;
    this.up = true;
    this.log?.requireRefresh(); // a store that answers again (after a freeze) may hold entries an invalidation missed
    this.metrics.available.set(1);
    this.logger.info({ store: this.store.kind, pendingInvalidations: this.pending.size }, 'cache available again: caching resumed');
  }
}

/**
 * The one cache interface, implemented over Redis (shared by every gateway replica and by
 * `npm run import`) and in memory (no Redis configured: one process only). Values are strings
 * (JSON); response entries are tagged with the entities they show (`Person:<idNumber>`) so an
 * invalidation drops every entry of a changed record at once.
 *
 * Race-free invalidation: an invalidation also changes the store's "epoch". A response is read
 * together with the epoch before it is executed and written only if the epoch has not moved
 * since, in one atomic step; so an answer computed from records that changed meanwhile is never
 * stored, and one stored just before the change is dropped by the change's tags.
 */

/** What a response lookup returns: the entry (if any) and the epoch to write back against. */
export interface CacheRead {
  value: string | undefined;
  epoch: string;
}

export interface CacheStore {
  readonly kind: 'redis' | 'memory';
  /** Resolves once the store can take commands (Redis: connected), or rejects after `timeoutMs`. */
  connect(timeoutMs: number): Promise<void>;
  /** Called whenever the store becomes usable again (Redis: after every (re)connection). */
  onReady(listener: () => void): void;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** The value under `key` and the current epoch, in one round trip. */
  read(key: string): Promise<CacheRead>;
  /**
   * Stores `value` under `key` for `ttlSeconds`, tagged with `tags`, unless the epoch is no
   * longer `epoch` (something was invalidated since the read). Returns whether it stored.
   */
  write(key: string, value: string, ttlSeconds: number, tags: string[], epoch: string): Promise<boolean>;
  /** Deletes every entry tagged with any of `tags` and moves the epoch; returns how many entries went. */
  invalidate(tags: string[]): Promise<number>;
  close(): Promise<void>;
}

/** The tag of a person's records: what corrections and imports invalidate. */
export const personTag = (idNumber: string) => `Person:${idNumber}`;

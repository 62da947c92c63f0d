/**
 * Automatic persisted queries in the shared cache: Apollo Server's `persistedQueries.cache`
 * takes a KeyValueCache (get/set/delete); this adapts the gateway's Cache to it, so APQ lives in
 * Redis with every replica seeing every registered query, and an unavailable cache reads as
 * "not found" (the client then sends the full query) rather than an error.
 */
import type { Cache } from './cache';
import type { CacheMetrics } from './metrics';

/** Structurally Apollo Server's KeyValueCache<string> (@apollo/utils.keyvaluecache). */
export interface PersistedQueryCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean | void>;
}

/**
 * @param ttlSeconds how long a registered query is kept when Apollo Server passes no TTL
 */
export function persistedQueryCache(cache: Cache, metrics: CacheMetrics, ttlSeconds: number): PersistedQueryCache {
  return {
    // Apollo Server already prefixes the keys with `apq:`.
    async get(key) {
      const found = await cache.get(key);
      metrics.requests.inc({ cache: 'apq', result: !found ? 'bypass' : found.value !== undefined ? 'hit' : 'miss' });
      return found?.value;
    },
    async set(key, value, options) {
      await cache.set(key, value, options?.ttl ?? ttlSeconds);
    },
    async delete() {
      // Apollo Server never deletes persisted queries; they expire.
    },
  };
}

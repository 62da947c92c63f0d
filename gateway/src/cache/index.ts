/**
 * The gateway's cache, built once from the config: Redis when one is configured (REDIS_URL,
 * REDIS_CLUSTER_NODES or REDIS_SENTINELS), in memory otherwise; used for automatic persisted
 * queries, the response cache and invalidation (the latter also by `npm run import`).
 */
import type { Kysely } from 'kysely';
import type { MetricsRegistry } from '../metrics';
import type { Config } from '../../../lib/config';
import type { Logger } from '../../../lib/logger';
import { persistedQueryCache, type PersistedQueryCache } from './apq';
import { Cache } from './cache';
import { InvalidationLog } from './invalidation-log';
import { MemoryStore } from './memory-store';
import { cacheMetrics } from './metrics';
import { RedisStore } from './redis-store';
import { refuseRedisCluster } from './redis-cluster';
import { ResponseCache } from './response-cache';
import type { CacheStore } from './store';

export { Cache } from './cache';
export { personTag, type CacheStore } from './store';
export { appendInvalidations, invalidationLogMigration, type InvalidationLogDB } from './invalidation-log';

type CacheConfig = Pick<
  Config,
  'redis' | 'CACHE_ENABLED' | 'CACHE_KEY_PREFIX' | 'CACHE_COMMAND_TIMEOUT_MS' | 'CACHE_RETRY_AFTER_MS' | 'CACHE_MAX_TTL_SECONDS' | 'CACHE_MEMORY_MAX_ENTRIES' | 'CACHE_MEMORY_MAX_BYTES' | 'CACHE_MAX_TAGS' | 'CACHE_APQ_TTL_SECONDS'
>;

/** How long startup waits for Redis before going on uncached (it keeps reconnecting). */
const CONNECT_WAIT_MS = 2000;
/** How long startup waits for the invalidation log to load while its database is slow to open (an unreachable one is not waited for). */
const LOG_START_WAIT_MS = 10_000;
/** Invalidations are remembered this much longer than the longest entry TTL (an entry is written up to a subgraph timeout after its read). */
const LOG_RETENTION_MARGIN_SECONDS = 300;

/** The configured store: the configured Redis, else in memory. */
export function openCacheStore(config: CacheConfig): CacheStore {
  return config.redis
    ? new RedisStore({ redis: config.redis, prefix: config.CACHE_KEY_PREFIX, commandTimeoutMs: config.CACHE_COMMAND_TIMEOUT_MS })
    : new MemoryStore({ maxEntries: config.CACHE_MEMORY_MAX_ENTRIES, maxBytes: config.CACHE_MEMORY_MAX_BYTES });
}

export interface GatewayCache {
  cache: Cache;
  responses: ResponseCache;
  persistedQueries: PersistedQueryCache;
}

/**
 * Opens the store and waits briefly for it; an unreachable Redis leaves the gateway serving uncached; REDIS_URL on a Redis Cluster node is refused.
 * `invalidationDb` is the database of the durable invalidation log (the audit database, which the
 * replicas share); it is used with Redis only: the in-memory store dies with its process anyway.
 */
export async function createGatewayCache(config: CacheConfig, logger: Logger, registry: MetricsRegistry, invalidationDb?: () => Promise<Kysely<any>>): Promise<GatewayCache> {
  if (config.redis?.mode === 'single') await refuseRedisCluster(config.redis.url, CONNECT_WAIT_MS);
  const metrics = cacheMetrics(registry);
  const store = openCacheStore(config);
  const log =
    store.kind === 'redis' && invalidationDb
      ? new InvalidationLog({ db: invalidationDb, logger, retentionSeconds: config.CACHE_MAX_TTL_SECONDS + LOG_RETENTION_MARGIN_SECONDS })
      : undefined;
  const cache = new Cache({ store, logger, metrics, retryAfterMs: config.CACHE_RETRY_AFTER_MS, log });
  await cache.connect(CONNECT_WAIT_MS);
  await log?.start(LOG_START_WAIT_MS);
  return {
    cache,
    responses: new ResponseCache({ cache, metrics, enabled: config.CACHE_ENABLED, maxTtlSeconds: config.CACHE_MAX_TTL_SECONDS, maxTags: config.CACHE_MAX_TAGS }),
    persistedQueries: persistedQueryCache(cache, metrics, config.CACHE_APQ_TTL_SECONDS),
  };
}

/**
 * Redis Cluster is not supported yet: the cache's Lua scripts touch keys in many hash slots, so on
 * a cluster every tagged write and invalidation fails with CROSSSLOT, persisted queries never
 * register and invalidations stay deferred for good, while the gateway looks healthy. Until the
 * cache learns cluster mode, the gateway refuses to start on one instead.
 */
import Redis from 'ioredis';

/**
 * Throws when the Redis at `url` is a cluster node (`INFO cluster` reports `cluster_enabled:1`).
 * A Redis that cannot be reached within `timeoutMs` is not checked here: the gateway then starts
 * uncached, as it does for any unreachable cache.
 */
export async function refuseRedisCluster(url: string, timeoutMs: number): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  redis.on('error', () => {}); // a failed connect rejects connect() below
  let info: string;
  try {
    await redis.connect();
    info = await redis.info('cluster');
  } catch {
    return;
  } finally {
    redis.disconnect();
  }
  if (/^cluster_enabled:1\s*$/m.test(info)) {
    throw new Error(
      `REDIS_URL points to a Redis Cluster node (${new URL(url).host}); the cache needs a single Redis (a primary, with replicas if you like) ` +
        'because Redis Cluster is not supported yet. Point REDIS_URL at a standalone Redis, or unset it to cache in memory.',
    );
  }
}

/**
 * REDIS_URL on a Redis Cluster node: a single-node client there gets MOVED for every key the node
 * does not own, so most cache commands and invalidations would fail while the gateway looks
 * healthy. The gateway refuses to start instead and names REDIS_CLUSTER_NODES, which selects the
 * cluster client.
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
      `REDIS_URL points to a Redis Cluster node (${new URL(url).host}); REDIS_URL is for a single Redis. ` +
        `For a cluster, unset REDIS_URL and list its nodes in REDIS_CLUSTER_NODES=host:port,host:port,… (e.g. REDIS_CLUSTER_NODES=${new URL(url).host}).`,
    );
  }
}

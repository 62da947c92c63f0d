/** Plumbing shared by the cache tests: Redis key housekeeping, /metrics samples, SQL counts, free ports. */
import net from 'node:net';
import type Redis from 'ioredis';

/** A TCP port free right now on 127.0.0.1 (for a private redis-server). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Every key matching `pattern` (SCAN, so a busy shared Redis is not blocked). */
export async function cacheKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** Removes this test run's keys from the shared Redis. */
export async function dropKeys(redis: Redis, prefix: string): Promise<void> {
  const keys = await cacheKeys(redis, `${prefix}*`);
  if (keys.length) await redis.del(...keys);
}

/** One sample of the gateway's /metrics, e.g. `gateway_cache_available`; 0 when absent. */
export async function metric(graphqlUrl: string, sample: string): Promise<number> {
  const text = await (await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

/** SQL statements run between two `Federation.statements()` snapshots, over all departments. */
export function sqlDelta(before: Record<string, number>, after: Record<string, number>): number {
  return Object.keys(after).reduce((sum, k) => sum + after[k] - before[k], 0);
}

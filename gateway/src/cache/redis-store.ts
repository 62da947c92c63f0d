/**
 * The Redis cache store (ioredis), shared by every gateway replica and by `npm run import`: one
 * Redis, a Redis Cluster or the master behind Redis Sentinel.
 * Keys: `<prefix>{cache}r:<hash>` responses, `<prefix>{cache}tag:<tag>` a set of the response keys
 * carrying that tag, `<prefix>{cache}epoch` the invalidation epoch, `<prefix>apq:<hash>`
 * persisted queries. Tagged writes and invalidations are Lua scripts, so each is atomic against
 * the other; they touch entries they cannot declare (a tag set's members), which a cluster allows
 * only within one hash slot: the `{cache}` hash tag puts every response-cache key in the same slot
 * (so on one master at a time, with its replicas). Persisted queries are single keys and spread
 * over the cluster.
 */
import { randomUUID } from 'node:crypto';
import type { RedisTarget } from '../../../lib/config';
import { requestPathRedis, type RedisClient } from '../../../lib/redis';
import type { CacheRead, CacheStore } from './store';

/** The hash tag of the response cache's keys (see the module comment). */
export const RESPONSE_SLOT = '{cache}';

export interface RedisStoreOptions {
  redis: RedisTarget;
  /** Prepended to every key, so deployments and test runs can share one Redis. @default af: */
  prefix: string;
  /** A command that takes longer fails (and the request goes on uncached). @default 100 */
  commandTimeoutMs: number;
}

// KEYS: entry, epoch, tag sets. ARGV: value, ttl, expected epoch.
const WRITE = `
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[3] then return 0 end
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[1])
  if redis.call('TTL', KEYS[i]) < ttl then redis.call('EXPIRE', KEYS[i], ttl) end
end
return 1`;

// KEYS: epoch, tag sets. ARGV: new epoch. A random epoch (not INCR) cannot come back to an old
// value after a Redis restart resets it.
const INVALIDATE = `
redis.call('SET', KEYS[1], ARGV[1])
local dropped = 0
for i = 2, #KEYS do
  for _, key in ipairs(redis.call('SMEMBERS', KEYS[i])) do dropped = dropped + redis.call('DEL', key) end
  redis.call('DEL', KEYS[i])
end
return dropped`;

type ScriptedRedis = RedisClient & {
  cacheWrite(numKeys: number, ...args: Array<string | number>): Promise<number>;
  cacheInvalidate(numKeys: number, ...args: string[]): Promise<number>;
};

export class RedisStore implements CacheStore {
  readonly kind = 'redis';
  private readonly redis: ScriptedRedis;
  private readonly prefix: string;

  constructor(options: RedisStoreOptions) {
    this.prefix = options.prefix;
    this.redis = requestPathRedis(options.redis, options.commandTimeoutMs) as ScriptedRedis;
    this.redis.defineCommand('cacheWrite', { lua: WRITE });
    this.redis.defineCommand('cacheInvalidate', { lua: INVALIDATE });
  }

  async connect(timeoutMs: number): Promise<void> {
    this.redis.connect().catch(() => {}); // retryStrategy keeps trying after a failed first attempt
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', ready);
        reject(new Error(`Redis not reachable within ${timeoutMs} ms`));
      }, timeoutMs);
      const ready = () => {
        clearTimeout(timer);
        resolve();
      };
      this.redis.once('ready', ready);
    });
  }

  onReady(listener: () => void): void {
    this.redis.on('ready', listener);
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(this.prefix + key)) ?? undefined;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.prefix + key, value, 'EX', ttlSeconds);
  }

  async read(key: string): Promise<CacheRead> {
    const [value, epoch] = await this.redis.mget(this.responseKey(key), this.epochKey);
    return { value: value ?? undefined, epoch: epoch ?? '' };
  }

  async write(key: string, value: string, ttlSeconds: number, tags: string[], epoch: string): Promise<boolean> {
    const keys = [this.responseKey(key), this.epochKey, ...tags.map((t) => this.tagKey(t))];
    return (await this.redis.cacheWrite(keys.length, ...keys, value, ttlSeconds, epoch)) === 1;
  }

  async invalidate(tags: string[]): Promise<number> {
    const keys = [this.epochKey, ...tags.map((t) => this.tagKey(t))];
    return this.redis.cacheInvalidate(keys.length, ...keys, randomUUID());
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private responseKey(key: string) {
    return `${this.prefix}${RESPONSE_SLOT}${key}`;
  }

  private get epochKey() {
    return `${this.prefix}${RESPONSE_SLOT}epoch`;
  }

  private tagKey(tag: string) {
    return `${this.prefix}${RESPONSE_SLOT}tag:${tag}`;
  }
}

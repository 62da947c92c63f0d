/**
 * Rate-limit counters: fixed windows that start at a key's first hit. In Redis (shared by every
 * replica, kept across gateway restarts) or in memory (no Redis configured: one gateway only).
 * Each counter is one key and its script declares it, so on a Redis Cluster the counters spread
 * over every master.
 */
import type { RedisTarget } from '../../../lib/config';
import { requestPathRedis, type RedisClient } from '../../../lib/redis';

/** A counter after an increment: its value and how long its window still runs. */
export interface Count {
  count: number;
  resetMs: number;
}

export interface Counters {
  /** Adds `by` to `key` (a new window of `windowMs` when it has none) and returns the new count. */
  increment(key: string, by: number, windowMs: number): Promise<Count>;
  close(): Promise<void>;
}

// KEYS: counter. ARGV: by, window ms. INCRBY and PEXPIRE in one script, so a window always ends
// (a crash between the two would otherwise leave a counter that never expires).
const INCREMENT = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {n, ttl}`;

type ScriptedRedis = RedisClient & { rateIncrement(key: string, by: number, windowMs: number): Promise<[number, number]> };

export interface RedisCountersOptions {
  redis: RedisTarget;
  /** Prepended to every key (CACHE_KEY_PREFIX + `rl:`). */
  prefix: string;
  /** A slower command fails, and the request is served unmetered. */
  commandTimeoutMs: number;
}

/** Counters in Redis, on the same kind of connection as the cache's (lib/redis.ts). */
export class RedisCounters implements Counters {
  private readonly redis: ScriptedRedis;

  constructor(private readonly options: RedisCountersOptions) {
    this.redis = requestPathRedis(options.redis, options.commandTimeoutMs) as ScriptedRedis;
    this.redis.defineCommand('rateIncrement', { numberOfKeys: 1, lua: INCREMENT });
  }

  /** Connects, waiting at most `timeoutMs`; an unreachable Redis is not an error (requests go unmetered while it reconnects). */
  async connect(timeoutMs: number): Promise<void> {
    this.redis.connect().catch(() => {}); // retryStrategy keeps trying after a failed first attempt
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.redis.once('ready', done);
    });
  }

  async increment(key: string, by: number, windowMs: number): Promise<Count> {
    const [count, resetMs] = await this.redis.rateIncrement(this.options.prefix + key, by, windowMs);
    return { count: Number(count), resetMs: Number(resetMs) };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/** Counters in this process (no Redis configured). */
export class MemoryCounters implements Counters {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  async increment(key: string, by: number, windowMs: number): Promise<Count> {
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || w.endsAt <= now) {
      if (this.windows.size > 100_000) this.sweep(now);
      w = { count: 0, endsAt: now + windowMs };
      this.windows.set(key, w);
    }
    w.count += by;
    return { count: w.count, resetMs: w.endsAt - now };
  }

  async close(): Promise<void> {}

  private sweep(now: number) {
    for (const [key, w] of this.windows) if (w.endsAt <= now) this.windows.delete(key);
  }
}

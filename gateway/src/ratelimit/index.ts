/**
 * Per-client rate limits and quotas (requests a minute, released subjects a day), counted in
 * Redis so every replica shares them and they survive a gateway restart; in memory when
 * no Redis is configured. Installed only when a limit is configured.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { MetricsRegistry } from '../metrics';
import type { Config } from '../../../lib/config';
import type { Logger } from '../../../lib/logger';
import { MemoryCounters, RedisCounters, type Counters } from './counters';
import { rateLimitMetrics } from './metrics';
import { rateLimitPlugin, type RateLimitContext } from './plugin';
import { anyLimit } from './rules';

export type { RateLimitContext } from './plugin';

export interface RateLimits {
  plugin: ApolloServerPlugin<RateLimitContext>;
  close(): Promise<void>;
}

/** How long startup waits for Redis, as the cache does; then requests go unmetered until it answers. */
const CONNECT_WAIT_MS = 2000;

/** The configured limits, or undefined when none is. */
export async function createRateLimits(config: Config, logger: Logger, registry: MetricsRegistry): Promise<RateLimits | undefined> {
  const defaults = { requestsPerMinute: config.RATE_LIMIT_REQUESTS_PER_MINUTE, subjectsPerDay: config.RATE_LIMIT_SUBJECTS_PER_DAY };
  const rules = config.RATE_LIMIT_RULES;
  if (!anyLimit(rules, defaults)) return undefined;
  let counters: Counters = new MemoryCounters();
  if (config.redis) {
    const redis = new RedisCounters({ redis: config.redis, prefix: `${config.CACHE_KEY_PREFIX}rl:`, commandTimeoutMs: config.CACHE_COMMAND_TIMEOUT_MS });
    await redis.connect(CONNECT_WAIT_MS);
    counters = redis;
  }
  const { plugin, close } = rateLimitPlugin({ counters, quotaSyncMs: config.RATE_LIMIT_QUOTA_SYNC_MS, rules, defaults, metrics: rateLimitMetrics(registry), logger });
  return {
    plugin,
    async close() {
      await close().catch((err) => logger.warn({ err }, 'released subjects not added to the shared quotas at shutdown'));
      await counters.close();
    },
  };
}

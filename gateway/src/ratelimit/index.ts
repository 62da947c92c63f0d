/**
 * Per-client rate limits and quotas (requests a minute, released subjects a day), counted in
 * Redis so every replica shares them and they survive a gateway restart; in memory when
 * REDIS_URL is unset. Installed only when a limit is configured.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Registry } from 'prom-client';
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

/** The configured limits, or undefined when none is. */
export function createRateLimits(config: Config, logger: Logger, registry: Registry): RateLimits | undefined {
  const defaults = { requestsPerMinute: config.RATE_LIMIT_REQUESTS_PER_MINUTE, subjectsPerDay: config.RATE_LIMIT_SUBJECTS_PER_DAY };
  const rules = config.RATE_LIMIT_RULES;
  if (!anyLimit(rules, defaults)) return undefined;
  const counters: Counters = config.REDIS_URL
    ? new RedisCounters({ url: config.REDIS_URL, prefix: `${config.CACHE_KEY_PREFIX}rl:`, commandTimeoutMs: config.CACHE_COMMAND_TIMEOUT_MS })
    : new MemoryCounters();
  return {
    plugin: rateLimitPlugin({ counters, rules, defaults, metrics: rateLimitMetrics(registry), logger }),
    close: () => counters.close(),
  };
}

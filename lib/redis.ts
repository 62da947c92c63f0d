/** The Redis connection every request-path feature uses (the cache, the rate limiter). */
import Redis from 'ioredis';

/**
 * A lazily connecting ioredis client for use on the request path: it fails commands at once while
 * disconnected instead of queueing them (a request must not wait for Redis), gives each command
 * `commandTimeoutMs`, and reconnects forever, backing off to 1 s, so the feature resumes by itself
 * after an outage. Errors reach callers as rejected commands; the 'error' event only has a listener
 * so that it is not an unhandled one (callers log availability changes themselves).
 */
export function requestPathRedis(url: string, commandTimeoutMs: number): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 1000,
    retryStrategy: (times) => Math.min(50 * times, 1000),
  });
  redis.on('error', () => {});
  return redis;
}

/** The Redis connection every request-path feature uses (the cache, the rate limiter). */
import Redis, { Cluster } from 'ioredis';
import type { RedisTarget } from './config';

/** A connection to one Redis, a Redis Cluster or the master behind Redis Sentinel: the commands are the same. */
export type RedisClient = Redis | Cluster;

/** Reconnection back-off: 50 ms more each attempt, at most 1 s, forever. */
const backOff = (times: number) => Math.min(50 * times, 1000);

/**
 * A lazily connecting ioredis client for use on the request path: it fails commands at once while
 * disconnected instead of queueing them (a request must not wait for Redis), gives each command
 * `commandTimeoutMs`, and reconnects forever, backing off to 1 s, so the feature resumes by itself
 * after an outage. Errors reach callers as rejected commands; the 'error' event only has a listener
 * so that it is not an unhandled one (callers log availability changes themselves).
 *
 * Redis Cluster: the client follows MOVED/ASK and refreshes the slot map when a replica takes over;
 * a command retried across a failover still fails within a few seconds, never waits for it.
 * Redis Sentinel: the client asks the sentinels for the master, and reconnects to the new one when
 * the old one dies or answers READONLY (it was demoted to a replica).
 *
 * Commands issued in the same tick of the event loop (a request's rate-limit counters, concurrent
 * requests' cache lookups) go out in one write (ioredis's auto-pipelining; on a cluster, one per
 * node): a socket write costs more CPU than the command it carries.
 */
export function requestPathRedis(target: RedisTarget, commandTimeoutMs: number): RedisClient {
  const perNode = {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 1000,
    retryStrategy: backOff,
  };
  let redis: RedisClient;
  if (target.mode === 'cluster') {
    redis = new Cluster(target.nodes, {
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      clusterRetryStrategy: backOff,
      // During a failover: a few quick retries (the slot map is refreshed meanwhile), then the command fails.
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 200,
      maxRedirections: 4,
      slotsRefreshTimeout: 1000,
      redisOptions: { ...perNode, password: target.password },
    });
  } else if (target.mode === 'sentinel') {
    redis = new Redis({
      ...perNode,
      sentinels: target.sentinels,
      name: target.name,
      password: target.password,
      sentinelRetryStrategy: backOff,
      reconnectOnError: (err) => err.message.startsWith('READONLY'),
    });
  } else {
    redis = new Redis(target.url, perNode);
  }
  redis.on('error', () => {});
  return redis;
}

/** The cache's Prometheus metrics, registered in the gateway's registry (gateway/src/metrics). */
import type { MetricsRegistry } from '../metrics';

export type CacheMetrics = ReturnType<typeof cacheMetrics>;

export function cacheMetrics(metrics: MetricsRegistry) {
  return {
    requests: metrics.counter({
      name: 'gateway_cache_requests_total',
      help: 'Cache lookups by cache (response, apq) and result: hit, miss (also an entry a logged invalidation postdates), or bypass (the cache, or for responses the invalidation log, was unavailable; served uncached).',
      labelNames: ['cache', 'result'] as const,
    }),
    writes: metrics.counter({
      name: 'gateway_cache_writes_total',
      help: 'Response cache writes after a miss by outcome: stored, uncacheable (errors, mutation, no max-age), too_many_tags (the answer shows more persons than CACHE_MAX_TAGS), raced (an invalidation happened during execution), failed.',
      labelNames: ['outcome'] as const,
    }),
    invalidated: metrics.counter({
      name: 'gateway_cache_invalidated_entries_total',
      help: 'Response cache entries dropped because a record they showed changed.',
    }),
    errors: metrics.counter({
      name: 'gateway_cache_errors_total',
      help: 'Cache store commands that failed or timed out, by operation.',
      labelNames: ['operation'] as const,
    }),
    duration: metrics.histogram({
      name: 'gateway_cache_operation_duration_seconds',
      help: 'Latency of cache store commands, by operation.',
      labelNames: ['operation'] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    }),
    available: metrics.gauge({
      name: 'gateway_cache_available',
      help: '1 while the cache store answers; 0 while requests are served uncached because it does not.',
    }),
  };
}

/** The gateway's request and subgraph metrics, registered in the gateway's registry (gateway/src/metrics). */
import { boundedLabel, type MetricsRegistry } from '../metrics';
import type { SubgraphOutcome } from '../fetch/subgraph-fetcher';

export type RequestMetrics = ReturnType<typeof requestMetrics>;

/** Distinct operation names kept as label values; past this, `other` (names are the client's to choose). */
const MAX_OPERATION_LABELS = 200;
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function requestMetrics(metrics: MetricsRegistry) {
  const duration = metrics.histogram({
    name: 'gateway_request_duration_seconds',
    help: 'GraphQL requests by operation name and outcome (ok, partial, error, aborted); its _count is the request rate.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
  });
  const errors = metrics.counter({
    name: 'gateway_errors_total',
    help: 'Errors in GraphQL responses, by extensions.code (OPERATION_LIMIT_EXCEEDED, SUBGRAPH_UNAVAILABLE, ...).',
    labelNames: ['code'] as const,
  });
  const subgraph = metrics.histogram({
    name: 'gateway_subgraph_request_duration_seconds',
    help: 'Gateway-to-subgraph calls by subgraph and outcome (ok, http_error, timeout, unreachable, invalid_response).',
    labelNames: ['subgraph', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
  });
  const bounded = boundedLabel(MAX_OPERATION_LABELS);
  const operationLabel = (name: string | null | undefined): string => (name === undefined ? 'none' : name ? bounded(name) : 'anonymous');
  return {
    /** One finished request. `operation` is null for anonymous operations, undefined for requests refused before parsing. */
    request(operation: string | null | undefined, outcome: string, seconds: number, errorCodes: readonly string[]): void {
      duration.observe({ operation: operationLabel(operation), outcome }, seconds);
      for (const code of errorCodes) errors.inc({ code });
    },
    subgraph(name: string, seconds: number, outcome: SubgraphOutcome): void {
      subgraph.observe({ subgraph: name, outcome }, seconds);
    },
  };
}

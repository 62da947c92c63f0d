/** Trusted-operations metrics, per client system, on the gateway's registry. */
import { boundedLabel, type MetricsRegistry } from '../metrics';

/** How a request met the safelist. */
export type SafelistResult = 'trusted' | 'logged' | 'refused' | 'exempt' | 'unnamed';

export interface OperationsMetrics {
  observe(client: string | undefined, result: SafelistResult): void;
}

export function operationsMetrics(metrics: MetricsRegistry): OperationsMetrics {
  const counter = metrics.counter({
    name: 'gateway_trusted_operations_total',
    help: 'Requests checked against the trusted operations, by client system and result (trusted, logged, refused, exempt, unnamed)',
    labelNames: ['client', 'result'],
  });
  const client = boundedLabel();
  return {
    observe: (name, result) => counter.inc({ client: client(name), result }),
  };
}

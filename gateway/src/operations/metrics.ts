/** Trusted-operations metrics, per client system, on the gateway's registry. */
import { Counter, type Registry } from 'prom-client';
import { boundedLabel } from '../metrics/labels';

/** How a request met the safelist. */
export type SafelistResult = 'trusted' | 'logged' | 'refused' | 'exempt' | 'unnamed';

export interface OperationsMetrics {
  observe(client: string | undefined, result: SafelistResult): void;
}

export function operationsMetrics(registry: Registry): OperationsMetrics {
  const counter = new Counter({
    name: 'gateway_trusted_operations_total',
    help: 'Requests checked against the trusted operations, by client system and result (trusted, logged, refused, exempt, unnamed)',
    labelNames: ['client', 'result'],
    registers: [registry],
  });
  const client = boundedLabel();
  return {
    observe: (name, result) => counter.inc({ client: client(name), result }),
  };
}

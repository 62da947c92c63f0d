/**
 * The gateway's Prometheus metrics, owned here: one registry per gateway, served as text on
 * `GET /metrics`, and the helpers every feature defines its metrics with (cache/metrics.ts,
 * observability/metrics.ts, limits/demand-control.ts, operations/metrics.ts, ratelimit/metrics.ts,
 * audit/evaluator.ts). No other module creates a prom-client metric or registry.
 */
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';

export type { Counter, Gauge, Histogram };

/**
 * A gateway's metrics. One registry per gateway rather than prom-client's global default, so that
 * several gateways in one process (the tests start many) do not collide on metric names.
 */
export class MetricsRegistry {
  readonly registry = new Registry();

  counter<L extends string>(definition: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return new Counter({ ...definition, registers: [this.registry] });
  }

  histogram<L extends string>(definition: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return new Histogram({ ...definition, registers: [this.registry] });
  }

  gauge<L extends string>(definition: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return new Gauge({ ...definition, registers: [this.registry] });
  }

  /** `GET /metrics`: the registry in the Prometheus text exposition format. */
  handler(): RequestHandler {
    return async (_req, res, next) => {
      try {
        res.set('content-type', this.registry.contentType).send(await this.registry.metrics());
      } catch (err) {
        next(err);
      }
    };
  }
}

/**
 * Label values that come from callers (a client-name header, an organisation claim, an operation
 * name) would let a caller create unbounded time series; past `max` distinct values, new ones are
 * counted as `other`.
 */
export function boundedLabel(max = 100): (value: string | undefined) => string {
  const seen = new Set<string>();
  return (value) => {
    if (value === undefined) return 'none';
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}

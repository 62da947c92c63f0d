/**
 * Demand control (Apollo Router's): each operation's cost is estimated from the supergraph's
 * `@cost`/`@listSize` before planning and refused above the maximum (`enforce`) or only measured
 * (`measure`); the actual cost is computed from the answer. Both go to the metrics.
 */
import type { GraphQLError } from 'graphql';
import type { MetricsRegistry } from '../metrics';
import { codedError, ErrorCode } from '../../../lib/errors';
import type { CostDirectives } from './cost-directives';

/** Demand-control settings; the values come from the config (lib/config.ts). */
export interface DemandControlOptions {
  /** `enforce` refuses an operation estimated above `maxCost`; `measure` serves it and counts it. @default enforce */
  mode: 'measure' | 'enforce';
  /** Largest estimated cost served. @default 20000 */
  maxCost: number;
  /** Size of a list field without `@listSize` (Router's `static_estimated.list_size`). @default 10 */
  listSize: number;
  /** The supergraph's `@cost` and `@listSize`. */
  costs: CostDirectives;
}

export interface DemandControlMetrics {
  /** An operation's estimated cost and whether it was within the maximum. */
  estimated(cost: number, result: 'COST_OK' | 'COST_ESTIMATED_TOO_EXPENSIVE'): void;
  /** An answered operation's actual cost. */
  actual(cost: number): void;
}

const COST_BUCKETS = [0, 1, 10, 100, 1000, 10_000, 100_000, 1_000_000];

/** `gateway_operation_cost_estimated` (by `result`) and `gateway_operation_cost_actual`, histograms. */
export function demandControlMetrics(metrics: MetricsRegistry): DemandControlMetrics {
  const estimated = metrics.histogram({
    name: 'gateway_operation_cost_estimated',
    help: 'Estimated demand-control cost of each operation, before planning, by result (COST_OK, COST_ESTIMATED_TOO_EXPENSIVE; in measure mode the latter are served)',
    labelNames: ['result'] as const,
    buckets: COST_BUCKETS,
  });
  const actual = metrics.histogram({
    name: 'gateway_operation_cost_actual',
    help: 'Actual demand-control cost of each answered operation, computed from its response data',
    buckets: COST_BUCKETS,
  });
  return {
    estimated: (cost, result) => estimated.observe({ result }, cost),
    actual: (cost) => actual.observe(cost),
  };
}

/** The largest cost reported: fragment bombs can estimate past what JSON numbers carry. */
const REPORTABLE = Number.MAX_SAFE_INTEGER;

/** `COST_ESTIMATED_TOO_EXPENSIVE` (Apollo Router's code and extensions), HTTP 400. */
export function costEstimatedTooExpensive(estimated: number, max: number): GraphQLError {
  const reported = Math.min(Math.round(estimated), REPORTABLE);
  return codedError(
    ErrorCode.COST_ESTIMATED_TOO_EXPENSIVE,
    `The operation's estimated cost is ${reported}; at most ${max} is allowed. Each object counts 1 (or its @cost weight) and a list multiplies what is under it by its size (a slicing argument such as first, else the schema's @listSize): ask for fewer nested lists or fewer items.`,
    { 'cost.estimated': reported, 'cost.max': max, http: { status: 400 } },
  );
}

/**
 * Gateway limits (issue #7): what one request may ask for (depth, aliases, root fields, directives,
 * tokens, body size, batch length; and its cost: demand control, issue #18). Every refusal is
 * `OPERATION_LIMIT_EXCEEDED` with `extensions { limit, max, actual }`. How long one subgraph call
 * may take is the subgraph HTTP client's (gateway/src/fetch/subgraph-fetcher.ts).
 */
import type { Config } from '../../../lib/config';
import { NO_COST_DIRECTIVES, type CostDirectives } from './cost-directives';
import type { HttpLimits } from './http';
import type { OperationLimits } from './plugin';

export { operationLimitsPlugin, type OperationLimits } from './plugin';
export { httpErrorHandler, httpLimits, type HttpLimits } from './http';
export { measureOperation, type Measurement } from './measure';
export { countTokens, jsonDepth } from './tokens';
export { limitExceeded, type LimitName } from './errors';
export { readCostDirectives, type CostDirectives, type ListSize } from './cost-directives';
export { demandControlMetrics, costEstimatedTooExpensive, type DemandControlOptions, type DemandControlMetrics } from './demand-control';
export { actualCost } from './actual-cost';

/** The configured limits, in the shapes the plugin and the HTTP guard take; `costs` are the served supergraph's. */
export function limitsFromConfig(config: Config, costs: CostDirectives = NO_COST_DIRECTIVES): { operation: OperationLimits; http: HttpLimits } {
  return {
    operation: {
      maxDepth: config.MAX_DEPTH,
      maxAliases: config.MAX_ALIASES,
      maxRootFields: config.MAX_ROOT_FIELDS,
      maxDirectives: config.MAX_DIRECTIVES,
      demand: {
        mode: config.DEMAND_CONTROL_MODE,
        maxCost: config.DEMAND_CONTROL_MAX_COST,
        listSize: config.DEMAND_CONTROL_LIST_SIZE,
        costs,
      },
    },
    http: {
      maxBodyBytes: config.MAX_BODY_BYTES,
      maxTokens: config.MAX_TOKENS,
      maxVariableDepth: config.MAX_VARIABLE_DEPTH,
      maxBatchOperations: config.MAX_BATCH_OPERATIONS,
    },
  };
}

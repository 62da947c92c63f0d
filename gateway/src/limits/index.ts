/**
 * Gateway limits (issue #7): what one request may ask for (depth, aliases, root fields, directives,
 * cost, tokens, body size, batch length) and how long one subgraph call may take. Every refusal is
 * `OPERATION_LIMIT_EXCEEDED` with `extensions { limit, max, actual }`; a slow or failed subgraph is
 * `SUBGRAPH_UNAVAILABLE` naming it.
 */
import type { Config } from '../../../lib/config';
import type { HttpLimits } from './http';
import type { OperationLimits } from './plugin';

export { operationLimitsPlugin, type OperationLimits } from './plugin';
export { httpErrorHandler, httpLimits, type HttpLimits } from './http';
export { subgraphFetcher, subgraphUnavailable, type SubgraphOutcome } from './subgraph-timeout';
export { measureOperation, type Measurement } from './measure';
export { countTokens, jsonDepth } from './tokens';
export { limitExceeded, type LimitName } from './errors';

/** The configured limits, in the shapes the plugin and the HTTP guard take. */
export function limitsFromConfig(config: Config): { operation: OperationLimits; http: HttpLimits } {
  return {
    operation: {
      maxDepth: config.MAX_DEPTH,
      maxAliases: config.MAX_ALIASES,
      maxRootFields: config.MAX_ROOT_FIELDS,
      maxDirectives: config.MAX_DIRECTIVES,
      maxCost: config.MAX_COST,
      listSize: config.COST_LIST_SIZE,
    },
    http: {
      maxBodyBytes: config.MAX_BODY_BYTES,
      maxTokens: config.MAX_TOKENS,
      maxVariableDepth: config.MAX_VARIABLE_DEPTH,
      maxBatchOperations: config.MAX_BATCH_OPERATIONS,
    },
  };
}

/**
 * Operation limits and demand control as an Apollo Server plugin. The checks run in `didResolveOperation`: after
 * graphql-js validation (so circular fragments were already refused by NoFragmentCycles, and
 * `measureOperation` guards against them anyway), before authorization, planning or any subgraph
 * call, and for every request the audit plugin sees, documents from Apollo's document cache included.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { OperationDefinitionNode } from 'graphql';
import { DocumentMemo } from '../authz/memo';
import type { CostDirectives } from './cost-directives';
import { codedError, ErrorCode } from '../../../lib/errors';
import { limitExceeded, type LimitName } from './errors';
import { measuredVariables, measureOperation, type Measurement } from './measure';
import { actualCost } from './actual-cost';
import { costEstimatedTooExpensive, type DemandControlMetrics, type DemandControlOptions } from './demand-control';

/** Per-operation limits. Every value comes from the config (lib/config.ts), where the defaults live. */
export interface OperationLimits {
  /** Deepest field nesting, leaves counted (`{ person { name } }` is 2). @default 8 */
  maxDepth: number;
  /** Aliased fields per operation, fragments expanded. @default 15 */
  maxAliases: number;
  /** Fields selected on the root type. @default 10 */
  maxRootFields: number;
  /** Directives per operation, fragments expanded. @default 50 */
  maxDirectives: number;
  /** Demand control: the estimated cost's maximum and mode (see `Measurement.cost`). */
  demand: DemandControlOptions;
}

/** Checked in this order; the first one exceeded is reported. */
const CHECKS: Array<[LimitName, keyof Measurement, Exclude<keyof OperationLimits, 'demand'>]> = [
  ['rootFields', 'rootFields', 'maxRootFields'],
  ['aliases', 'aliases', 'maxAliases'],
  ['directives', 'directives', 'maxDirectives'],
  ['depth', 'depth', 'maxDepth'],
];

/**
 * Refuses an operation over any limit with 400 `OPERATION_LIMIT_EXCEEDED` `{ limit, max, actual }`,
 * and one whose estimated cost is over `demand.maxCost` with 400 `COST_ESTIMATED_TOO_EXPENSIVE`
 * (in `enforce` mode); records the estimated and (after execution) the actual cost in `metrics`.
 */
export function operationLimitsPlugin(limits: OperationLimits, metrics?: DemandControlMetrics): ApolloServerPlugin {
  const { demand } = limits;
  // A measurement depends on the document, the operation, the schema, the variables' sizes and the
  // supergraph's costs only: a repeated request reuses it (one memo per costs, replaced on reload).
  const measurements = new WeakMap<CostDirectives, DocumentMemo<Measurement>>();
  const measureOnce: typeof measureOperation = (document, operation, schema, options) => {
    const costs = options.costs!;
    let memo = measurements.get(costs);
    if (!memo) measurements.set(costs, (memo = new DocumentMemo()));
    const key = JSON.stringify([operation.name?.value ?? null, options.listSize, measuredVariables(options.variables)]);
    return memo.get(schema, document, key, () => measureOperation(document, operation, schema, options));
  };
  return {
    async requestDidStart() {
      let estimated: number | undefined;
      return {
        async didResolveOperation({ document, operation, schema, request, logger }) {
          if (!operation) return; // no operation to run: Apollo Server reports that itself
          refuseUndeclaredVariables(operation, request.variables);
          const measured = measureOnce(document, operation, schema, { listSize: demand.listSize, costs: demand.costs, variables: request.variables });
          for (const [name, measure, limit] of CHECKS) {
            if (measured[measure] > limits[limit]) throw limitExceeded(name, limits[limit], measured[measure]);
          }
          estimated = measured.cost;
          const tooExpensive = estimated > demand.maxCost;
          metrics?.estimated(estimated, tooExpensive ? 'COST_ESTIMATED_TOO_EXPENSIVE' : 'COST_OK');
          if (!tooExpensive) return;
          if (demand.mode === 'enforce') throw costEstimatedTooExpensive(estimated, demand.maxCost);
          logger.warn(`Demand control (measure mode): serving operation ${operation.name?.value ?? '(anonymous)'} estimated at ${estimated}, over the maximum ${demand.maxCost}`);
        },
        async willSendResponse({ document, operation, schema, response }) {
          // Only operations that were estimated and executed (not refused) have an actual cost.
          if (estimated === undefined || !metrics || !document || !operation || response.body.kind !== 'single') return;
          if (response.body.singleResult.data == null) return;
          metrics.actual(actualCost(document, operation, schema, demand.costs, response.body.singleResult.data));
        },
      };
    },
  };
}

/**
 * Refuses (400 `BAD_USER_INPUT`, `extensions.variableName`) a variable the executed operation does
 * not declare. graphql-js would ignore it, but the response-cache key, the audit record and
 * anything else reading the request's variables would carry it: a free channel for megabytes of
 * data beside a tiny query. (A declared variable is always used: graphql-js's NoUnusedVariables.)
 */
function refuseUndeclaredVariables(operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined): void {
  if (!variables) return;
  const declared = new Set((operation.variableDefinitions ?? []).map((v) => v.variable.name.value));
  const undeclared = Object.keys(variables).find((name) => !declared.has(name));
  if (undeclared === undefined) return;
  const operationName = operation.name ? `operation ${operation.name.value}` : 'the operation';
  throw codedError(ErrorCode.BAD_USER_INPUT, `Variable "$${undeclared}" is not declared by ${operationName}. Send only the variables the operation declares.`, {
    variableName: undeclared,
    http: { status: 400 },
  });
}

/**
 * Operation limits as an Apollo Server plugin. The checks run in `didResolveOperation`: after
 * graphql-js validation (so circular fragments were already refused by NoFragmentCycles, and
 * `measureOperation` guards against them anyway), before authorization, planning or any subgraph
 * call, and for every request the audit plugin sees, documents from Apollo's document cache included.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { OperationDefinitionNode } from 'graphql';
import { codedError, ErrorCode } from '../../../lib/errors';
import { limitExceeded, type LimitName } from './errors';
import { measureOperation, type Measurement } from './measure';

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
  /** Largest estimated cost (see `Measurement.cost`). @default 20000 */
  maxCost: number;
  /** Expected length of a list without a `first`/`limit`/list argument, for the cost. @default 10 */
  listSize: number;
}

/** Checked in this order; the first one exceeded is reported. */
const CHECKS: Array<[LimitName, keyof Measurement, keyof OperationLimits]> = [
  ['rootFields', 'rootFields', 'maxRootFields'],
  ['aliases', 'aliases', 'maxAliases'],
  ['directives', 'directives', 'maxDirectives'],
  ['depth', 'depth', 'maxDepth'],
  ['cost', 'cost', 'maxCost'],
];

/** Refuses an operation over any limit with 400 `OPERATION_LIMIT_EXCEEDED` `{ limit, max, actual }`. */
export function operationLimitsPlugin(limits: OperationLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, schema, request }) {
          if (!operation) return; // no operation to run: Apollo Server reports that itself
          refuseUndeclaredVariables(operation, request.variables);
          const measured = measureOperation(document, operation, schema, { listSize: limits.listSize, variables: request.variables });
          for (const [name, measure, limit] of CHECKS) {
            if (measured[measure] > limits[limit]) throw limitExceeded(name, limits[limit], measured[measure]);
          }
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

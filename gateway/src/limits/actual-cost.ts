/**
 * The actual cost of an answered operation (Apollo Router's "actual" demand-control cost): the
 * estimate's rules applied to what came back, so each list counts its real length and a null
 * object costs nothing. Fields with the same response key are merged as graphql-js executes them
 * (lib/graphql/walk.ts).
 */
import { getNamedType, isCompositeType, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { fragmentsOf } from '../../../lib/graphql/operation';
import { walkResponse } from '../../../lib/graphql/walk';
import type { CostDirectives } from './cost-directives';

const MUTATION_COST = 10;

/** The cost of `data`, the answer to `operation`, under the supergraph's `@cost` weights. */
export function actualCost(document: DocumentNode, operation: OperationDefinitionNode, schema: GraphQLSchema, costs: CostDirectives, data: unknown): number {
  let cost = operation.operation === 'mutation' ? MUTATION_COST : 0;
  walkResponse({ schema, fragments: fragmentsOf(document), operation, data }, undefined, ({ coordinate, fieldDef, nodes, value }) => {
    const named = getNamedType(fieldDef.type);
    const weight = costs.weights.get(coordinate) ?? costs.weights.get(named.name) ?? (isCompositeType(named) ? 1 : 0);
    for (const node of nodes) for (const arg of node.arguments ?? []) cost += costs.weights.get(`${coordinate}(${arg.name.value}:)`) ?? 0;
    // Each value that came back (each item of a list) costs the weight; what is under it is walked next.
    cost += weight * values(value);
    return undefined;
  });
  return cost;
}

/** How many non-null values `value` holds, lists counted item by item. */
function values(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return Array.isArray(value) ? value.reduce((sum: number, item) => sum + values(item), 0) : 1;
}

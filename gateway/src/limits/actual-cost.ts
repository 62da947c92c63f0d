/**
 * The actual cost of an answered operation (Apollo Router's "actual" demand-control cost): the
 * estimate's rules applied to what came back, so each list counts its real length and a null
 * object costs nothing. Fields with the same response key are merged as graphql-js executes them.
 */
import {
  getNamedType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { CostDirectives } from './cost-directives';

const MUTATION_COST = 10;

/** The cost of `data`, the answer to `operation`, under the supergraph's `@cost` weights. */
export function actualCost(document: DocumentNode, operation: OperationDefinitionNode, schema: GraphQLSchema, costs: CostDirectives, data: unknown): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const root = schema.getRootType(operation.operation);
  const base = operation.operation === 'mutation' ? MUTATION_COST : 0;
  if (!root || !isRecord(data)) return base;
  return base + objectCost([operation.selectionSet], root, data);

  function objectCost(sets: SelectionSetNode[], type: GraphQLNamedType, value: Record<string, unknown>): number {
    const runtime = typeof value.__typename === 'string' ? (schema.getType(value.__typename) ?? type) : type;
    const fields = new Map<string, FieldNode[]>();
    const seen = new Set<string>();
    const collect = (set: SelectionSetNode) => {
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          const key = sel.alias?.value ?? sel.name.value;
          fields.set(key, [...(fields.get(key) ?? []), sel]);
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          if (!sel.typeCondition || applies(sel.typeCondition.name.value, runtime)) collect(sel.selectionSet);
        } else if (!seen.has(sel.name.value)) {
          seen.add(sel.name.value);
          const def = fragments.get(sel.name.value);
          if (def && applies(def.typeCondition.name.value, runtime)) collect(def.selectionSet);
        }
      }
    };
    sets.forEach(collect);
    let cost = 0;
    for (const [key, nodes] of fields) {
      const name = nodes[0].name.value;
      if (name.startsWith('__') || !(isObjectType(runtime) || isInterfaceType(runtime))) continue;
      const def = runtime.getFields()[name];
      if (!def) continue;
      const coordinate = `${runtime.name}.${name}`;
      const named = getNamedType(def.type);
      const weight = costs.weights.get(coordinate) ?? costs.weights.get(named.name) ?? (isCompositeType(named) ? 1 : 0);
      const subsets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
      for (const node of nodes) for (const arg of node.arguments ?? []) cost += costs.weights.get(`${coordinate}(${arg.name.value}:)`) ?? 0;
      cost += valueCost(value[key], named, weight, subsets);
    }
    return cost;
  }

  function valueCost(value: unknown, named: GraphQLNamedType, weight: number, sets: SelectionSetNode[]): number {
    if (value === null || value === undefined) return 0;
    if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + valueCost(item, named, weight, sets), 0);
    if (isRecord(value) && isCompositeType(named) && sets.length > 0) return weight + objectCost(sets, named, value);
    return weight;
  }

  /** Whether a fragment on `condition` applies to an object of `runtime` type (unknown runtime types: assumed to). */
  function applies(condition: string, runtime: GraphQLNamedType): boolean {
    if (condition === runtime.name) return true;
    const target = schema.getType(condition);
    if (!target || !isAbstractType(target)) return false;
    return isAbstractType(runtime) || (isObjectType(runtime) && schema.isSubType(target, runtime));
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

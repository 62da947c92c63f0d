/**
 * Measures one operation the way it will execute: named and inline fragments are expanded, so a
 * limit cannot be dodged by moving fields into a fragment (or by naming one `__schema`, the GraphQL
 * Armor depth bypass GHSA-hmfr-rx46-4jx2: only a *field* called `__schema`/`__type` is
 * introspection, never a fragment, alias or operation of that name).
 *
 * Each named fragment is measured once and reused, so a "fragment bomb" whose expansion is
 * exponential still takes linear time to measure (its numbers simply come out huge), and a
 * fragment that spreads itself is refused instead of followed.
 *
 * The cost is Apollo Router's demand-control estimate, read from the `@cost` and `@listSize`
 * directives of the subgraph SDLs (see `cost-directives.ts`).
 */
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { codedError, ErrorCode } from '../../../lib/errors';
import { fragmentsOf } from '../../../lib/graphql/operation';
import { NO_COST_DIRECTIVES, type CostDirectives } from './cost-directives';

/** What an operation asks for, counted over its fully expanded selection. */
export interface Measurement {
  /** Deepest field nesting, leaves included: `{ person { name } }` is 2. Introspection subtrees count 1. */
  depth: number;
  /** Aliased fields, once per place they execute (a fragment spread twice counts twice). */
  aliases: number;
  /** Fields selected on the root type. */
  rootFields: number;
  /** Directives used (on fields, fragments and the operation). */
  directives: number;
  /**
   * Estimated cost, Apollo Router's demand-control semantics: a mutation costs 10 to start with;
   * every object (or interface, union) field costs 1, scalars and enums 0, a `@cost(weight:)` on the
   * field or its type replaces that, a `@cost` on a given argument adds its weight; a list
   * multiplies what is under it by its size (see `MeasureOptions.listSize`). Introspection costs 0.
   */
  cost: number;
}

export interface MeasureOptions {
  /**
   * The size of a list field without `@listSize` (Router's `static_estimated.list_size`). With
   * `@listSize`, the size is the largest slicing argument given, else `assumedSize`. One addition
   * to Router's rules: a list field taking a list argument (`persons(idNumbers:)`) answers one item
   * per element, so the longest list argument given is its size when no slicing argument is.
   */
  listSize: number;
  /** `@cost` and `@listSize` of the served supergraph. @default none */
  costs?: CostDirectives;
  /** The request's variables, for size arguments passed as variables (the operation's defaults stand in for missing ones). */
  variables?: Record<string, unknown> | null;
}

/** A size set by a page field's `@listSize(sizedFields:)` for the named fields under it. */
interface Sized {
  size: number;
  fields: readonly string[];
}

/** What a mutation costs before its fields (Router: mutations 10, queries and subscriptions 0). */
const MUTATION_COST = 10;
const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

type Part = Omit<Measurement, 'rootFields'> & { fields: number };
const EMPTY: Part = { depth: 0, aliases: 0, directives: 0, cost: 0, fields: 0 };

/** Measures `operation` of `document` against `schema`. Throws a validation error on a fragment cycle. */
export function measureOperation(document: DocumentNode, operation: OperationDefinitionNode, schema: GraphQLSchema, options: MeasureOptions): Measurement {
  const fragments = fragmentsOf(document);
  const memo = new Map<string, Part>();
  const inProgress = new Set<string>();
  const variables = options.variables ?? {};
  const costs = options.costs ?? NO_COST_DIRECTIVES;
  const defaults = new Map<string, ValueNode>();
  for (const v of operation.variableDefinitions ?? []) if (v.defaultValue) defaults.set(v.variable.name.value, v.defaultValue);

  const rootType = schema.getRootType(operation.operation) ?? undefined;
  const top = walk(operation.selectionSet, rootType, undefined, false);
  const { fields, ...rest } = top;
  return {
    ...rest,
    cost: rest.cost + (operation.operation === 'mutation' ? MUTATION_COST : 0),
    rootFields: fields,
    directives: rest.directives + (operation.directives?.length ?? 0),
  };

  /**
   * One selection set, relative to where it sits. `hint` is the size the field above gives some of
   * these fields (a page object's `items` take its `first`); `introspection` is true under `__schema`/`__type`.
   */
  function walk(set: SelectionSetNode, parent: GraphQLNamedType | undefined, hint: Sized | undefined, introspection: boolean): Part {
    const acc: Part = { ...EMPTY };
    // As graphql-js's collectFields: a fragment spread twice in one selection set executes once.
    const spread = new Set<string>();
    const add = (p: Part, extraDirectives: number) => {
      acc.depth = Math.max(acc.depth, p.depth);
      acc.aliases += p.aliases;
      acc.directives += p.directives + extraDirectives;
      acc.cost += p.cost;
      acc.fields += p.fields;
    };
    const visit = (selections: SelectionSetNode, type: GraphQLNamedType | undefined) => {
      for (const sel of selections.selections) {
        const directives = sel.directives?.length ?? 0;
        if (sel.kind === Kind.FIELD) add(field(sel, type, hint, introspection), directives);
        else if (sel.kind === Kind.INLINE_FRAGMENT) {
          acc.directives += directives;
          visit(sel.selectionSet, sel.typeCondition ? schema.getType(sel.typeCondition.name.value) ?? undefined : type);
        } else {
          acc.directives += directives;
          if (spread.has(sel.name.value)) continue;
          spread.add(sel.name.value);
          add(fragment(sel.name.value, hint, introspection), 0);
        }
      }
    };
    visit(set, parent);
    return acc;
  }

  function fragment(name: string, hint: Sized | undefined, introspection: boolean): Part {
    const def = fragments.get(name);
    if (!def) return EMPTY; // unknown fragments are a validation error, reported there
    const key = `${name}\u0000${hint ? `${hint.size}:${hint.fields.join(',')}` : ''}\u0000${introspection}`;
    const known = memo.get(key);
    if (known) return known;
    if (inProgress.has(name)) {
      throw new GraphQLError(`Cannot spread fragment "${name}" within itself.`, {
        nodes: [def],
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
      });
    }
    inProgress.add(name);
    const part = walk(def.selectionSet, schema.getType(def.typeCondition.name.value) ?? undefined, hint, introspection);
    inProgress.delete(name);
    const result = { ...part, directives: part.directives + (def.directives?.length ?? 0) };
    memo.set(key, result);
    return result;
  }

  function field(node: FieldNode, parent: GraphQLNamedType | undefined, hint: Sized | undefined, introspection: boolean): Part {
    const alias = node.alias ? 1 : 0;
    // Introspection is answered from the schema in memory and its nesting is bounded by graphql-js's
    // MaxIntrospectionDepthRule, so its depth and cost are not the business queries' to pay.
    if (introspection || INTROSPECTION_FIELDS.has(node.name.value)) {
      const inner = node.selectionSet ? walk(node.selectionSet, undefined, undefined, true) : EMPTY;
      return { depth: 1, aliases: alias + inner.aliases, directives: inner.directives, cost: 0, fields: 1 };
    }
    const def = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[node.name.value] : undefined;
    const coordinate = `${parent?.name}.${node.name.value}`;
    const lists = def ? listDepth(def.type) : 0;
    const named = def ? getNamedType(def.type) : undefined;
    const directive = costs.listSizes.get(coordinate);
    const size = listSize(node, coordinate, def) ?? (hint?.fields.includes(node.name.value) ? hint.size : undefined);
    // `@listSize(sizedFields:)` on a page field sizes the lists inside the page, not the page.
    const sized = directive?.sizedFields.length ? { size: size ?? options.listSize, fields: directive.sizedFields } : undefined;
    const inner = node.selectionSet ? walk(node.selectionSet, named, sized, false) : EMPTY;
    const weight = costs.weights.get(coordinate) ?? (named && costs.weights.get(named.name)) ?? (named && isCompositeType(named) ? 1 : 0);
    const multiplier = lists === 0 ? 1 : ((sized ? undefined : size) ?? options.listSize) ** lists;
    return {
      depth: 1 + inner.depth,
      aliases: alias + inner.aliases,
      directives: inner.directives,
      cost: multiplier * (weight + inner.cost) + argumentsCost(node, coordinate),
      fields: 1,
    };
  }

  /** The size `@listSize` gives a field: its slicing argument, else its assumed size; else the longest list argument. */
  function listSize(node: FieldNode, coordinate: string, def: GraphQLField<unknown, unknown> | undefined): number | undefined {
    const given = new Map((node.arguments ?? []).map((arg) => [arg.name.value, valueOf(arg.value)]));
    const directive = costs.listSizes.get(coordinate);
    if (directive && directive.slicingArguments.length > 0) {
      const slices = directive.slicingArguments.map((name) => given.get(name)).filter((v): v is number => typeof v === 'number' && v >= 0);
      if (directive.requireOneSlicingArgument && slices.length !== 1) {
        throw codedError(ErrorCode.BAD_USER_INPUT, `${coordinate} needs exactly one of its slicing arguments (${directive.slicingArguments.join(', ')}), to say how many items it may return.`, {
          http: { status: 400 },
        });
      }
      if (slices.length > 0) return Math.max(...slices);
    }
    // `persons(idNumbers: [...])` answers one item per element.
    const lengths = [...given.values()].filter(Array.isArray).map((v) => v.length);
    if (lengths.length > 0 && def && isListType(getNullableType(def.type))) return Math.max(...lengths);
    return directive?.assumedSize;
  }

  /** The `@cost` weights of the arguments given. */
  function argumentsCost(node: FieldNode, coordinate: string): number {
    let cost = 0;
    for (const arg of node.arguments ?? []) cost += costs.weights.get(`${coordinate}(${arg.name.value}:)`) ?? 0;
    return cost;
  }

  function valueOf(node: ValueNode): unknown {
    if (node.kind === Kind.VARIABLE) {
      // As graphql-js coerces it: the provided value, else the operation's default for it. A list
      // given as the default costs what the same list written inline costs.
      const name = node.name.value;
      if (Object.prototype.hasOwnProperty.call(variables, name)) return variables[name];
      const fallback = defaults.get(name);
      return fallback ? valueOf(fallback) : undefined;
    }
    if (node.kind === Kind.INT) return Number(node.value);
    if (node.kind === Kind.LIST) return node.values;
    return undefined;
  }
}

/**
 * What a measurement reads of the variables (`valueOf` above): which are given, the numbers (slicing
 * arguments) and the length of lists (list arguments); an ID or a name never changes it. The
 * plugin's memo keys on this, so a dossier asked for a new person each time is measured once.
 */
export function measuredVariables(variables: Record<string, unknown> | null | undefined): string {
  let key = '';
  for (const name in variables ?? {}) {
    const value = variables![name];
    key += typeof value === 'number' ? `${name}=${value};` : Array.isArray(value) ? `${name}[${value.length}];` : `${name};`;
  }
  return key;
}

/** How many list wrappers a field type has: `[Person]!` is 1, `[[Int]]` is 2. */
function listDepth(type: GraphQLOutputType): number {
  let depth = 0;
  let t = getNullableType(type) as GraphQLOutputType;
  while (isListType(t)) {
    depth += 1;
    t = getNullableType(t.ofType) as GraphQLOutputType;
  }
  return depth;
}

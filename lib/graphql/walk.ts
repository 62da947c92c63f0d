/**
 * Typed walks over an operation: `walkSelections` over its selections alone, `walkResponse` over
 * its response data beside the selections that produced it. Both follow named and inline
 * fragments by the type-condition rule of `operation.ts`, pass over what `@skip`/`@include` prove
 * left out, and visit only fields the schema defines on their parent type (`__typename` and
 * introspection fields are not visited).
 */
import {
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { conditionOf, fragmentApplies, isSkipped } from './operation';

type Json = Record<string, unknown>;
type FieldsType = GraphQLObjectType | GraphQLInterfaceType;

/** What a walk reads the document with. */
export interface WalkOptions {
  schema: GraphQLSchema;
  /** The document's fragments (`fragmentsOf`). */
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  /** Coerced variables (`coercedVariables`), for `@skip`/`@include`. @default none: only literal `if:` decides */
  variables?: Record<string, unknown>;
}

/** What a visitor returns not to walk under a field (a `walkResponse` state may be anything, false too). */
export const SKIP: unique symbol = Symbol('skip');

/** A field as `walkSelections` meets it. */
export interface SelectedField {
  node: FieldNode;
  /** The type it is selected on: the enclosing field's type or a fragment's type condition. */
  parentType: FieldsType;
  fieldDef: GraphQLField<unknown, unknown>;
}

const fieldOf = (type: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined =>
  isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;

/**
 * Calls `visit` for each field of `selectionSet`, read on `type`, and (unless `visit` returns
 * `SKIP`) for the fields under it. No data, so the runtime type is known only where the type is an
 * object type. Each named fragment is followed once per walk, where it is first spread: a fragment
 * bomb takes linear time. That suits collecting what an operation asks for, not counting how often
 * it executes (limits/measure.ts counts).
 */
export function walkSelections(options: WalkOptions, selectionSet: SelectionSetNode, type: GraphQLCompositeType, visit: (field: SelectedField) => void | typeof SKIP): void {
  const variables = options.variables ?? {};
  const followed = new Set<string>();
  const walk = (set: SelectionSetNode, scope: GraphQLCompositeType): void => {
    for (const sel of set.selections) {
      if (isSkipped(sel, variables)) continue;
      if (sel.kind === Kind.FIELD) {
        const fieldDef = fieldOf(scope, sel.name.value);
        if (!fieldDef || visit({ node: sel, parentType: scope as FieldsType, fieldDef }) === SKIP || !sel.selectionSet) continue;
        const named = getNamedType(fieldDef.type);
        if (isCompositeType(named)) walk(sel.selectionSet, named);
        continue;
      }
      const fragment = follow(options, sel, scope, undefined, followed);
      if (fragment) walk(fragment.selectionSet, fragment.condition);
    }
  };
  walk(selectionSet, type);
}

/** A response key's field, as `walkResponse` collects it for one object type. */
interface Collected {
  key: string;
  nodes: FieldNode[];
  parentType: FieldsType;
  fieldDef: GraphQLField<unknown, unknown>;
  coordinate: string;
  /** The merged selections under it and their type, when it has any. */
  under?: { sets: SelectionSetNode[]; type: GraphQLCompositeType };
}

/** A response key of one object as `walkResponse` meets it. */
export interface ResponseField {
  /** The response key (alias or field name). */
  key: string;
  /** Every selection merged under `key` for this field, as execution merges them. */
  nodes: readonly FieldNode[];
  /** The object's runtime type when known (an object type, or a selected `__typename`), else the type the field was selected on. */
  parentType: FieldsType;
  fieldDef: GraphQLField<unknown, unknown>;
  /** `parentType.name` + `.` + `fieldDef.name` (`Person.marriages`), made once per collected field. */
  coordinate: string;
  /** The object holding the value: assign `parent[key]` to change it. */
  parent: Json;
  /** `parent[key]`. */
  value: unknown;
  /** Response path to `value`, list indices included. Shared by the walk: copy it to keep it. */
  path: readonly (string | number)[];
}

/**
 * Walks `data`, the answer to `operation`, field by field as execution produced it: per object,
 * its fields collected by response key through the fragments that apply to it, lists item by item.
 * `visit` returns the state handed to the fields under its value, or `SKIP` not to walk under it.
 *
 * An object's runtime type is read only from a selected `__typename` field (an alias of another
 * field named `__typename` says nothing) and only when it is a possible type there. Without it,
 * under an interface or union, every fragment applies and fields selected on different types
 * under one key are visited once for each type.
 */
export function walkResponse<S>(
  options: WalkOptions & { operation: OperationDefinitionNode; data: unknown },
  state: S,
  visit: (field: ResponseField, state: S) => S | typeof SKIP,
): void {
  const { schema, fragments } = options;
  const variables = options.variables ?? {};
  const root = schema.getRootType(options.operation.operation);
  const path: Array<string | number> = [];

  // Collected once per selection sets and runtime type, as graphql-js memoizes its subfields: the
  // items of a list share theirs, and walks without variables share theirs (see collectedFor).
  const { rootSets, collected, typenames } = options.variables === undefined ? collectedFor(schema, fragments, options.operation) : newCollected(options.operation);

  if (root && isJson(options.data)) walkObject(options.data, rootSets, root, state);

  function walkObject(object: Json, sets: readonly SelectionSetNode[], scope: GraphQLCompositeType, inherited: S): void {
    const fields = fieldsOf(sets, scope, runtimeType(object, sets, scope));
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      const value = object[field.key];
      path.push(field.key);
      const next = visit({ key: field.key, nodes: field.nodes, parentType: field.parentType, fieldDef: field.fieldDef, coordinate: field.coordinate, parent: object, value, path }, inherited);
      if (next !== SKIP && field.under) walkValue(value, field.under.sets, field.under.type, next);
      path.pop();
    }
  }

  function walkValue(value: unknown, sets: readonly SelectionSetNode[], type: GraphQLCompositeType, inherited: S): void {
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        path.push(index);
        walkValue(value[index], sets, type, inherited);
        path.pop();
      }
    } else if (isJson(value)) walkObject(value, sets, type, inherited);
  }

  function fieldsOf(sets: readonly SelectionSetNode[], scope: GraphQLCompositeType, runtime: GraphQLObjectType | undefined): Collected[] {
    let byRuntime = collected.get(sets);
    if (!byRuntime) collected.set(sets, (byRuntime = new Map()));
    let fields = byRuntime.get(runtime);
    if (!fields) byRuntime.set(runtime, (fields = collectFields(sets, scope, runtime)));
    return fields;
  }

  /** graphql-js's collectFields, by the rule of operation.ts; a runtime type unknown keeps fields of different parent types apart. */
  function collectFields(sets: readonly SelectionSetNode[], scope: GraphQLCompositeType, runtime: GraphQLObjectType | undefined): Collected[] {
    const fields = new Map<string, Collected>();
    const followed = new Set<string>(); // a fragment spread twice in one selection set executes once
    const collect = (set: SelectionSetNode, at: GraphQLCompositeType): void => {
      for (const sel of set.selections) {
        if (isSkipped(sel, variables)) continue;
        if (sel.kind === Kind.FIELD) {
          const parentType = runtime ?? at;
          const fieldDef = fieldOf(parentType, sel.name.value);
          if (!fieldDef) continue;
          const key = sel.alias?.value ?? sel.name.value;
          const id = runtime ? key : `${key}\u0000${parentType.name}.${fieldDef.name}`;
          const known = fields.get(id);
          if (known) known.nodes.push(sel);
          else fields.set(id, { key, nodes: [sel], parentType: parentType as FieldsType, fieldDef, coordinate: `${parentType.name}.${fieldDef.name}` });
          continue;
        }
        const fragment = follow(options, sel, at, runtime, followed);
        if (fragment) collect(fragment.selectionSet, fragment.condition);
      }
    };
    for (const set of sets) collect(set, scope);
    const list = [...fields.values()];
    for (const field of list) {
      const type = getNamedType(field.fieldDef.type);
      const subsets = field.nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
      if (isCompositeType(type) && subsets.length > 0) field.under = { sets: subsets, type };
    }
    return list;
  }

  /** The object's type: the scope when it is an object type, else what a selected `__typename` says. */
  function runtimeType(object: Json, sets: readonly SelectionSetNode[], scope: GraphQLCompositeType): GraphQLObjectType | undefined {
    if (isObjectType(scope)) return scope;
    for (const key of typenameKeys(sets)) {
      const named = object[key];
      const type = typeof named === 'string' ? schema.getType(named) : undefined;
      if (isObjectType(type) && schema.isSubType(scope, type)) return type;
    }
    return undefined;
  }

  /** The response keys of the `__typename` fields selected directly in `sets`, through any fragment. */
  function typenameKeys(sets: readonly SelectionSetNode[]): string[] {
    const known = typenames.get(sets);
    if (known) return known;
    const keys: string[] = [];
    const seen = new Set<string>();
    const scan = (set: SelectionSetNode): void => {
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if (sel.name.value === '__typename') keys.push(sel.alias?.value ?? sel.name.value);
        } else if (sel.kind === Kind.INLINE_FRAGMENT) scan(sel.selectionSet);
        else if (!seen.has(sel.name.value)) {
          seen.add(sel.name.value);
          const fragment = fragments.get(sel.name.value);
          if (fragment) scan(fragment.selectionSet);
        }
      }
    };
    sets.forEach(scan);
    typenames.set(sets, keys);
    return keys;
  }
}

/** What `walkResponse` collected for one operation: the fields of each selection sets by runtime type, and their `__typename` keys. */
interface CollectedFields {
  rootSets: readonly SelectionSetNode[];
  collected: WeakMap<readonly SelectionSetNode[], Map<GraphQLObjectType | undefined, Collected[]>>;
  typenames: WeakMap<readonly SelectionSetNode[], string[]>;
}

const newCollected = (operation: OperationDefinitionNode): CollectedFields => ({ rootSets: [operation.selectionSet], collected: new WeakMap(), typenames: new WeakMap() });

/**
 * Without variables, what is collected depends on the schema, the document's fragments (one map per
 * document: `fragmentsOf`) and the operation alone, so every walk over the same operation shares
 * it: a repeated request (the masking, the audit and the actual cost walk each answer) collects once.
 */
const sharedCollected = new WeakMap<GraphQLSchema, WeakMap<ReadonlyMap<string, FragmentDefinitionNode>, WeakMap<OperationDefinitionNode, CollectedFields>>>();
function collectedFor(schema: GraphQLSchema, fragments: ReadonlyMap<string, FragmentDefinitionNode>, operation: OperationDefinitionNode): CollectedFields {
  let byFragments = sharedCollected.get(schema);
  if (!byFragments) sharedCollected.set(schema, (byFragments = new WeakMap()));
  let byOperation = byFragments.get(fragments);
  if (!byOperation) byFragments.set(fragments, (byOperation = new WeakMap()));
  let found = byOperation.get(operation);
  if (!found) byOperation.set(operation, (found = newCollected(operation)));
  return found;
}

/**
 * The selections a fragment brings in where a `scope` is expected, and the type they are read on,
 * when it applies (operation.ts's rule) and, a named one, was not `followed` already (then it is).
 */
function follow(
  options: WalkOptions,
  sel: InlineFragmentNode | FragmentSpreadNode,
  scope: GraphQLCompositeType,
  runtime: GraphQLObjectType | undefined,
  followed: Set<string>,
): { selectionSet: SelectionSetNode; condition: GraphQLCompositeType } | undefined {
  const fragment = sel.kind === Kind.INLINE_FRAGMENT ? sel : followed.has(sel.name.value) ? undefined : options.fragments.get(sel.name.value);
  const condition = fragment && conditionOf(options.schema, fragment, scope);
  if (!fragment || !condition || !fragmentApplies(options.schema, condition, scope, runtime)) return undefined;
  if (sel.kind === Kind.FRAGMENT_SPREAD) followed.add(sel.name.value);
  return { selectionSet: fragment.selectionSet, condition };
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

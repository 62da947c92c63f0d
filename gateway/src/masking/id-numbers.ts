/**
 * Masks `Person.idNumber` values in the response for callers without `pii:unmasked`. The subgraphs
 * mask names, phones and addresses themselves, but an ID number is the key the gateway joins
 * subgraphs on, so it travels unmasked internally and is masked here, on the way out. ID numbers
 * the operation was given as arguments are left as they are: the caller knows them already.
 */
import {
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { mask } from '../../../lib/mask';

/** Schema coordinates whose values are resident ID numbers. */
export const ID_NUMBER_COORDINATES = new Set(['Person.idNumber']);

type Json = Record<string, unknown>;

/**
 * The identifiers the executed operation was given: the values of its `ID` arguments, as literals
 * or through the variables they reference (the operation's default when one was not provided),
 * through the fragments the operation spreads. Only what reaches an `ID` argument counts, so
 * strings sent beside the query (another variable, a `String` argument, a field authorization
 * removed) unmask no one. Run on the authorized document: a removed field supplies nothing.
 */
export function suppliedArguments(
  document: DocumentNode,
  schema: GraphQLSchema,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | undefined,
): Set<string> {
  const out = new Set<string>();
  const { operation, fragments } = operationOf(document, operationName);
  if (!operation) return out;
  const defaults = new Map<string, ValueNode>();
  for (const v of operation.variableDefinitions ?? []) if (v.defaultValue) defaults.set(v.variable.name.value, v.defaultValue);
  const addValue = (v: unknown): void => {
    if (typeof v === 'string') out.add(v);
    else if (Array.isArray(v)) v.forEach(addValue);
  };
  const addArgument = (node: ValueNode): void => {
    if (node.kind === Kind.STRING) out.add(node.value);
    else if (node.kind === Kind.LIST) node.values.forEach(addArgument);
    else if (node.kind === Kind.VARIABLE) {
      const name = node.name.value;
      if (variables && Object.prototype.hasOwnProperty.call(variables, name)) addValue(variables[name]);
      else if (defaults.has(name)) addArgument(defaults.get(name)!);
    }
  };
  const seen = new Set<string>(); // each fragment once: a fragment bomb stays linear
  const visitSet = (set: SelectionSetNode | undefined, type: GraphQLNamedType | null | undefined): void => {
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.FIELD) {
        const field = isObjectType(type) || isInterfaceType(type) ? type.getFields()[sel.name.value] : undefined;
        if (!field) continue;
        for (const arg of sel.arguments ?? []) {
          const def = field.args.find((a) => a.name === arg.name.value);
          if (def && getNamedType(def.type).name === 'ID') addArgument(arg.value);
        }
        visitSet(sel.selectionSet, getNamedType(field.type));
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        visitSet(sel.selectionSet, sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type);
      } else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        const fragment = fragments.get(sel.name.value);
        if (fragment) visitSet(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value));
      }
    }
  };
  visitSet(operation.selectionSet, schema.getRootType(operation.operation));
  return out;
}

/** The operation `operationName` selects (the only one when unnamed) and the document's fragments. */
function operationOf(document: DocumentNode, operationName: string | null | undefined): { operation?: OperationDefinitionNode; fragments: Map<string, FragmentDefinitionNode> } {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    else if (def.kind === Kind.OPERATION_DEFINITION && (!operationName || def.name?.value === operationName)) operation ??= def;
  }
  return { operation, fragments };
}

/**
 * Masks, in place, every ID-number value in `data` that is not in `keep`. Walks the executed
 * document with the schema's types, so aliases and fragments are followed.
 */
export function maskIdNumbers(data: Json | null | undefined, document: DocumentNode, schema: GraphQLSchema, keep: Set<string>, operationName?: string | null): void {
  if (!data) return;
  const { operation, fragments } = operationOf(document, operationName);
  const walk = (value: unknown, set: SelectionSetNode, type: GraphQLNamedType | undefined): void => {
    if (value === null || typeof value !== 'object' || !type) return;
    if (Array.isArray(value)) {
      for (const item of value) walk(item, set, type);
      return;
    }
    const obj = value as Json;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if (!isObjectType(type) && !isInterfaceType(type)) continue;
        const field = type.getFields()[sel.name.value];
        if (!field) continue;
        const key = sel.alias?.value ?? sel.name.value;
        const v = obj[key];
        if (ID_NUMBER_COORDINATES.has(`${type.name}.${field.name}`)) {
          if (typeof v === 'string' && !keep.has(v)) obj[key] = mask.idNumber(v);
        } else if (sel.selectionSet) walk(v, sel.selectionSet, getNamedType(field.type));
      } else {
        const frag = sel.kind === Kind.INLINE_FRAGMENT ? sel : fragments.get(sel.name.value);
        if (!frag) continue;
        const condition = frag.typeCondition ? schema.getType(frag.typeCondition.name.value) : type;
        if (frag.typeCondition && typeof obj.__typename === 'string' && isObjectType(condition) && obj.__typename !== condition.name) continue;
        walk(obj, frag.selectionSet, condition ?? undefined);
      }
    }
  };
  if (operation) walk(data, operation.selectionSet, schema.getRootType(operation.operation) ?? undefined);
}

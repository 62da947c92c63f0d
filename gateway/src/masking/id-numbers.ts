/**
 * Masks `Person.idNumber` values in the response for callers without `pii:unmasked`. The subgraphs
 * mask names, phones and addresses themselves, but an ID number is the key the gateway joins
 * subgraphs on, so it travels unmasked internally and is masked here, on the way out. ID numbers
 * the caller supplied (arguments, variables) are left as they are: the caller knows them already.
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

/** Every string the request itself carried (literal arguments and variables). */
export function suppliedStrings(document: DocumentNode, variables: Record<string, unknown> | undefined): Set<string> {
  const out = new Set<string>();
  const addValue = (v: unknown): void => {
    if (typeof v === 'string') out.add(v);
    else if (Array.isArray(v)) v.forEach(addValue);
    else if (v && typeof v === 'object') Object.values(v).forEach(addValue);
  };
  addValue(variables);
  const addLiteral = (node: ValueNode): void => {
    if (node.kind === Kind.STRING) out.add(node.value);
    else if (node.kind === Kind.LIST) node.values.forEach(addLiteral);
    else if (node.kind === Kind.OBJECT) node.fields.forEach((f) => addLiteral(f.value));
  };
  const visitSet = (set: SelectionSetNode | undefined): void => {
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.FIELD) sel.arguments?.forEach((a) => addLiteral(a.value));
      if (sel.kind !== Kind.FRAGMENT_SPREAD) visitSet(sel.selectionSet);
    }
  };
  for (const def of document.definitions) if ('selectionSet' in def) visitSet(def.selectionSet);
  return out;
}

/**
 * Masks, in place, every ID-number value in `data` that is not in `keep`. Walks the executed
 * document with the schema's types, so aliases and fragments are followed.
 */
export function maskIdNumbers(data: Json | null | undefined, document: DocumentNode, schema: GraphQLSchema, keep: Set<string>, operationName?: string | null): void {
  if (!data) return;
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    else if (def.kind === Kind.OPERATION_DEFINITION && (!operationName || def.name?.value === operationName)) operation ??= def;
  }
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

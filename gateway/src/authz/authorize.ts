/**
 * Removes from an operation every field the caller may not see, before @apollo/gateway plans it,
 * following Apollo Router's authorization plugin: a field is removed when its own requirement or
 * its return type's requirement is unmet, a fragment whose type condition is unmet loses its
 * fields, a field whose selection set is emptied goes too, and each removal is reported so the
 * response can carry `null` plus an `UNAUTHORIZED_FIELD_OR_TYPE` error at that path.
 */
import {
  Kind,
  getNamedType,
  isAbstractType,
  isCompositeType,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { coercedVariables, conditionOf, fragmentsOf, isSkipped, narrowTypes, possibleTypes, selectOperation } from '../../../lib/graphql/operation';
import { isSatisfied, type Principal, type Requirement } from '../../../lib/access-policy';
import type { PolicyIndex } from './policies';
import type { Decision } from '../../../lib/legal-basis';

export { isSatisfied, type Principal };

/** One removed field. */
export interface Denial {
  /** Response path (aliases), WITHOUT list indices: under a list it stands for every item. */
  path: string[];
  /** Schema coordinate `Type.field`, Type being the type it was selected on. */
  coordinate: string;
  /** GraphQL type of each path key (e.g. `["[Person!]!", "String!"]`), for non-null propagation. */
  types: string[];
  /** Set when selected under a narrowing type condition: the concrete types it applies to. */
  onTypes?: string[];
  /** Set when the access rules withheld the field: why, and what would release it (`extensions` of its error). */
  why?: Pick<Decision, 'reason' | 'purposes' | 'missingEvidence' | 'rules'>;
}

export interface AuthorizeArgs {
  document: DocumentNode;
  operationName?: string | null;
  /** The API schema the document was validated against. */
  schema: GraphQLSchema;
  policies: PolicyIndex;
  principal: Principal;
  /** Decides one `@policy` name on one schema element (`Type.field` or a type name) for this request; called at most once per pair per operation. */
  policyCheck: (name: string, element: string) => boolean;
  /** Request variables; used only to tell statically skipped selections (`@skip`/`@include`). */
  variables?: Record<string, unknown>;
}

export interface AuthorizeResult {
  /**
   * The selected operation alone, named fragments inlined, denied fields and then-unused variable
   * definitions removed. The input document itself when nothing was removed; otherwise a new
   * document. @apollo/gateway caches query plans by `requestContext.queryHash` (+ operation name),
   * so execute a new document under the hash of ITS printed text, never the original's: otherwise
   * a plan pruned for one caller is served to another.
   */
  document: DocumentNode;
  denied: Denial[];
  /**
   * Every root field was removed. `document` then selects only `__typename` so it stays valid,
   * but it should not be executed: answer `{ data: fillDenied({}, denied), errors }` instead
   * (Router answers `data: {}` with the errors).
   */
  empty: boolean;
}

interface Position { path: string[]; types: string[] }

interface Walk {
  schema: GraphQLSchema;
  policies: PolicyIndex;
  /** Whether the caller meets `req`, the requirement of schema element `element`. */
  allows: (req: Requirement | undefined, element: string) => boolean;
  /** Coerced variables; empty when unknown, so only literal `if:` arguments are decided. */
  vars: Record<string, unknown>;
  denied: Denial[];
  /** Set when a selection was dropped without a denial (a skipped selection holding denied fields). */
  changed: boolean;
}

/**
 * Replaces each `...F` by `... on T @dirs { body }`. Pruning the inlined copies separately is what
 * makes a fragment spread in several places (under differently authorized parents) come out right.
 */
function inline(set: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, stack: string[] = []): SelectionSetNode {
  const selections = set.selections.map((sel): SelectionNode => {
    if (sel.kind === Kind.FRAGMENT_SPREAD) {
      const name = sel.name.value;
      const frag = fragments.get(name);
      if (!frag || stack.includes(name)) throw new TypeError(`Fragment "${name}" is unknown or cyclic; validate the document first`);
      return { kind: Kind.INLINE_FRAGMENT, typeCondition: frag.typeCondition, directives: sel.directives,
        selectionSet: inline(frag.selectionSet, fragments, [...stack, name]) };
    }
    return sel.selectionSet ? { ...sel, selectionSet: inline(sel.selectionSet, fragments, stack) } : sel;
  });
  return { ...set, selections };
}

function deny(walk: Walk, pos: Position, coordinate: string, onTypes?: string[]): void {
  const key = `${pos.path.join('\u0000')}|${coordinate}|${onTypes?.join(',') ?? ''}`;
  if (walk.denied.some((d) => `${d.path.join('\u0000')}|${d.coordinate}|${d.onTypes?.join(',') ?? ''}` === key)) return;
  walk.denied.push({ path: pos.path, coordinate, types: pos.types, ...(onTypes ? { onTypes } : {}) });
}

function concreteTypes(walk: Walk, type: GraphQLCompositeType): string[] {
  return possibleTypes(walk.schema, type).map((t) => t.name);
}

/** Field requirement, return-type requirement, and on an abstract scope those of every implementation. */
function fieldAllowed(walk: Walk, scope: GraphQLCompositeType, name: string, onTypes?: string[]): boolean {
  const check = (typeName: string): boolean => {
    const type = walk.schema.getType(typeName) as GraphQLCompositeType;
    const def = 'getFields' in type ? type.getFields()[name] : undefined;
    const returnType = getNamedType(def?.type)?.name;
    return !!def && !!returnType && walk.allows(walk.policies.fields.get(`${typeName}.${name}`), `${typeName}.${name}`) && walk.allows(walk.policies.types.get(returnType), returnType);
  };
  if (!check(scope.name)) return false;
  if (!isAbstractType(scope)) return true;
  // A plain field on an interface may resolve on any implementation; Router denies it when they differ.
  return concreteTypes(walk, scope).filter((t) => !onTypes || onTypes.includes(t))
    .every((t) => walk.allows(walk.policies.types.get(t), t) && check(t));
}

function pruneField(walk: Walk, sel: FieldNode, scope: GraphQLCompositeType, pos: Position, inherited: boolean, onTypes?: string[]): FieldNode | null {
  const name = sel.name.value;
  if (name.startsWith('__')) return sel; // __typename and introspection are never removed
  const def = 'getFields' in scope ? scope.getFields()[name] : undefined;
  if (!def) throw new TypeError(`Cannot query field "${name}" on type "${scope.name}"; validate the document first`);
  const coordinate = `${scope.name}.${name}`;
  const here = { path: [...pos.path, sel.alias?.value ?? name], types: [...pos.types, String(def.type)] };
  if (inherited || !fieldAllowed(walk, scope, name, onTypes)) {
    deny(walk, here, coordinate, onTypes);
    return null;
  }
  if (!sel.selectionSet) return sel;
  const returnType = getNamedType(def.type);
  if (!isCompositeType(returnType)) return sel;
  const inner = pruneSet(walk, sel.selectionSet, returnType, here, false);
  if (inner.length === 0) {
    deny(walk, here, coordinate, onTypes); // Router: a field left with nothing to select goes too
    return null;
  }
  return { ...sel, selectionSet: { ...sel.selectionSet, selections: inner } };
}

/** Prunes one selection; null when nothing of it is left. */
function pruneSelection(walk: Walk, sel: SelectionNode, scope: GraphQLCompositeType, pos: Position, inherited: boolean, onTypes?: string[]): SelectionNode | null {
  if (sel.kind === Kind.FIELD) return pruneField(walk, sel, scope, pos, inherited, onTypes);
  if (sel.kind !== Kind.INLINE_FRAGMENT) throw new TypeError('Named fragments must be inlined before pruning');
  const cond = conditionOf(walk.schema, sel, scope);
  if (!cond) throw new TypeError(`Unknown type condition on ${scope.name}; validate the document first`);
  let narrowed = onTypes;
  let conditionAllowed = true;
  if (cond !== scope) {
    // The fragment applies to the types both the scope and its condition allow: `... on ArchivedRecord`
    // inside a MedicalSettlement is judged for MedicalSettlement alone, not for every implementation.
    const within = concreteTypes(walk, scope);
    const condTypes = concreteTypes(walk, cond);
    const possible = narrowTypes(walk.schema, scope, cond).map((t) => t.name).filter((t) => !onTypes || onTypes.includes(t));
    if (possible.length < within.length || possible.length < condTypes.length) narrowed = possible;
    // The scope's own requirement was checked on entry; a different condition is checked here. A
    // condition every object of the scope meets selects nothing the scope does not: it is judged by
    // those types, not by the interface's requirement (composition ANDs every implementation's onto it).
    const redundant = within.every((t) => condTypes.includes(t));
    conditionAllowed = redundant
      ? possible.every((t) => walk.allows(walk.policies.types.get(t), t))
      : walk.allows(walk.policies.types.get(cond.name), cond.name);
  }
  const denied = inherited || !conditionAllowed;
  const inner = pruneSet(walk, sel.selectionSet, cond, pos, denied, narrowed);
  return inner.length > 0 ? { ...sel, selectionSet: { ...sel.selectionSet, selections: inner } } : null;
}

function pruneSet(walk: Walk, set: SelectionSetNode, scope: GraphQLCompositeType, pos: Position, inherited: boolean, onTypes?: string[]): SelectionNode[] {
  const out: SelectionNode[] = [];
  for (const sel of set.selections) {
    if (isSkipped(sel, walk.vars)) {
      // Not executed anyway: keep it untouched unless it holds something denied, then drop it silently.
      const scratch: Walk = { ...walk, denied: [] };
      pruneSelection(scratch, sel, scope, pos, inherited, onTypes);
      if (scratch.denied.length === 0) out.push(sel);
      else walk.changed = true;
      continue;
    }
    const kept = pruneSelection(walk, sel, scope, pos, inherited, onTypes);
    if (kept) out.push(kept);
  }
  return out;
}

/** Variables still referenced once fields are gone; unused definitions would make the operation invalid. */
function withoutUnusedVariables(op: OperationDefinitionNode): OperationDefinitionNode {
  const used = new Set<string>();
  visit({ ...op, variableDefinitions: [] }, { Variable: (v) => void used.add(v.name.value) });
  return { ...op, variableDefinitions: op.variableDefinitions?.filter((v) => used.has(v.variable.name.value)) };
}

/**
 * Prunes the selected operation of `document` for `principal` under `policies`.
 *
 * Semantics (Apollo Router's): a field is denied when its own requirement, its return type's
 * requirement, or (on an interface) any implementation's requirement is unmet; fields under a
 * fragment whose type condition is unmet are denied; a requirement on the root type denies every
 * root field; a field whose selection set ends up empty is denied too. `__typename` and
 * introspection fields are never removed. The document must already be valid for `schema`.
 *
 * @throws TypeError when the operation cannot be selected or the document does not match `schema`.
 */
export function authorizeOperation(args: AuthorizeArgs): AuthorizeResult {
  const { document, schema, policies, principal, policyCheck } = args;
  const op = selectOperation(document, args.operationName);
  if (!op) throw new TypeError(args.operationName ? `Unknown operation "${args.operationName}"` : 'Must provide operationName when the document holds several operations');
  const root = schema.getRootType(op.operation);
  if (!root) throw new TypeError(`The schema has no ${op.operation} type`);
  const decided = new Map<string, boolean>();
  const memoCheck = (element: string) => (name: string) => {
    const key = `${name}\u0000${element}`;
    return decided.get(key) ?? decided.set(key, policyCheck(name, element) === true).get(key)!;
  };
  const walk: Walk = {
    schema, policies, denied: [], changed: false,
    allows: (req, element) => isSatisfied(req, principal, memoCheck(element)),
    vars: coercedVariables(schema, op, args.variables),
  };
  const body = inline(op.selectionSet, fragmentsOf(document));
  const rootDenied = !walk.allows(policies.types.get(root.name), root.name);
  const selections = pruneSet(walk, body, root, { path: [], types: [] }, rootDenied);
  if (walk.denied.length === 0 && !walk.changed) return { document, denied: [], empty: false };
  const empty = selections.length === 0;
  const typename: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };
  const pruned = withoutUnusedVariables({ ...op, selectionSet: { kind: Kind.SELECTION_SET, selections: empty ? [typename] : selections } });
  return { document: { kind: Kind.DOCUMENT, definitions: [pruned] }, denied: walk.denied, empty };
}

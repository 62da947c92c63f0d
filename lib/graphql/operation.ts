/**
 * Reading an executable document as graphql-js executes it: which operation runs, its fragments,
 * its variables, which selections `@skip`/`@include` leave out, and when a fragment applies.
 * Every walk over an operation in the project (authorization, masking, audit, limits, cache tags,
 * the subgraphs' argument checks) reads the document through these, so they agree on what runs.
 *
 * The type-condition rule. A fragment (inline or named) applies to an object whose runtime type
 * is the object type T when it has no type condition, or its condition is T, an interface T
 * implements or a union T belongs to (`appliesTo`). Where T is not known (no response data yet, or
 * an object under an interface or union whose `__typename` was not selected) a fragment is taken
 * to apply to the types its condition and its place have in common (`narrowTypes`): validation
 * guarantees there is one, so a walk that does not know T applies every fragment. Walks therefore
 * err on the side of seeing a field (enforcing, masking, reporting or counting it) rather than
 * missing one.
 */
import {
  getDirectiveValues,
  getOperationAST,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isCompositeType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql';

/**
 * The operation a request runs: the one named `operationName`, or the only one when no name is
 * given. Undefined when there is no such operation or the choice is ambiguous (graphql-js then
 * refuses the request).
 */
export function selectOperation(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | undefined {
  return getOperationAST(document, operationName) ?? undefined;
}

const fragmentsByDocument = new WeakMap<DocumentNode, ReadonlyMap<string, FragmentDefinitionNode>>();

/** The document's named fragments by name; one map per document (walk.ts remembers its work by it). */
export function fragmentsOf(document: DocumentNode): ReadonlyMap<string, FragmentDefinitionNode> {
  let fragments = fragmentsByDocument.get(document);
  if (fragments) return fragments;
  const byName = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) byName.set(def.name.value, def);
  fragmentsByDocument.set(document, (fragments = byName));
  return fragments;
}

/**
 * The variables as execution sees them: declared ones only, the operation's defaults filled in.
 * Empty when none are given or they do not coerce (execution refuses those), so that only literal
 * `if:` arguments decide `isSkipped`.
 */
export function coercedVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Record<string, unknown> | null | undefined): Record<string, unknown> {
  if (!variables) return {};
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  return ('coerced' in coerced && coerced.coerced) || {};
}

/**
 * Whether `@skip`/`@include` leave `selection` out, given coerced `variables`. True only when they
 * prove it: a directive argument that cannot be read counts as executed, so the selection is
 * still enforced, masked and reported (the request fails there anyway).
 */
export function isSkipped(selection: SelectionNode, variables: Record<string, unknown>): boolean {
  if (!selection.directives?.length) return false;
  try {
    return getDirectiveValues(GraphQLSkipDirective, selection, variables)?.if === true || getDirectiveValues(GraphQLIncludeDirective, selection, variables)?.if === false;
  } catch {
    return false;
  }
}

/** The type a fragment's selections are read on: its type condition, else the type it is spread in. */
export function conditionOf(schema: GraphQLSchema, fragment: InlineFragmentNode | FragmentDefinitionNode, scope: GraphQLCompositeType): GraphQLCompositeType | undefined {
  if (!fragment.typeCondition) return scope;
  const type = schema.getType(fragment.typeCondition.name.value);
  return type && isCompositeType(type) ? type : undefined;
}

/** The object types a value of `type` can have at run time. */
export function possibleTypes(schema: GraphQLSchema, type: GraphQLCompositeType): readonly GraphQLObjectType[] {
  return isAbstractType(type) ? schema.getPossibleTypes(type) : [type];
}

/** The rule (see the module comment): whether a fragment on `condition` applies to an object of type `runtime`. */
export function appliesTo(schema: GraphQLSchema, condition: GraphQLCompositeType, runtime: GraphQLObjectType): boolean {
  return condition === runtime || (isAbstractType(condition) && schema.isSubType(condition, runtime));
}

/** The runtime types a fragment on `condition`, spread where a `scope` is expected, applies to (in `condition`'s order). */
export function narrowTypes(schema: GraphQLSchema, scope: GraphQLCompositeType, condition: GraphQLCompositeType): GraphQLObjectType[] {
  return possibleTypes(schema, condition).filter((t) => appliesTo(schema, scope, t));
}

/**
 * Whether a fragment on `condition` spread where a `scope` is expected applies: to the `runtime`
 * object type when it is known, else when some runtime type of the scope meets the condition.
 */
export function fragmentApplies(schema: GraphQLSchema, condition: GraphQLCompositeType, scope: GraphQLCompositeType, runtime: GraphQLObjectType | undefined): boolean {
  return runtime ? appliesTo(schema, condition, runtime) : narrowTypes(schema, scope, condition).length > 0;
}

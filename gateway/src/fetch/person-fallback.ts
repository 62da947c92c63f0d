/**
 * Person lookups survive the subgraph that serves them (social-security) being down. The query
 * planner sends every `person`/`persons` root field to that one subgraph, and the other
 * departments then resolve the returned `Person` references by key; when the root fetch fails,
 * @apollo/gateway has no references, so a dossier would be `person: null` and a list
 * `data: null` although three departments are up.
 *
 * A `Person` reference is nothing but the ID number the caller supplied, so the gateway can
 * answer the root fetch itself: for each valid ID the reference (`__typename`, `idNumber`), every
 * other field of that subgraph null, and the subgraph's `SUBGRAPH_UNAVAILABLE` error. That is
 * what the subgraph answers when its own store is down: the other departments answer through
 * federation and enforce their own rules; the unavailable subgraph's fields are null. An invalid
 * ID is BAD_USER_INPUT at its field, as the subgraph would say. Only a failed fetch made wholly
 * of these root fields is answered so; anything else fails as before.
 */
import { Kind, parse, valueFromASTUntyped, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { fragmentsOf, selectOperation } from '../../../lib/graphql/operation';
import { GraphQLError } from 'graphql';
import type { GatewayGraphQLRequest, GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { ErrorCode } from '../../../lib/errors';
import { requireIdNumber } from '../../../subgraphs/common/inputs';

type Reference = Record<string, unknown>;

/** The root fields a reference answers, with the argument holding the ID number(s). */
const LOOKUPS: Record<string, { argument: string; list: boolean }> = {
  person: { argument: 'idNumber', list: false },
  persons: { argument: 'idNumbers', list: true },
};

/**
 * The gateway's own answer to a failed subgraph fetch of `person`/`persons` root fields, or
 * undefined when `error` is not the subgraph being unavailable or the fetch holds anything else.
 */
export function personReferencesFallback(request: GatewayGraphQLRequest, error: unknown): GatewayGraphQLResponse | undefined {
  if (!(error instanceof GraphQLError) || error.extensions?.code !== ErrorCode.SUBGRAPH_UNAVAILABLE || !request.query) return undefined;
  const document = parse(request.query);
  const operation = selectOperation(document);
  if (operation?.operation !== 'query') return undefined;
  const fragments = fragmentsOf(document);
  const roots = operation.selectionSet.selections;
  if (!roots.every((s): s is FieldNode => s.kind === Kind.FIELD && !s.directives?.length && (s.name.value in LOOKUPS || s.name.value === '__typename'))) return undefined;

  const data: Record<string, unknown> = {};
  const errors: GraphQLError[] = [error];
  for (const field of roots) {
    const key = field.alias?.value ?? field.name.value;
    if (field.name.value === '__typename') {
      data[key] = 'Query';
      continue;
    }
    const { argument, list } = LOOKUPS[field.name.value];
    const node = field.arguments?.find((a) => a.name.value === argument);
    const value = node ? valueFromASTUntyped(node.value, request.variables) : undefined;
    try {
      const ids = (list ? (Array.isArray(value) ? value : []) : [value]).map((id) => requireIdNumber(String(id ?? ''), argument));
      const refs = ids.map((id) => reference(id, field.selectionSet, fragments));
      data[key] = list ? refs : refs[0];
    } catch (err) {
      data[key] = null;
      errors.push(new GraphQLError((err as Error).message, { path: [key], extensions: (err as GraphQLError).extensions }));
    }
  }
  return { data, errors };
}

/** The reference as the selection asks for it: `__typename` and `idNumber` filled, every other field null. */
function reference(idNumber: string, selectionSet: SelectionSetNode | undefined, fragments: ReadonlyMap<string, FragmentDefinitionNode>, into: Reference = {}): Reference {
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      into[selection.alias?.value ?? name] = name === '__typename' ? 'Person' : name === 'idNumber' ? idNumber : null;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      reference(idNumber, selection.selectionSet, fragments, into);
    } else {
      reference(idNumber, fragments.get(selection.name.value)?.selectionSet, fragments, into);
    }
  }
  return into;
}

/**
 * Defence in depth: a subgraph checks that the gateway's internal token covers every field it
 * serves, with the same directives and rules the gateway prunes operations by (lib/access-policy).
 * The gateway never plans a field the caller may not see, so on a correct gateway this check never
 * fires; if the gateway's authorization were bypassed, the subgraph still answers FORBIDDEN.
 */
import { getDirectiveValues, getNamedType, type GraphQLField, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { isSatisfied, policyCheck, type Principal, type Requirement } from '../../lib/access-policy';
import { codedError, ErrorCode } from '../../lib/errors';
import type { InternalClaims } from '../../lib/tokens';
import type { AccessPolicy } from '../../lib/legal-basis';

type Node = { astNode?: unknown; extensionASTNodes?: readonly unknown[] };

/** The requirements the directives on `element` state, one per definition or extension carrying them (all must hold). */
function requirementsOf(schema: GraphQLSchema, element: Node): Requirement[] {
  const [authenticated, requiresScopes, policy] = ['authenticated', 'requiresScopes', 'policy'].map((name) => schema.getDirective(name));
  const nodes = [element.astNode, ...(element.extensionASTNodes ?? [])].filter(Boolean) as Array<Parameters<typeof getDirectiveValues>[1]>;
  return nodes.flatMap((node): Requirement[] => {
    const auth = authenticated ? getDirectiveValues(authenticated, node) : undefined;
    const scopes = requiresScopes ? getDirectiveValues(requiresScopes, node)?.scopes : undefined;
    const policies = policy ? getDirectiveValues(policy, node)?.policies : undefined;
    if (!auth && !scopes && !policies) return [];
    return [{ authenticated: Boolean(auth), scopes: (scopes as string[][]) ?? [], policies: (policies as string[][]) ?? [] }];
  });
}

/**
 * The requirements a field is served under: its own, its return type's and its parent type's
 * (the gateway judges the parent on the field that returned it; `_entities` reaches an entity type
 * without one). Empty when the field is open.
 */
export function fieldRequirements(schema: GraphQLSchema, type: GraphQLObjectType, field: GraphQLField<unknown, unknown>): Requirement[] {
  return [field, type, getNamedType(field.type)].flatMap((element: Node) => requirementsOf(schema, element));
}

const principals = new WeakMap<InternalClaims, Principal>();
const principalOf = (claims: InternalClaims): Principal => {
  let p = principals.get(claims);
  if (!p) principals.set(claims, (p = { authenticated: claims.principal.authenticated, scopes: new Set(claims.principal.scopes) }));
  return p;
};

/** The request's policy decisions, by policy name and coordinate: each decided once per request. */
const decisions = new WeakMap<InternalClaims, (name: string, coordinate: string) => boolean>();
function decisionsOf(claims: InternalClaims, policy: AccessPolicy): (name: string, coordinate: string) => boolean {
  let decide = decisions.get(claims);
  if (!decide) {
    const check = policyCheck(policy, claims);
    const memo = new Map<string, boolean>();
    decide = (name, coordinate) => {
      const key = `${name}\u0000${coordinate}`;
      return memo.get(key) ?? memo.set(key, check(name, coordinate)).get(key)!;
    };
    decisions.set(claims, decide);
  }
  return decide;
}

/** Throws FORBIDDEN unless the internal token's claims meet every requirement of `coordinate` under `policy`'s rules. */
export function assertCovered(claims: InternalClaims, requirements: readonly Requirement[], coordinate: string, policy: AccessPolicy): void {
  const decide = decisionsOf(claims, policy);
  if (requirements.every((r) => isSatisfied(r, principalOf(claims), (name) => decide(name, coordinate)))) return;
  throw codedError(ErrorCode.FORBIDDEN, `The gateway's token for this request does not cover ${coordinate}; the gateway should not have asked for it.`);
}

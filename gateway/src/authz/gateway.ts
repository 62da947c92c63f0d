/**
 * Wraps @apollo/gateway so that every operation is authorized before it is planned: the
 * directives read from the supergraph decide which fields the caller may see, the rest are removed,
 * and the response carries `null` plus `UNAUTHORIZED_FIELD_OR_TYPE` at each removed path.
 */
import { sha256Hex } from '../../../lib/hash';
import type { ApolloGateway } from '@apollo/gateway';
import type { GatewayExecutor, GatewayInterface, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { GraphQLError, print, type DocumentNode, type GraphQLSchema } from 'graphql';
import { LEGAL_BASIS, legalFacts, policyCheck, policyFacts, type PolicyFacts } from '../../../lib/access-policy';
import type { AccessPolicy } from '../../../lib/legal-basis';
import { codedError, ErrorCode } from '../../../lib/errors';
import type { GatewayContext } from '../context';
import { maskIdNumbers, mentionsIdDerivedFields, suppliedArguments, withMaskingKeys } from '../masking/id-numbers';

import { authorizeOperation, type Denial } from './authorize';
import { deniedErrors, fillDenied } from './errors';
import type { PolicyIndex } from './policies';
import type { ResponseCache } from '../cache/response-cache';

/** How a request with unauthorized fields is answered. */
export type AuthzMode = 'filter' | 'reject';

export interface AuthorizingGatewayOptions {
  /**
   * The authorization index of a supergraph @apollo/gateway loads, by the SDL it was given
   * (supergraph/live.ts); asked as each schema is loaded, so a schema is only ever authorized with
   * its own supergraph's policies. A schema without one refuses every request.
   */
  policiesFor: (gatewaySdl: string) => PolicyIndex | undefined;
  /** `filter` (Router's default): remove and null the unauthorized fields; `reject`: refuse the whole request. @default filter */
  mode: AuthzMode;
  /** Response cache, run after authorization (it sees the pruned operation) and before execution. @default none */
  responseCache?: ResponseCache;
  /** The access rules deciding `@policy(policies: [["legal_basis"]])` fields. */
  accessPolicy: AccessPolicy;
}

/** Every scope a supergraph's `@requiresScopes` mentions. */
export function scopesIn(policies: PolicyIndex): Set<string> {
  const out = new Set<string>();
  for (const map of [policies.types, policies.fields]) for (const r of map.values()) r.scopes.flat().forEach((s) => out.add(s));
  return out;
}

export function authorizingGateway(gateway: ApolloGateway, options: AuthorizingGatewayOptions): GatewayInterface {
  // Registered before Apollo Server's listener, so a new schema has its policies before any request sees it.
  const policiesBySchema = new WeakMap<GraphQLSchema, PolicyIndex>();
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    const policies = options.policiesFor(coreSupergraphSdl);
    if (policies) policiesBySchema.set(apiSchema, policies);
  });
  const authorize = (inner: GatewayExecutor): GatewayExecutor => async (rc: GatewayGraphQLRequestContext) => {
    // No operation by that name (or several without a name): answer as graphql-js would, which
    // Apollo Server turns into 400 OPERATION_RESOLUTION_FAILURE.
    if (!rc.operation) return { errors: [unresolvedOperation(rc.request.operationName)] };
    // The policies of the schema this request was validated against (in flight across a reload: the old one).
    const policies = policiesBySchema.get(rc.schema);
    if (!policies) return { errors: [codedError(ErrorCode.INTERNAL_SERVER_ERROR, 'The gateway has no authorization index for its schema; the request is refused.')] };
    const ctx = rc.context as unknown as GatewayContext;
    const scopes = new Set(ctx.principal.scopes);
    const facts = policyFacts(ctx.principal, ctx.basis);
    const { document, denied, empty } = authorizeOperation({
      document: rc.document,
      operationName: rc.request.operationName,
      schema: rc.schema,
      policies,
      principal: { authenticated: ctx.principal.authenticated, scopes },
      policyCheck: policyCheck(options.accessPolicy, facts),
      variables: rc.request.variables,
    });
    explainDenials(denied, policies, options.accessPolicy, facts);
    ctx.denied = denied;
    if (denied.length > 0 && options.mode === 'reject') return { errors: deniedErrors(denied) };
    const masking = !scopes.has('pii:unmasked');
    // Masking what an ID encodes needs to know whose record each Person is: ask for the key too.
    const authorized = denied.length === 0 ? rc.document : document;
    const executed = masking && mentionsIdDerivedFields(rc.source) ? withMaskingKeys(authorized, rc.schema, rc.source) : authorized;
    const result = empty
      ? { data: {} }
      : await inner(executed === rc.document ? rc : { ...rc, document: executed, queryHash: sha256Hex(print(executed)) });
    if (masking) maskIds(result.data, executed, rc, ctx);
    if (denied.length === 0) return result;
    return { ...result, data: fillDenied(result.data ?? null, denied), errors: [...(result.errors ?? []), ...deniedErrors(denied)] };
  };
  return {
    async load(loadOptions) {
      const { schema, executor } = await gateway.load(loadOptions);
      return { schema, executor: authorize(options.responseCache ? options.responseCache.wrap(executor) : executor) };
    },
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
  };
}

/** Tells each denial of a rule-governed field why the rules withheld it. */
function explainDenials(denied: Denial[], policies: PolicyIndex, accessPolicy: AccessPolicy, facts: PolicyFacts): void {
  if (denied.length === 0) return;
  const engineFacts = legalFacts(facts);
  for (const d of denied) {
    if (!policies.fields.get(d.coordinate)?.policies.some((group) => group.includes(LEGAL_BASIS))) continue;
    const decision = accessPolicy.decide(engineFacts, d.coordinate);
    if (!decision.allowed) d.why = decision;
  }
}

function unresolvedOperation(name: string | undefined): GraphQLError {
  return new GraphQLError(name ? `Unknown operation named "${name}".` : 'Must provide operation name if query contains multiple operations.');
}

function maskIds(data: Record<string, unknown> | null | undefined, document: DocumentNode, rc: GatewayGraphQLRequestContext, ctx: GatewayContext): void {
  if (!data || (rc.source && !rc.source.includes('idNumber') && !mentionsIdDerivedFields(rc.source))) return; // cheap exit: nothing to mask
  const keep = suppliedArguments(document, rc.schema, rc.request.operationName, rc.request.variables);
  keep.add(ctx.principal.sub);
  maskIdNumbers(data, document, rc.schema, keep, rc.request.operationName);
}

export type { Denial };

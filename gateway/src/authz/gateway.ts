/**
 * Wraps @apollo/gateway so that every operation is authorized before it is planned: the
 * directives read from the supergraph decide which fields the caller may see, the rest are removed,
 * and the response carries `null` plus `UNAUTHORIZED_FIELD_OR_TYPE` at each removed path.
 */
import { createHash } from 'node:crypto';
import type { ApolloGateway } from '@apollo/gateway';
import type { GatewayExecutor, GatewayInterface, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { print, type DocumentNode } from 'graphql';
import { POLICIES, policyCheck } from '../../../lib/access-policy';
import type { GatewayContext } from '../server';

/** The `@policy` names the gateway implements (lib/access-policy.ts, shared with the subgraphs). */
export { POLICIES };
import { maskIdNumbers, suppliedStrings } from '../masking/id-numbers';
import { authorizeOperation, type Denial } from './authorize';
import { deniedErrors, fillDenied } from './errors';
import type { PolicyIndex } from './policies';
import type { ResponseCache } from '../cache/response-cache';

/** How a request with unauthorized fields is answered. */
export type AuthzMode = 'filter' | 'reject';

export interface AuthorizingGatewayOptions {
  policies: PolicyIndex;
  /** `filter` (Router's default): remove and null the unauthorized fields; `reject`: refuse the whole request. @default filter */
  mode: AuthzMode;
  /** Response cache, run after authorization (it sees the pruned operation) and before execution. @default none */
  responseCache?: ResponseCache;
}

/** Every scope a supergraph's `@requiresScopes` mentions. */
export function scopesIn(policies: PolicyIndex): Set<string> {
  const out = new Set<string>();
  for (const map of [policies.types, policies.fields]) for (const r of map.values()) r.scopes.flat().forEach((s) => out.add(s));
  return out;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function authorizingGateway(gateway: ApolloGateway, options: AuthorizingGatewayOptions): GatewayInterface {
  const authorize = (inner: GatewayExecutor): GatewayExecutor => async (rc: GatewayGraphQLRequestContext) => {
    const ctx = rc.context as unknown as GatewayContext;
    const scopes = new Set(ctx.principal.scopes);
    const { document, denied, empty } = authorizeOperation({
      document: rc.document,
      operationName: rc.request.operationName,
      schema: rc.schema,
      policies: options.policies,
      principal: { authenticated: ctx.principal.authenticated, scopes },
      policyCheck: policyCheck(ctx),
      variables: rc.request.variables,
    });
    ctx.denied = denied;
    if (denied.length > 0 && options.mode === 'reject') return { errors: deniedErrors(denied) };
    const result = empty
      ? { data: {} }
      : await inner(denied.length === 0 ? rc : { ...rc, document, queryHash: sha256(print(document)) });
    if (!scopes.has('pii:unmasked')) maskIds(result.data, document, rc, ctx);
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

function maskIds(data: Record<string, unknown> | null | undefined, document: DocumentNode, rc: GatewayGraphQLRequestContext, ctx: GatewayContext): void {
  if (!data || (rc.source && !rc.source.includes('idNumber'))) return; // cheap exit: nothing to mask
  const keep = suppliedStrings(document, rc.request.variables);
  keep.add(ctx.principal.sub);
  maskIdNumbers(data, document, rc.schema, keep, rc.request.operationName);
}

export type { Denial };

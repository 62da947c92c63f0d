/**
 * The authorizing stage of the executor chain (gateway/src/pipeline.ts): every operation is
 * authorized before it is planned. The directives read from the supergraph decide which fields the
 * caller may see, the rest are removed, and the response carries `null` plus
 * `UNAUTHORIZED_FIELD_OR_TYPE` at each removed path. The stages after it (masking, the response
 * cache, execution) see the pruned operation only.
 */
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import { LEGAL_BASIS, legalFacts, policyCheck, policyFacts, type PolicyFacts } from '../../../lib/access-policy';
import type { AccessPolicy } from '../../../lib/legal-basis';
import { codedError, ErrorCode } from '../../../lib/errors';
import type { Identity } from '../auth/identity';
import { withDocument, type ExecutorStage } from '../pipeline';
import { authorizeOperation, type Denial } from './authorize';
import { DocumentMemo, decisionKey } from './memo';
import { deniedErrors, fillDenied } from './errors';
import type { PolicyIndex } from './policies';

/** How a request with unauthorized fields is answered. */
export type AuthzMode = 'filter' | 'reject';

export interface AuthorizeOptions {
  /**
   * The authorization index of a supergraph @apollo/gateway loads, by the SDL it was given
   * (supergraph/live.ts); asked as each schema is loaded, so a schema is only ever authorized with
   * its own supergraph's policies. A schema without one refuses every request.
   */
  policiesFor: (gatewaySdl: string) => PolicyIndex | undefined;
  /** `filter` (Router's default): remove and null the unauthorized fields; `reject`: refuse the whole request. @default filter */
  mode: AuthzMode;
  /** The access rules deciding `@policy(policies: [["legal_basis"]])` fields. */
  accessPolicy: AccessPolicy;
}

/** The context fields authorization reads (the identity) and writes. */
export interface AuthorizedContext extends Identity {
  /** Fields removed by authorization (set once the operation is authorized). */
  denied?: Denial[];
}

/**
 * The stage authorizing each operation of `gateway`'s schemas. Create it before Apollo Server
 * starts: it registers for schema loads ahead of Apollo Server's listener, so a new schema has its
 * policies before any request sees it.
 */
export function authorize(gateway: Pick<GatewayInterface, 'onSchemaLoadOrUpdate'>, options: AuthorizeOptions): ExecutorStage<AuthorizedContext> {
  const policiesBySchema = new WeakMap<GraphQLSchema, PolicyIndex>();
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    const policies = options.policiesFor(coreSupergraphSdl);
    if (policies) policiesBySchema.set(apiSchema, policies);
  });
  const memo = new DocumentMemo<{ document: DocumentNode; denied: Denial[]; empty: boolean }>();
  return async (rc, ctx, next) => {
    // No operation by that name (or several without a name): answer as graphql-js would, which
    // Apollo Server turns into 400 OPERATION_RESOLUTION_FAILURE.
    if (!rc.operation) return { errors: [unresolvedOperation(rc.request.operationName)] };
    // The policies of the schema this request was validated against (in flight across a reload: the old one).
    const policies = policiesBySchema.get(rc.schema);
    if (!policies) return { errors: [codedError(ErrorCode.INTERNAL_SERVER_ERROR, 'The gateway has no authorization index for its schema; the request is refused.')] };
    const facts = policyFacts(ctx.principal, ctx.basis);
    // Decided once per (document, variables, caller facts): a repeated request reuses the decision (memo.ts).
    const { document, denied, empty } = memo.get(rc.schema, rc.document, decisionKey(rc.request.operationName, rc.request.variables, facts), () => {
      const decision = authorizeOperation({
        document: rc.document,
        operationName: rc.request.operationName,
        schema: rc.schema,
        policies,
        principal: { authenticated: ctx.principal.authenticated, scopes: new Set(ctx.principal.scopes) },
        policyCheck: policyCheck(options.accessPolicy, facts),
        variables: rc.request.variables,
      });
      explainDenials(decision.denied, policies, options.accessPolicy, facts);
      return decision;
    });
    ctx.denied = denied;
    if (denied.length > 0 && options.mode === 'reject') return { errors: deniedErrors(denied) };
    const result = empty ? { data: {} } : await next(denied.length === 0 ? rc : withDocument(rc, document));
    if (denied.length === 0) return result;
    return { ...result, data: fillDenied(result.data ?? null, denied), errors: [...(result.errors ?? []), ...deniedErrors(denied)] };
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

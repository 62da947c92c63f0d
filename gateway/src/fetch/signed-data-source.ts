/**
 * The data source for every subgraph call: signs a short-lived internal token carrying the
 * caller's principal and declared purpose (audience = that subgraph), propagates the request id
 * and the trace context (each call is a span), tells the context's fetch listener of each fetch,
 * collects the subjects each subgraph reports, and answers a failed `person`/`persons` root fetch
 * with the references itself (person-fallback.ts) so the other departments still answer.
 */
import { context as otelContext, propagation, SpanKind } from '@opentelemetry/api';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { internalTokenSigner } from '../../../lib/tokens';
import { policyFacts } from '../../../lib/access-policy';
import { inSpan } from '../../../lib/tracing';
import type { Logger } from '../../../lib/logger';
import type { Identity } from '../auth/identity';
import type { FetchListener } from '../cache/entity-keys';
import { personReferencesFallback } from './person-fallback';

/** The context fields the data source reads and writes (absent on health checks and schema loading). */
export interface SubgraphCallContext extends Identity {
  requestId: string;
  logger: Logger;
  /** Internal tokens already signed for this request, by subgraph. */
  internalTokens: Map<string, Promise<string>>;
  /** ID numbers whose records the subgraphs returned for this request (for the audit record). */
  subjects: Set<string>;
  /** Told of each fetch (installed by the response cache on a miss: gateway/src/cache/entity-keys.ts). */
  entityKeys?: FetchListener;
}

export interface SignedDataSourceOptions {
  /** Subgraph name: the token's audience. */
  name: string;
  url: string;
  secret: string;
  ttlSeconds: number;
  /** The HTTP client (subgraph-fetcher.ts: time limit, SUBGRAPH_UNAVAILABLE); RemoteGraphQLDataSource's own when omitted. */
  fetcher?: RemoteGraphQLDataSource['fetcher'];
}

export class SignedDataSource extends RemoteGraphQLDataSource<SubgraphCallContext> {
  private readonly subgraph: string;
  private readonly sign: ReturnType<typeof internalTokenSigner>;

  constructor(options: SignedDataSourceOptions) {
    // Only when given: RemoteGraphQLDataSource assigns its config over its defaults, undefined included.
    super({ url: options.url, ...(options.fetcher ? { fetcher: options.fetcher } : {}) });
    this.subgraph = options.name;
    this.sign = internalTokenSigner(options.secret, options.ttlSeconds);
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<SubgraphCallContext>): Promise<void> {
    if (!('requestId' in context)) return; // health checks and schema loading carry no request context
    // Looked up once per subgraph per request, however many fetches the plan makes (the signer reuses a token across requests with the same claims).
    let token = context.internalTokens.get(this.subgraph);
    if (!token) {
      token = this.sign({ ...policyFacts(context.principal, context.basis), caseNumber: context.caseNumber }, this.subgraph);
      context.internalTokens.set(this.subgraph, token);
    }
    request.http!.headers.set('authorization', `Bearer ${await token}`);
    request.http!.headers.set('x-request-id', context.requestId);
    // W3C trace context: the subgraph's spans join this request's trace, under the call's span.
    propagation.inject(otelContext.active(), request.http!.headers, { set: (headers, key, value) => headers.set(key, value) });
    context.entityKeys?.fetching(request.variables);
  }

  override async process(options: GraphQLDataSourceProcessOptions<SubgraphCallContext>): Promise<GatewayGraphQLResponse> {
    return inSpan(`subgraph ${this.subgraph}`, { 'graphql.subgraph.name': this.subgraph, 'server.address': this.url ?? '' }, () => this.call(options), SpanKind.CLIENT);
  }

  private async call(options: GraphQLDataSourceProcessOptions<SubgraphCallContext>): Promise<GatewayGraphQLResponse> {
    try {
      return await super.process(options);
    } catch (err) {
      const fallback = personReferencesFallback(options.request, err);
      if (!fallback) throw err;
      if ('incomingRequestContext' in options) {
        options.incomingRequestContext.overallCachePolicy.restrict({ maxAge: 0 }); // a degraded answer is never cached
        options.context.logger?.warn({ subgraph: this.subgraph }, 'subgraph unavailable: answered its person lookups with the references so the other departments answer');
      }
      return fallback;
    }
  }

  /** Collects the subjects the subgraph reports (`extensions.subjects`) for the audit record. */
  override didReceiveResponse({ response, context }: { response: GatewayGraphQLResponse; context: SubgraphCallContext }): GatewayGraphQLResponse {
    const subjects = response.extensions?.subjects;
    if (Array.isArray(subjects) && 'subjects' in context) for (const s of subjects) if (typeof s === 'string') context.subjects.add(s);
    return response;
  }
}

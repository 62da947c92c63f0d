/**
 * The data source for every subgraph call: signs a short-lived internal token carrying the
 * caller's principal and declared purpose (audience = that subgraph), propagates the request id,
 * and collects the subjects each subgraph reports.
 */
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { signInternalToken } from '../../../lib/tokens';
import { noteEntityKeys } from '../cache/key';
import type { GatewayContext } from '../server';

export interface SignedDataSourceOptions {
  /** Subgraph name: the token's audience. */
  name: string;
  url: string;
  secret: string;
  ttlSeconds: number;
  /** The HTTP client (gateway/src/limits: time limit, SUBGRAPH_UNAVAILABLE); RemoteGraphQLDataSource's own when omitted. */
  fetcher?: RemoteGraphQLDataSource['fetcher'];
}

export class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly subgraph: string;
  private readonly secret: string;
  private readonly ttlSeconds: number;

  constructor(options: SignedDataSourceOptions) {
    // Only when given: RemoteGraphQLDataSource assigns its config over its defaults, undefined included.
    super({ url: options.url, ...(options.fetcher ? { fetcher: options.fetcher } : {}) });
    this.subgraph = options.name;
    this.secret = options.secret;
    this.ttlSeconds = options.ttlSeconds;
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    if (!('requestId' in context)) return; // health checks and schema loading carry no request context
    // One token per subgraph per request, however many fetches the plan makes.
    let token = context.internalTokens.get(this.subgraph);
    if (!token) {
      token = signInternalToken(
        { principal: context.principal, purpose: context.purpose, caseNumber: context.caseNumber, requestId: context.requestId },
        this.subgraph,
        this.secret,
        this.ttlSeconds,
      );
      context.internalTokens.set(this.subgraph, token);
    }
    request.http!.headers.set('authorization', `Bearer ${await token}`);
    request.http!.headers.set('x-request-id', context.requestId);
    noteEntityKeys(request.variables, context.entityKeys); // the response cache tags its entry with them
  }

  /** Collects the subjects the subgraph reports (`extensions.subjects`) for the audit record. */
  override didReceiveResponse({ response, context }: { response: GatewayGraphQLResponse; context: GatewayContext }): GatewayGraphQLResponse {
    const subjects = response.extensions?.subjects;
    if (Array.isArray(subjects) && 'subjects' in context) for (const s of subjects) if (typeof s === 'string') context.subjects.add(s);
    return response;
  }
}

/**
 * Approval for access (查档审批): requests for access and the grants approving them, kept in the
 * audit database (store.ts), and the `access` subgraph that serves them and the purpose catalogue
 * in the main graph (schema.graphql, resolvers.ts). The gateway runs the subgraph in process
 * (`AccessDataSource`); its URL in the supergraph is a name, never fetched.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, type GraphQLSchema } from 'graphql';
import type { Kysely } from 'kysely';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { LocalGraphQLDataSource } from '@apollo/gateway';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GRANT_ID, type AccessPolicy, type Grant } from '../../../lib/legal-basis';
import { accessResolvers } from './resolvers';
import { AccessRequests, grantOf, type AccessDB } from './store';

/** The subgraph's name in the supergraph. */
export const ACCESS_SUBGRAPH = 'access';
/** Its URL in the supergraph: never fetched (the gateway serves it in process), so never checked by /readyz. */
export const ACCESS_SUBGRAPH_URL = 'http://gateway.internal/access';
/** The subgraph's SDL, for composition (schema/compose.ts). */
export const accessSubgraphTypeDefs = parse(readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));

export interface AccessOptions {
  /** The audit database (opened lazily; rejects while it is unreachable): any Kysely whose database has `access_request`. */
  db: () => Promise<Kysely<any>>;
  policy: AccessPolicy;
  /** Longest a grant may last, in days (ACCESS_GRANT_MAX_DAYS). */
  maxDays: number;
}

export interface Access {
  /** The `access` subgraph's executable schema. */
  schema: GraphQLSchema;
  requests: AccessRequests;
  /**
   * The grant `id` names, as it stands now (`expired` once past its expiry, `revoked` once
   * revoked); undefined for an id that is malformed, unknown, pending or refused. Whether it is the
   * caller's and for the declared purpose is for the caller to check.
   */
  findGrant(id: string): Promise<Grant | undefined>;
}

export function createAccess({ db, policy, maxDays }: AccessOptions): Access {
  const requests = new AccessRequests(db as () => Promise<Kysely<AccessDB>>);
  const resolvers = accessResolvers({ policy, requests, maxDays });
  return {
    schema: buildSubgraphSchema([{ typeDefs: accessSubgraphTypeDefs, resolvers }]),
    requests,
    async findGrant(id) {
      if (!GRANT_ID.test(id)) return undefined;
      const row = await requests.get(id);
      return row && grantOf(row);
    },
  };
}

/**
 * Runs the `access` subgraph in the gateway's process, with the gateway's request context. Its
 * answers are never cached: a request's status changes under the same query.
 */
export class AccessDataSource extends LocalGraphQLDataSource {
  override process(options: GraphQLDataSourceProcessOptions) {
    if ('incomingRequestContext' in options) options.incomingRequestContext.overallCachePolicy.restrict({ maxAge: 0 });
    return super.process(options);
  }
}

/**
 * Trusted operations as an Apollo Server plugin, in two steps:
 *
 * - `requestDidStart`, before Apollo Server reads the document: a request that sends only an id
 *   (`extensions.persistedQuery.sha256Hash`, as Apollo Router's persisted queries, or a
 *   `documentId`/`id` field, which `operationIdField` moves there) gets its client's approved
 *   document. An id the client has no approved operation under is left to automatic persisted
 *   queries, which answer PERSISTED_QUERY_NOT_FOUND when they do not know it either.
 * - `didResolveOperation`, once the document is parsed and valid: its normalised hash must be one
 *   of the client's approved operations. `log` serves it anyway and logs it; `refuse` answers 403
 *   PERSISTED_QUERY_NOT_IN_LIST, as Apollo Router does for freeform GraphQL outside its safelist.
 */
import type { ApolloServerPlugin, HeaderMap } from '@apollo/server';
import type { DocumentNode } from 'graphql';
import type { RequestHandler } from 'express';
import { codedError, ErrorCode } from '../../../lib/errors';
import type { Logger } from '../../../lib/logger';
import type { Principal } from '../../../lib/tokens';
import type { OperationsMetrics } from './metrics';
import { documentHash } from './normalise';
import type { ClientList, Safelist } from './safelist';
import { BoundedMap } from '../../../lib/bounded-map';

/** What the plugin reads from and writes to the request's context. */
export interface OperationsContext {
  principal: Principal;
  logger: Logger;
  /** The client system the request came from (header or token claim), set here; undefined = none named. */
  client?: string;
  /** The trusted operation the request ran, when it matched one (for the audit record). */
  operationId?: string;
}

export interface TrustedOperationsOptions {
  mode: 'off' | 'log' | 'refuse';
  safelist: Safelist;
  /** The client system a request names. */
  clientOf(headers: HeaderMap, principal: Principal): string | undefined;
  /** Holders of any of these scopes may send any document. */
  exemptScopes: ReadonlySet<string>;
  /** Check requests that name no client too (they match nothing). */
  requireClient: boolean;
  metrics: OperationsMetrics;
}

const NO_CLIENT: ClientList = { bodies: new Map(), ids: new Map() };
/** Normalised hashes by Apollo's query hash; documents repeat, and printing one costs more than a lookup. */
const MAX_HASHES = 5000;

export function trustedOperationsPlugin(options: TrustedOperationsOptions): ApolloServerPlugin<OperationsContext> {
  const { mode, safelist, clientOf, exemptScopes, requireClient, metrics } = options;
  const hashes = new BoundedMap<string, string>(MAX_HASHES);
  const hashOf = (queryHash: string | undefined, document: DocumentNode) => {
    let hash = queryHash && hashes.get(queryHash);
    if (!hash) {
      hash = documentHash(document);
      if (queryHash) hashes.set(queryHash, hash);
    }
    return hash;
  };
  return {
    async requestDidStart({ request, contextValue: ctx }) {
      if (request.http) ctx.client = clientOf(request.http.headers, ctx.principal);
      const id = request.extensions?.persistedQuery?.sha256Hash;
      if (typeof id === 'string' && request.query === undefined && ctx.client) {
        const body = (await safelist.forClient(ctx.client)).bodies.get(id);
        if (body !== undefined) {
          request.query = body;
          delete request.extensions!.persistedQuery;
          ctx.operationId = id;
        }
      }
      if (mode === 'off') return;
      return {
        async didResolveOperation({ document, queryHash, operationName }) {
          if (ctx.principal.scopes.some((s) => exemptScopes.has(s))) return metrics.observe(ctx.client, 'exempt');
          if (!ctx.client && !requireClient) return metrics.observe(undefined, 'unnamed');
          const list = ctx.client ? await safelist.forClient(ctx.client) : NO_CLIENT;
          const matched = list.ids.get(hashOf(queryHash, document));
          if (matched) {
            ctx.operationId ??= matched;
            return metrics.observe(ctx.client, 'trusted');
          }
          if (mode === 'log') {
            ctx.logger.warn({ client: ctx.client ?? null, operationName, documentHash: queryHash }, 'operation not in the client’s trusted operations (served: TRUSTED_OPERATIONS=log)');
            return metrics.observe(ctx.client, 'logged');
          }
          metrics.observe(ctx.client, 'refused');
          throw notInList(ctx.client);
        },
      };
    },
  };
}

function notInList(client: string | undefined) {
  const message = client
    ? `This operation is not one of the trusted operations of client system "${client}". Publish it with \`npm run operations -- publish --client ${client} <manifest.json>\` and have the archive approve it.`
    : 'Only trusted operations are served, and this request names no client system: send the apollographql-client-name header (or a token naming the client).';
  return codedError(ErrorCode.PERSISTED_QUERY_NOT_IN_LIST, message, { http: { status: 403 } });
}

/**
 * Express middleware, after the body parser: a POST naming its operation by `documentId` or `id`
 * (and sending no `query`) is rewritten to the `extensions.persistedQuery` form the plugin reads.
 */
export function operationIdField(): RequestHandler {
  return (req, _res, next) => {
    const body = req.body as Record<string, unknown> | undefined;
    if (req.method === 'POST' && body && typeof body === 'object' && !Array.isArray(body) && body.query === undefined) {
      const id = typeof body.documentId === 'string' ? body.documentId : typeof body.id === 'string' ? body.id : undefined;
      if (id !== undefined) {
        const extensions = body.extensions && typeof body.extensions === 'object' ? (body.extensions as Record<string, unknown>) : {};
        body.extensions = { ...extensions, persistedQuery: { version: 1, sha256Hash: id } };
      }
    }
    next();
  };
}

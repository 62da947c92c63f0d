/**
 * The audit plugin: one record per request, committed before the response leaves. Every request
 * passes here (denied, failed, unauthenticated and cache hits too), because Apollo Server calls
 * `willSendResponse` for every response it sends, error responses included.
 *
 * Fail closed: when the record cannot be committed, a response that carries data is replaced by a
 * 503 with a single `AUDIT_UNAVAILABLE` error, so no record is ever served unaudited. A response
 * that is only errors (a 401, a validation error) reveals no records and is sent as it is.
 */
import { inSpan } from '../../../lib/tracing';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import { ErrorCode } from '../../../lib/errors';
import type { Logger } from '../../../lib/logger';
import { buildEntry, type AuditedContext } from './entry';
import type { AuditEntry, AuditRecord } from './record';

export interface AuditPluginOptions {
  /** Commits a record; resolves only once it is durable (the group-commit `AuditWriter`). */
  writer: { append(entry: AuditEntry): Promise<AuditRecord> };
  /** Recorded in every entry: which server this plugin is installed in. @default 'graphql' */
  endpoint?: AuditEntry['endpoint'];
  /** For requests whose context has no logger. */
  logger: Logger;
  /** Seconds in the 503's `Retry-After`. @default 5 */
  retryAfterSeconds?: number;
}

export const AUDIT_UNAVAILABLE_MESSAGE =
  'The audit log cannot record this request right now, so its records are not served. Try again shortly; if it persists, tell the archive operators.';

export function auditPlugin(options: AuditPluginOptions): ApolloServerPlugin<AuditedContext> {
  const { writer, endpoint = 'graphql', retryAfterSeconds = 5 } = options;
  return {
    async requestDidStart() {
      const startedAt = new Date();
      const start = performance.now();
      const id = randomUUID();
      return {
        async willSendResponse(rc) {
          if (rc.contextValue.auditState) rc.contextValue.auditState.recorded = true;
          try {
            const entry = buildEntry(rc, endpoint, { id, startedAt, durationMs: performance.now() - start });
            await inSpan('audit.commit', { 'audit.record_id': id }, () => writer.append(entry));
          } catch (err) {
            const logger = rc.contextValue.logger ?? options.logger;
            logger.error({ err, requestId: rc.contextValue.requestId, auditId: id }, 'audit record not committed; response refused');
            if (carriesData(rc)) refuse(rc, retryAfterSeconds);
          }
        },
      };
    },
  };
}

function carriesData(rc: GraphQLRequestContext<AuditedContext>): boolean {
  const body = rc.response.body;
  if (!body) return false;
  if (body.kind === 'incremental') return true;
  return body.singleResult.data != null;
}

function refuse(rc: GraphQLRequestContext<AuditedContext>, retryAfterSeconds: number): void {
  rc.response.http.status = 503;
  rc.response.http.headers.set('retry-after', String(retryAfterSeconds));
  rc.response.body = {
    kind: 'single',
    singleResult: { errors: [{ message: AUDIT_UNAVAILABLE_MESSAGE, extensions: { code: ErrorCode.AUDIT_UNAVAILABLE } }] },
  };
}

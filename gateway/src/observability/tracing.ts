/**
 * The gateway's spans between the request span (lib/tracing.ts `traceRequests`) and
 * @apollo/gateway's own (`gateway.request`, `gateway.plan`, `gateway.execute`, `gateway.fetch`):
 * `authorization`, which two stages of the executor chain open and close around authorizing and
 * masking (server.ts), and the cache's, the subgraph calls' and the audit commit's spans, started
 * where those steps run.
 */
import type { Span } from '@opentelemetry/api';
import { tracer } from '../../../lib/tracing';
import type { ExecutorStage } from '../pipeline';

/** The context fields the `authorization` span reads and writes. */
export interface TracedContext {
  /** The `authorization` span while authorization runs. */
  authorizationSpan?: Span;
  /** Fields removed by authorization (gateway/src/authz), counted on the span. */
  denied?: ReadonlyArray<unknown>;
}

/** Opens the operation's `authorization` span; it ends at `endAuthorizationSpan`, or with the operation when that never runs (refused, or fully pruned). */
export const startAuthorizationSpan: ExecutorStage<TracedContext> = async (rc, ctx, next) => {
  ctx.authorizationSpan = tracer().startSpan('authorization', { attributes: { 'graphql.operation.name': rc.operationName ?? '' } });
  try {
    return await next(rc);
  } finally {
    authorized(ctx);
  }
};

/** Ends the `authorization` span: authorization has handed the pruned operation on. */
export const endAuthorizationSpan: ExecutorStage<TracedContext> = (rc, ctx, next) => {
  authorized(ctx);
  return next(rc);
};

function authorized(ctx: TracedContext): void {
  const span = ctx.authorizationSpan;
  if (!span) return;
  ctx.authorizationSpan = undefined;
  if (ctx.denied?.length) span.setAttribute('authorization.denied_fields', ctx.denied.length);
  span.end();
}

/**
 * The gateway's spans between the request span (lib/tracing.ts `traceRequests`) and
 * @apollo/gateway's own (`gateway.request`, `gateway.plan`, `gateway.execute`, `gateway.fetch`):
 * `authorization`, which lasts until the response cache (the next step) takes over, and the
 * cache's, the subgraph calls' and the audit commit's spans, started where those steps run.
 */
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { tracer } from '../../../lib/tracing';
import type { GatewayContext } from '../context';

/** `gateway` whose executor opens each operation's `authorization` span. */
export function tracedGateway(gateway: GatewayInterface): GatewayInterface {
  return {
    async load(options) {
      const loaded = await gateway.load(options);
      const { executor } = loaded;
      if (!executor) return loaded;
      return {
        ...loaded,
        executor: async (rc) => {
          const ctx = rc.context as unknown as GatewayContext;
          ctx.authorizationSpan = tracer().startSpan('authorization', { attributes: { 'graphql.operation.name': rc.operationName ?? '' } });
          try {
            return await executor(rc);
          } finally {
            authorized(ctx); // refused or fully pruned: the cache never ran
          }
        },
      };
    },
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
  };
}

/** Ends the request's `authorization` span: authorization has handed the pruned operation on. */
export function authorized(ctx: GatewayContext): void {
  const span = ctx.authorizationSpan;
  if (!span) return;
  ctx.authorizationSpan = undefined;
  if (ctx.denied?.length) span.setAttribute('authorization.denied_fields', ctx.denied.length);
  span.end();
}

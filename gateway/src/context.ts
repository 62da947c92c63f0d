/**
 * The gateway's per-request context: what the plugins, the executor chain (gateway/src/pipeline.ts:
 * authorize → mask → cache → execute) and the subgraph data source read and write for one request.
 * Each feature declares the fields it uses as its own type; this one is all of them, and server.ts
 * checks it against every plugin and stage it composes. Its own module, so the features import it
 * without importing the server that composes them.
 */
import type { Logger } from '../../lib/logger';
import type { Principal } from '../../lib/tokens';
import type { AuditedContext } from './audit/entry';
import type { Denial } from './authz/authorize';
import type { AuthorizedContext } from './authz/stage';
import type { CachedContext } from './cache/key';
import type { SubgraphCallContext } from './fetch/signed-data-source';
import type { EntityKeys } from './cache/entity-keys';
import type { MaskedContext } from './masking/stage';
import type { AccessLogContext } from './observability/access-log';
import type { TracedContext } from './observability/tracing';
import type { OperationsContext } from './operations/plugin';
import type { RateLimitContext } from './ratelimit/plugin';

/** Per-request state every gateway plugin, stage and data source reads. */
export interface GatewayContext
  extends AuditedContext,
    AuthorizedContext,
    MaskedContext,
    CachedContext,
    SubgraphCallContext,
    AccessLogContext,
    TracedContext,
    OperationsContext,
    RateLimitContext {
  // Fields several features declare, each as much as it needs: here in the form that satisfies all.
  principal: Principal;
  logger: Logger;
  /** The client's network address (the audit record's "client address"). */
  clientAddress: string;
  /** Fields removed by authorization (set once the operation is authorized). */
  denied?: Denial[];
  subjects: Set<string>;
  entityKeys?: EntityKeys;
}

/**
 * The gateway's per-request context: what the plugins, the executor chain (authorize → cache →
 * execute) and the subgraph data source read and write for one request. Its own module, so the
 * features import it without importing the server that composes them.
 */
import type { Span } from '@opentelemetry/api';
import type { Logger } from '../../lib/logger';
import type { AuditState } from './audit';
import type { Identity } from './auth/identity';
import type { Denial } from './authz/authorize';
import type { AccessRecord } from './observability';

/** Per-request state every gateway plugin and data source reads. */
export interface GatewayContext extends Identity {
  requestId: string;
  /** The client's network address (the audit record's "client address"). */
  clientAddress: string;
  logger: Logger;
  /** Internal tokens already signed for this request, by subgraph. */
  internalTokens: Map<string, Promise<string>>;
  /** ID numbers whose records the subgraphs returned for this request (for the audit record). */
  subjects: Set<string>;
  /** Fields removed by authorization (set once the operation is authorized). */
  denied?: Denial[];
  /** Whether the response came from the response cache (then `subjects` are those of the request that filled it). */
  cacheHit?: boolean;
  /** Entities the query plan fetched by key, as cache tags (`Person:<idNumber>`); collected on a response-cache miss. */
  entityKeys?: Set<string>;
  /** What this request's access-log line will say (gateway/src/observability). */
  access?: AccessRecord;
  /** Whether the audit plugin recorded the request (else the refusal middleware does). */
  auditState?: AuditState;
  /** The client system the request names; set by the trusted-operations plugin (gateway/src/operations). */
  client?: string;
  /** The trusted operation the request ran, when it matched one. */
  operationId?: string;
  /** The request's trace (OpenTelemetry), when tracing is on: the access log and the audit record name it. */
  traceId?: string;
  /** The `authorization` span while authorization runs (gateway/src/observability/tracing.ts). */
  authorizationSpan?: Span;
}

/**
 * Records the requests refused before Apollo Server's request pipeline, which the audit plugin
 * never sees: a malformed or oversized body, a token or variable-depth limit, a batch, a CSRF
 * refusal, an unsupported method. Express middleware in front of the endpoint notes whether the
 * plugin recorded the request; when an error response is about to end without a record, it writes
 * one (outcome ERROR, the response's error codes) and ends the response once it is committed.
 */
import { activeTraceId } from '../../../lib/tracing';
import { randomUUID } from 'node:crypto';
import { sha256Hex } from '../../../lib/hash';
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../../lib/logger';
import { ANONYMOUS } from '../../../lib/tokens';
import type { Identity } from '../auth/identity';
import { auditPrincipal, type AuditEntry, type AuditRecord } from './record';

/** Whether the audit plugin has recorded the request; lives in `res.locals`, reached from the context. */
export interface AuditState {
  recorded: boolean;
}

/** The request's audit state, created on first use (by the middleware, or by the context for a request it did not see). */
export function auditStateOf(res: Response): AuditState {
  return (res.locals.audit ??= { recorded: false } satisfies AuditState);
}

export interface AuditRefusalsOptions {
  writer: { append(entry: AuditEntry): Promise<AuditRecord> };
  endpoint: AuditEntry['endpoint'];
  identify(headers: IncomingHttpHeaders): Promise<Identity>;
  requestId(header: string | string[] | undefined): string;
  logger: Logger;
}

/** Mount first on the endpoint: every error response the audit plugin did not record is recorded here. */
export function auditRefusals(options: AuditRefusalsOptions): RequestHandler {
  return (req, res, next) => {
    const state = auditStateOf(res);
    const started = { id: randomUUID(), at: new Date(), ms: performance.now(), traceId: activeTraceId() };
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    // Patched the way compression middleware patches it: the body is complete, the socket not yet written.
    res.end = ((...args: unknown[]) => {
      if (state.recorded || res.statusCode < 400) return end(...args);
      state.recorded = true;
      record(options, req, res, args[0], started)
        .catch((err) => options.logger.error({ err, auditId: started.id }, 'audit record of a refused request not committed'))
        .finally(() => end(...args));
      return res;
    }) as Response['end'];
    next();
  };
}

async function record(
  options: AuditRefusalsOptions,
  req: Request,
  res: Response,
  chunk: unknown,
  started: { id: string; at: Date; ms: number; traceId?: string },
): Promise<void> {
  const identity = await options.identify(req.headers).catch((): Identity => ({ principal: ANONYMOUS, basis: { evidence: [] } }));
  const { principal } = identity;
  // The parsed body, when body parsing got that far (a token-limit or variable-depth refusal).
  const request = (req.method === 'GET' ? req.query : req.body) as Record<string, unknown> | undefined;
  const field = (name: string) => (request && !Array.isArray(request) && typeof request === 'object' ? request[name] : undefined);
  const query = field('query');
  const document = typeof query === 'string' ? query : null;
  const variables = field('variables');
  const operationName = field('operationName');
  await options.writer.append({
    id: started.id,
    time: started.at.toISOString(),
    requestId: options.requestId(req.headers['x-request-id']),
    endpoint: options.endpoint,
    principal: auditPrincipal(principal),
    clientAddress: req.socket.remoteAddress ?? 'unknown',
    purpose: identity.purpose ?? null,
    caseNumber: identity.caseNumber ?? null,
    operationName: typeof operationName === 'string' ? operationName : null,
    operationType: null,
    documentHash: document === null ? null : sha256Hex(document),
    document,
    variables: variables && typeof variables === 'object' && !Array.isArray(variables) ? (variables as Record<string, unknown>) : null,
    subjects: [],
    fieldsReturned: [],
    fieldsDenied: [],
    outcome: 'ERROR',
    errorCodes: errorCodesOf(chunk, res.statusCode),
    cacheHit: false,
    durationMs: Math.round((performance.now() - started.ms) * 1000) / 1000,
    httpStatus: res.statusCode,
    ...(started.traceId === undefined ? {} : { traceId: started.traceId }),
  });
}

/** The `extensions.code`s of a JSON error body; for any other body, what its status means. */
function errorCodesOf(chunk: unknown, status: number): string[] {
  const fallback = [status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST'];
  const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
  if (text.length === 0 || text.length > 65_536) return fallback;
  try {
    const errors = (JSON.parse(text) as { errors?: Array<{ extensions?: { code?: unknown } }> }).errors;
    const codes = (errors ?? []).map((e) => e.extensions?.code).filter((c): c is string => typeof c === 'string');
    return codes.length > 0 ? [...new Set(codes)].sort() : fallback;
  } catch {
    return fallback;
  }
}

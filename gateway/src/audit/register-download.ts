/**
 * `GET /audit/register.xlsx?from=…&to=…` (and `.jsonl`): the utilisation register of [from, to)
 * as a file, for a bearer token with `audit:read`. Like every read of the log, the download is
 * itself recorded (endpoint `audit`, operation `register`) before the file is sent.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Request, RequestHandler, Response } from 'express';
import type { GraphQLError } from 'graphql';
import { badInput, ErrorCode } from '../../../lib/errors';
import type { Logger } from '../../../lib/logger';
import type { Identity } from '../auth/identity';
import { AUDIT_SCOPE, timeRange } from './api';
import type { CoordinateOwners } from './departments';
import { auditPrincipal } from './record';
import { registerRows, writeRegisterJsonl, writeRegisterXlsx, type RegisterFormat } from './register';
import type { LazyAuditStore } from './store';
import type { AuditWriter } from './writer';

export interface RegisterDownloadOptions {
  format: RegisterFormat;
  store: LazyAuditStore;
  writer: Pick<AuditWriter, 'append'>;
  owners: CoordinateOwners;
  identify(headers: IncomingHttpHeaders): Promise<Identity>;
  requestId(header: string | string[] | undefined): string;
  logger: Logger;
}

const CONTENT_TYPES: Record<RegisterFormat, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  jsonl: 'application/jsonl; charset=utf-8',
};

const refuse = (res: Response, status: number, code: string, message: string) => res.status(status).json({ errors: [{ message, extensions: { code } }] });

export function registerDownload(options: RegisterDownloadOptions): RequestHandler {
  return async (req: Request, res: Response) => {
    const started = { id: randomUUID(), at: new Date(), ms: performance.now() };
    const identity = await options.identify(req.headers);
    const { principal } = identity;
    const query = (name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string) : undefined);
    let status = 200;
    let code: string | undefined;
    let message = '';
    let range: { from?: string; to?: string } = {};
    if (identity.authError || !principal.authenticated) {
      [status, code, message] = [401, ErrorCode.UNAUTHENTICATED, identity.authError?.message ?? `The register needs a bearer token with the scope ${AUDIT_SCOPE}.`];
    } else if (!principal.scopes.includes(AUDIT_SCOPE)) {
      [status, code, message] = [403, ErrorCode.FORBIDDEN, `The register needs the scope ${AUDIT_SCOPE}; the token has: ${principal.scopes.join(' ') || 'none'}.`];
    } else {
      try {
        range = timeRange(query('from'), query('to'));
        if (!range.from || !range.to) throw badInput('from', 'from and to are required: ISO-8601 date-times, e.g. ?from=2026-05-01T00:00:00Z&to=2026-06-01T00:00:00Z.');
      } catch (err) {
        [status, code, message] = [400, ErrorCode.BAD_USER_INPUT, (err as GraphQLError).message];
      }
    }
    // Recorded before anything is sent (fail closed, as every read of the log).
    try {
      await options.writer.append({
        id: started.id,
        time: started.at.toISOString(),
        requestId: options.requestId(req.headers['x-request-id']),
        endpoint: 'audit',
        principal: auditPrincipal(principal),
        clientAddress: req.socket.remoteAddress ?? 'unknown',
        purpose: identity.purpose ?? null,
        caseNumber: identity.caseNumber ?? null,
        operationName: 'register',
        operationType: null,
        documentHash: null,
        document: null,
        variables: { format: options.format, from: query('from') ?? null, to: query('to') ?? null },
        subjects: [],
        fieldsReturned: [],
        fieldsDenied: [],
        outcome: code === undefined ? 'OK' : status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'DENIED' : 'ERROR',
        errorCodes: code === undefined ? [] : [code],
        cacheHit: false,
        durationMs: Math.round((performance.now() - started.ms) * 1000) / 1000,
        httpStatus: status,
      });
    } catch (err) {
      options.logger.error({ err, auditId: started.id }, 'audit record of a register download not committed');
      return refuse(res, 503, ErrorCode.AUDIT_UNAVAILABLE, 'The audit store is unreachable; try again shortly.');
    }
    if (code !== undefined) return refuse(res, status, code, message);
    const store = await options.store.get();
    const { from, to } = range as { from: string; to: string };
    res.status(200);
    res.setHeader('content-type', CONTENT_TYPES[options.format]);
    res.setHeader('content-disposition', `attachment; filename="register-${from.slice(0, 10)}-${to.slice(0, 10)}.${options.format}"`);
    res.setHeader('cache-control', 'no-store');
    const rows = registerRows(store, options.owners, { from, to });
    try {
      if (options.format === 'xlsx') await writeRegisterXlsx(rows, res);
      else {
        await writeRegisterJsonl(rows, res);
        res.end();
      }
    } catch (err) {
      options.logger.error({ err }, 'register download failed');
      res.destroy(err as Error);
    }
  };
}

/**
 * One access-log line per HTTP request to the GraphQL endpoint: request id, operation name, HTTP
 * status, duration, outcome, error codes, who asked, and the trace id when tracing is on. Never the variables, the document or a
 * token: what was read belongs in the audit log, which is access-controlled; stdout is not.
 *
 * The line is written by Express middleware when the response is finished, so requests refused
 * before Apollo Server (body too large, malformed JSON, token limit, CSRF) get one too; the
 * Apollo Server plugin only tells it what the GraphQL layer knows (operation, errors).
 */
import { performance } from 'node:perf_hooks';
import type { ApolloServerPlugin, GraphQLResponse } from '@apollo/server';
import type { RequestHandler, Response } from 'express';
import type { Logger } from '../../../lib/logger';
import { activeTraceId } from '../../../lib/tracing';
import type { RequestMetrics } from './metrics';

/** How a request ended, for the log and the `outcome` metric label. */
export type Outcome = 'ok' | 'partial' | 'error' | 'aborted';

/** What the access-log line will say, filled in as the request goes. Lives in `res.locals`. */
export interface AccessRecord {
  /** Operation names Apollo Server resolved (several for a batch); null = anonymous. Empty = never reached Apollo Server. */
  operations: Array<string | null>;
  /** Error codes of responses written outside Apollo Server (the HTTP limits). */
  errorCodes: string[];
  /** Apollo Server's responses, read when the request finishes (plugins may still replace a body until then). */
  responses: GraphQLResponse[];
  sub?: string;
}

/** The request's access record, created on first use. */
export function accessRecord(res: Response): AccessRecord {
  return (res.locals.access ??= { operations: [], errorCodes: [], responses: [] } satisfies AccessRecord);
}

export interface AccessLogOptions {
  logger: Logger;
  /** Request rate, latency and errors by code are observed here as well. */
  metrics?: RequestMetrics;
}

/** Logs one line per request when its response is finished (or the client went away). */
export function accessLog(options: AccessLogOptions): RequestHandler {
  const { logger, metrics } = options;
  return (req, res, next) => {
    const start = performance.now();
    const record = accessRecord(res);
    const traceId = activeTraceId(); // the request span's, opened before this middleware
    let written = false;
    const write = () => {
      if (written) return;
      written = true;
      const seconds = (performance.now() - start) / 1000;
      const { codes, partial } = errorsOf(record);
      const outcome: Outcome = !res.writableFinished ? 'aborted' : codes.length === 0 && res.statusCode < 400 ? 'ok' : partial && res.statusCode < 400 ? 'partial' : 'error';
      const operation = record.operations.length === 0 ? undefined : record.operations.length === 1 ? record.operations[0] : record.operations.map((o) => o ?? 'anonymous').join(',');
      const line = {
        requestId: res.getHeader('x-request-id'),
        method: req.method,
        status: res.statusCode,
        durationMs: Math.round(seconds * 10000) / 10,
        operation: operation ?? null,
        outcome,
        errorCodes: [...new Set(codes)].sort(),
        sub: record.sub ?? null,
        clientAddress: req.socket.remoteAddress ?? null,
        ...(traceId ? { traceId } : {}),
      };
      if (res.statusCode >= 500) logger.warn(line, 'request');
      else logger.info(line, 'request');
      metrics?.request(operation, outcome, seconds, codes);
    };
    res.once('finish', write);
    res.once('close', write);
    next();
  };
}

function errorsOf(record: AccessRecord): { codes: string[]; partial: boolean } {
  const codes = [...record.errorCodes];
  let partial = false;
  for (const response of record.responses) {
    const body = response.body;
    const result = body?.kind === 'single' ? body.singleResult : body?.initialResult;
    const errors = result?.errors ?? [];
    for (const e of errors) codes.push(String(e.extensions?.code ?? 'UNKNOWN'));
    if (errors.length > 0 && result?.data != null) partial = true;
  }
  return { codes, partial };
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

/** The context fields the plugin reads; the gateway context has them. */
export interface AccessLogContext {
  access?: AccessRecord;
  principal?: { sub: string };
}

/** Hands the access log each operation's name, caller and response. */
export const accessLogPlugin: ApolloServerPlugin<AccessLogContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ contextValue, operationName, request, response }) {
        const record = contextValue.access;
        if (!record) return;
        // The resolved name, else the requested one if it is a GraphQL name (it lands in a metric label).
        const requested = request.operationName && GRAPHQL_NAME.test(request.operationName) ? request.operationName : null;
        record.operations.push(operationName ?? requested);
        record.responses.push(response);
        if (contextValue.principal?.sub) record.sub ??= contextValue.principal.sub;
      },
    };
  },
};

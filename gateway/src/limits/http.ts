/**
 * The HTTP-level limits, as Express middleware in front of Apollo Server: the body size, the
 * batch length, the token count and the nesting of the variables are checked before anything is
 * parsed into an AST, so an oversize body, a huge batch, a token bomb or a 60,000-deep variable
 * costs the gateway almost nothing. Every refusal is a JSON GraphQL error with a stable code,
 * never Express's HTML error page.
 *
 * These requests never reach Apollo Server's plugins; the access log and the audit log's
 * `auditRefusals` middleware record them.
 */
import express, { type ErrorRequestHandler, type RequestHandler, type Response } from 'express';
import type { GraphQLError } from 'graphql';
import { codedError, ErrorCode } from '../../../lib/errors';
import { accessRecord } from '../observability/access-log';
import { limitExceeded } from './errors';
import { countTokens, jsonDepth } from './tokens';
import { BoundedMap } from '../../../lib/bounded-map';

export interface HttpLimits {
  /** Largest request body in bytes; larger is 413. @default 262144 */
  maxBodyBytes: number;
  /** Most lexical tokens in one GraphQL document (comments not counted). @default 1000 */
  maxTokens: number;
  /** Deepest nesting of arrays and objects in the variables (the variables object is level 1). @default 10 */
  maxVariableDepth: number;
  /** Most operations in one batched request (a JSON array); 0 = batching off. @default 0 */
  maxBatchOperations: number;
}

/** Body parsing plus the guards, to mount on `/graphql` before Apollo Server's middleware. */
export function httpLimits(limits: HttpLimits): RequestHandler[] {
  return [express.json({ limit: limits.maxBodyBytes }) as RequestHandler, operationGuard(limits)];
}

/** Turns body-parser's errors into JSON errors; mount after `httpLimits` and Apollo Server's middleware. */
export function httpErrorHandler(limits: Pick<HttpLimits, 'maxBodyBytes'>): ErrorRequestHandler {
  return (err, _req, res, next) => {
    const status = typeof err?.status === 'number' ? err.status : typeof err?.statusCode === 'number' ? err.statusCode : 500;
    if (res.headersSent || status >= 500) return next(err);
    if (err.type === 'entity.too.large') return sendErrors(res, 413, limitExceeded('bodyBytes', limits.maxBodyBytes));
    sendErrors(res, status, codedError(ErrorCode.BAD_REQUEST, badBodyMessage(err)));
  };
}

function badBodyMessage(err: { type?: string; message?: string; charset?: string; encoding?: string }): string {
  switch (err.type) {
    case 'entity.parse.failed':
      return `The request body is not valid JSON (${err.message}). Send {"query": "...", "variables": {...}} as application/json.`;
    case 'charset.unsupported':
      return `The request body's charset ${err.charset} is not supported; send UTF-8.`;
    case 'encoding.unsupported':
      return `The request body's content-encoding ${err.encoding} is not supported; send it uncompressed, gzip or deflate.`;
    case 'request.aborted':
      return 'The request was aborted before its body was complete.';
    default:
      // zlib errors (a corrupt gzip body) carry no type.
      return `The request body could not be read: ${err.message}.`;
  }
}

/** Documents whose token count is remembered (clients repeat a few documents), and the longest one. */
const COUNTED_DOCUMENTS = 500;
const COUNTED_LENGTH = 16_384;

/** Batch length and token count, on the parsed JSON body (POST) or the query string (GET). */
function operationGuard(limits: HttpLimits): RequestHandler {
  const counted = new BoundedMap<string, number>(COUNTED_DOCUMENTS);
  const tokensIn = (query: string) => {
    let tokens = counted.get(query);
    if (tokens !== undefined) return tokens;
    tokens = countTokens(query, limits.maxTokens);
    if (query.length <= COUNTED_LENGTH) counted.set(query, tokens);
    return tokens;
  };
  return (req, res, next) => {
    const body: unknown = req.body;
    if (Array.isArray(body) && limits.maxBatchOperations > 0 && body.length > limits.maxBatchOperations) {
      return sendErrors(res, 400, limitExceeded('batch', limits.maxBatchOperations, body.length));
    }
    // With batching off, Apollo Server refuses any array itself (400 BAD_REQUEST), so its items need no counting.
    const requests = Array.isArray(body) ? (limits.maxBatchOperations > 0 ? body : []) : [req.method === 'GET' ? req.query : body];
    for (const request of requests) {
      const { query, variables } = (request ?? {}) as { query?: unknown; variables?: unknown };
      // Deep variables would exhaust the stack of whatever walks them (cache key, coercion, audit).
      if (jsonDepth(variables, limits.maxVariableDepth) > limits.maxVariableDepth) return sendErrors(res, 400, limitExceeded('variableDepth', limits.maxVariableDepth));
      if (typeof query !== 'string') continue;
      const tokens = tokensIn(query);
      if (tokens > limits.maxTokens) return sendErrors(res, 400, limitExceeded('tokens', limits.maxTokens));
    }
    next();
  };
}

/** Sends `{ errors: [...] }` as Apollo Server would, without the internal `http` extension. */
function sendErrors(res: Response, status: number, ...errors: GraphQLError[]): void {
  const formatted = errors.map((e) => {
    const { http: _http, ...extensions } = e.extensions as Record<string, unknown>;
    return { message: e.message, extensions };
  });
  accessRecord(res).errorCodes.push(...formatted.map((e) => String(e.extensions.code)));
  res.status(status).type('application/json').send(JSON.stringify({ errors: formatted }));
}

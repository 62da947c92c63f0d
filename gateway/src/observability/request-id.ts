/** The request id that joins the gateway's access log, audit record and the subgraphs' logs. */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

/** The caller's request id when it looks like one, else a fresh UUID (ids end up in logs and audit). */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && /^[\w.:-]{1,64}$/.test(header) ? header : randomUUID();
}

/**
 * Settles the request id once, at the door: the caller's `x-request-id` if it is well-formed, else
 * a new one, written back onto the request (so every later reader, the GraphQL context included,
 * gets the same id) and echoed in the response for the caller to quote.
 */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const id = requestIdOf(req.headers['x-request-id']);
    req.headers['x-request-id'] = id;
    res.setHeader('x-request-id', id);
    next();
  };
}

import { GraphQLError } from 'graphql';

/** Stable error codes carried in `extensions.code`; clients may switch on them. */
export enum ErrorCode {
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  UNAUTHORIZED_FIELD_OR_TYPE = 'UNAUTHORIZED_FIELD_OR_TYPE',
  AUDIT_UNAVAILABLE = 'AUDIT_UNAVAILABLE',
  STORE_UNAVAILABLE = 'STORE_UNAVAILABLE',
  SUBGRAPH_UNAVAILABLE = 'SUBGRAPH_UNAVAILABLE',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
  /** An operation or request over a gateway limit; `extensions.limit` names it, `max` its value, `actual` what was asked. */
  OPERATION_LIMIT_EXCEEDED = 'OPERATION_LIMIT_EXCEEDED',
  /** The HTTP request itself is malformed (not JSON, bad encoding); Apollo Server's own code for the same. */
  BAD_REQUEST = 'BAD_REQUEST',
  /** The document is not one of the client system's approved trusted operations (Apollo Router's code); HTTP 403. */
  PERSISTED_QUERY_NOT_IN_LIST = 'PERSISTED_QUERY_NOT_IN_LIST',
  /** A rate limit or quota is used up; HTTP 429 with `Retry-After`; `extensions.limit` names it, `retryAfterSeconds` says when to retry. */
  RATE_LIMITED = 'RATE_LIMITED',
  /** Demand control: the operation's estimated cost is over the maximum (Apollo Router's code); `extensions['cost.estimated']`, `['cost.max']`. */
  COST_ESTIMATED_TOO_EXPENSIVE = 'COST_ESTIMATED_TOO_EXPENSIVE',
}

/** A GraphQLError with a stable code and optional extra extensions. */
export function codedError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

/** `BAD_USER_INPUT` for an argument that failed validation; names the argument and why. */
export function badInput(argumentName: string, message: string): GraphQLError {
  return codedError(ErrorCode.BAD_USER_INPUT, message, { argumentName });
}

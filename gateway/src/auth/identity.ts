/**
 * Authentication: turns the request's `Authorization: Bearer <JWT>` and declared-purpose headers
 * into the request's identity. No header = anonymous; a bad or expired token = 401 UNAUTHENTICATED.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import type { Config } from '../../../lib/config';
import { codedError, ErrorCode } from '../../../lib/errors';
import { ANONYMOUS, clientTokenVerifier, InvalidTokenError, type Principal } from '../../../lib/tokens';

export interface Identity {
  principal: Principal;
  /**
   * Why the credentials were refused, if they were. Kept on the context (rather than thrown while
   * building it) so the request still runs through every plugin, the audit log included, and is
   * refused by `authenticationPlugin`.
   */
  authError?: GraphQLError;
  /** `X-Access-Purpose`: the declared purpose of the access (PIPL Art. 6). */
  purpose?: string;
  /** `X-Case-Number`: the case a court or authority is acting under. */
  caseNumber?: string;
}

const MAX_HEADER_TEXT = 200;
/** Nothing but whitespace, control and format (zero-width) characters: no value at all. */
const BLANK = /^[\s\p{Cc}\p{Cf}\p{Z}]*$/u;

function headerText(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) return undefined;
  if (value.length > MAX_HEADER_TEXT) {
    throw codedError(ErrorCode.BAD_USER_INPUT, `Header ${name} is longer than ${MAX_HEADER_TEXT} characters.`, { http: { status: 400 } });
  }
  // Headers arrive as latin1; clients send UTF-8 (Chinese purposes), percent-encoded or raw.
  const text = /%[0-9A-Fa-f]{2}/.test(value) ? safeDecode(value) : Buffer.from(value, 'latin1').toString('utf8');
  // Judged after decoding: `%20`, `%0A%09` or a zero-width space declare no purpose.
  return BLANK.test(text) ? undefined : text;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Creates the per-request identity resolver from the config (HS256 secret or JWKS). */
export function identityResolver(config: Config, knownScopes: ReadonlySet<string>): (headers: IncomingHttpHeaders) => Promise<Identity> {
  const verify = clientTokenVerifier({
    secret: config.JWT_SECRET,
    jwksUrl: config.JWT_JWKS_URL,
    jwksFile: config.JWT_JWKS_FILE,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    maxLifetimeSeconds: config.JWT_MAX_LIFETIME_SECONDS,
    clockSkewSeconds: config.JWT_CLOCK_SKEW_SECONDS,
    clientClaim: config.TRUSTED_OPERATIONS_CLIENT_CLAIM,
  });
  return async (headers) => {
    try {
      return await resolve(headers);
    } catch (err) {
      if (!(err instanceof Error && 'extensions' in err)) throw err;
      return { principal: ANONYMOUS, authError: err as GraphQLError };
    }
  };

  async function resolve(headers: IncomingHttpHeaders): Promise<Identity> {
    const purpose = headerText(headers, 'x-access-purpose');
    const caseNumber = headerText(headers, 'x-case-number');
    const authorization = headers.authorization;
    if (!authorization) return { principal: ANONYMOUS, purpose, caseNumber };
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) {
      throw codedError(ErrorCode.UNAUTHENTICATED, 'The Authorization header must be "Bearer <JWT>".', { http: { status: 401 } });
    }
    let principal: Principal;
    try {
      principal = await verify(match[1]);
    } catch (err) {
      if (err instanceof InvalidTokenError) throw codedError(ErrorCode.UNAUTHENTICATED, err.message, { http: { status: 401 } });
      throw err;
    }
    const unknown = principal.scopes.filter((s) => !knownScopes.has(s));
    if (unknown.length > 0) {
      throw codedError(ErrorCode.UNAUTHENTICATED, `The token carries unknown scope(s) ${unknown.join(', ')}; known scopes: ${[...knownScopes].join(', ')}.`, {
        http: { status: 401 },
      });
    }
    return { principal, purpose, caseNumber };
  }
}

/** Refuses a request whose credentials were refused (401), before anything is planned or fetched. */
export const authenticationPlugin: ApolloServerPlugin<Identity> = {
  async requestDidStart({ contextValue }) {
    if (!contextValue.authError) return;
    const error = contextValue.authError;
    return {
      async didResolveOperation() {
        throw error;
      },
    };
  },
};

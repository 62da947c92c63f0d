/**
 * Authentication: turns the request's `Authorization: Bearer <JWT>` and its legal-basis headers
 * (`X-Access-Purpose`, `X-Evidence`, `X-Case-Number`, `X-Access-Grant`) into the request's identity.
 * No token = anonymous; a bad or expired token = 401 UNAUTHENTICATED; an unknown purpose or a wrongly
 * formed piece of evidence = 400 BAD_USER_INPUT; a grant that is not this requester's, or expired or
 * revoked = 403 FORBIDDEN.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import type { Config } from '../../../lib/config';
import { codedError, ErrorCode } from '../../../lib/errors';
import { ANONYMOUS, clientTokenVerifier, InvalidTokenError, type Principal } from '../../../lib/tokens';
import { GRANT_ID, parseEvidence, type Catalogue, type Grant, type LegalBasis } from '../../../lib/legal-basis';

export interface Identity {
  principal: Principal;
  /**
   * Why the credentials were refused, if they were. Kept on the context (rather than thrown while
   * building it) so the request still runs through every plugin, the audit log included, and is
   * refused by `authenticationPlugin`.
   */
  authError?: GraphQLError;
  /** `X-Access-Purpose`: the declared purpose code of the access (PIPL Art. 6). */
  purpose?: string;
  /** The case number presented (`X-Case-Number`, or `case-number=` in `X-Evidence`). */
  caseNumber?: string;
  /** Category, purpose, evidence and approval: what the access rules decide on. */
  basis: LegalBasis;
}

/** Finds an approval by id (gateway/src/access); undefined when there is none. */
export type GrantLookup = (id: string) => Promise<Grant | undefined>;

/** Longest header value accepted as sent (percent-encoded Chinese takes nine characters a character). */
const MAX_HEADER_TEXT = 400;
const MAX_EVIDENCE_TEXT = 4000;
/** Nothing but whitespace, control and format (zero-width) characters: no value at all. */
const BLANK = /^[\s\p{Cc}\p{Cf}\p{Z}]*$/u;

function headerText(headers: IncomingHttpHeaders, name: string, max = MAX_HEADER_TEXT): string | undefined {
  const raw = headers[name];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) return undefined;
  if (value.length > max) {
    throw codedError(ErrorCode.BAD_USER_INPUT, `Header ${name} is longer than ${max} characters.`, { http: { status: 400 } });
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

const NO_BASIS: LegalBasis = Object.freeze({ evidence: [] }) as LegalBasis;

const forbidden = (message: string) => codedError(ErrorCode.FORBIDDEN, message, { http: { status: 403 } });

/** Why `grant` cannot serve this request, if it cannot. */
function grantProblem(grant: Grant | undefined, id: string, principal: Principal, purpose: string | undefined): string | undefined {
  if (!grant) return `There is no access grant ${id}.`;
  if (grant.status === 'revoked') return `The access grant ${id} was revoked.`;
  if (grant.status === 'expired' || Date.parse(grant.expiresAt) <= Date.now()) return `The access grant ${id} expired at ${grant.expiresAt}.`;
  if (grant.requester !== principal.sub) return `The access grant ${id} was given to another requester.`;
  if (grant.purpose !== purpose) return `The access grant ${id} is for the purpose ${grant.purpose}; declare it in X-Access-Purpose.`;
  return undefined;
}

/**
 * Creates the per-request identity resolver from the config (HS256 secret or JWKS). Scopes the
 * gateway does not know (`openid profile email` from an identity provider) are dropped, never refused.
 */
export function identityResolver(config: Config, knownScopes: ReadonlySet<string>, options: { catalogue: Catalogue; findGrant?: GrantLookup }): (headers: IncomingHttpHeaders) => Promise<Identity> {
  const { catalogue, findGrant } = options;
  const verify = clientTokenVerifier({
    secret: config.JWT_SECRET,
    jwksUrl: config.JWT_JWKS_URL,
    jwksFile: config.JWT_JWKS_FILE,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    maxLifetimeSeconds: config.JWT_MAX_LIFETIME_SECONDS,
    clockSkewSeconds: config.JWT_CLOCK_SKEW_SECONDS,
    clientClaim: config.TRUSTED_OPERATIONS_CLIENT_CLAIM,
    scopeClaims: config.JWT_SCOPE_CLAIMS,
    categoryClaim: config.JWT_CATEGORY_CLAIM,
    rolesClaim: config.JWT_ROLES_CLAIM,
    categoryMap: config.JWT_CATEGORY_MAP,
  });
  return async (headers) => {
    try {
      return await resolve(headers);
    } catch (err) {
      if (!(err instanceof Error && 'extensions' in err)) throw err;
      return { principal: ANONYMOUS, basis: NO_BASIS, authError: err as GraphQLError };
    }
  };

  /** The declared purpose, evidence and approval, each checked. */
  async function legalBasis(headers: IncomingHttpHeaders, principal: Principal): Promise<Pick<Identity, 'purpose' | 'caseNumber' | 'basis'>> {
    const purpose = headerText(headers, 'x-access-purpose');
    if (purpose !== undefined && !catalogue.purposes.has(purpose)) {
      throw codedError(ErrorCode.BAD_USER_INPUT, `Unknown purpose "${purpose}" in X-Access-Purpose; one of: ${[...catalogue.purposes.keys()].join(', ')} (query accessPurposes for what each releases).`, { http: { status: 400 } });
    }
    const evidence = parseEvidence(catalogue, headerText(headers, 'x-evidence', MAX_EVIDENCE_TEXT), headerText(headers, 'x-case-number'));
    const caseNumber = evidence.find((e) => e.kind === 'case-number')?.reference;
    const grantId = headerText(headers, 'x-access-grant');
    let grant: Grant | undefined;
    if (grantId !== undefined) {
      if (!GRANT_ID.test(grantId)) throw codedError(ErrorCode.BAD_USER_INPUT, `X-Access-Grant "${grantId}" is not a grant id (G- and 26 characters, as requestAccess returns).`, { http: { status: 400 } });
      if (!findGrant) throw forbidden('Access grants are not available on this gateway.');
      grant = await findGrant(grantId);
      const problem = grantProblem(grant, grantId, principal, purpose);
      if (problem) throw forbidden(problem);
    }
    return { purpose, caseNumber, basis: { category: principal.category, purpose, evidence, grant } };
  }

  async function resolve(headers: IncomingHttpHeaders): Promise<Identity> {
    const authorization = headers.authorization;
    if (!authorization) return { principal: ANONYMOUS, ...(await legalBasis(headers, ANONYMOUS)) };
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
    principal = { ...principal, scopes: principal.scopes.filter((s) => knownScopes.has(s)) };
    return { principal, ...(await legalBasis(headers, principal)) };
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

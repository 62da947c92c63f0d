/**
 * Identity tokens. Client JWTs (Authorization: Bearer) carry `sub`, `name`, `org`, scopes (`scope`
 * space-separated or `scp` as an array, by configuration) and the requester category (claim
 * `category`, or identity-provider roles mapped to one); the gateway turns one into a `Principal`. Internal tokens are what the
 * gateway signs for each subgraph request: short-lived, audience = the subgraph's name, carrying
 * the principal and the declared purpose, so subgraphs trust nobody but the gateway.
 */
import { readFileSync } from 'node:fs';
import { isCategory, type Category } from './legal-basis/catalogue';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, SignJWT, errors as joseErrors, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { BoundedMap } from './bounded-map';

/** Who is calling. `authenticated: false` is the anonymous caller (no Authorization header). */
export interface Principal {
  authenticated: boolean;
  sub: string;
  name?: string;
  org?: string;
  /** The requester category (court, lawyer, citizen…; lib/legal-basis), which the access rules decide on. */
  category?: Category;
  /** The client system, from the claim named by `clientClaim` (TRUSTED_OPERATIONS_CLIENT_CLAIM). */
  client?: string;
  scopes: string[];
}

export const ANONYMOUS: Principal = Object.freeze({ authenticated: false, sub: 'anonymous', scopes: [] }) as Principal;

/** The principal plus what the request declared, as subgraphs receive it. */
export interface InternalClaims {
  principal: Principal;
  /** The declared purpose code. */
  purpose?: string;
  caseNumber?: string;
  /** Evidence kinds presented (each checked against its form by the gateway). */
  evidence?: string[];
  /** The approval the request presented: the fields and subjects it covers. */
  grant?: { id: string; fields: string[]; subjects: string[] };
}

const INTERNAL_ISSUER = 'archive-federation-gateway';
const encoder = new TextEncoder();

export interface ClientTokenVerifierOptions {
  secret?: string;
  jwksUrl?: string;
  jwksFile?: string;
  issuer: string;
  audience: string;
  /** Longest lifetime accepted: `exp` - `iat`, and `exp` - now (so a token without `iat` is bounded too). */
  maxLifetimeSeconds: number;
  /** Tolerated clock difference for `nbf` and `iat` in the future (an issuer's clock a little ahead); `exp` is held to this clock. */
  clockSkewSeconds: number;
  /** Claim naming the client system (`Principal.client`); unset = none is read. */
  clientClaim?: string;
  /** Claims holding scopes (a space-separated string or an array). @default ['scope', 'scp'] */
  scopeClaims?: readonly string[];
  /** Claim holding the category or a value `categoryMap` maps to one. @default category */
  categoryClaim?: string;
  /** Claim holding identity-provider roles that `categoryMap` maps to a category. */
  rolesClaim?: string;
  /** Claim or role value → category. */
  categoryMap?: Readonly<Record<string, string>>;
}

/** The value at a dot path of the payload (`realm_access.roles`); a claim named with dots wins. */
function claimAt(payload: Record<string, unknown>, claim: string): unknown {
  if (claim in payload) return payload[claim];
  return claim.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), payload);
}

const strings = (value: unknown): string[] =>
  typeof value === 'string' ? value.split(/\s+/).filter(Boolean) : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/** The category a token states: its category claim's value, or the first claim/role value the map turns into one. */
function categoryOf(payload: Record<string, unknown>, options: ClientTokenVerifierOptions): Category | undefined {
  const values = [...strings(claimAt(payload, options.categoryClaim ?? 'category')), ...(options.rolesClaim ? strings(claimAt(payload, options.rolesClaim)) : [])];
  for (const v of values) {
    const category = options.categoryMap?.[v] ?? v;
    if (isCategory(category)) return category;
  }
  return undefined;
}

/** Thrown for a token that is malformed, expired, wrongly signed or for another audience. */
export class InvalidTokenError extends Error {}

/**
 * Values by token (or by claims) until a moment, at most `max` of them (the oldest goes first).
 * Signing, verifying or decoding a JWT costs far more than a lookup, and the same caller sends the
 * same token request after request.
 */
export class TokenMemo<T> {
  private readonly entries: BoundedMap<string, { value: T; until: number }>;

  constructor(max = 10_000) {
    this.entries = new BoundedMap(max);
  }

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until > Date.now()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: T, until: number): void {
    this.entries.set(key, { value, until });
  }
}

/** How long a verification is remembered at most (within the token's own expiry): a key dropped from a JWKS stops counting by then. */
const VERIFIED_TOKEN_MS = 5 * 60_000;

/**
 * Builds the client-token verifier: HS256 with a secret, or RS256/ES256 against a JWKS. A client
 * sends the same token with every request, so a verified one is remembered by its exact text (at
 * most VERIFIED_TOKEN_MS); its times are checked again on every use, so it still expires on time.
 * Only tokens that verified are remembered.
 */
export function clientTokenVerifier(options: ClientTokenVerifierOptions): (token: string) => Promise<Principal> {
  const key: Uint8Array | JWTVerifyGetKey = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl))
    : options.jwksFile
      ? createLocalJWKSet(JSON.parse(readFileSync(options.jwksFile, 'utf8')))
      : encoder.encode(options.secret);
  const algorithms = options.jwksUrl || options.jwksFile ? ['RS256', 'ES256', 'EdDSA'] : ['HS256'];
  const verified = new TokenMemo<{ principal: Principal; exp: number; iat: number | undefined }>();
  return async (token) => {
    const known = verified.get(token);
    if (known) {
      const lifetimeProblem = tokenLifetimeProblem(known.exp, known.iat, options);
      if (!lifetimeProblem) return known.principal;
      throw new InvalidTokenError(lifetimeProblem);
    }
    try {
      const { payload } = await jwtVerify(token, key as Uint8Array, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms,
        requiredClaims: ['sub', 'exp'],
        clockTolerance: options.clockSkewSeconds,
      });
      const lifetimeProblem = tokenLifetimeProblem(payload.exp!, payload.iat, options);
      if (lifetimeProblem) throw new InvalidTokenError(lifetimeProblem);
      const principal: Principal = Object.freeze({
        authenticated: true,
        sub: payload.sub!,
        name: typeof payload.name === 'string' ? payload.name : undefined,
        org: typeof payload.org === 'string' ? payload.org : undefined,
        category: categoryOf(payload, options),
        client: options.clientClaim && typeof payload[options.clientClaim] === 'string' ? (payload[options.clientClaim] as string) : undefined,
        scopes: Object.freeze([...new Set((options.scopeClaims ?? ['scope', 'scp']).flatMap((c) => strings(claimAt(payload, c))))]) as string[],
      });
      verified.set(token, { principal, exp: payload.exp!, iat: payload.iat }, Math.min(payload.exp! * 1000, Date.now() + VERIFIED_TOKEN_MS));
      return principal;
    } catch (err) {
      if (err instanceof InvalidTokenError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new InvalidTokenError('The token has expired; get a new one.');
      throw new InvalidTokenError(`The token is not valid: ${(err as Error).message}`);
    }
  };
}

/**
 * Why a token's times are refused: expired, issued in the future (beyond the skew), or living
 * longer than the configured maximum. jose checks `exp` and `nbf` but accepts any `iat` and any lifetime, so a
 * token signed to expire in 900 years would otherwise stay good for 900 years.
 */
function tokenLifetimeProblem(exp: number, iat: number | undefined, options: Pick<ClientTokenVerifierOptions, 'maxLifetimeSeconds' | 'clockSkewSeconds'>): string | undefined {
  const now = Math.floor(Date.now() / 1000);
  const { maxLifetimeSeconds: max, clockSkewSeconds: skew } = options;
  // jose stretched `exp` by the tolerance too; a token is not used past its own expiry.
  if (exp <= now) return 'The token has expired; get a new one.';
  if (typeof iat === 'number' && iat > now + skew) return `The token is not valid: it is issued in the future (iat ${iat - now} s from now, more than the ${skew} s tolerated).`;
  const lifetime = typeof iat === 'number' ? exp - iat : 0;
  if (lifetime > max || exp - now > max + skew) {
    return `The token is not valid: its lifetime exceeds the ${max} s accepted (JWT_MAX_LIFETIME_SECONDS); get a shorter-lived token.`;
  }
  return undefined;
}

/** Signs a local HS256 client token (`npm run token`, tests). */
export function signClientToken(
  claims: { sub: string; name?: string; org?: string; scopes: string[]; category?: string; extra?: Record<string, string> },
  options: { secret: string; issuer: string; audience: string; ttl: string | number },
): Promise<string> {
  return new SignJWT({ ...claims.extra, name: claims.name, org: claims.org, category: claims.category, scope: claims.scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(typeof options.ttl === 'number' ? Math.floor(Date.now() / 1000) + options.ttl : options.ttl)
    .sign(encoder.encode(options.secret));
}

/** Signs an internal token for a subgraph (`audience`), valid `ttlSeconds`. */
export function signInternalToken(claims: InternalClaims, audience: string, secret: string, ttlSeconds: number): Promise<string> {
  return new SignJWT({ p: claims.principal, pur: claims.purpose, cn: claims.caseNumber, ev: claims.evidence, gr: claims.grant })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(INTERNAL_ISSUER)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(encoder.encode(secret));
}

/**
 * The gateway's internal-token signer: one token per subgraph and set of claims, reused for half its
 * lifetime, so a subgraph receives it with at least `ttlSeconds / 2` to run and verifies it once
 * (`internalTokenVerifier`). The claims are the caller's legal facts, never per request.
 */
export function internalTokenSigner(secret: string, ttlSeconds: number): (claims: InternalClaims, audience: string) => Promise<string> {
  const memo = new TokenMemo<Promise<string>>();
  return (claims, audience) => {
    const key = `${audience}\u0000${JSON.stringify(claims)}`;
    let token = memo.get(key);
    if (!token) {
      token = signInternalToken(claims, audience, secret, ttlSeconds);
      memo.set(key, token, Date.now() + (ttlSeconds * 1000) / 2);
    }
    return token;
  };
}

/** The claims of an internal token's payload; throws when it carries no principal. */
function internalClaimsOf(payload: JWTPayload): InternalClaims {
  const p = payload.p as Principal;
  if (!p || typeof p.sub !== 'string' || !Array.isArray(p.scopes)) throw new Error('no principal');
  return {
    principal: p,
    purpose: payload.pur as string | undefined,
    caseNumber: payload.cn as string | undefined,
    evidence: payload.ev as string[] | undefined,
    grant: payload.gr as InternalClaims['grant'],
  };
}

/** Verifies an internal token for `audience`; throws InvalidTokenError otherwise. */
export async function verifyInternalToken(token: string, audience: string, secret: string): Promise<InternalClaims> {
  return (await verifiedInternalToken(token, audience, secret)).claims;
}

async function verifiedInternalToken(token: string, audience: string, secret: string): Promise<{ claims: InternalClaims; exp: number }> {
  try {
    const { payload } = await jwtVerify(token, encoder.encode(secret), { issuer: INTERNAL_ISSUER, audience, algorithms: ['HS256'], requiredClaims: ['exp'] });
    return { claims: internalClaimsOf(payload), exp: payload.exp! };
  } catch (err) {
    throw new InvalidTokenError(`Invalid internal token: ${(err as Error).message}`);
  }
}

/**
 * A subgraph's verifier of the gateway's tokens: a token that verified is remembered, with its
 * claims (frozen: every request holding it shares them), until it expires; anything else is
 * verified in full, and a failure is never remembered.
 */
export function internalTokenVerifier(audience: string, secret: string): (token: string) => Promise<InternalClaims> {
  const memo = new TokenMemo<InternalClaims>();
  return async (token) => {
    const known = memo.get(token);
    if (known) return known;
    const { claims, exp } = await verifiedInternalToken(token, audience, secret);
    deepFreeze(claims);
    memo.set(token, claims, exp * 1000);
    return claims;
  };
}

function deepFreeze(value: unknown): void {
  if (!value || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}

/**
 * The claims of an internal token this gateway signed, read without checking its signature (the
 * gateway telling its own subgraph calls apart, gateway/src/fetch/in-flight.ts); undefined for
 * anything else. Never trust a token received this way.
 */
export function readOwnInternalToken(token: string): InternalClaims | undefined {
  try {
    const payload = decodeJwt(token);
    return payload.iss === INTERNAL_ISSUER ? internalClaimsOf(payload) : undefined;
  } catch {
    return undefined;
  }
}

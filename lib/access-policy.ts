/**
 * What the access-control directives (`@authenticated`, `@requiresScopes`, `@policy`) require and
 * how a caller is judged against them. Shared by the gateway, which prunes each operation with it
 * before planning, and the subgraphs, which check the claims of the gateway's internal token with
 * the same rules on every field they serve (defence in depth: a gateway bug alone leaks nothing).
 */
import type { InternalClaims } from './tokens';
import { evidenceKinds, loadAccessPolicy, type AccessPolicy, type LegalBasis, type LegalFacts } from './legal-basis';

/** What one schema element (a type or a `Type.field`) requires of the caller. */
export interface Requirement {
  /** `@authenticated`: the caller must be authenticated. */
  authenticated: boolean;
  /** `@requiresScopes`: OR of ANDs, e.g. `[["a","b"],["c"]]` = (a AND b) OR c. Empty = no scope needed. */
  scopes: string[][];
  /** `@policy`: same shape as `scopes`, each name decided by a policy check. */
  policies: string[][];
}

/** Who is asking, as far as the directives care. */
export interface Principal {
  authenticated: boolean;
  /** Scope tokens, compared by exact, case-sensitive string match. */
  scopes: ReadonlySet<string>;
}

/** `(a AND b) OR c` over `groups`; no groups = no requirement. */
function anyGroup(groups: string[][], has: (token: string) => boolean): boolean {
  return groups.length === 0 || groups.some((group) => group.every(has));
}

/** Whether `principal` meets `req` (undefined = open). */
export function isSatisfied(req: Requirement | undefined, principal: Principal, policyCheck: (name: string) => boolean): boolean {
  if (!req) return true;
  if (req.authenticated && !principal.authenticated) return false;
  return anyGroup(req.scopes, (s) => principal.scopes.has(s)) && anyGroup(req.policies, policyCheck);
}

/** What a policy is decided on: the principal and what the request declared (the internal token's claims). */
export type PolicyFacts = Pick<InternalClaims, 'principal' | 'purpose' | 'evidence' | 'grant'>;

/** What the rules are asked, from a request's principal and its declared legal basis. */
export function policyFacts(principal: InternalClaims['principal'], basis: LegalBasis): PolicyFacts {
  return {
    principal,
    purpose: basis.purpose,
    evidence: evidenceKinds(basis.evidence),
    grant: basis.grant && { id: basis.grant.id, fields: basis.grant.fields, subjects: basis.grant.subjects },
  };
}

/** The one `@policy` name this project implements: the access rules of policies/ decide the field. */
export const LEGAL_BASIS = 'legal_basis';

/** The engine's view of `facts`. */
export const legalFacts = (facts: PolicyFacts): LegalFacts => ({
  category: facts.principal.category,
  organisation: facts.principal.org,
  purpose: facts.purpose,
  evidence: facts.evidence ?? [],
  grant: facts.grant,
});

/** Decides one `@policy` name on one coordinate for `facts`; unknown names are refused (fail closed). */
export const policyCheck = (policy: AccessPolicy, facts: PolicyFacts) => {
  const engineFacts = legalFacts(facts);
  return (name: string, coordinate: string): boolean => name === LEGAL_BASIS && policy.decide(engineFacts, coordinate).allowed;
};

const loaded = new Map<string, AccessPolicy>();

/** The access rules of `dir`, loaded and validated once per process. */
export function accessPolicyOf(dir: string): AccessPolicy {
  let policy = loaded.get(dir);
  if (!policy) loaded.set(dir, (policy = loadAccessPolicy(dir)));
  return policy;
}

/** Whether the caller is a citizen reading as themselves (category citizen, or the `self` scope). */
export const isCitizen = (principal: Pick<InternalClaims['principal'], 'scopes' | 'category'>): boolean =>
  principal.category === 'citizen' || principal.scopes.includes('self');

/**
 * The persons whose records the caller may see (the row-level rule), or undefined when the rules
 * leave the rows open: a citizen sees records about themselves, an approval (grant) the records
 * about the subjects it names, an agent only what an approval names.
 */
export function permittedSubjects(facts: Pick<InternalClaims, 'principal' | 'grant'>): ReadonlySet<string> | undefined {
  const own = isCitizen(facts.principal);
  if (!own && !facts.grant && facts.principal.category !== 'agent') return undefined;
  return new Set([...(own ? [facts.principal.sub] : []), ...(facts.grant?.subjects ?? [])]);
}

/**
 * What the access-control directives (`@authenticated`, `@requiresScopes`, `@policy`) require and
 * how a caller is judged against them. Shared by the gateway, which prunes each operation with it
 * before planning, and the subgraphs, which check the claims of the gateway's internal token with
 * the same rules on every field they serve (defence in depth: a gateway bug alone leaks nothing).
 */
import type { InternalClaims } from './tokens';

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
export type PolicyFacts = Pick<InternalClaims, 'principal' | 'purpose' | 'caseNumber'>;

/** The `@policy` names this project implements. An unknown name is never satisfied (fail closed). */
export const POLICIES: Record<string, (facts: PolicyFacts) => boolean> = {
  /** An `X-Access-Purpose` header states why the records are read (PIPL Art. 6). */
  purpose_declared: (facts) => Boolean(facts.purpose),
  /** An `X-Case-Number` names the case; a citizen reading their own records (scope self) needs none. */
  case_number: (facts) => Boolean(facts.caseNumber) || facts.principal.scopes.includes('self'),
};

/** Decides one `@policy` name for `facts`; unknown names are refused. */
export const policyCheck = (facts: PolicyFacts) => (name: string): boolean => POLICIES[name]?.(facts) ?? false;

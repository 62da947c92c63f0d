/**
 * Which limits apply to a request. The defaults: RATE_LIMIT_REQUESTS_PER_MINUTE per subject (token
 * `sub`; anonymous callers per address) and RATE_LIMIT_SUBJECTS_PER_DAY per organisation. A
 * RATE_LIMIT_RULES entry matching the request replaces the default of the limit it sets.
 *
 * A rule matches when every field it gives equals the request's (`"*"`: any value, but present).
 * Requests matching a rule share one counter; a `"*"` field splits it by that field's value, so
 * `{ "org": "*", "requestsPerMinute": 1000 }` gives every organisation its own 1,000 a minute.
 */
import type { RateLimitRule } from '../../../lib/config';

/** What rules match on, from the request's principal and client system. */
export interface Caller {
  sub?: string;
  org?: string;
  category?: string;
  client?: string;
  /** The anonymous caller's address (its counter instead of the shared `anonymous`). */
  address: string;
  authenticated: boolean;
}

/** A limit that applies to a request: its counter key and its maximum. */
export interface Limit {
  /** Named in the refusal's `extensions.limit`: `requestsPerMinute` or `subjectsPerDay`. */
  kind: 'requestsPerMinute' | 'subjectsPerDay';
  key: string;
  max: number;
}

const FIELDS = ['org', 'category', 'client', 'sub'] as const;
type Field = (typeof FIELDS)[number];
export type Rule = RateLimitRule;

function matches(rule: Rule, caller: Caller): boolean {
  return FIELDS.every((f) => rule[f] === undefined || (caller[f] !== undefined && (rule[f] === '*' || rule[f] === caller[f])));
}

/** A caller's value as a key part: encoded, so a value holding `:` or `=` (a client header) cannot mimic another key. */
const part = (value: string | undefined) => encodeURIComponent(value ?? '');

function ruleKey(index: number, rule: Rule, caller: Caller): string {
  const parts = FIELDS.filter((f: Field) => rule[f] === '*').map((f) => `${f}=${part(caller[f])}`);
  return [`rule${index}`, ...parts].join(':');
}

export interface Defaults {
  requestsPerMinute: number;
  subjectsPerDay: number;
}

/** The limits of one kind that apply to `caller`. */
export function limitsFor(kind: Limit['kind'], caller: Caller, rules: readonly Rule[], defaults: Defaults): Limit[] {
  const out: Limit[] = [];
  rules.forEach((rule, i) => {
    const max = rule[kind];
    if (max !== undefined && matches(rule, caller)) out.push({ kind, key: `${kind}:${ruleKey(i, rule, caller)}`, max });
  });
  if (out.length > 0 || defaults[kind] === 0) return out;
  const who = kind === 'requestsPerMinute' ? (caller.authenticated ? `sub=${part(caller.sub)}` : `address=${part(caller.address)}`) : caller.org ? `org=${part(caller.org)}` : `sub=${part(caller.sub)}`;
  return [{ kind, key: `${kind}:${who}`, max: defaults[kind] }];
}

/** Whether any limit is configured at all (else the plugin is not installed). */
export function anyLimit(rules: readonly Rule[], defaults: Defaults): boolean {
  return defaults.requestsPerMinute > 0 || defaults.subjectsPerDay > 0 || rules.some((r) => r.requestsPerMinute || r.subjectsPerDay);
}

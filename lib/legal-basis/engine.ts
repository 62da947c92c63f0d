/**
 * The access rules engine: decides, for a requester category, a declared purpose, the evidence
 * presented and an approval, whether one governed field (schema coordinate) is released, and if
 * not, why. The rules are Cedar policies (policies/rules.cedar) over the vocabulary of
 * policies/schema.cedarschema, validated against it when loaded; the minimum field set of each
 * purpose comes from the catalogue (policies/purposes.yaml). Decisions are pure functions of their
 * inputs and are memoised, so a request pays the Cedar evaluation only for combinations not seen yet.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { DEFAULT_POLICY_DIR, loadCatalogue, type Catalogue } from './catalogue';

/** What a decision is made on. */
export interface LegalFacts {
  category?: string;
  organisation?: string;
  purpose?: string;
  /** Evidence kinds presented (checked against their forms already). */
  evidence: readonly string[];
  /** A valid approval for this requester and purpose: the fields it covers. */
  grant?: { id: string; fields: readonly string[] };
}

/** Why a field was withheld (`extensions.reason` of UNAUTHORIZED_FIELD_OR_TYPE). */
export type DenialReason =
  | 'PURPOSE_REQUIRED'
  | 'CATEGORY_REQUIRED'
  | 'PURPOSE_NOT_COVERED'
  | 'EVIDENCE_REQUIRED'
  | 'GRANT_REQUIRED'
  | 'LOOKUP_NOT_PERMITTED'
  | (string & {});

export interface Decision {
  allowed: boolean;
  /** The rules (`@id`s) that decided: the permitting ones, or the refusing forbid rules. */
  rules: string[];
  reason?: DenialReason;
  /** On EVIDENCE_REQUIRED: the kinds still missing. */
  missingEvidence?: string[];
  /** On a denial: purposes this category may declare that would release the field. */
  purposes?: string[];
}

/** A category that may declare a purpose, the evidence kinds it needs, and whether only with an approval. */
export interface PurposeUser {
  category: string;
  evidence: string[];
  grant: boolean;
}

export interface AccessPolicy {
  catalogue: Catalogue;
  /** Decides one coordinate (memoised). */
  decide(facts: LegalFacts, coordinate: string): Decision;
  /** For `accessPurposes`: which categories may use `purpose`, and with which evidence each. */
  usersOf(purpose: string): PurposeUser[];
}

const MAX_MEMO = 100_000;
let loaded = 0;

/**
 * Loads and validates the policy files of `dir`.
 * @throws when a file is missing, a rule does not parse or does not validate against the schema.
 */
export function loadAccessPolicy(dir: string = DEFAULT_POLICY_DIR): AccessPolicy {
  const catalogue = loadCatalogue(dir);
  const file = path.join(dir, 'rules.cedar');
  // Each rule keyed by its @id, so decisions and validation errors name the rule a reader knows.
  const { policies, reasons } = rulesById(readFileSync(file, 'utf8'), file);
  const schema = readFileSync(path.join(dir, 'schema.cedarschema'), 'utf8');
  const validation = cedar.validate({ schema, policies: { staticPolicies: policies }, validationSettings: { mode: 'strict' } });
  if (validation.type === 'failure') throw new Error(`${file}: ${validation.errors.map((e) => e.message).join('; ')}`);
  if (validation.validationErrors.length > 0) {
    throw new Error(`${file} does not fit schema.cedarschema: ${validation.validationErrors.map((e) => `${e.policyId}: ${e.error.message}`).join('; ')}`);
  }
  const setId = `archive-rules-${++loaded}`;
  const prepared = cedar.preparsePolicySet(setId, { staticPolicies: policies });
  if (prepared.type === 'failure') throw new Error(prepared.errors.map((e) => e.message).join('; '));
  const purposeParents = new Map<string, Array<{ type: string; id: string }>>();
  for (const [code, p] of catalogue.purposes) {
    for (const [department, coordinates] of Object.entries(p.fields)) {
      for (const c of coordinates) {
        const parents = purposeParents.get(c) ?? [{ type: 'Department', id: department }];
        parents.push({ type: 'Purpose', id: code });
        purposeParents.set(c, parents);
      }
    }
  }
  const allKinds = [...catalogue.evidence.keys()];

  function evaluate(facts: LegalFacts, coordinate: string): { allowed: boolean; policies: string[] } {
    const answer = cedar.statefulIsAuthorized({
      principal: { type: 'Requester', id: 'requester' },
      action: { type: 'Action', id: 'release' },
      resource: { type: 'Field', id: coordinate },
      context: {
        purpose: { __entity: { type: 'Purpose', id: facts.purpose ?? '' } },
        evidence: [...facts.evidence],
        grant: Boolean(facts.grant),
        grantFields: [...(facts.grant?.fields ?? [])],
      },
      preparsedPolicySetId: setId,
      entities: [
        { uid: { type: 'Requester', id: 'requester' }, attrs: { category: facts.category ?? '', organisation: facts.organisation ?? '' }, parents: [] },
        { uid: { type: 'Field', id: coordinate }, attrs: { coordinate }, parents: purposeParents.get(coordinate) ?? [] },
      ],
    });
    if (answer.type === 'failure') throw new Error(`Access rules failed on ${coordinate}: ${answer.errors.map((e) => e.message).join('; ')}`);
    const { decision, diagnostics } = answer.response;
    if (diagnostics.errors.length > 0) throw new Error(`Access rule ${diagnostics.errors[0].policyId} failed: ${diagnostics.errors[0].error.message}`);
    return { allowed: decision === 'allow', policies: diagnostics.reason };
  }

  const coveringPurposes = (coordinate: string) => (purposeParents.get(coordinate) ?? []).filter((p) => p.type === 'Purpose').map((p) => p.id);

  function decideUncached(facts: LegalFacts, coordinate: string): Decision {
    const first = evaluate(facts, coordinate);
    if (first.allowed) return { allowed: true, rules: first.policies };
    // A category may declare these purposes and be released the field with the right evidence.
    const purposes = () => {
      const usable = coveringPurposes(coordinate).filter((purpose) => evaluate({ ...facts, purpose, evidence: allKinds, grant: undefined }, coordinate).allowed);
      return usable.length ? usable : coveringPurposes(coordinate);
    };
    if (!facts.category) return { allowed: false, rules: [], reason: 'CATEGORY_REQUIRED', purposes: coveringPurposes(coordinate) };
    if (!facts.purpose) return { allowed: false, rules: [], reason: 'PURPOSE_REQUIRED', purposes: purposes() };
    const missingEvidence = () => {
      const needed = users(facts.purpose!).find((u) => u.category === facts.category)?.evidence ?? [];
      return needed.filter((k) => !facts.evidence.includes(k));
    };
    if (first.policies.length > 0) {
      const reason = reasons.get(first.policies[0]) ?? 'FORBIDDEN_BY_RULE';
      return { allowed: false, rules: first.policies, reason, purposes: purposes(), ...(reason === 'EVIDENCE_REQUIRED' ? { missingEvidence: missingEvidence() } : {}) };
    }
    // No rule permits: would more evidence do, or only the archive's approval?
    const withAll = { ...facts, evidence: [...new Set([...facts.evidence, ...allKinds])] };
    if (evaluate(withAll, coordinate).allowed) {
      return { allowed: false, rules: [], reason: 'EVIDENCE_REQUIRED', missingEvidence: missingEvidence(), purposes: purposes() };
    }
    return { allowed: false, rules: [], reason: 'GRANT_REQUIRED', purposes: purposes() };
  }

  const memo = new Map<string, Decision>();
  const usersMemo = new Map<string, PurposeUser[]>();
  return {
    catalogue,
    decide(facts, coordinate) {
      const evidence = [...facts.evidence].sort();
      const key = `${facts.category}\u0000${facts.organisation}\u0000${facts.purpose}\u0000${evidence.join(',')}\u0000${facts.grant ? `${facts.grant.id}:${facts.grant.fields.join(',')}` : ''}\u0000${coordinate}`;
      let decision = memo.get(key);
      if (!decision) {
        if (memo.size >= MAX_MEMO) memo.clear();
        memo.set(key, (decision = decideUncached({ ...facts, evidence }, coordinate)));
      }
      return decision;
    },
    usersOf: users,
  };

  function users(purpose: string): PurposeUser[] {
    let found = usersMemo.get(purpose);
    if (!found) usersMemo.set(purpose, (found = probeUsers(purpose)));
    return found;
  }

  /** Probes the rules with one field of the purpose: which categories it releases to, and what each must present. */
  function probeUsers(purpose: string): PurposeUser[] {
    const p = catalogue.purposes.get(purpose);
    if (!p) return [];
    const probe = Object.values(p.fields).flat()[0];
    return Object.keys(catalogue.categories).flatMap((category) => {
      const base = { category, purpose, evidence: allKinds };
      const approval = { id: 'probe', fields: [probe] };
      const direct = evaluate(base, probe).allowed;
      if (!direct && !evaluate({ ...base, grant: approval }, probe).allowed) return [];
      const grant = direct ? undefined : approval;
      const evidence = allKinds.filter((k) => !evaluate({ ...base, grant, evidence: allKinds.filter((e) => e !== k) }, probe).allowed);
      return [{ category, evidence, grant: !direct }];
    });
  }
}

/** The rules of `text` keyed by their `@id`, and the `@reason` of each rule that has one. */
function rulesById(text: string, file: string): { policies: Record<string, string>; reasons: Map<string, string> } {
  const parts = cedar.policySetTextToParts(text);
  if (parts.type === 'failure') throw new Error(`${file}: ${parts.errors.map((e) => e.message).join('; ')}`);
  const policies: Record<string, string> = {};
  const reasons = new Map<string, string>();
  for (const policy of parts.policies) {
    const json = cedar.policyToJson(policy);
    if (json.type === 'failure') throw new Error(`${file}: ${json.errors.map((e) => e.message).join('; ')}`);
    const { id, reason } = json.json.annotations ?? {};
    if (!id) throw new Error(`${file}: a rule has no @id annotation:\n${policy}`);
    if (policies[id]) throw new Error(`${file}: two rules have @id("${id}")`);
    policies[id] = policy;
    if (reason) reasons.set(id, reason);
  }
  return { policies, reasons };
}

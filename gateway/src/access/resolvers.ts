/**
 * The `access` subgraph's resolvers: the purpose catalogue, and requests for access from request
 * to grant to revocation. Who may call each field is in schema.graphql (the gateway prunes by
 * it); what needs the request's data (own requests, no self-approval, the `archive` category) is
 * checked here.
 */
import type { AccessPolicy, Evidence } from '../../../lib/legal-basis';
import { checkEvidence } from '../../../lib/legal-basis';
import { badInput, codedError, ErrorCode } from '../../../lib/errors';
import { idNumberProblem } from '../../../lib/id-number';
import type { Principal } from '../../../lib/tokens';
import { instant } from '../audit/api';
import { statusOf, type AccessRequestRecord, type AccessRequests, type RequestStatus } from './store';

/** The scope that approves, refuses and revokes; its holder must also be of the `archive` category. */
export const APPROVE_SCOPE = 'access:approve';
export const APPROVER_CATEGORY = 'archive';

const MAX_SUBJECTS = 100;
const MAX_EVIDENCE = 8;
const MAX_NOTE = 2000;
const MAX_LIST = 200;
const DAY_MS = 86_400_000;

export interface AccessResolverOptions {
  policy: AccessPolicy;
  requests: AccessRequests;
  /** Longest a grant may last (ACCESS_GRANT_MAX_DAYS). */
  maxDays: number;
}

interface Context {
  principal: Principal;
}

const isApprover = (p: Principal) => p.scopes.includes(APPROVE_SCOPE) && p.category === APPROVER_CATEGORY;

function requireApprover(p: Principal): void {
  if (isApprover(p)) return;
  throw codedError(ErrorCode.FORBIDDEN, `Deciding requests for access needs the scope ${APPROVE_SCOPE} and the requester category ${APPROVER_CATEGORY}; the token has category ${p.category ?? 'none'}.`);
}

/** A request as the API shows it. */
function shown(row: AccessRequestRecord) {
  const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());
  return {
    id: row.id,
    requestedAt: iso(row.requested_at),
    requester: row.requester,
    organisation: row.organisation,
    category: row.category,
    subjects: row.subjects,
    purpose: row.purpose,
    evidence: JSON.parse(row.evidence) as Evidence[],
    note: row.note,
    status: statusOf(row).toUpperCase(),
    fields: row.fields,
    approver: row.approver,
    decidedAt: iso(row.decided_at),
    refusalReason: row.refusal_reason,
    expiresAt: iso(row.expires_at),
    revokedBy: row.revoked_by,
    revokedAt: iso(row.revoked_at),
    revokeReason: row.revoke_reason,
  };
}

function text(name: string, value: string, max: number): string {
  const trimmed = value.trim();
  if (!trimmed) throw badInput(name, `${name} must say something: the approver and the register read it.`);
  if (trimmed.length > max) throw badInput(name, `${name} is longer than ${max} characters.`);
  return trimmed;
}

export function accessResolvers({ policy, requests, maxDays }: AccessResolverOptions) {
  const { catalogue } = policy;
  const fieldsOf = (code: string) => Object.values(catalogue.purposes.get(code)!.fields).flat();
  const purposesFor = (category: string) => [...catalogue.purposes.keys()].filter((code) => policy.usersOf(code).some((u) => u.category === category));

  /** The request `id`, or BAD_USER_INPUT when there is none. */
  async function existing(id: string): Promise<AccessRequestRecord> {
    const row = await requests.get(id);
    if (!row) throw badInput('id', `There is no request for access ${JSON.stringify(id)}.`);
    return row;
  }

  const notIn = (row: AccessRequestRecord, wanted: string) => badInput('id', `Request ${row.id} is ${statusOf(row)}, not ${wanted}.`);

  // Worked out once, now: asking the rules who may use each purpose takes a while.
  const purposes = [...catalogue.purposes.values()].map((p) => {
    const users = policy.usersOf(p.code);
    return {
      ...p,
      categories: users.map((u) => u.category),
      evidence: [...new Set(users.flatMap((u) => u.evidence))].sort(),
      fields: Object.values(p.fields).flat(),
      users,
      departments: Object.entries(p.fields).map(([department, fields]) => ({ department, fields })),
    };
  });

  return {
    Query: {
      accessPurposes: () => purposes,
      accessEvidenceKinds: () => [...catalogue.evidence.values()].map(({ kind, name, nameZh, example }) => ({ kind, name, nameZh, example })),
      accessCategories: () => Object.entries(catalogue.categories).map(([code, names]) => ({ code, ...names })),
      async accessRequests(_: unknown, args: { status?: string | null; first?: number | null }, { principal }: Context) {
        const first = args.first ?? 50;
        if (first < 1 || first > MAX_LIST) throw badInput('first', `first must be between 1 and ${MAX_LIST}, not ${first}.`);
        const status = args.status ? (args.status.toLowerCase() as RequestStatus) : undefined;
        const rows = await requests.list({ status, requester: isApprover(principal) ? undefined : principal.sub }, first);
        return rows.map(shown);
      },
      async accessRequest(_: unknown, { id }: { id: string }, { principal }: Context) {
        const row = await requests.get(id);
        return row && (row.requester === principal.sub || isApprover(principal)) ? shown(row) : null;
      },
    },
    Mutation: {
      async requestAccess(
        _: unknown,
        args: { subjects: string[]; purpose: string; evidence?: Array<{ kind: string; reference: string }> | null; note: string },
        { principal }: Context,
      ) {
        const category = principal.category;
        if (!category || !(category in catalogue.categories)) {
          throw codedError(ErrorCode.FORBIDDEN, `Requesting access needs a requester category in the token (one of ${Object.keys(catalogue.categories).join(', ')}); it has ${category ?? 'none'}.`);
        }
        if (!catalogue.purposes.has(args.purpose)) {
          throw badInput('purpose', `Unknown purpose ${JSON.stringify(args.purpose)}; one of: ${[...catalogue.purposes.keys()].join(', ')}.`);
        }
        const user = policy.usersOf(args.purpose).find((u) => u.category === category);
        if (!user) {
          throw badInput('purpose', `The rules let no ${category} use the purpose ${args.purpose}, with or without approval; purposes a ${category} may request: ${purposesFor(category).join(', ') || 'none'}.`);
        }
        if (args.subjects.length === 0 || args.subjects.length > MAX_SUBJECTS) {
          throw badInput('subjects', `subjects must name 1 to ${MAX_SUBJECTS} resident ID numbers, not ${args.subjects.length}.`);
        }
        const subjects = [...new Set(args.subjects.map((s) => s.trim().toUpperCase()))];
        for (const s of subjects) {
          const problem = idNumberProblem(s);
          if (problem) throw badInput('subjects', `subjects: ${JSON.stringify(s)} ${problem}.`);
        }
        const pieces = args.evidence ?? [];
        if (pieces.length > MAX_EVIDENCE) throw badInput('evidence', `evidence holds ${pieces.length} pieces; at most ${MAX_EVIDENCE}.`);
        const evidence = pieces.map((e) => {
          try {
            return checkEvidence(catalogue, e.kind, e.reference);
          } catch (err) {
            throw badInput('evidence', (err as Error).message);
          }
        });
        const missing = user.evidence.filter((k) => !evidence.some((e) => e.kind === k));
        if (missing.length > 0) {
          throw badInput('evidence', `The purpose ${args.purpose} needs, from a ${category}, the evidence: ${missing.map((k) => `${k} (e.g. ${catalogue.evidence.get(k)?.example})`).join(', ')}.`);
        }
        const note = text('note', args.note, MAX_NOTE);
        const row = await requests.create({ requester: principal.sub, organisation: principal.org ?? null, category, subjects, purpose: args.purpose, evidence, note });
        return shown(row);
      },

      async approveAccessRequest(_: unknown, args: { id: string; fields?: string[] | null; expiresAt?: string | null }, { principal }: Context) {
        requireApprover(principal);
        const row = await existing(args.id);
        if (row.requester === principal.sub) throw codedError(ErrorCode.FORBIDDEN, `Request ${row.id} is your own: another approver must decide it.`);
        if (row.status !== 'pending') throw notIn(row, 'pending');
        const allowed = fieldsOf(row.purpose);
        const fields = args.fields ? [...new Set(args.fields)] : allowed;
        const outside = fields.filter((f) => !allowed.includes(f));
        if (fields.length === 0) throw badInput('fields', 'fields must name at least one coordinate; omit it to grant the purpose\'s whole field set.');
        if (outside.length > 0) throw badInput('fields', `The purpose ${row.purpose} does not cover ${outside.join(', ')}; a grant may only narrow its field set: ${allowed.join(', ')}.`);
        const now = Date.now();
        const latest = new Date(now + maxDays * DAY_MS).toISOString();
        const expiresAt = instant('expiresAt', args.expiresAt) ?? latest;
        if (expiresAt <= new Date(now).toISOString()) throw badInput('expiresAt', `expiresAt ${expiresAt} is in the past.`);
        if (expiresAt > latest) throw badInput('expiresAt', `A grant lasts at most ${maxDays} days (ACCESS_GRANT_MAX_DAYS): expiresAt must be no later than ${latest}.`);
        const decided = await requests.decide(row.id, { approver: principal.sub, fields, expiresAt });
        if (!decided) throw notIn((await requests.get(row.id))!, 'pending');
        return shown(decided);
      },

      async refuseAccessRequest(_: unknown, args: { id: string; reason: string }, { principal }: Context) {
        requireApprover(principal);
        const reason = text('reason', args.reason, MAX_NOTE);
        const row = await existing(args.id);
        if (row.status !== 'pending') throw notIn(row, 'pending');
        const decided = await requests.decide(row.id, { approver: principal.sub, refusal: reason });
        if (!decided) throw notIn((await requests.get(row.id))!, 'pending');
        return shown(decided);
      },

      async revokeGrant(_: unknown, args: { id: string; reason: string }, { principal }: Context) {
        requireApprover(principal);
        const reason = text('reason', args.reason, MAX_NOTE);
        const row = await existing(args.id);
        if (row.status !== 'approved') throw notIn(row, 'approved');
        const revoked = await requests.revoke(row.id, principal.sub, reason);
        if (!revoked) throw notIn((await requests.get(row.id))!, 'approved');
        return shown(revoked);
      },
    },
  };
}

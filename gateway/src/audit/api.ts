/**
 * The auditors' GraphQL API (schema.graphql): search the log, read a record, check the chain. A
 * separate small schema served by its own ApolloServer at /audit/graphql, so the supergraph and
 * @apollo/gateway stay untouched; same identity resolver, and the same audit plugin records its
 * queries too.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLScalarType, Kind } from 'graphql';
import { sql } from 'kysely';
import { badInput, codedError, ErrorCode } from '../../../lib/errors';
import { idNumberProblem, normaliseIdNumber } from '../../../lib/id-number';
import type { AuditedContext } from './entry';
import { AUDIT_OUTCOMES, type AuditRecord } from './record';
import type { AuditStore, LazyAuditStore } from './store';
import { verifyStore } from './verify';

export const auditTypeDefs = readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8');

/** The scope that opens the audit log. */
export const AUDIT_SCOPE = 'audit:read';
/** Most items one page holds. */
export const MAX_PAGE = 100;

interface AuditFilter {
  subject?: string | null;
  actor?: string | null;
  org?: string | null;
  purpose?: string | null;
  category?: string | null;
  grant?: string | null;
  outcome?: string | null;
  from?: string | null;
  to?: string | null;
}

/** Refuses, before anything runs, callers without `audit:read`: 401 when anonymous, 403 otherwise. */
export const requireAuditScope: ApolloServerPlugin<AuditedContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue: { principal } }) {
        if (!principal.authenticated) {
          throw codedError(ErrorCode.UNAUTHENTICATED, 'The audit log needs a bearer token with the scope audit:read.', { http: { status: 401 } });
        }
        if (!principal.scopes.includes(AUDIT_SCOPE)) {
          throw codedError(ErrorCode.FORBIDDEN, `Reading the audit log needs the scope ${AUDIT_SCOPE}; the token has: ${principal.scopes.join(' ') || 'none'}.`, { http: { status: 403 } });
        }
      },
    };
  },
};

const SafeInt = new GraphQLScalarType({
  name: 'SafeInt',
  serialize: (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new TypeError(`SafeInt cannot represent ${String(v)}`);
    return n;
  },
  parseValue: (v) => {
    if (!Number.isSafeInteger(v)) throw new TypeError('SafeInt must be an integer up to 2^53 - 1');
    return v;
  },
  parseLiteral: (ast) => {
    const n = ast.kind === Kind.INT ? Number(ast.value) : NaN;
    if (!Number.isSafeInteger(n)) throw new TypeError('SafeInt must be an integer up to 2^53 - 1');
    return n;
  },
});

/** A date-time argument as ISO-8601 UTC, or BAD_USER_INPUT naming it. */
export function instant(name: string, value: string | null | undefined): string | undefined {
  if (value == null) return undefined;
  const t = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t)) throw badInput(name, `${name} must be an ISO-8601 date-time such as 2026-05-01T08:00:00Z, not ${JSON.stringify(value)}.`);
  return new Date(t).toISOString();
}

/** A [from, to) pair of date-time arguments, checked and normalised to UTC. */
export function timeRange(from?: string | null, to?: string | null, prefix = ''): { from?: string; to?: string } {
  const range = { from: instant(`${prefix}from`, from), to: instant(`${prefix}to`, to) };
  if (range.from && range.to && range.from >= range.to) throw badInput(`${prefix}to`, `${prefix}to must be later than ${prefix}from.`);
  return range;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

interface RecordRow {
  seq: number;
  body: string;
  prev_hash: string;
  hash: string;
}

/** A stored row as the API shows it: the hashed body, plus its place in the chain. */
export function toRecord(row: RecordRow) {
  const record = JSON.parse(row.body) as AuditRecord;
  return {
    ...record,
    seq: Number(row.seq),
    variables: record.variables === null ? null : JSON.stringify(record.variables),
    normalised: record.normalised ?? [],
    truncated: record.truncated ?? [],
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

async function search(store: AuditStore, filter: AuditFilter, first: number, after?: number) {
  const { from, to } = timeRange(filter.from, filter.to, 'filter.');
  let q = store.db.selectFrom('audit_record').select(['seq', 'body', 'prev_hash', 'hash']);
  // `@>` rather than `= ANY` so the GIN index on subjects is used.
  if (filter.subject) q = q.where(sql<boolean>`subjects @> ARRAY[${filter.subject}]::text[]`);
  if (filter.actor) q = q.where('sub', '=', filter.actor);
  if (filter.org) q = q.where('org', '=', filter.org);
  if (filter.purpose) q = q.where('purpose', 'ilike', `%${escapeLike(filter.purpose)}%`);
  if (filter.category) q = q.where('category', '=', filter.category);
  if (filter.grant) q = q.where('grant_id', '=', filter.grant);
  if (filter.outcome) q = q.where('outcome', '=', filter.outcome);
  if (from) q = q.where('time', '>=', from as never);
  if (to) q = q.where('time', '<', to as never);
  if (after !== undefined) q = q.where('seq', '<', after);
  const rows = await q.orderBy('seq', 'desc').limit(first + 1).execute();
  const page = rows.slice(0, first).map(toRecord);
  return {
    edges: page.map((node) => ({ cursor: String(node.seq), node })),
    pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? String(page[page.length - 1].seq) : null },
  };
}

/** The store, or AUDIT_UNAVAILABLE (503) while it is down. */
export function openAuditStoreOr503(lazy: Pick<LazyAuditStore, 'get'>): Promise<AuditStore> {
  return lazy.get().catch(() => {
    throw codedError(ErrorCode.AUDIT_UNAVAILABLE, 'The audit store is unreachable; try again shortly.', { http: { status: 503 } });
  });
}

/** Checks `first` (1..MAX_PAGE) and `after` (a seq-like cursor); returns them as numbers. */
export function pageArgs(first: number | null | undefined, after: string | null | undefined): { first: number; after?: number } {
  const n = first ?? 20;
  if (n < 1 || n > MAX_PAGE) throw badInput('first', `first must be between 1 and ${MAX_PAGE}, not ${n}.`);
  if (after != null && !/^\d{1,15}$/.test(after)) throw badInput('after', 'after must be a cursor returned as pageInfo.endCursor.');
  return { first: n, after: after == null ? undefined : Number(after) };
}

/** Resolvers over the lazily opened store; a store that is down is AUDIT_UNAVAILABLE. */
export function auditResolvers(lazy: LazyAuditStore) {
  const open = () => openAuditStoreOr503(lazy);
  return {
    SafeInt,
    Query: {
      async auditRecords(_: unknown, args: { filter?: AuditFilter | null; first?: number | null; after?: string | null }) {
        const filter = { ...args.filter, subject: args.filter?.subject ? normaliseIdNumber(args.filter.subject) : args.filter?.subject };
        const { first, after } = pageArgs(args.first, args.after);
        const problem = filter.subject ? idNumberProblem(filter.subject) : null;
        if (problem) throw badInput('filter.subject', `filter.subject ${problem}.`);
        if (filter.outcome && !AUDIT_OUTCOMES.includes(filter.outcome as never)) throw badInput('filter.outcome', 'unknown outcome');
        // PostgreSQL refuses NUL in a text parameter; stored records hold U+FFFD in its place.
        for (const key of ['actor', 'org', 'purpose', 'category', 'grant'] as const) {
          if (filter[key]?.includes('\u0000')) throw badInput(`filter.${key}`, `filter.${key} cannot contain NUL; records store U+FFFD in its place.`);
        }
        return search(await open(), filter, first, after);
      },
      async auditRecord(_: unknown, { id }: { id: string }) {
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw badInput('id', 'id must be a record id (a UUID).');
        const row = await (await open()).db.selectFrom('audit_record').select(['seq', 'body', 'prev_hash', 'hash']).where('id', '=', id).executeTakeFirst();
        return row ? toRecord(row) : null;
      },
      async auditChainStatus(_: unknown, args: { from?: string | null; to?: string | null }) {
        return verifyStore(await open(), timeRange(args.from, args.to));
      },
    },
  };
}

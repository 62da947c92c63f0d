/**
 * `myAccessHistory`: the audit records about the calling citizen, as they may see them. Reads the
 * audit store through its GIN index on `subjects`; what a record says about the person who made
 * the access (sub, name, address, token scopes) never leaves this file.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { sql } from 'kysely';
import { badInput, codedError, ErrorCode } from '../../../lib/errors';
import { idNumberProblem } from '../../../lib/id-number';
import { openAuditStoreOr503 } from '../audit/api';
import type { AuditedContext } from '../audit/entry';
import type { AuditRecord } from '../audit/record';
import type { LazyAuditStore } from '../audit/store';
import { departmentsOf, type CoordinateOwners } from '../audit/departments';
import { withheld, type AccessHistoryPolicy } from './policy';

/** The scope of a citizen reading their own records; their `sub` is their ID number. */
export const SELF_SCOPE = 'self';
const MAX_PAGE = 100;

/** Refuses, before anything runs, anyone but a citizen: 401 when anonymous, 403 otherwise. */
export const requireSelfCaller: ApolloServerPlugin<AuditedContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue: { principal } }) {
        if (!principal.authenticated) {
          throw codedError(ErrorCode.UNAUTHENTICATED, 'Your access history needs a bearer token with the scope self.', { http: { status: 401 } });
        }
        if (!principal.scopes.includes(SELF_SCOPE) || idNumberProblem(principal.sub) !== null) {
          throw codedError(ErrorCode.FORBIDDEN, 'Only a citizen (scope self, sub = their own resident ID number) has an access history here; auditors use /audit/graphql.', {
            http: { status: 403 },
          });
        }
      },
    };
  },
};

export interface AccessHistoryDeps {
  store: LazyAuditStore;
  policy: AccessHistoryPolicy;
  owners: CoordinateOwners;
  /** The clock the delays are measured against. @default () => new Date() */
  now?: () => Date;
}

/** What a citizen is shown of one record: the body, not the person in it. */
function toAccess(body: string) {
  const record = JSON.parse(body) as AuditRecord & { principal: { category?: unknown } };
  return {
    time: record.time,
    organisation: record.principal.org,
    // Another deployment's tokens may carry a category claim the record keeps; ours may not.
    category: typeof record.principal.category === 'string' ? record.principal.category : null,
    purpose: record.purpose,
    fields: record.fieldsReturned,
    fromCache: record.cacheHit,
    outcome: record.outcome,
  };
}

/** The resolvers of /me/graphql. */
export function accessHistoryResolvers({ store, policy, owners, now = () => new Date() }: AccessHistoryDeps) {
  return {
    Query: {
      async myAccessHistory(_: unknown, args: { first?: number | null; after?: string | null }, { principal }: AuditedContext) {
        const first = args.first ?? 20;
        if (first < 1 || first > MAX_PAGE) throw badInput('first', `first must be between 1 and ${MAX_PAGE}, not ${first}.`);
        if (args.after != null && !/^\d{1,15}$/.test(args.after)) throw badInput('after', 'after must be a cursor returned as pageInfo.endCursor.');
        const db = (await openAuditStoreOr503(store)).db;
        const id = principal.sub;
        let q = db
          .selectFrom('audit_record')
          .select(['seq', 'body'])
          // `@>` rather than `= ANY` so the GIN index on subjects is used.
          .where(sql<boolean>`subjects @> ARRAY[${id}]::text[]`)
          // The citizen's own requests are not accesses by others.
          .where('sub', '<>', id)
          .where(sql<boolean>`NOT ${withheld(policy, now())}`);
        if (args.after != null) q = q.where('seq', '<', Number(args.after));
        const rows = await q.orderBy('seq', 'desc').limit(first + 1).execute();
        const page = rows.slice(0, first);
        return {
          edges: page.map((row) => {
            const access = toAccess(row.body);
            return { cursor: String(row.seq), node: { ...access, departments: departmentsOf(owners, access.fields) } };
          }),
          pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? String(page[page.length - 1].seq) : null },
        };
      },
    },
  };
}

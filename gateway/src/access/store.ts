/**
 * Requests for access and the grants that approve them (查档申请 / 查档审批), kept in the audit
 * database beside the log, so every gateway replica honours the same grants. One row per request;
 * its id (`G-` + a ULID) is the grant id once approved. A grant past its expiry reads as
 * `expired`; nothing rewrites the row for that.
 */
import { randomBytes } from 'node:crypto';
import { sql, type ColumnType, type Kysely, type Migration, type Selectable } from 'kysely';
import type { Category, Evidence, Grant } from '../../../lib/legal-basis';

type Timestamp = ColumnType<Date, string, string>;

export type RequestStatus = 'pending' | 'approved' | 'refused' | 'revoked' | 'expired';
export const REQUEST_STATUSES: readonly RequestStatus[] = ['pending', 'approved', 'refused', 'revoked', 'expired'];

export interface AccessRequestRow {
  /** `G-` + 26 Crockford base-32 characters: the request's id and, once approved, the grant id. */
  id: string;
  requested_at: Timestamp;
  /** The requester's token `sub`, organisation and category when they asked. */
  requester: string;
  organisation: string | null;
  category: string;
  /** 18-character ID numbers. */
  subjects: string[];
  purpose: string;
  /** JSON: `[{ kind, reference }]`. */
  evidence: string;
  note: string;
  /** `pending`, `approved`, `refused` or `revoked` (expiry is read from `expires_at`). */
  status: string;
  /** Coordinates released; set on approval. */
  fields: string[] | null;
  approver: string | null;
  decided_at: Timestamp | null;
  /** Why it was refused. */
  refusal_reason: string | null;
  expires_at: Timestamp | null;
  revoked_by: string | null;
  revoked_at: Timestamp | null;
  revoke_reason: string | null;
}

export interface AccessDB {
  access_request: AccessRequestRow;
}

/** Registered as `004_access` among the audit store's migrations (gateway/src/audit/store.ts). */
export const accessMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('access_request')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
      .addColumn('requester', 'text', (c) => c.notNull())
      .addColumn('organisation', 'text')
      .addColumn('category', 'text', (c) => c.notNull())
      .addColumn('subjects', sql`text[]`, (c) => c.notNull())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('evidence', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('fields', sql`text[]`)
      .addColumn('approver', 'text')
      .addColumn('decided_at', 'timestamptz')
      .addColumn('refusal_reason', 'text')
      .addColumn('expires_at', 'timestamptz')
      .addColumn('revoked_by', 'text')
      .addColumn('revoked_at', 'timestamptz')
      .addColumn('revoke_reason', 'text')
      .execute();
    // Requesters list their own; approvers list by status.
    await db.schema.createIndex('access_request_requester').on('access_request').columns(['requester', 'requested_at']).execute();
    await db.schema.createIndex('access_request_status').on('access_request').columns(['status', 'requested_at']).execute();
  },
};

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A new grant id: `G-` + a ULID (48-bit millisecond time, 80 random bits), so ids sort by creation. */
export function newGrantId(now = Date.now()): string {
  let time = '';
  for (let t = now, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  const random = [...randomBytes(16)].map((b) => CROCKFORD[b % 32]).join('');
  return `G-${time}${random}`;
}

export type AccessRequestRecord = Selectable<AccessRequestRow>;

/** The status a row shows now: an approval past its expiry is `expired`. */
export function statusOf(row: Pick<AccessRequestRecord, 'status' | 'expires_at'>, now = Date.now()): RequestStatus {
  if (row.status === 'approved' && row.expires_at && new Date(row.expires_at).getTime() <= now) return 'expired';
  return row.status as RequestStatus;
}

/** The grant an approved (or since revoked or expired) request is; undefined for a pending or refused one. */
export function grantOf(row: AccessRequestRecord): Grant | undefined {
  const status = statusOf(row);
  if (status !== 'approved' && status !== 'revoked' && status !== 'expired') return undefined;
  return {
    id: row.id,
    requester: row.requester,
    ...(row.organisation === null ? {} : { organisation: row.organisation }),
    category: row.category as Category,
    purpose: row.purpose,
    subjects: row.subjects,
    fields: row.fields ?? [],
    evidence: JSON.parse(row.evidence) as Evidence[],
    approvedBy: row.approver!,
    expiresAt: new Date(row.expires_at!).toISOString(),
    status,
  };
}

/** Reads and changes requests in `db` (a database holding `access_request`: the audit store's). */
export class AccessRequests {
  constructor(private readonly db: () => Promise<Kysely<AccessDB>>) {}

  async create(request: {
    requester: string;
    organisation: string | null;
    category: string;
    subjects: string[];
    purpose: string;
    evidence: Evidence[];
    note: string;
  }): Promise<AccessRequestRecord> {
    const db = await this.db();
    return db
      .insertInto('access_request')
      .values({ id: newGrantId(), requested_at: new Date().toISOString(), ...request, evidence: JSON.stringify(request.evidence), status: 'pending' })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async get(id: string): Promise<AccessRequestRecord | undefined> {
    return (await this.db()).selectFrom('access_request').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Newest first; `requester` limits to one requester's; `status` as `statusOf` reads it. */
  async list(filter: { requester?: string; status?: RequestStatus }, limit: number): Promise<AccessRequestRecord[]> {
    let q = (await this.db()).selectFrom('access_request').selectAll();
    if (filter.requester) q = q.where('requester', '=', filter.requester);
    const now = new Date();
    if (filter.status === 'expired') q = q.where('status', '=', 'approved').where('expires_at', '<=', now);
    else if (filter.status === 'approved') q = q.where('status', '=', 'approved').where('expires_at', '>', now);
    else if (filter.status) q = q.where('status', '=', filter.status);
    return q.orderBy('requested_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  /** Approves or refuses a pending request; undefined when it is not pending (any more). */
  async decide(id: string, decision: { approver: string } & ({ fields: string[]; expiresAt: string } | { refusal: string })): Promise<AccessRequestRecord | undefined> {
    const set =
      'refusal' in decision
        ? { status: 'refused', refusal_reason: decision.refusal }
        : { status: 'approved', fields: decision.fields, expires_at: decision.expiresAt };
    return (await this.db())
      .updateTable('access_request')
      .set({ ...set, approver: decision.approver, decided_at: new Date().toISOString() })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst();
  }

  /** Revokes an approved grant (expired ones too, so the register says so); undefined when it is not approved. */
  async revoke(id: string, by: string, reason: string): Promise<AccessRequestRecord | undefined> {
    return (await this.db())
      .updateTable('access_request')
      .set({ status: 'revoked', revoked_by: by, revoked_at: new Date().toISOString(), revoke_reason: reason })
      .where('id', '=', id)
      .where('status', '=', 'approved')
      .returningAll()
      .executeTakeFirst();
  }
}

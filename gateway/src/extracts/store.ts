/**
 * Where issued extracts are kept: beside the audit log, in its database (every replica shares it),
 * append-only like the log. An extract row never changes once issued — a later correction of the
 * records changes the departments' stores, not this copy; a revocation is a row of its own.
 */
import { sql, type ColumnType, type Kysely, type Migration } from 'kysely';

type Timestamp = ColumnType<Date, string, never>;

export interface ExtractRow {
  /** The verification code printed on the extract (`K7QH-3M9P-X2TD-8W4R`). */
  code: string;
  year: number;
  /** Serial within the year, from 1. */
  serial: number;
  kind: string;
  /** The resident ID number the extract is about. */
  subject: string;
  issued_at: Timestamp;
  issuer_sub: string;
  issuer_org: string | null;
  purpose: string | null;
  /** The canonical JSON of what the extract shows (see content.ts): the signed statement's content. */
  content: string;
  /** The PDF exactly as issued. */
  pdf: ColumnType<Buffer, Buffer, never>;
  pdf_sha256: string;
  key_id: string;
  public_key: string;
  /** Base64 Ed25519 signature over the statement (content + PDF hash), see integrity.ts. */
  signature: string;
}

export interface ExtractRevocationRow {
  code: string;
  revoked_at: Timestamp;
  reason: string;
  revoked_by: string;
  revoked_by_org: string | null;
}

/** The last serial handed out in each year. */
export interface ExtractSerialRow {
  year: number;
  last: number;
}

export interface ExtractDB {
  extract: ExtractRow;
  extract_revocation: ExtractRevocationRow;
  extract_serial: ExtractSerialRow;
}

/** Registered as `004_extracts` (gateway/src/audit/store.ts); reuses the log's `audit_refuse_change` trigger function. */
export const extractsMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('extract')
      .addColumn('code', 'text', (c) => c.primaryKey())
      .addColumn('year', 'integer', (c) => c.notNull())
      .addColumn('serial', 'integer', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('issued_at', 'timestamptz', (c) => c.notNull())
      .addColumn('issuer_sub', 'text', (c) => c.notNull())
      .addColumn('issuer_org', 'text')
      .addColumn('purpose', 'text')
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('pdf', 'bytea', (c) => c.notNull())
      .addColumn('pdf_sha256', 'char(64)', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .addUniqueConstraint('extract_year_serial', ['year', 'serial'])
      .execute();
    await db.schema
      .createTable('extract_serial')
      .addColumn('year', 'integer', (c) => c.primaryKey())
      .addColumn('last', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('extract_pdf_sha256').on('extract').column('pdf_sha256').execute();
    await db.schema
      .createTable('extract_revocation')
      .addColumn('code', 'text', (c) => c.primaryKey().references('extract.code'))
      .addColumn('revoked_at', 'timestamptz', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('revoked_by', 'text', (c) => c.notNull())
      .addColumn('revoked_by_org', 'text')
      .execute();
    for (const table of ['extract', 'extract_revocation']) {
      await sql`CREATE TRIGGER ${sql.raw(`${table}_append_only`)} BEFORE UPDATE OR DELETE ON ${sql.table(table)} FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`.execute(db);
      await sql`CREATE TRIGGER ${sql.raw(`${table}_no_truncate`)} BEFORE TRUNCATE ON ${sql.table(table)} FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`.execute(db);
    }
    await sql`REVOKE UPDATE, DELETE, TRUNCATE ON extract, extract_revocation FROM PUBLIC`.execute(db);
  },
};

/**
 * The next serial of `year`, atomically (replicas never share one). Taken before the extract is
 * drawn, since the PDF prints it: an issue that fails afterwards leaves a gap in the year's serials.
 */
export async function nextSerial(db: Kysely<ExtractDB>, year: number): Promise<number> {
  const row = await db
    .insertInto('extract_serial')
    .values({ year, last: 1 })
    .onConflict((oc) => oc.column('year').doUpdateSet({ last: sql`extract_serial.last + 1` }))
    .returning('last')
    .executeTakeFirstOrThrow();
  return Number(row.last);
}

/** An extract and its revocation, if any. */
export async function findExtract(db: Kysely<ExtractDB>, where: { code: string } | { pdfSha256: string }) {
  const q = db.selectFrom('extract').leftJoin('extract_revocation as r', 'r.code', 'extract.code').selectAll('extract').select(['r.revoked_at', 'r.reason']);
  const row = await ('code' in where ? q.where('extract.code', '=', where.code) : q.where('extract.pdf_sha256', '=', where.pdfSha256)).executeTakeFirst();
  return row;
}

export type FoundExtract = NonNullable<Awaited<ReturnType<typeof findExtract>>>;

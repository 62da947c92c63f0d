/**
 * The audit store: PostgreSQL (`AUDIT_DB_URL`) or embedded PGlite under DATA_DIR. Two append-only
 * tables, `audit_record` (the chain) and `audit_checkpoint` (signed chain heads), guarded by a
 * trigger that refuses UPDATE, DELETE and TRUNCATE whoever asks.
 */
import { sql, type ColumnType, type Kysely, type Migration } from 'kysely';
import { dialectOf, openStore, type OpenStoreOptions, type Store } from '../../../lib/db';
import { invalidationLogMigration, type InvalidationLogDB } from '../cache/invalidation-log';
import { accessMigration, type AccessDB } from '../access/store';
import { insightMigration, ruleWindowsMigration, topMonthRollupMigration, topRanksMigration, topRollupMigration, type InsightDB } from './insight-store';
import { extractsMigration, type ExtractDB } from '../extracts/store';

/** Times go in as ISO strings and come back as `Date`s (pg and PGlite parse timestamptz). */
type Timestamp = ColumnType<Date, string, never>;

export interface AuditRecordRow {
  /** Position in the chain, 1-based, gap-free. */
  seq: number;
  id: string;
  time: Timestamp;
  sub: string;
  org: string | null;
  purpose: string | null;
  case_number: string | null;
  operation_name: string | null;
  outcome: string;
  subjects: string[];
  /** The requester category (the legal basis's, else the token's) and the grant id; null on records before 005_audit_basis. */
  category: string | null;
  grant_id: string | null;
  /** The canonical JSON that was hashed: the authoritative record. The columns above only index it. */
  body: string;
  prev_hash: string;
  hash: string;
}

export interface AuditCheckpointRow {
  /** The last record the checkpoint covers. */
  seq: number;
  /** That record's hash. */
  hash: string;
  /** When it was signed, exactly as signed (ISO-8601). */
  time: string;
  key_id: string;
  /** SPKI PEM of the Ed25519 key, so exports verify without access to the gateway. */
  public_key: string;
  /** Base64 Ed25519 signature over the checkpoint statement (see signing.ts). */
  signature: string;
}

/**
 * The log's tables, and beside them the cache's invalidation log, the rules' and overview's tables
 * (insight-store.ts), the issued certified extracts (../extracts/store.ts) and the requests for
 * access and their grants (../access/store.ts).
 */
export interface AuditDB extends InvalidationLogDB, InsightDB, ExtractDB, AccessDB {
  audit_record: AuditRecordRow;
  audit_checkpoint: AuditCheckpointRow;
}

export type AuditStore = Store<AuditDB>;

const appendOnly = (table: string) => [
  sql`CREATE TRIGGER ${sql.raw(`${table}_append_only`)} BEFORE UPDATE OR DELETE ON ${sql.table(table)} FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`,
  sql`CREATE TRIGGER ${sql.raw(`${table}_no_truncate`)} BEFORE TRUNCATE ON ${sql.table(table)} FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`,
];

const init: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('audit_record')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('id', 'uuid', (c) => c.notNull().unique())
      .addColumn('time', 'timestamptz', (c) => c.notNull())
      .addColumn('sub', 'text', (c) => c.notNull())
      .addColumn('org', 'text')
      .addColumn('purpose', 'text')
      .addColumn('case_number', 'text')
      .addColumn('operation_name', 'text')
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('subjects', sql`text[]`, (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'char(64)', (c) => c.notNull())
      .addColumn('hash', 'char(64)', (c) => c.notNull().unique())
      .execute();
    // Auditors search by time, actor, organisation and subject; results are paged by seq.
    await db.schema.createIndex('audit_record_time').on('audit_record').column('time').execute();
    await db.schema.createIndex('audit_record_sub').on('audit_record').columns(['sub', 'seq']).execute();
    await db.schema.createIndex('audit_record_org').on('audit_record').columns(['org', 'seq']).execute();
    await sql`CREATE INDEX audit_record_subjects ON audit_record USING gin (subjects)`.execute(db);
    await db.schema
      .createTable('audit_checkpoint')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('hash', 'char(64)', (c) => c.notNull())
      .addColumn('time', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .execute();
    // Append-only for every role, the owner and superusers included (they can disable the
    // trigger, which is why the chain and the signed checkpoints exist too).
    await sql`CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`.execute(db);
    for (const stmt of [...appendOnly('audit_record'), ...appendOnly('audit_checkpoint')]) await stmt.execute(db);
    // Nobody but the owner needs more than INSERT and SELECT; see README for the writer role.
    await sql`REVOKE UPDATE, DELETE, TRUNCATE ON audit_record, audit_checkpoint FROM PUBLIC`.execute(db);
  },
};

/**
 * Auditors search by the legal basis (category, grant). New columns, null on the records written
 * before: those have neither a `basis` nor a principal's category, so the columns still match
 * their bodies. Adding a column changes
 * no row, so the append-only trigger has nothing to refuse.
 */
const basisColumns: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('audit_record').addColumn('category', 'text').execute();
    await db.schema.alterTable('audit_record').addColumn('grant_id', 'text').execute();
    await db.schema.createIndex('audit_record_category').on('audit_record').columns(['category', 'seq']).execute();
    await db.schema.createIndex('audit_record_grant').on('audit_record').columns(['grant_id', 'seq']).execute();
  },
};

/**
 * Appends a batch to the chain in one statement, so one round trip commits it and the chain lock
 * is held only while the server inserts and commits, never while a client is away (a stalled
 * replica cannot hold it). `records` is a JSON array of the rows' index columns (indexColumns), `id`, and
 * `before_seq` / `after_seq`: the record's canonical JSON on either side of its seq (record.ts,
 * aroundSeq). Under the lock it reads the chain head, then numbers each record, completes its body
 * and hashes it as chainHash does (`sha256(prev_hash || body)` over UTF-8, hex). Returns the new
 * head and the last checkpoint, for the writer's checkpoint decision.
 */
const appendFunction: Migration = {
  async up(db: Kysely<any>) {
    await sql`CREATE FUNCTION audit_append(records json)
      RETURNS TABLE (head_seq bigint, head_hash text, checkpoint_seq bigint, checkpoint_time text)
      LANGUAGE plpgsql AS $$
      DECLARE
        at_seq bigint;
        at_hash text;
        record_body text;
        record_hash text;
        r record;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('archive-federation/audit-chain'));
        SELECT a.seq, a.hash INTO at_seq, at_hash FROM audit_record a ORDER BY a.seq DESC LIMIT 1;
        at_seq := coalesce(at_seq, 0);
        at_hash := coalesce(at_hash, repeat('0', 64));
        FOR r IN SELECT x.* FROM ROWS FROM (json_to_recordset(records) AS (
          id uuid, time timestamptz, sub text, org text, purpose text, case_number text, operation_name text, outcome text,
          subjects text[], category text, grant_id text, before_seq text, after_seq text)) WITH ORDINALITY AS x ORDER BY x.ordinality
        LOOP
          at_seq := at_seq + 1;
          record_body := r.before_seq || at_seq || r.after_seq;
          record_hash := encode(sha256(convert_to(at_hash || record_body, 'UTF8')), 'hex');
          INSERT INTO audit_record (seq, id, time, sub, org, purpose, case_number, operation_name, outcome, subjects, category, grant_id, body, prev_hash, hash)
          VALUES (at_seq, r.id, r.time, r.sub, r.org, r.purpose, r.case_number, r.operation_name, r.outcome, r.subjects, r.category, r.grant_id,
            record_body, at_hash, record_hash);
          at_hash := record_hash;
        END LOOP;
        RETURN QUERY SELECT at_seq, at_hash, c.seq, c.time FROM (SELECT 1) AS one
          LEFT JOIN LATERAL (SELECT k.seq, k.time FROM audit_checkpoint k ORDER BY k.seq DESC LIMIT 1) AS c ON true;
      END $$`.execute(db);
  },
};

// The cache's durable invalidation log lives here because every replica shares this database;
// so do the rules' findings, the overview's rollups, the issued extracts and the grants every replica honours.
export const auditMigrations: Record<string, Migration> = {
  '001_audit': init,
  '002_cache_invalidation': invalidationLogMigration,
  '003_insight': insightMigration,
  '004_extracts': extractsMigration,
  '005_access': accessMigration,
  '006_audit_basis': basisColumns,
  '007_audit_append': appendFunction,
  '008_audit_top': topRollupMigration,
  '009_audit_rule_windows': ruleWindowsMigration,
  '010_audit_top_month': topMonthRollupMigration,
  '011_audit_top_ranks': topRanksMigration,
};

/** How the audit store's connections behave: their timeouts and who hears of their errors. */
export type AuditConnectionOptions = Pick<OpenStoreOptions, 'timeouts' | 'onConnectionError'>;

/** Opens and migrates the audit store; a MySQL URL is refused (the chain needs PostgreSQL's advisory locks). */
export async function openAuditStore(url: string | undefined, dataDir: string, connection: AuditConnectionOptions = {}): Promise<AuditStore> {
  if (dialectOf(url) === 'mysql') throw new Error('AUDIT_DB_URL must be a postgres:// URL (or unset for the embedded store)');
  const open = () => openStore<AuditDB>({ name: 'audit', url, dataDir, migrations: auditMigrations, poolSize: 4, ...connection });
  try {
    return await open();
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    // Replicas starting together race to create the migration tables; PostgreSQL fails the loser
    // with a unique violation on its catalog. By now the winner has created them.
    if (code === '23505' || /duplicate key value/.test(message)) return open();
    throw err;
  }
}

/**
 * The store as the gateway holds it: opened on first use and reopened after a failure, so the
 * gateway starts (and answers 503 AUDIT_UNAVAILABLE, and /readyz says so) while the store is down.
 */
export class LazyAuditStore {
  private opening?: Promise<AuditStore>;
  private failedAt = 0;
  private lastError?: Error;
  private closed = false;

  /**
   * @param retryMs after a failed open, calls fail fast with the same error for this long, so a
   *   dead store is not hammered by every request.
   */
  constructor(
    private readonly url: string | undefined,
    private readonly dataDir: string,
    private readonly retryMs = 1000,
    private readonly connection: AuditConnectionOptions = {},
  ) {}

  get(): Promise<AuditStore> {
    if (this.closed) return Promise.reject(new Error('the audit store is closed'));
    if (this.opening) return this.opening;
    if (this.lastError && Date.now() - this.failedAt < this.retryMs) return Promise.reject(this.lastError);
    const opening = openAuditStore(this.url, this.dataDir, this.connection);
    this.opening = opening;
    opening.catch((err: Error) => {
      this.opening = undefined;
      this.lastError = err;
      this.failedAt = Date.now();
    });
    return opening;
  }

  /** True when the store answers a query now. */
  async reachable(): Promise<boolean> {
    try {
      const store = await this.get();
      await sql`SELECT 1`.execute(store.db);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const store = await this.opening?.catch(() => undefined);
    await store?.close();
  }
}

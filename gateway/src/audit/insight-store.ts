/**
 * The tables the rules and the overview keep beside the audit log. The log itself is never
 * changed: findings, the hourly rollup and the evaluator's position live in their own tables,
 * written by the evaluator (evaluator.ts) and, for acknowledgements, by the auditors' API.
 */
import { sql, type ColumnType, type Generated, type Kysely, type Migration } from 'kysely';

type Timestamp = ColumnType<Date, string, string>;

/** How far the evaluator has read the chain: one row per evaluator name. */
export interface InsightCursorRow {
  name: string;
  seq: number;
}

/**
 * Accesses per hour × organisation × purpose × department set × category. A record counts once, in
 * the row of the set of departments it returned data from (`marriage,real-estate`; `none`), so any
 * grouping but DEPARTMENT sums rows, and DEPARTMENT splits the set.
 */
export interface AuditRollupRow {
  hour: Timestamp;
  org: string;
  purpose: string;
  department: string;
  category: string;
  count: number;
  denied: number;
  cache_hits: number;
}

/** The same per UTC day (`hour` = the day's midnight): a year's overview reads 365 rows a key, not 8,760. */
export type AuditRollupDayRow = AuditRollupRow;

/** Requests per UTC day by requester (`kind` REQUESTER, `key` = sub) and by subject (SUBJECT, `key` = ID number), for the top lists. */
export interface AuditRollupTopRow {
  day: Timestamp;
  kind: 'REQUESTER' | 'SUBJECT';
  key: string;
  count: number;
  denied: number;
  cache_hits: number;
}

export interface AuditFindingRow {
  /** Paging order. */
  n: Generated<number>;
  id: string;
  rule: string;
  severity: string;
  /** What makes the finding one: `sub/day`, `case:number`. Unique per rule, so replicas and re-runs do not duplicate. */
  window_key: string;
  /** The first record's time. */
  time: Timestamp;
  sub: string;
  org: string | null;
  subjects: string[];
  record_seqs: ColumnType<number[], number[], number[]>;
  detail: string;
  acknowledged: ColumnType<boolean, boolean | undefined, boolean>;
  ack_note: string | null;
  ack_by: string | null;
  ack_time: Timestamp | null;
}

export interface InsightDB {
  audit_insight_cursor: InsightCursorRow;
  audit_rollup: AuditRollupRow;
  audit_rollup_day: AuditRollupDayRow;
  audit_rollup_top: AuditRollupTopRow;
  audit_finding: AuditFindingRow;
}

/** Registered as `003_insight` (gateway/src/audit/store.ts), after the log's own and the cache's invalidation log. */
export const insightMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('audit_insight_cursor')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .execute();
    for (const table of ['audit_rollup', 'audit_rollup_day']) {
      await db.schema
        .createTable(table)
        .addColumn('hour', 'timestamptz', (c) => c.notNull())
        .addColumn('org', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('department', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addColumn('denied', 'bigint', (c) => c.notNull())
        .addColumn('cache_hits', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, ['hour', 'org', 'purpose', 'department', 'category'])
        .execute();
    }
    await db.schema
      .createTable('audit_finding')
      .addColumn('n', 'bigserial', (c) => c.primaryKey())
      .addColumn('id', 'uuid', (c) => c.notNull().unique())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('window_key', 'text', (c) => c.notNull())
      .addColumn('time', 'timestamptz', (c) => c.notNull())
      .addColumn('sub', 'text', (c) => c.notNull())
      .addColumn('org', 'text')
      .addColumn('subjects', sql`text[]`, (c) => c.notNull())
      .addColumn('record_seqs', sql`bigint[]`, (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('acknowledged', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('ack_note', 'text')
      .addColumn('ack_by', 'text')
      .addColumn('ack_time', 'timestamptz')
      .addUniqueConstraint('audit_finding_window', ['rule', 'window_key'])
      .execute();
    await db.schema.createIndex('audit_finding_time').on('audit_finding').column('time').execute();
    // The case-reuse rule reads every record of a case number it sees again.
    await sql`CREATE INDEX audit_record_case_number ON audit_record (case_number) WHERE case_number IS NOT NULL`.execute(db);
  },
};

/**
 * Registered as `008_audit_top`: the per-day requester and subject rollup, filled at once from the
 * records the evaluator has already rolled up (one scan of the log, at upgrade); the evaluator
 * adds every later record (rollup.ts).
 */
export const topRollupMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('audit_rollup_top')
      .addColumn('day', 'timestamptz', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .addColumn('denied', 'bigint', (c) => c.notNull())
      .addColumn('cache_hits', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_rollup_top_pk', ['kind', 'day', 'key'])
      .execute();
    await sql`INSERT INTO audit_rollup_top (day, kind, key, count, denied, cache_hits)
      SELECT date_trunc('day', time, 'UTC'), kind, key, count(*), count(*) FILTER (WHERE outcome IN ('DENIED', 'UNAUTHENTICATED')),
        count(*) FILTER (WHERE (body::jsonb ->> 'cacheHit')::boolean)
      FROM (SELECT r.time, r.outcome, r.body, k.kind, k.key FROM audit_record r
        CROSS JOIN LATERAL (SELECT 'REQUESTER' AS kind, r.sub AS key UNION SELECT 'SUBJECT', s FROM unnest(r.subjects) AS s) AS k
        WHERE r.seq <= (SELECT coalesce(max(seq), 0) FROM audit_insight_cursor WHERE name = 'rules')) AS rows
      GROUP BY 1, 2, 3`.execute(db);
  },
};

/**
 * The tables the rules and the overview keep beside the audit log. The log itself is never
 * changed: findings, the rollups, the rules' windows and the evaluator's position live in their own tables,
 * written by the evaluator (evaluator.ts) and, for acknowledgements, by the auditors' API.
 */
import { sql, type ColumnType, type Generated, type Kysely, type Migration } from 'kysely';

type Timestamp = ColumnType<Date, string, string>;

/** How far the evaluator has read the chain: one row per evaluator name. */
export interface InsightCursorRow {
  name: string;
  seq: number;
  /** For the `windows` row: the rule settings the windows were counted under (009_audit_rule_windows). */
  settings: ColumnType<string | null, string | null | undefined, string | null>;
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

/** The same per UTC month (`month` = its first midnight): a year's top list reads whole months from it, not days. */
export interface AuditRollupTopMonthRow extends Omit<AuditRollupTopRow, 'day'> {
  month: Timestamp;
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

/**
 * One window of one rule (rules.ts RuleWindow), summed record by record by the evaluator, so a
 * tick judges a window by reading its row, not its records.
 */
export interface AuditRuleWindowRow {
  id: Generated<number>;
  rule: string;
  window_key: string;
  first_seq: number;
  time: Timestamp;
  sub: string;
  org: string | null;
  requests: number;
  subject_count: number;
  subjects: string[];
  record_seqs: ColumnType<number[], number[], number[]>;
  labels: string[];
}

/** The distinct subjects of the windows of rules that count them (bulk-subjects, case-reuse, same-county). */
export interface AuditRuleWindowSubjectRow {
  window_id: number;
  subject: string;
}

export interface InsightDB {
  audit_rule_window: AuditRuleWindowRow;
  audit_rule_window_subject: AuditRuleWindowSubjectRow;
  audit_insight_cursor: InsightCursorRow;
  audit_rollup: AuditRollupRow;
  audit_rollup_day: AuditRollupDayRow;
  audit_rollup_top: AuditRollupTopRow;
  audit_rollup_top_month: AuditRollupTopMonthRow;
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

/** A top lists' rollup: counts by kind, `period` (its first UTC midnight) and key. */
async function createTopRollup(db: Kysely<any>, table: string, period: 'day' | 'month'): Promise<void> {
  await db.schema
    .createTable(table)
    .addColumn(period, 'timestamptz', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('denied', 'bigint', (c) => c.notNull())
    .addColumn('cache_hits', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint(`${table}_pk`, ['kind', period, 'key'])
    .execute();
}

/**
 * Registered as `008_audit_top`: the per-day requester and subject rollup, filled at once from the
 * records the evaluator has already rolled up (one scan of the log, at upgrade); the evaluator
 * adds every later record (rollup.ts).
 */
export const topRollupMigration: Migration = {
  async up(db: Kysely<any>) {
    await createTopRollup(db, 'audit_rollup_top', 'day');
    await sql`INSERT INTO audit_rollup_top (day, kind, key, count, denied, cache_hits)
      SELECT date_trunc('day', time, 'UTC'), kind, key, count(*), count(*) FILTER (WHERE outcome IN ('DENIED', 'UNAUTHENTICATED')),
        count(*) FILTER (WHERE (body::jsonb ->> 'cacheHit')::boolean)
      FROM (SELECT r.time, r.outcome, r.body, k.kind, k.key FROM audit_record r
        CROSS JOIN LATERAL (SELECT 'REQUESTER' AS kind, r.sub AS key UNION SELECT 'SUBJECT', s FROM unnest(r.subjects) AS s) AS k
        WHERE r.seq <= (SELECT coalesce(max(seq), 0) FROM audit_insight_cursor WHERE name = 'rules')) AS rows
      GROUP BY 1, 2, 3`.execute(db);
  },
};

/**
 * Registered as `009_audit_rule_windows`: the rules' windows kept by the evaluator. Which window a
 * record joins depends on configuration (time zone, working hours, organisations' purposes), which
 * a migration does not have, so they are not filled here: the evaluator counts them from the log
 * on its first tick, and again whenever those settings change (evaluator.ts, `countWindows`).
 */
export const ruleWindowsMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('audit_insight_cursor').addColumn('settings', 'text').execute();
    await db.schema
      .createTable('audit_rule_window')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('window_key', 'text', (c) => c.notNull())
      .addColumn('first_seq', 'bigint', (c) => c.notNull())
      .addColumn('time', 'timestamptz', (c) => c.notNull())
      .addColumn('sub', 'text', (c) => c.notNull())
      .addColumn('org', 'text')
      .addColumn('requests', 'bigint', (c) => c.notNull())
      .addColumn('subject_count', 'bigint', (c) => c.notNull())
      .addColumn('subjects', sql`text[]`, (c) => c.notNull())
      .addColumn('record_seqs', sql`bigint[]`, (c) => c.notNull())
      .addColumn('labels', sql`text[]`, (c) => c.notNull())
      .addUniqueConstraint('audit_rule_window_key', ['rule', 'window_key'])
      .execute();
    await db.schema
      .createTable('audit_rule_window_subject')
      .addColumn('window_id', 'bigint', (c) => c.notNull().references('audit_rule_window.id').onDelete('cascade'))
      .addColumn('subject', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_rule_window_subject_pk', ['window_id', 'subject'])
      .execute();
  },
};

/**
 * Registered as `010_audit_top_month`: the top lists' per-month rollup, filled at once from the
 * per-day one; the evaluator adds every later record (rollup.ts).
 */
export const topMonthRollupMigration: Migration = {
  async up(db: Kysely<any>) {
    await createTopRollup(db, 'audit_rollup_top_month', 'month');
    await sql`INSERT INTO audit_rollup_top_month (month, kind, key, count, denied, cache_hits)
      SELECT date_trunc('month', day, 'UTC'), kind, key, sum(count), sum(denied), sum(cache_hits) FROM audit_rollup_top GROUP BY 1, 2, 3`.execute(db);
  },
};

/**
 * Registered as `011_audit_top_ranks`: what a long subject top list reads (insight-api.ts
 * `auditTop`): each day's and month's leading keys (by count) and one key's rows over a range.
 */
export const topRanksMigration: Migration = {
  async up(db: Kysely<any>) {
    for (const [table, period] of [['audit_rollup_top', 'day'], ['audit_rollup_top_month', 'month']] as const) {
      await sql`CREATE INDEX ${sql.id(`${table}_rank`)} ON ${sql.table(table)} (kind, ${sql.ref(period)}, count DESC)`.execute(db);
      await sql`CREATE INDEX ${sql.id(`${table}_key`)} ON ${sql.table(table)} (kind, key, ${sql.ref(period)})`.execute(db);
    }
  },
};

/**
 * The rollups the overview reads, kept up to date by the evaluator (evaluator.ts) in the same
 * transaction that moves its cursor, so each record is counted exactly once: accesses per hour and
 * per day by organisation × purpose × department set × category (`audit_rollup`, `audit_rollup_day`),
 * and per day and per month by requester and by subject (`audit_rollup_top`, `audit_rollup_top_month`, for the top lists).
 */
import { sql, type Transaction } from 'kysely';
import { departmentsOf, type CoordinateOwners } from './departments';
import type { AuditEntry } from './record';
import type { AuditDB } from './store';

const HOUR_MS = 3_600_000;
/** Rows one upsert writes: PostgreSQL takes at most 65,535 parameters a statement. */
const CHUNK = 5000;

/** Requests that count as denied in the overview: refused by access control, or without valid credentials. */
export const DENIED_OUTCOMES = ['DENIED', 'UNAUTHENTICATED'];

/**
 * The requester category of a record: the principal's `category` claim when the record carries
 * one, `unknown` otherwise (records made before tokens had categories, or without one).
 */
export function categoryOf(principal: AuditEntry['principal']): string {
  return typeof principal.category === 'string' && principal.category ? principal.category : 'unknown';
}

/** What the rollups read of a record. */
export interface RollupRow {
  time: Date;
  sub: string;
  org: string | null;
  purpose: string | null;
  outcome: string;
  subjects: string[];
  body: string;
}

interface Counts {
  count: number;
  denied: number;
  cache_hits: number;
}

/** Adds one record to the counts under `id` in `map`, creating them from `key` the first time. */
function add<K extends object>(map: Map<string, K & Counts>, id: string, key: K, denied: boolean, cacheHit: boolean): void {
  const b = map.get(id) ?? { ...key, count: 0, denied: 0, cache_hits: 0 };
  b.count += 1;
  if (denied) b.denied += 1;
  if (cacheHit) b.cache_hits += 1;
  map.set(id, b);
}

const KEY_COLUMNS = ['hour', 'org', 'purpose', 'department', 'category'] as const;
type RollupKey = Record<(typeof KEY_COLUMNS)[number], string>;

/** Adds `rows` to every rollup, one upsert per table. */
export async function rollUp(trx: Transaction<AuditDB>, rows: readonly RollupRow[], departments: CoordinateOwners): Promise<void> {
  const hours = new Map<string, RollupKey & Counts>();
  const days = new Map<string, RollupKey & Counts>();
  const top = new Map<string, { day: string; kind: 'REQUESTER' | 'SUBJECT'; key: string } & Counts>();
  const topMonths = new Map<string, { month: string; kind: 'REQUESTER' | 'SUBJECT'; key: string } & Counts>();
  for (const row of rows) {
    const record = JSON.parse(row.body) as AuditEntry;
    const denied = DENIED_OUTCOMES.includes(row.outcome);
    const cacheHit = record.cacheHit === true;
    const hour = new Date(Math.floor(new Date(row.time).getTime() / HOUR_MS) * HOUR_MS).toISOString();
    const day = `${hour.slice(0, 10)}T00:00:00.000Z`;
    const key = { org: row.org ?? 'none', purpose: row.purpose ?? 'none', department: departmentsOf(departments, record.fieldsReturned ?? []).join(',') || 'none', category: categoryOf(record.principal) };
    add(hours, JSON.stringify([hour, key]), { hour, ...key }, denied, cacheHit);
    add(days, JSON.stringify([day, key]), { hour: day, ...key }, denied, cacheHit);
    const month = `${hour.slice(0, 7)}-01T00:00:00.000Z`;
    for (const [kind, keys] of [['REQUESTER', [row.sub]], ['SUBJECT', new Set(row.subjects)]] as const) {
      for (const k of keys) {
        add(top, JSON.stringify([day, kind, k]), { day, kind, key: k }, denied, cacheHit);
        add(topMonths, JSON.stringify([month, kind, k]), { month, kind, key: k }, denied, cacheHit);
      }
    }
  }
  const sums = (table: string) => ({
    count: sql<number>`${sql.table(table)}.count + excluded.count`,
    denied: sql<number>`${sql.table(table)}.denied + excluded.denied`,
    cache_hits: sql<number>`${sql.table(table)}.cache_hits + excluded.cache_hits`,
  });
  for (const table of ['audit_rollup', 'audit_rollup_day'] as const) {
    const values = [...(table === 'audit_rollup' ? hours : days).values()];
    for (let i = 0; i < values.length; i += CHUNK) {
      await trx
        .insertInto(table)
        .values(values.slice(i, i + CHUNK))
        .onConflict((oc) => oc.columns([...KEY_COLUMNS]).doUpdateSet(sums(table)))
        .execute();
    }
  }
  // A batch of list queries names many subjects: several statements.
  const topTables = [
    ['audit_rollup_top', 'day', [...top.values()]],
    ['audit_rollup_top_month', 'month', [...topMonths.values()]],
  ] as const;
  for (const [table, period, values] of topTables) {
    for (let i = 0; i < values.length; i += CHUNK) {
      await trx
        .insertInto(table)
        .values(values.slice(i, i + CHUNK) as never)
        .onConflict((oc) => oc.columns(['kind', period, 'key'] as never).doUpdateSet(sums(table)))
        .execute();
    }
  }
}

/**
 * The auditors' API over the rules and the overview (schema.graphql): findings, their
 * acknowledgement, on-demand evaluation, and accesses grouped from the hourly rollup.
 */
import { sql, type RawBuilder } from 'kysely';
import { badInput, codedError, ErrorCode } from '../../../lib/errors';
import { openAuditStoreOr503, pageArgs, timeRange, toRecord } from './api';
import type { AuditedContext } from './entry';
import type { InsightEvaluator } from './evaluator';
import type { AuditFindingRow } from './insight-store';
import { RULES, type RuleSettings } from './rules';
import type { LazyAuditStore } from './store';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NOTE_MAX = 2000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const DEFAULT_OVERVIEW_MS = 7 * DAY_MS;

/**
 * The rollup column each grouping reads, and its key worked out from that column's value `v`;
 * DEPARTMENT splits the comma-joined department set.
 */
const GROUP_KEYS = {
  ORGANISATION: { column: sql`org`, key: (v: RawBuilder<unknown>) => v },
  CATEGORY: { column: sql`category`, key: (v: RawBuilder<unknown>) => v },
  PURPOSE: { column: sql`purpose`, key: (v: RawBuilder<unknown>) => v },
  DEPARTMENT: { column: sql`department`, key: (v: RawBuilder<unknown>) => sql`unnest(string_to_array(${v}, ','))` },
  HOUR: { column: sql`hour`, key: (v: RawBuilder<unknown>) => sql`to_char(${v} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00:00"Z"')` },
  DAY: { column: sql`hour`, key: (v: RawBuilder<unknown>) => sql`to_char(${v} AT TIME ZONE 'UTC', 'YYYY-MM-DD')` },
} as const;
type GroupBy = keyof typeof GROUP_KEYS;

interface FindingFilter {
  from?: string | null;
  to?: string | null;
  rule?: string | null;
  severity?: string | null;
  acknowledged?: boolean | null;
}

type FindingRow = Omit<AuditFindingRow, 'n' | 'time' | 'ack_time' | 'record_seqs'> & { n: number | string; time: Date; ack_time: Date | null; record_seqs: Array<number | string> };

function toFinding(row: FindingRow) {
  return {
    id: row.id,
    rule: row.rule,
    severity: row.severity,
    window: row.window_key,
    time: new Date(row.time).toISOString(),
    requester: { sub: row.sub, org: row.org },
    subjects: row.subjects,
    recordSeqs: row.record_seqs.map(Number),
    detail: row.detail,
    acknowledged: row.acknowledged,
    acknowledgement: row.acknowledged ? { note: row.ack_note ?? '', by: row.ack_by ?? '', time: row.ack_time ? new Date(row.ack_time).toISOString() : '' } : null,
  };
}

/** Hour floor (from) and ceiling (to) of an instant: the rollup holds whole hours. */
const hourFloor = (iso: string) => new Date(Math.floor(Date.parse(iso) / HOUR_MS) * HOUR_MS).toISOString();
const hourCeil = (iso: string) => new Date(Math.ceil(Date.parse(iso) / HOUR_MS) * HOUR_MS).toISOString();
const dayFloor = (iso: string) => new Date(Math.floor(Date.parse(iso) / DAY_MS) * DAY_MS).toISOString();
const dayCeil = (iso: string) => new Date(Math.ceil(Date.parse(iso) / DAY_MS) * DAY_MS).toISOString();
/** The first UTC midnight of the month of `iso` (floor), or of the next month unless `iso` starts one (ceil). */
const monthFloor = (iso: string) => `${iso.slice(0, 7)}-01T00:00:00.000Z`;
const monthCeil = (iso: string) => {
  const floor = monthFloor(iso);
  if (floor === new Date(iso).toISOString()) return floor;
  const next = new Date(floor);
  next.setUTCMonth(next.getUTCMonth() + 1);
  return next.toISOString();
};

/**
 * The rollup rows of [from, to) with their `columns` (SQL selecting from the rollup's columns, e.g.
 * `org AS key`): whole UTC days from the daily rollup, the hours at either end (every hour, when
 * `hourly`) from the hourly one.
 */
function rollupRows(columns: RawBuilder<unknown>, from: string, to: string, hourly: boolean) {
  const hours = (a: string, b: string) => sql`SELECT ${columns}, count, denied, cache_hits FROM audit_rollup WHERE hour >= ${a} AND hour < ${b}`;
  const firstDay = dayCeil(from);
  const lastDay = dayFloor(to);
  if (hourly || firstDay >= lastDay) return hours(from, to);
  return sql`${hours(from, firstDay)} UNION ALL ${hours(lastDay, to)}
    UNION ALL SELECT ${columns}, count, denied, cache_hits FROM audit_rollup_day WHERE hour >= ${firstDay} AND hour < ${lastDay}`;
}

/** [from, to) of an overview query: given or the last 7 days, widened to whole hours. */
function overviewRange(args: { from?: string | null; to?: string | null }): { from: string; to: string } {
  const range = timeRange(args.from, args.to);
  const to = hourCeil(range.to ?? new Date().toISOString());
  return { from: hourFloor(range.from ?? new Date(Date.parse(to) - DEFAULT_OVERVIEW_MS).toISOString()), to };
}

const SUMS = sql`sum(count) AS count, sum(denied) AS denied, sum(cache_hits) AS cache_hits`;
const TOP_MAX = 100;
/** Subject top lists over ranges up to this long are summed over every row; longer ones from each period's leaders. */
const EXACT_TOP_MS = 7 * DAY_MS;
/** Leading keys read per day and per month of a long subject top list. */
const TOP_LEADERS = 200;

/** The UTC days or months from `from` (inclusive) to `to` (exclusive), both on such boundaries. */
function periodsOf(from: string, to: string, unit: 'day' | 'month'): string[] {
  const out: string[] = [];
  for (const t = new Date(from); t.getTime() < Date.parse(to); unit === 'day' ? t.setUTCDate(t.getUTCDate() + 1) : t.setUTCMonth(t.getUTCMonth() + 1)) out.push(t.toISOString());
  return out;
}

/**
 * The top rollups' rows of [from, to) (of one `key`, when given): whole UTC months from the monthly
 * rollup, the days at either end from the daily one.
 */
function topRows(kind: string, from: string, to: string, key?: RawBuilder<unknown>) {
  const ofKey = key ? sql`AND key = ${key}` : sql``;
  const [firstMonth, lastMonth] = [monthCeil(from), monthFloor(to)];
  const days = (a: string, b: string) => sql`SELECT key, count, denied FROM audit_rollup_top WHERE kind = ${kind} ${ofKey} AND day >= ${a} AND day < ${b}`;
  if (firstMonth >= lastMonth) return days(from, to);
  return sql`${days(from, firstMonth)} UNION ALL ${days(lastMonth, to)}
    UNION ALL SELECT key, count, denied FROM audit_rollup_top_month WHERE kind = ${kind} ${ofKey} AND month >= ${firstMonth} AND month < ${lastMonth}`;
}
const STACKS = ['ORGANISATION', 'CATEGORY', 'PURPOSE', 'DEPARTMENT'];

/** Resolvers for findings, rules and the overview; merged with `auditResolvers`. */
export function insightResolvers(lazy: Pick<LazyAuditStore, 'get'>, evaluator: InsightEvaluator, settings: RuleSettings) {
  const open = () => openAuditStoreOr503(lazy);
  return {
    Query: {
      async auditFindings(_: unknown, args: { filter?: FindingFilter | null; first?: number | null; after?: string | null }) {
        const filter = args.filter ?? {};
        const { first, after } = pageArgs(args.first, args.after);
        const { from, to } = timeRange(filter.from, filter.to, 'filter.');
        let q = (await open()).db.selectFrom('audit_finding').selectAll();
        if (filter.rule) q = q.where('rule', '=', filter.rule);
        if (filter.severity) q = q.where('severity', '=', filter.severity);
        if (filter.acknowledged != null) q = q.where('acknowledged', '=', filter.acknowledged);
        if (from) q = q.where('time', '>=', from as never);
        if (to) q = q.where('time', '<', to as never);
        if (after !== undefined) q = q.where('n', '<', after);
        const rows = (await q.orderBy('n', 'desc').limit(first + 1).execute()) as unknown as FindingRow[];
        const page = rows.slice(0, first);
        return {
          edges: page.map((row) => ({ cursor: String(row.n), node: toFinding(row) })),
          pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? String(page[page.length - 1].n) : null },
        };
      },
      async auditOverview(_: unknown, args: { from?: string | null; to?: string | null; groupBy: GroupBy }) {
        const { from, to } = overviewRange(args);
        const store = await open();
        const order = args.groupBy === 'HOUR' || args.groupBy === 'DAY' ? sql`key` : sql`count DESC, key`;
        const { column, key } = GROUP_KEYS[args.groupBy];
        // Summed by the column first (a year holds 8,760 hours, a handful of department sets), then split into keys.
        const { rows } = await sql<{ key: string; count: string; denied: string; cache_hits: string }>`
          SELECT key, ${SUMS}
          FROM (SELECT ${key(sql`v`)} AS key, count, denied, cache_hits
            FROM (SELECT v, ${SUMS} FROM (${rollupRows(sql`${column} AS v`, from, to, args.groupBy === 'HOUR')}) AS r GROUP BY v) AS byColumn) AS byKey
          GROUP BY key ORDER BY ${order}`.execute(store.db);
        const cursor = await store.db.selectFrom('audit_insight_cursor').select('seq').where('name', '=', 'rules').executeTakeFirst();
        return {
          from,
          to,
          buckets: rows.map((r) => ({ key: r.key, count: Number(r.count), denied: Number(r.denied), cacheHits: Number(r.cache_hits) })),
          evaluatedThroughSeq: Number(cursor?.seq ?? 0),
        };
      },
      async auditTimeline(_: unknown, args: { from?: string | null; to?: string | null; interval: 'HOUR' | 'DAY'; stackBy: GroupBy }) {
        if (!STACKS.includes(args.stackBy)) throw badInput('stackBy', `stackBy must be one of ${STACKS.join(', ')}.`);
        const { from, to } = overviewRange(args);
        const [time, stack] = [GROUP_KEYS[args.interval], GROUP_KEYS[args.stackBy]];
        const { rows } = await sql<{ time: string; key: string; count: string; denied: string; cache_hits: string }>`
          SELECT time, key, ${SUMS}
          FROM (SELECT ${time.key(sql`t`)} AS time, ${stack.key(sql`v`)} AS key, count, denied, cache_hits
            FROM (SELECT t, v, ${SUMS} FROM (${rollupRows(sql`${time.column} AS t, ${stack.column} AS v`, from, to, args.interval === 'HOUR')}) AS r GROUP BY t, v) AS byColumn) AS byKey
          GROUP BY time, key ORDER BY time, key`.execute((await open()).db);
        return rows.map((r) => ({ time: r.time, key: r.key, count: Number(r.count), denied: Number(r.denied), cacheHits: Number(r.cache_hits) }));
      },
      async auditTop(_: unknown, args: { from?: string | null; to?: string | null; by: 'REQUESTER' | 'SUBJECT'; first?: number | null }) {
        const first = args.first ?? 10;
        if (first < 1 || first > TOP_MAX) throw badInput('first', `first must be between 1 and ${TOP_MAX}, not ${first}.`);
        const range = overviewRange(args);
        const from = dayFloor(range.from);
        const to = dayCeil(range.to);
        const firstMonth = monthCeil(from);
        const lastMonth = monthFloor(to);
        const months = firstMonth < lastMonth ? periodsOf(firstMonth, lastMonth, 'month') : [];
        const days = months.length ? [...periodsOf(from, firstMonth, 'day'), ...periodsOf(lastMonth, to, 'day')] : periodsOf(from, to, 'day');
        const db = (await open()).db;
        if (args.by === 'REQUESTER' || Date.parse(to) - Date.parse(from) <= EXACT_TOP_MS) {
          const { rows } = await sql<{ key: string; count: string; denied: string }>`SELECT key, sum(count) AS count, sum(denied) AS denied
            FROM (${topRows(args.by, from, to)}) AS r GROUP BY key ORDER BY sum(count) DESC, key LIMIT ${first}`.execute(db);
          return rows.map((r) => ({ key: r.key, count: Number(r.count), denied: Number(r.denied), rankCertain: true }));
        }
        // Subjects over a long range: a million subjects a day make summing every row too slow for
        // a view. The candidates are each day's and month's TOP_LEADERS leading subjects, summed
        // exactly over the range; a subject among none of them was counted at most the sum of the
        // last leader's count of every period that had more (what search engines' top terms report),
        // so an entry counted above that sum has its place for certain.
        const { rows } = await sql<{ key: string; count: string; denied: string; missed: string }>`
          WITH leaders AS (
            SELECT p.day AS period, l.key, l.count FROM unnest(${days}::timestamptz[]) AS p(day)
              CROSS JOIN LATERAL (SELECT key, count FROM audit_rollup_top WHERE kind = ${args.by} AND day = p.day ORDER BY count DESC LIMIT ${TOP_LEADERS}) AS l
            UNION ALL
            SELECT p.month, l.key, l.count FROM unnest(${months}::timestamptz[]) AS p(month)
              CROSS JOIN LATERAL (SELECT key, count FROM audit_rollup_top_month WHERE kind = ${args.by} AND month = p.month ORDER BY count DESC LIMIT ${TOP_LEADERS}) AS l),
          missed AS (SELECT coalesce(sum(last), 0) AS missed FROM (SELECT min(count) AS last FROM leaders GROUP BY period HAVING count(*) = ${TOP_LEADERS}) AS full_periods),
          candidates AS (SELECT DISTINCT key FROM leaders)
          SELECT key, sum(count) AS count, sum(denied) AS denied, (SELECT missed FROM missed) AS missed
          FROM (SELECT r.key, r.count, r.denied FROM candidates AS c
              CROSS JOIN LATERAL (${topRows(args.by, from, to, sql`c.key`)}) AS r) AS summed
          GROUP BY key ORDER BY sum(count) DESC, key LIMIT ${first}`.execute(db);
        return rows.map((r) => ({ key: r.key, count: Number(r.count), denied: Number(r.denied), rankCertain: Number(r.count) > Number(r.missed) }));
      },
      auditRules: () => RULES.map((rule) => ({ id: rule.id, severity: rule.severity, description: rule.description(settings) })),
    },
    Mutation: {
      async acknowledgeAuditFinding(_: unknown, { id, note }: { id: string; note: string }, { principal }: AuditedContext) {
        if (!UUID.test(id)) throw badInput('id', 'id must be a finding id (a UUID).');
        const text = note.trim();
        if (!text || text.length > NOTE_MAX || text.includes('\u0000')) throw badInput('note', `note must say what was found: 1 to ${NOTE_MAX} characters, no NUL.`);
        const row = await (await open()).db
          .updateTable('audit_finding')
          .set({ acknowledged: true, ack_note: text, ack_by: principal.sub, ack_time: new Date().toISOString() })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
        if (!row) throw codedError(ErrorCode.BAD_USER_INPUT, `No finding has the id ${id}.`, { argumentName: 'id' });
        return toFinding(row as unknown as FindingRow);
      },
      async evaluateAuditRules(_: unknown, args: { from: string; to: string }) {
        const { from, to } = timeRange(args.from, args.to);
        if (!from || !to) throw badInput('to', 'from and to are both needed.');
        await open();
        return evaluator.evaluatePeriod(from, to);
      },
    },
    AuditFinding: {
      async records(finding: { recordSeqs: number[] }, args: { first?: number | null }) {
        const { first } = pageArgs(args.first, null);
        const seqs = finding.recordSeqs.slice(0, first);
        if (seqs.length === 0) return [];
        const rows = await (await open()).db.selectFrom('audit_record').select(['seq', 'body', 'prev_hash', 'hash']).where('seq', 'in', seqs).orderBy('seq').execute();
        return rows.map(toRecord);
      },
    },
  };
}

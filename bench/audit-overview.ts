/**
 * How fast the audit overview answers over a year of traffic: fills a throwaway PostgreSQL
 * database's hourly rollup with a year at 100 requests a minute (≈ 52.6 million records, spread
 * over `COMBOS` organisation × purpose × department × category keys an hour) and times
 * `auditOverview` per grouping over the year and over a month, as the API runs it (the daily
 * rollup is filled from the hourly one, as the evaluator keeps them). Then the top lists'
 * per-day rollup: REQUESTERS_A_DAY of 2,000 requesters and SUBJECTS_A_DAY of a million subjects
 * each day (and the per-month one summed from it), and `auditTop` over a year, a month and a week.
 *
 *   npx tsx bench/audit-overview.ts [postgres://postgres@127.0.0.1:5432] [database prefix=af_bench_]
 */
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { DB_TIMEOUT_DEFAULTS, loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { dropDatabase } from '../lib/db';
import { coordinateOwners } from '../gateway/src/audit/departments';
import { InsightEvaluator, ruleSettings } from '../gateway/src/audit/evaluator';
import { insightResolvers } from '../gateway/src/audit/insight-api';
import { openAuditStore } from '../gateway/src/audit/store';

const HOURS = 365 * 24;
const COMBOS = 100;
const PER_HOUR = 100 * 60;
const REQUESTERS_A_DAY = 500;
const SUBJECTS_A_DAY = 20_000;

/** Best and worst of three runs of `ask`, and what the last returned. */
async function timed<T>(ask: () => Promise<T>): Promise<{ result: T; text: string }> {
  const times: number[] = [];
  let result!: T;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    result = await ask();
    times.push(performance.now() - t);
  }
  return { result, text: `best ${Math.min(...times).toFixed(0)} ms  worst ${Math.max(...times).toFixed(0)} ms` };
}

async function main() {
  const url = `${process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432'}/${process.argv[3] ?? 'af_bench_'}audit_overview_${process.pid}`;
  // Filling takes longer than a statement may in service.
  const store = await openAuditStore(url, 'memory', { timeouts: { ...DB_TIMEOUT_DEFAULTS, statementTimeoutMs: 600_000 } });
  try {
    const fill = Date.now();
    // Each hour's 6000 requests over COMBOS keys drawn from 12 organisations, 9 purposes, 6 department sets, 4 categories.
    await sql`INSERT INTO audit_rollup (hour, org, purpose, department, category, count, denied, cache_hits)
      SELECT timestamptz '2025-12-01T00:00:00Z' + make_interval(hours => h), 'org-' || (c % 12), 'purpose-' || (c / 12),
        (ARRAY['marriage', 'real-estate', 'social-security', 'medical-insurance', 'marriage,social-security', 'none'])[1 + c % 6],
        (ARRAY['government', 'court', 'notary', 'unknown'])[1 + c % 4], ${PER_HOUR / COMBOS}, (h + c) % 3, (h * c) % 20
      FROM generate_series(0, ${HOURS - 1}) AS h, generate_series(0, ${COMBOS - 1}) AS c`.execute(store.db);
    await sql`INSERT INTO audit_rollup_day SELECT date_trunc('day', hour, 'UTC'), org, purpose, department, category, sum(count), sum(denied), sum(cache_hits)
      FROM audit_rollup GROUP BY 1, 2, 3, 4, 5`.execute(store.db);
    await sql`ANALYZE audit_rollup`.execute(store.db);
    await sql`ANALYZE audit_rollup_day`.execute(store.db);
    const { rows } = await sql<{ n: string; total: string }>`SELECT count(*) AS n, sum(count) AS total FROM audit_rollup`.execute(store.db);
    console.log(`rollup: ${rows[0].n} rows standing for ${rows[0].total} records, filled in ${((Date.now() - fill) / 1000).toFixed(1)} s`);
    const config = loadConfig({});
    const evaluator = new InsightEvaluator({ store: { get: async () => store }, settings: ruleSettings(config), departments: coordinateOwners(readFileSync(config.SUPERGRAPH_PATH, 'utf8')), batch: 1, logger: createLogger('silent', 'bench') });
    const api = insightResolvers({ get: async () => store }, evaluator, ruleSettings(config));
    for (const [label, from, to] of [
      ['year', '2025-12-01T00:00:00Z', '2026-12-01T00:00:00Z'],
      ['year, ragged ends', '2025-12-01T05:00:00Z', '2026-11-30T19:00:00Z'],
      ['month', '2026-06-01T00:00:00Z', '2026-07-01T00:00:00Z'],
    ]) {
      for (const groupBy of ['ORGANISATION', 'CATEGORY', 'PURPOSE', 'DEPARTMENT', 'DAY', 'HOUR'] as const) {
        const { result, text } = await timed(() => api.Query.auditOverview(null, { from, to, groupBy }));
        console.log(`${label.padEnd(17)} ${groupBy.padEnd(12)} ${result.buckets.length} buckets  ${text}`);
      }
      const timeline = await timed(() => api.Query.auditTimeline(null, { from, to, interval: label === 'month' ? 'HOUR' : 'DAY', stackBy: 'ORGANISATION' }));
      console.log(`${label.padEnd(17)} auditTimeline(${label === 'month' ? 'HOUR' : 'DAY'}, ORGANISATION) ${timeline.result.length} buckets  ${timeline.text}`);
    }

    const top = Date.now();
    // Requester r is active on days where (r + day) % 4 = 0: 500 of 2,000 a day; subject s of a million on days (s * 7 + day) % 50 = 0.
    await sql`INSERT INTO audit_rollup_top (day, kind, key, count, denied, cache_hits)
      SELECT timestamptz '2025-12-01T00:00:00Z' + make_interval(days => d), 'REQUESTER', 'clerk-' || (r * 4 + (4 - d % 4) % 4), ${PER_HOUR * 24 / REQUESTERS_A_DAY} + r % 50, r % 3, r % 40
      FROM generate_series(0, 364) AS d, generate_series(0, ${REQUESTERS_A_DAY - 1}) AS r`.execute(store.db);
    await sql`INSERT INTO audit_rollup_top (day, kind, key, count, denied, cache_hits)
      SELECT timestamptz '2025-12-01T00:00:00Z' + make_interval(days => d), 'SUBJECT', '4307021985' || lpad(((s::bigint * 50 + d * 7919) % 1000000)::text, 8, '0'), 1 + (s * d) % 12, 0, s % 2
      FROM generate_series(0, 364) AS d, generate_series(0, ${SUBJECTS_A_DAY - 1}) AS s
      ON CONFLICT DO NOTHING`.execute(store.db);
    // The per-month rollup as the evaluator keeps it beside the daily one.
    await sql`INSERT INTO audit_rollup_top_month (month, kind, key, count, denied, cache_hits)
      SELECT date_trunc('month', day, 'UTC'), kind, key, sum(count), sum(denied), sum(cache_hits) FROM audit_rollup_top GROUP BY 1, 2, 3`.execute(store.db);
    await sql`ANALYZE audit_rollup_top`.execute(store.db);
    await sql`ANALYZE audit_rollup_top_month`.execute(store.db);
    for (const table of ['audit_rollup_top', 'audit_rollup_top_month']) {
      const counted = await sql<{ kind: string; n: string }>`SELECT kind, count(*) AS n FROM ${sql.table(table)} GROUP BY kind ORDER BY kind`.execute(store.db);
      console.log(`${table}: ${counted.rows.map((r) => `${r.n} ${r.kind} rows`).join(', ')}`);
    }
    console.log(`top rollups filled in ${((Date.now() - top) / 1000).toFixed(1)} s`);
    for (const [label, from, to] of [
      ['year', '2025-12-01T00:00:00Z', '2026-12-01T00:00:00Z'],
      ['month', '2026-06-01T00:00:00Z', '2026-07-01T00:00:00Z'],
      ['week', '2026-06-01T00:00:00Z', '2026-06-08T00:00:00Z'],
    ]) {
      for (const by of ['REQUESTER', 'SUBJECT'] as const) {
        const { result, text } = await timed(() => api.Query.auditTop(null, { from, to, by, first: 10 }));
        console.log(`${label.padEnd(17)} auditTop(${by}, first: 10) ${result.length} entries  ${text}`);
      }
    }
  } finally {
    await store.close();
    await dropDatabase(url);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

/**
 * How fast the audit overview answers over a year of traffic: fills a throwaway PostgreSQL
 * database's hourly rollup with a year at 100 requests a minute (≈ 52.6 million records, spread
 * over `COMBOS` organisation × purpose × department × category keys an hour) and times
 * `auditOverview` per grouping over the year and over a month, as the API runs it (the daily
 * rollup is filled from the hourly one, as the evaluator keeps them).
 *
 *   npx tsx bench/audit-overview.ts [postgres://postgres@127.0.0.1:5432]
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

async function main() {
  const url = `${process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432'}/af_bench_audit_overview_${process.pid}`;
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
        const times: number[] = [];
        let buckets = 0;
        for (let i = 0; i < 3; i++) {
          const t = performance.now();
          buckets = (await api.Query.auditOverview(null, { from, to, groupBy })).buckets.length;
          times.push(performance.now() - t);
        }
        console.log(`${label.padEnd(17)} ${groupBy.padEnd(12)} ${buckets} buckets  best ${Math.min(...times).toFixed(0)} ms  worst ${Math.max(...times).toFixed(0)} ms`);
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

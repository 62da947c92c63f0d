/**
 * How many records a second the rules' evaluator keeps up with on a log at 100 requests a minute:
 * fills a throwaway PostgreSQL audit database with BASELINE_DAYS + 1 days of history (500 clerks of
 * 12 organisations, 1–2 of a million subjects a request, around the clock) marked as evaluated,
 * then appends fresh records and times `tick()`: first the one that counts the rules' windows from
 * that history (as after the upgrade to 009_audit_rule_windows), then — the rollups, the windows the
 * fresh records join, the findings — two ways: steady ticks of what 100 requests/min bring in
 * AUDIT_RULES_INTERVAL_SECONDS (10 s: 17 records), and catching up on an hour's backlog in batches
 * of AUDIT_RULES_BATCH (5000). Ticks run with the service's database timeouts.
 *
 *   npx tsx bench/audit-evaluator.ts [postgres://postgres@127.0.0.1:5432] [database prefix=af_bench_]
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import { DB_TIMEOUT_DEFAULTS, loadConfig } from '../lib/config';
import { dropDatabase } from '../lib/db';
import { createLogger } from '../lib/logger';
import { coordinateOwners } from '../gateway/src/audit/departments';
import { InsightEvaluator, ruleSettings } from '../gateway/src/audit/evaluator';
import { openAuditStore, type AuditDB } from '../gateway/src/audit/store';

const PER_MINUTE = 100;
const CLERKS = 500;
const CHUNK = 50_000;

/** Appends records seq `from`..`to`, one every 60/PER_MINUTE seconds counted back from `end`. */
function append(db: Kysely<AuditDB>, from: number, to: number, last: number, end: Date) {
  return sql`INSERT INTO audit_record (seq, id, time, sub, org, purpose, case_number, operation_name, outcome, subjects, body, prev_hash, hash)
    SELECT g, gen_random_uuid(), ${end.toISOString()}::timestamptz - (${last} - g) * interval '${sql.raw(String(60 / PER_MINUTE))} seconds',
      'clerk-' || (g % ${CLERKS}), 'org-' || (g % ${CLERKS} % 12), 'purpose-' || (g % 9), CASE WHEN g % 3 = 0 THEN 'case-' || (g % 100000) END, 'Dossier',
      CASE WHEN g % 50 = 0 THEN 'DENIED' ELSE 'OK' END,
      CASE WHEN g % 50 = 0 THEN ARRAY[]::text[] WHEN g % 4 = 0
        THEN ARRAY['4307021985' || lpad(((g::bigint * 7919) % 1000000)::text, 8, '0'), '4307021985' || lpad(((g::bigint * 104729) % 1000000)::text, 8, '0')]
        ELSE ARRAY['4307021985' || lpad(((g::bigint * 7919) % 1000000)::text, 8, '0')] END,
      json_build_object('principal', json_build_object('sub', 'clerk-' || (g % ${CLERKS}), 'category', 'government'),
        'fieldsReturned', json_build_array('Query.person', 'Person.marriages'), 'cacheHit', g % 5 = 0)::text,
      repeat('0', 64), lpad(to_hex(g), 64, '0')
    FROM generate_series(${from}::int, ${to}::int) g`.execute(db);
}

async function main() {
  const base = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432';
  const url = `${base}/${process.argv[3] ?? 'af_bench_'}audit_evaluator_${process.pid}`;
  const config = loadConfig({});
  const settings = ruleSettings(config);
  // Filling takes longer than a statement may in service; the ticks run with the service's timeouts.
  const filler = await openAuditStore(url, 'memory', { timeouts: { ...DB_TIMEOUT_DEFAULTS, statementTimeoutMs: 600_000 } });
  let store = filler;
  try {
    const history = (settings.baselineDays + 1) * 24 * 60 * PER_MINUTE;
    const backlog = 60 * PER_MINUTE;
    const end = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const fill = performance.now();
    for (let from = 1; from <= history + backlog; from += CHUNK) await append(filler.db, from, Math.min(history + backlog, from + CHUNK - 1), history + backlog, end);
    await sql`ANALYZE audit_record`.execute(filler.db);
    await filler.close();
    store = await openAuditStore(url, 'memory', { timeouts: DB_TIMEOUT_DEFAULTS });
    await store.db.insertInto('audit_insight_cursor').values({ name: 'rules', seq: history }).execute();
    console.log(`${history} records of history (${settings.baselineDays + 1} days) and ${backlog} fresh, filled in ${((performance.now() - fill) / 1000).toFixed(1)} s`);

    const departments = coordinateOwners(readFileSync(config.SUPERGRAPH_PATH, 'utf8'));
    const evaluate = async (batch: number, ticks: number) => {
      const evaluator = new InsightEvaluator({ store: { get: async () => store }, settings, departments, batch, logger: createLogger('silent', 'bench') });
      const times: number[] = [];
      let records = 0;
      let findings = 0;
      for (let i = 0; i < ticks; i++) {
        const t = performance.now();
        const report = await evaluator.tick();
        times.push(performance.now() - t);
        records += report?.records ?? 0;
        findings += report?.findings ?? 0;
      }
      const total = times.reduce((a, b) => a + b, 0);
      times.sort((a, b) => a - b);
      return { records, findings, perTick: `median ${times[Math.floor(times.length / 2)].toFixed(0)} ms, max ${times[times.length - 1].toFixed(0)} ms`, perSecond: (records / (total / 1000)).toFixed(0) };
    };
    const counting = await evaluate(1, 1);
    const windows = await sql<{ n: string; subjects: string }>`SELECT count(*) AS n, (SELECT count(*) FROM audit_rule_window_subject) AS subjects FROM audit_rule_window`.execute(store.db);
    console.log(`first tick, counting the windows of the history from the log: ${counting.perTick}; ${windows.rows[0].n} windows, ${windows.rows[0].subjects} window subjects`);
    const interval = config.AUDIT_RULES_INTERVAL_SECONDS;
    const steady = await evaluate(Math.round((interval * PER_MINUTE) / 60), 30);
    console.log(`steady: 30 ticks of ${Math.round((interval * PER_MINUTE) / 60)} records (${interval} s at ${PER_MINUTE}/min): ${steady.perTick} a tick; ${steady.findings} findings written`);
    const catchUp = await evaluate(config.AUDIT_RULES_BATCH, Math.ceil((backlog - steady.records) / config.AUDIT_RULES_BATCH));
    console.log(`catch-up: ${catchUp.records} records in batches of ${config.AUDIT_RULES_BATCH}: ${catchUp.perTick} a tick, ${catchUp.perSecond} records/s; ${catchUp.findings} findings written`);
  } finally {
    await store.close();
    await dropDatabase(url);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

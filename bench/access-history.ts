/**
 * How fast `myAccessHistory` answers on a large audit log: fills a throwaway PostgreSQL audit
 * database with RECORDS synthetic records (each about 2 of 50,000 citizens), then times the
 * resolver's first page for citizens with a typical number of accesses, and prints the plan.
 *
 *   npx tsx bench/access-history.ts [RECORDS=200000]   (PostgreSQL at TEST_PG_URL or 127.0.0.1:5432)
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { loadConfig } from '../lib/config';
import { dropDatabase } from '../lib/db';
import { accessHistoryPolicy, accessHistoryResolvers } from '../gateway/src/access-history';
import { LazyAuditStore } from '../gateway/src/audit/store';

const PG = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const RECORDS = Number(process.argv[2] ?? 200_000);
const CITIZENS = 50_000;
const CHUNK = 20_000;
/** The synthetic citizens' "ID numbers": fixed width, like the real ones. */
const idOf = (n: number) => `4307021985${String(n).padStart(8, '0')}`;

async function main() {
  const url = `${PG}/af_bench_access_history_${process.pid}`;
  await dropDatabase(url);
  const lazy = new LazyAuditStore(url, 'memory');
  try {
    const { db } = await lazy.get();
    const started = performance.now();
    // Bodies carry what the resolver reads; the chain's hashes are not checked here. In chunks:
    // each statement stays within DB_STATEMENT_TIMEOUT_MS.
    for (let from = 1; from <= RECORDS; from += CHUNK) {
      const to = Math.min(RECORDS, from + CHUNK - 1);
      await sql`INSERT INTO audit_record (seq, id, time, sub, org, purpose, case_number, operation_name, outcome, subjects, body, prev_hash, hash)
      SELECT g, gen_random_uuid(), now() - (${RECORDS} - g) * interval '1 second', 'clerk-' || (g % 500), '常德市武陵区人民法院', '离婚案件财产分割', NULL, NULL, 'OK',
        ARRAY['4307021985' || lpad(((g::bigint * 7919) % ${CITIZENS})::text, 8, '0'), '4307021985' || lpad(((g::bigint * 104729) % ${CITIZENS})::text, 8, '0')],
        json_build_object('time', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'principal', json_build_object('org', '常德市武陵区人民法院'),
          'purpose', '离婚案件财产分割', 'fieldsReturned', json_build_array('Person.marriages', 'Query.person'), 'cacheHit', false, 'outcome', 'OK')::text,
        repeat('0', 64), lpad(to_hex(g), 64, '0')
      FROM generate_series(${from}::int, ${to}::int) g`.execute(db);
    }
    await sql`ANALYZE audit_record`.execute(db);
    console.log(`${RECORDS} records inserted in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const resolvers = accessHistoryResolvers({ store: lazy, policy: accessHistoryPolicy(loadConfig({})), owners: new Map([['Person.marriages', ['marriage']]]) });
    const ask = (n: number) => resolvers.Query.myAccessHistory(undefined, { first: 20 }, { principal: { authenticated: true, sub: idOf(n), scopes: ['self'] } } as never);
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      rows += (await ask((i * 131) % CITIZENS)).edges.length;
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.floor(q * (times.length - 1))].toFixed(2);
    console.log(`myAccessHistory(first: 20), 200 citizens: median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms; ${(rows / 200).toFixed(1)} accesses per citizen`);
    const plan = await sql<{ 'QUERY PLAN': string }>`EXPLAIN ANALYZE SELECT seq, body FROM audit_record WHERE subjects @> ARRAY[${idOf(42)}]::text[] AND sub <> ${idOf(42)} ORDER BY seq DESC LIMIT 21`.execute(db);
    console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
  } finally {
    await lazy.close();
    await dropDatabase(url);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

import { performance } from 'node:perf_hooks';
import { cpuSeconds } from './processes';
import { sql } from 'kysely';
import { dropDatabase } from '../lib/db';
import { openAuditStore } from '../gateway/src/audit/store';
import { aroundSeq, canonicalJson, chainHash, indexColumns } from '../gateway/src/audit/record';
import { storedEntry } from '../gateway/src/audit/stored';
import { readHead } from '../gateway/src/audit/writer';
import { entry } from '../test/audit-traffic';
import { DOSSIER } from './scenarios';

async function main() {
  const url = `postgres://postgres@127.0.0.1:5432/auditperf_probe`;
  await dropDatabase(url);
  const store = await openAuditStore(url, 'memory');
  const db = store.db;
  await sql`CREATE FUNCTION audit_append2(records json)
      RETURNS TABLE (head_seq bigint, head_hash text)
      LANGUAGE plpgsql AS $$
      DECLARE
        at_seq bigint;
        at_hash text;
        record_body text;
        seqs bigint[] := '{}'; bodies text[] := '{}'; prevs text[] := '{}'; hashes text[] := '{}';
        r record;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('archive-federation/audit-chain'));
        SELECT a.seq, a.hash INTO at_seq, at_hash FROM audit_record a ORDER BY a.seq DESC LIMIT 1;
        at_seq := coalesce(at_seq, 0);
        at_hash := coalesce(at_hash, repeat('0', 64));
        FOR r IN SELECT x.before_seq, x.after_seq FROM ROWS FROM (json_to_recordset(records) AS (before_seq text, after_seq text)) WITH ORDINALITY AS x ORDER BY x.ordinality
        LOOP
          at_seq := at_seq + 1;
          record_body := r.before_seq || at_seq || r.after_seq;
          prevs := prevs || at_hash;
          at_hash := encode(sha256(convert_to(at_hash || record_body, 'UTF8')), 'hex');
          seqs := seqs || at_seq; bodies := bodies || record_body; hashes := hashes || at_hash;
        END LOOP;
        INSERT INTO audit_record (seq, id, time, sub, org, purpose, case_number, operation_name, outcome, subjects, category, grant_id, body, prev_hash, hash)
        SELECT s.seq, x.id, x.time, x.sub, x.org, x.purpose, x.case_number, x.operation_name, x.outcome, x.subjects, x.category, x.grant_id, s.body, s.prev, s.hash
        FROM ROWS FROM (json_to_recordset(records) AS (id uuid, time timestamptz, sub text, org text, purpose text, case_number text, operation_name text, outcome text,
          subjects text[], category text, grant_id text)) WITH ORDINALITY AS x
        JOIN unnest(seqs, bodies, prevs, hashes) WITH ORDINALITY AS s(seq, body, prev, hash, ordinality) USING (ordinality);
        RETURN QUERY SELECT at_seq, at_hash;
      END $$`.execute(db);
  const mk = () => storedEntry({ ...entry({ at: new Date(), sub: 'clerk-1', subjects: ['430702198001011234', '430702198001011235'], fieldsReturned: Array.from({ length: 28 }, (_, i) => `Person.field${i}`) }), document: DOSSIER, variables: { id: '430702198001011234' } });
  const variants: Record<string, (n: number) => Promise<void>> = {
    loop: async (n) => {
      const rows = Array.from({ length: n }, () => { const e = mk(); return { id: e.id, ...indexColumns(e), ...aroundSeq(e) }; });
      await sql`SELECT * FROM audit_append(${JSON.stringify(rows)}::json)`.execute(db);
    },
    arrays: async (n) => {
      const rows = Array.from({ length: n }, () => { const e = mk(); return { id: e.id, ...indexColumns(e), ...aroundSeq(e) }; });
      await sql`SELECT * FROM audit_append2(${JSON.stringify(rows)}::json)`.execute(db);
    },
    old: async (n) => {
      const entries = Array.from({ length: n }, mk);
      await db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtext('archive-federation/audit-chain'))`.execute(trx);
        let { seq, hash } = await readHead(trx as any);
        const rows = entries.map((e) => { const record = { ...e, seq: ++seq }; const body = canonicalJson(record); const prev = hash; hash = chainHash(prev, body); return { seq, id: e.id, ...indexColumns(record), body, prev_hash: prev, hash }; });
        await trx.insertInto('audit_record').values(rows as any).execute();
      });
    },
  };
  const pgCpu = async () => { const { rows } = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(db); return rows.reduce((s, r) => s + cpuSeconds(r.pid), 0); };
  const settings: Record<string, string> = { pglz: `ALTER TABLE audit_record ALTER COLUMN body SET COMPRESSION pglz`, lz4: `ALTER TABLE audit_record ALTER COLUMN body SET COMPRESSION lz4`, external: `ALTER TABLE audit_record ALTER COLUMN body SET STORAGE EXTERNAL`, main: `ALTER TABLE audit_record ALTER COLUMN body SET STORAGE MAIN` };
  for (const n of [256]) {
    for (let round = 0; round < 2; round++) {
      for (const [name, stmt] of Object.entries(settings)) {
        await sql.raw(stmt).execute(db);
        const fn = variants.loop;
        const times: number[] = [];
        const pg0 = await pgCpu(); const node0 = process.cpuUsage();
        for (let r = 0; r < 7; r++) { const t = performance.now(); await fn(n); times.push(performance.now() - t); }
        const pg = (await pgCpu()) - pg0; const node = process.cpuUsage(node0);
        times.sort((a, b) => a - b);
        console.log(name.padEnd(8), String(n).padStart(4), 'median', times[3].toFixed(1), 'ms', (times[3] / n).toFixed(3), 'ms/rec', ' PG cpu', ((pg * 1000) / (7 * n)).toFixed(3), 'ms/rec  node cpu', ((node.user + node.system) / 1000 / (7 * n)).toFixed(3), 'ms/rec');
      }
    }
  }
  await store.close();
  await dropDatabase(url);
}
main();

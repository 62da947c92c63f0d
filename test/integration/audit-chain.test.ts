/**
 * The audit chain on real PostgreSQL: two gateway replicas under concurrent load append one gap-free
 * chain; the table refuses changes; every kind of tampering (as a superuser who disables the
 * trigger) is found by verify; export files verify offline; `npm run audit` exit codes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { verifyFile } from '../../gateway/src/audit/export';
import { canonicalJson } from '../../lib/hash';
import { chainHash } from '../../gateway/src/audit/record';
import { openAuditStore, type AuditStore } from '../../gateway/src/audit/store';
import { verifyStore, type VerifyReport } from '../../gateway/src/audit/verify';
import { dropDatabase } from '../../lib/db';
import { gql, roleHeaders, testDbUrl } from '../helpers';
import { startFederation, startGateway, type Federation } from '../federation';

const AUDIT_URL = testDbUrl('postgres', 'audit_chain')!;
const ENV = { AUDIT_DB_URL: AUDIT_URL, AUDIT_CHECKPOINT_RECORDS: '100' };
const run = promisify(execFile);


/** Runs `npm run audit -- <args>` as a user would (without npm's banner); returns exit code and output. */
async function auditCli(args: string[], dataDir: string): Promise<{ code: number; out: string }> {
  const tsx = path.resolve('node_modules/.bin/tsx');
  const env = { ...process.env, AUDIT_DB_URL: AUDIT_URL, DATA_DIR: dataDir, NODE_OPTIONS: '' };
  try {
    const { stdout, stderr } = await run(tsx, ['scripts/audit.ts', ...args], { env });
    return { code: 0, out: stdout + stderr };
  } catch (err: any) {
    return { code: err.code, out: `${err.stdout}${err.stderr}` };
  }
}

class Rollback extends Error {}

describe('audit chain (PostgreSQL, two gateways)', () => {
  let fed: Federation;
  let second: { url: string; stop(): Promise<void> };
  let store: AuditStore;
  const started = new Date().toISOString();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'af-audit-'));

  /** Applies `statements` as a superuser with the append-only trigger off, verifies, and rolls back. */
  async function tampered(statements: Array<string | ((trx: any) => Promise<unknown>)>): Promise<VerifyReport> {
    let report: VerifyReport | undefined;
    await store.db
      .transaction()
      .execute(async (trx) => {
        await sql`ALTER TABLE audit_record DISABLE TRIGGER USER`.execute(trx);
        await sql`ALTER TABLE audit_checkpoint DISABLE TRIGGER USER`.execute(trx);
        for (const s of statements) await (typeof s === 'string' ? sql.raw(s).execute(trx) : s(trx));
        report = await verifyStore({ ...store, db: trx } as AuditStore);
        throw new Rollback();
      })
      .catch((e) => {
        if (!(e instanceof Rollback)) throw e;
      });
    return report!;
  }

  beforeAll(async () => {
    await dropDatabase(AUDIT_URL);
    fed = await startFederation({ env: ENV });
    second = await startGateway(fed, ENV);
    store = await openAuditStore(AUDIT_URL, 'memory');
  }, 60_000);
  afterAll(async () => {
    await second?.stop();
    await fed?.stop();
    await store?.close();
    await dropDatabase(AUDIT_URL);
  });

  it('writes exactly one record per request for 1,000 concurrent requests from two gateways, in one intact chain', async () => {
    const headers = await roleHeaders('archivist');
    const ids = fed.population.persons.map((p) => p.idNumber);
    const urls = [fed.url, second.url];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < 1000; i = next++) {
        const res = await gql(urls[i % 2], 'query Load($id: ID!) { person(idNumber: $id) { name } }', { id: ids[i % ids.length] }, { ...headers, 'x-request-id': `load-${i}` });
        expect(res.status).toBe(200);
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
    const { rows } = await sql<{ n: number; distinct: number }>`
      SELECT count(*)::int AS n, count(DISTINCT body::jsonb->>'requestId')::int AS distinct FROM audit_record WHERE body::jsonb->>'requestId' LIKE 'load-%'`.execute(store.db);
    expect(rows[0]).toEqual({ n: 1000, distinct: 1000 });

    await second.stop(); // a stopping gateway signs the chain head
    const report = await verifyStore(store);
    expect(report).toMatchObject({ ok: true, anchored: true, firstSeq: 1, problem: null });
    expect(report.lastSeq).toBe(report.records);
    expect(report.checkpoints).toBeGreaterThanOrEqual(10);
    expect(report.lastCheckpoint?.seq).toBe(report.lastSeq);
    // Both replicas signed checkpoints, each with its own key.
    expect(report.keyIds.length).toBe(2);
  });

  it('refuses UPDATE, DELETE and TRUNCATE even from a superuser', async () => {
    for (const stmt of ['UPDATE audit_record SET sub = $$x$$ WHERE seq = 1', 'DELETE FROM audit_record WHERE seq = 1', 'TRUNCATE audit_record', 'DELETE FROM audit_checkpoint']) {
      await expect(sql.raw(stmt).execute(store.db)).rejects.toThrow(/append-only/);
    }
  });

  it('finds every edit, deletion, insertion and reordering at the first bad record', async () => {
    const last = (await verifyStore(store)).lastSeq!;
    const row = async (trx: any, seq: number) => (await sql<any>`SELECT * FROM audit_record WHERE seq = ${seq}`.execute(trx)).rows[0];

    const edited = await tampered([`UPDATE audit_record SET body = replace(body, 'archive-management', 'archive-browsing') WHERE seq = 500`]);
    expect(edited.problem).toEqual({ seq: 500, reason: expect.stringMatching(/hash does not match.*edited/) });

    const column = await tampered(['UPDATE audit_record SET sub = $$someone-else$$ WHERE seq = 300']);
    expect(column.problem).toEqual({ seq: 300, reason: expect.stringMatching(/column sub/) });

    const deleted = await tampered(['DELETE FROM audit_record WHERE seq = 400']);
    expect(deleted.problem).toEqual({ seq: 400, reason: expect.stringMatching(/missing/) });

    const first = await tampered(['DELETE FROM audit_record WHERE seq = 1']);
    expect(first.problem).toEqual({ seq: 1, reason: expect.stringMatching(/records seq 1\.\.1 are missing/) });

    const tail = await tampered([`DELETE FROM audit_record WHERE seq = ${last}`]);
    expect(tail.problem).toEqual({ seq: last, reason: expect.stringMatching(/missing: a signed checkpoint covers/) });

    const swapped = await tampered(['UPDATE audit_record SET seq = -1 WHERE seq = 200', 'UPDATE audit_record SET seq = 200 WHERE seq = 201', 'UPDATE audit_record SET seq = 201 WHERE seq = -1']);
    expect(swapped.problem?.seq).toBe(200);

    const inserted = await tampered([
      'UPDATE audit_record SET seq = seq + 1000000 WHERE seq > 700',
      'UPDATE audit_record SET seq = seq - 999999 WHERE seq > 1000000',
      async (trx) => {
        const prev = await row(trx, 700);
        const body = canonicalJson({ ...JSON.parse(prev.body), id: randomUUID(), seq: 701 });
        const hash = chainHash(prev.hash, body);
        await sql`INSERT INTO audit_record (seq, id, time, sub, org, purpose, case_number, category, grant_id, operation_name, outcome, subjects, body, prev_hash, hash)
          SELECT 701, ${JSON.parse(body).id}, time, sub, org, purpose, case_number, category, grant_id, operation_name, outcome, subjects, ${body}, ${prev.hash}, ${hash} FROM audit_record WHERE seq = 700`.execute(trx);
      },
    ]);
    expect(inserted.problem?.seq).toBe(702);

    // A careful forger rewrites a record and recomputes every later hash: the next signed checkpoint gives it away.
    const rewritten = await tampered([
      async (trx) => {
        let prevHash = (await row(trx, 599)).hash;
        for (let seq = 600; seq <= last; seq++) {
          const r = await row(trx, seq);
          const record = JSON.parse(r.body);
          if (seq === 600) record.purpose = '随便看看';
          const body = canonicalJson(record);
          const hash = chainHash(prevHash, body);
          await sql`UPDATE audit_record SET body = ${body}, purpose = ${record.purpose}, prev_hash = ${prevHash}, hash = ${hash} WHERE seq = ${seq}`.execute(trx);
          prevHash = hash;
        }
      },
    ]);
    expect(rewritten.problem?.seq).toBeGreaterThanOrEqual(600);
    expect(rewritten.problem?.seq).toBeLessThanOrEqual(800);
    expect(rewritten.problem?.reason).toMatch(/signed checkpoint at seq \d+ holds another hash/);

    const forgedCheckpoint = await tampered([`UPDATE audit_checkpoint SET time = '2020-01-01T00:00:00.000Z' WHERE seq = (SELECT min(seq) FROM audit_checkpoint)`]);
    expect(forgedCheckpoint.problem?.reason).toMatch(/signature does not match/);

    expect((await verifyStore(store)).ok).toBe(true); // every tampering above was rolled back
  });

  it('exports a range that verifies offline, and detects a tampered export', async () => {
    const out = path.join(dataDir, 'export.jsonl');
    const to = new Date(Date.now() + 60_000).toISOString();
    const exported = await auditCli(['export', '--from', started, '--to', to, '--out', out], dataDir);
    expect(exported).toMatchObject({ code: 0 });
    const verified = await auditCli(['verify', '--file', out], dataDir);
    expect(verified.code).toBe(0);
    expect(verified.out).toMatch(/OK: the chain is intact/);

    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    const header = JSON.parse(lines[0]);
    expect(header).toMatchObject({ type: 'header', firstSeq: 1, anchor: { seq: 0 } });
    expect((await verifyFile(out)).ok).toBe(true);

    const recordAt = lines.findIndex((l) => l.includes('"type":"record"') && l.includes('"seq":42,'));
    const edited = [...lines];
    edited[recordAt] = edited[recordAt].replace('"sub":"archivist-001"', '"sub":"nobody"');
    writeFileSync(out, `${edited.join('\n')}\n`);
    expect((await verifyFile(out)).problem).toEqual({ seq: 42, reason: expect.stringMatching(/edited/) });

    writeFileSync(out, `${lines.filter((_, i) => i !== recordAt).join('\n')}\n`);
    expect((await verifyFile(out)).problem).toEqual({ seq: 42, reason: expect.stringMatching(/missing/) });

    writeFileSync(out, `${lines.filter((l) => !l.includes('"type":"checkpoint"')).join('\n')}\n`);
    expect((await verifyFile(out)).problem?.reason).toMatch(/no signed checkpoint covers the last record/);
  });

  it('`npm run audit -- verify` exits 0 on an intact chain and non-zero with the first bad seq after a deletion', async () => {
    const intact = await auditCli(['verify'], dataDir);
    expect(intact.code).toBe(0);
    const range = await verifyStore(store, { from: new Date(Date.now() - 600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() });
    expect(range).toMatchObject({ ok: true, firstSeq: 1 });

    await store.db.transaction().execute(async (trx) => {
      await sql`ALTER TABLE audit_record DISABLE TRIGGER USER`.execute(trx);
      await sql`DELETE FROM audit_record WHERE seq = 123`.execute(trx);
      await sql`ALTER TABLE audit_record ENABLE TRIGGER USER`.execute(trx);
    });
    const broken = await auditCli(['verify'], dataDir);
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/FAILED at seq 123: record seq 123 missing/);
  });
});

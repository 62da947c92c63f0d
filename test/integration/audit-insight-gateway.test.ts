/**
 * The rules in running gateways on PostgreSQL: two replicas share one audit store and both evaluate
 * on a timer; a clerk's bulk lookup through them becomes one finding (not one per replica), listed
 * on /audit/graphql under the contract's names, acknowledged (and that request recorded), counted
 * in audit_findings_total; the rollup counts every record exactly once.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { dropDatabase } from '../../lib/db';
import { gql, roleHeaders, testDbUrl } from '../helpers';
import { startFederation, startGateway, type Federation } from '../federation';

const AUDIT_URL = testDbUrl('postgres', 'audit_insight')!;
const ENV = {
  AUDIT_DB_URL: AUDIT_URL,
  AUDIT_RULES_INTERVAL_SECONDS: '0.2',
  AUDIT_RULE_BULK_SUBJECTS: '4',
  // Every hour is a working hour: the test runs at any time of day.
  AUDIT_RULE_WORK_HOURS: '00:00-24:00',
  AUDIT_RULE_WORK_DAYS: '1,2,3,4,5,6,7',
};

/** `npm run audit -- <args>` on the test's store, as an operator runs it; exit code and output. */
async function auditCli(args: string[]): Promise<{ code: number; out: string }> {
  const env = { ...process.env, ...ENV, DATA_DIR: 'memory', NODE_OPTIONS: '' };
  try {
    const { stdout, stderr } = await promisify(execFile)(path.resolve('node_modules/.bin/tsx'), ['scripts/audit.ts', ...args], { env });
    return { code: 0, out: stdout + stderr };
  } catch (err: any) {
    return { code: err.code, out: `${err.stdout}${err.stderr}` };
  }
}

const FINDINGS = `query Findings($filter: AuditFindingFilter) {
  auditFindings(filter: $filter, first: 10) {
    edges { node { id rule severity time requester { sub org } subjects recordSeqs acknowledged records(first: 3) { principal { sub } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('audit rules in two gateway replicas (PostgreSQL)', () => {
  let fed: Federation;
  let replica: { url: string; stop(): Promise<void> };
  let db: pg.Pool;
  let auditor: Record<string, string>;
  const auditUrl = (base: string) => base.replace(/\/graphql$/, '/audit/graphql');

  beforeAll(async () => {
    await dropDatabase(AUDIT_URL);
    fed = await startFederation({ env: ENV });
    replica = await startGateway(fed, ENV);
    db = new pg.Pool({ connectionString: AUDIT_URL, max: 2 });
    auditor = await roleHeaders('auditor');
  }, 120_000);
  afterAll(async () => {
    await db?.end();
    await replica?.stop();
    await fed?.stop();
    await dropDatabase(AUDIT_URL);
  });

  const waitFor = async <T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> => {
    for (let i = 0; i < 100; i++) {
      const v = await read();
      if (done(v)) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('timed out waiting for the evaluator');
  };

  it('turns a bulk lookup through both replicas into one finding, acknowledgeable and counted', async () => {
    const query = 'query Look($id: ID!) { person(idNumber: $id) { name } }';
    const clerk = await roleHeaders('court', { sub: 'court-bulk' });
    const colleague = await roleHeaders('court', { sub: 'court-ordinary' });
    const ids = fed.population.persons.slice(0, 6).map((p) => p.idNumber);
    for (const [i, id] of ids.entries()) expect((await gql(i % 2 ? replica.url : fed.url, query, { id }, clerk)).status).toBe(200);
    for (const id of ids.slice(0, 2)) await gql(fed.url, query, { id }, colleague);

    const found = await waitFor(
      async () => (await gql(auditUrl(fed.url), FINDINGS, { filter: { rule: 'bulk-subjects' } }, auditor)).data?.auditFindings.edges ?? [],
      (edges: any[]) => edges.length > 0,
    );
    expect(found).toHaveLength(1);
    const finding = found[0].node;
    expect(finding).toMatchObject({ rule: 'bulk-subjects', severity: 'HIGH', requester: { sub: 'court-bulk', org: '常德市武陵区人民法院' }, acknowledged: false });
    // The window grows as the evaluator sees more of the day: wait for all six.
    const full = await waitFor(
      async () => (await gql(auditUrl(replica.url), FINDINGS, { filter: { rule: 'bulk-subjects' } }, auditor)).data.auditFindings.edges[0].node,
      (n: any) => n.subjects.length === 6,
    );
    expect([...full.subjects].sort()).toEqual([...ids].sort());
    expect(full.records.map((r: { principal: { sub: string } }) => r.principal.sub)).toEqual(['court-bulk', 'court-bulk', 'court-bulk']);

    const ack = await gql(auditUrl(replica.url), 'mutation Ack($id: ID!, $note: String!) { acknowledgeAuditFinding(id: $id, note: $note) { acknowledged acknowledgement { note by } } }', { id: finding.id, note: '案件需要，已核实' }, auditor);
    expect(ack.data.acknowledgeAuditFinding).toEqual({ acknowledged: true, acknowledgement: { note: '案件需要，已核实', by: 'auditor-001' } });
    const { rows: acks } = await db.query(`SELECT body FROM audit_record WHERE operation_name = 'Ack'`);
    expect(acks).toHaveLength(1);
    expect(JSON.parse(acks[0].body).variables).toEqual({ id: finding.id, note: '案件需要，已核实' });

    const metrics = await Promise.all([fed.url, replica.url].map(async (u) => (await fetch(u.replace(/\/graphql$/, '/metrics'))).text()));
    const counted = metrics.map((text) => Number(/audit_findings_total\{rule="bulk-subjects",severity="HIGH"\} (\d+)/.exec(text)?.[1] ?? 0));
    expect(counted[0] + counted[1]).toBe(1);
    const { rows: all } = await db.query(`SELECT rule, count(*)::int AS n FROM audit_finding GROUP BY rule`);
    expect(all).toEqual([{ rule: 'bulk-subjects', n: 1 }]);
  }, 60_000);

  it('rolls every record up exactly once while both replicas evaluate', async () => {
    // The evaluator rolls records up every interval: wait until the court's 8 are in, then none more.
    const courtBucket = async () => {
      const overview = await gql(auditUrl(fed.url), '{ auditOverview(from: "2020-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z", groupBy: ORGANISATION) { buckets { key count denied } evaluatedThroughSeq } }', {}, auditor);
      return overview.data.auditOverview.buckets.find((b: { key: string }) => b.key === '常德市武陵区人民法院') as { count: number } | undefined;
    };
    const court = await waitFor(courtBucket, (b) => (b?.count ?? 0) >= 8);
    expect(court!.count).toBe(8);
    // One snapshot: the rollup's total against the evaluator's position (seqs are gap-free from 1).
    const consistent = await waitFor(
      async () =>
        (
          await db.query(`SELECT (SELECT sum(count) FROM audit_rollup)::int AS total, (SELECT sum(count) FROM audit_rollup_top WHERE kind = 'REQUESTER')::int AS requesters,
            (SELECT seq FROM audit_insight_cursor WHERE name = 'rules')::int AS seq, (SELECT max(seq) FROM audit_record)::int AS head`)
        ).rows[0],
      (r: any) => r.seq === r.head,
    );
    expect(consistent.total).toBe(consistent.seq);
    expect(consistent.requesters).toBe(consistent.seq);
    const top = await gql(auditUrl(replica.url), '{ auditTop(from: "2020-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z", by: REQUESTER, first: 100) { key count denied } }', {}, auditor);
    expect(top.data.auditTop.filter((e: { key: string }) => e.key.startsWith('court-'))).toEqual([
      { key: 'court-bulk', count: 6, denied: 0 },
      { key: 'court-ordinary', count: 2, denied: 0 },
    ]);
  }, 30_000);

  it('lists the findings of a period with `npm run audit -- findings` (exit 1 when there are some)', async () => {
    const some = await auditCli(['findings', '--from', '2020-01-01T00:00:00Z', '--to', '2100-01-01T00:00:00Z']);
    expect(some.code).toBe(1);
    expect(some.out).toMatch(/HIGH\s+bulk-subjects\s+court-bulk \(常德市武陵区人民法院\).*\[acknowledged by auditor-001\]/);
    expect(some.out).toContain('0 new finding(s); 1 finding(s) in the period');
    expect(some.out).not.toContain('court-ordinary');
    const none = await auditCli(['findings', '--from', '2020-01-01T00:00:00Z', '--to', '2020-02-01T00:00:00Z']);
    expect(none).toMatchObject({ code: 0 });
    expect((await auditCli(['findings', '--from', '2020-01-01T00:00:00Z'])).code).toBe(2);
  }, 60_000);
});

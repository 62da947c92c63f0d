/**
 * The utilisation register (issue 14, item 6), on PostgreSQL: the legal basis in the audit record
 * (hash chain intact, old records without it still verifying), auditors' search by category,
 * purpose and grant, and the register exported as XLSX (read back with exceljs) and JSON lines,
 * over HTTP for auditors and with `npm run audit -- register`, matching the audit records.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { auditResolvers } from '../../gateway/src/audit/api';
import { coordinateOwners } from '../../gateway/src/audit/departments';
import type { AuditEntry } from '../../gateway/src/audit/record';
import { REGISTER_COLUMNS, registerRows, writeRegisterXlsx, type RegisterRow } from '../../gateway/src/audit/register';
import { loadCheckpointSigner } from '../../gateway/src/audit/signing';
import { LazyAuditStore } from '../../gateway/src/audit/store';
import { verifyStore } from '../../gateway/src/audit/verify';
import { AuditWriter } from '../../gateway/src/audit/writer';
import { dropDatabase } from '../../lib/db';
import { composeSupergraph } from '../../schema/compose';
import { DEMO } from '../../subgraphs/common/population';
import { clientToken, gql, silentLogger, testDbUrl } from '../helpers';
import { startFederation, type Federation } from '../federation';

const CASE = '（2026）湘0702民初1234号';
const owners = coordinateOwners(composeSupergraph());

/** The rows of the register's one worksheet, header first, cells as exceljs reads them. */
async function readXlsx(data: Buffer | ArrayBuffer): Promise<unknown[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(data as ArrayBuffer);
  expect(workbook.worksheets.map((w) => w.name)).toEqual(['查档登记']);
  const rows: unknown[][] = [];
  workbook.worksheets[0].eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  return rows;
}

/** A register row as its spreadsheet cells. */
const cells = (r: RegisterRow) => [
  new Date(r.time),
  r.requester,
  r.requesterName ?? undefined,
  r.organisation ?? undefined,
  r.category ?? undefined,
  r.purpose ?? undefined,
  r.evidence.map((e) => `${e.kind}=${e.reference}`).join('; ') || undefined,
  r.grant ?? undefined,
  r.approver ?? undefined,
  r.subject,
  r.departments.join(', ') || undefined,
  r.fields.join(', ') || undefined,
  r.record,
  r.seq,
];
// exceljs reads an empty cell back as a missing value: compare with trailing holes normalised.
const normalised = (rows: unknown[][]) => rows.map((row) => Array.from({ length: REGISTER_COLUMNS.length }, (_, i) => row[i] ?? undefined));

describe('the utilisation register through the gateway (PostgreSQL)', () => {
  let fed: Federation;
  let court: Record<string, string>;
  let auditor: Record<string, string>;
  const from = new Date(Date.now() - 60_000).toISOString();
  let to: string;
  const base = () => fed.url.replace(/\/graphql$/, '');

  beforeAll(async () => {
    fed = await startFederation();
    const token = await clientToken({ sub: 'court-001', name: '王法官', org: '常德市武陵区人民法院', category: 'court', scopes: ['social-security:read', 'marriage:read'] });
    court = { authorization: `Bearer ${token}`, 'x-access-purpose': 'litigation', 'x-case-number': encodeURIComponent(CASE) };
    auditor = { authorization: `Bearer ${await clientToken({ sub: 'auditor-001', scopes: ['audit:read'] })}` };
    for (const id of [DEMO.husband, DEMO.exWife]) {
      const res = await gql(fed.url, 'query Read($id: ID!) { person(idNumber: $id) { name marriages { date spouseName } } }', { id }, court);
      expect(res.errors).toBeUndefined();
    }
    // Released nothing: not in the register.
    await gql(fed.url, '{ person(idNumber: "430702198503151239") { name } }');
    to = new Date(Date.now() + 1000).toISOString();
  }, 180_000);
  afterAll(() => fed?.stop());

  async function courtRecords() {
    const res = await gql(
      `${base()}/audit/graphql`,
      `query($f: AuditFilter) { auditRecords(filter: $f, first: 100) { edges { node { id seq time subjects fieldsReturned purpose caseNumber principal { category } } } } }`,
      { f: { category: 'court', purpose: 'litigation', from, to } },
      auditor,
    );
    expect(res.errors).toBeUndefined();
    return res.data.auditRecords.edges.map((e: { node: any }) => e.node).reverse();
  }

  it('lets auditors search by requester category and purpose', async () => {
    const records = await courtRecords();
    expect(records).toHaveLength(2);
    expect(records.every((r: any) => r.principal.category === 'court')).toBe(true);
    const none = await gql(`${base()}/audit/graphql`, '{ auditRecords(filter: { category: "notary" }) { edges { node { id } } } }', {}, auditor);
    expect(none.data.auditRecords.edges).toEqual([]);
  });

  it('downloads the register as a spreadsheet matching the audit records, one row per released subject', async () => {
    const records = await courtRecords();
    const res = await fetch(`${base()}/audit/register.xlsx?from=${from}&to=${to}`, { headers: auditor });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/spreadsheetml/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="register-.*\.xlsx"/);
    const rows = normalised(await readXlsx(Buffer.from(await res.arrayBuffer())));
    expect(rows[0]).toEqual(REGISTER_COLUMNS.map((c) => c.header));
    const body = rows.slice(1);
    const expected = records.flatMap((r: any) => r.subjects.map((subject: string) => ({ record: r, subject })));
    expect(body).toHaveLength(expected.length);
    expect(body.length).toBeGreaterThanOrEqual(2);
    body.forEach((row, i) => {
      const { record, subject } = expected[i];
      const fields = record.fieldsReturned.filter((f: string) => f !== 'Person.idNumber');
      expect(row).toEqual([
        new Date(record.time),
        'court-001',
        '王法官',
        '常德市武陵区人民法院',
        'court',
        'litigation',
        `case-number=${record.caseNumber}`,
        undefined,
        undefined,
        subject,
        'marriage, social-security',
        fields.join(', '),
        record.id,
        record.seq,
      ]);
    });
    expect(body.map((r) => r[9])).toEqual(expect.arrayContaining([DEMO.husband, DEMO.exWife]));

    const jsonl = await fetch(`${base()}/audit/register.jsonl?from=${from}&to=${to}`, { headers: auditor });
    expect(jsonl.status).toBe(200);
    const lines = (await jsonl.text()).trim().split('\n').map((l) => JSON.parse(l) as RegisterRow);
    expect(normalised(lines.map(cells))).toEqual(body);
  });

  it('refuses the download without audit:read or without a period, and records every download', async () => {
    const url = `${base()}/audit/register.xlsx?from=${from}&to=${to}`;
    expect((await fetch(url)).status).toBe(401);
    const forbidden = await fetch(url, { headers: { authorization: court.authorization } });
    expect(forbidden.status).toBe(403);
    expect((await forbidden.json()).errors[0].extensions.code).toBe('FORBIDDEN');
    const noPeriod = await fetch(`${base()}/audit/register.xlsx?from=${from}`, { headers: auditor });
    expect(noPeriod.status).toBe(400);
    expect((await noPeriod.json()).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const res = await gql(`${base()}/audit/graphql`, '{ auditRecords(filter: { actor: "court-001" }, first: 100) { edges { node { endpoint operationName httpStatus outcome } } } }', {}, auditor);
    expect(res.data.auditRecords.edges.map((e: any) => e.node)).toContainEqual({ endpoint: 'audit', operationName: 'register', httpStatus: 403, outcome: 'DENIED' });
    const downloads = await gql(`${base()}/audit/graphql`, '{ auditRecords(filter: { actor: "auditor-001" }, first: 100) { edges { node { operationName httpStatus } } } }', {}, auditor);
    expect(downloads.data.auditRecords.edges.map((e: any) => e.node)).toContainEqual({ operationName: 'register', httpStatus: 200 });
  });
});

describe('the legal basis in the audit record, and the register of grants (PostgreSQL)', () => {
  const url = testDbUrl('postgres', 'register')!;
  const lazy = new LazyAuditStore(url, 'memory');
  const writer = new AuditWriter({
    store: lazy,
    signer: loadCheckpointSigner({ dataDir: 'memory', logger: silentLogger }),
    logger: silentLogger,
    batchMs: 5,
    batchMax: 100,
    checkpointRecords: 1000,
    checkpointSeconds: 60,
    writeTimeoutMs: 20_000,
  });
  const grant = 'G-01KBFX2Z8Q3M4N5P6R7S8T9V0W';
  const entry = (patch: Partial<AuditEntry>): AuditEntry => ({
    id: randomUUID(),
    time: new Date().toISOString(),
    requestId: `req-${randomUUID()}`,
    endpoint: 'graphql',
    principal: { authenticated: true, sub: 'lawyer-001', name: '赵律师', org: '湖南常德律师事务所', scopes: ['marriage:read'], category: 'lawyer' },
    clientAddress: '127.0.0.1',
    purpose: 'litigation',
    caseNumber: null,
    operationName: 'Q',
    operationType: 'query',
    documentHash: null,
    document: 'query Q($id: ID!) { person(idNumber: $id) { marriages { spouseName } } }',
    variables: { id: DEMO.husband },
    subjects: [DEMO.husband],
    fieldsReturned: ['MarriageRecord.spouseName', 'Person.marriages', 'Query.person'],
    fieldsDenied: [],
    outcome: 'OK',
    errorCodes: [],
    cacheHit: false,
    durationMs: 2,
    httpStatus: 200,
    ...patch,
  });

  beforeAll(async () => {
    await dropDatabase(url);
    await lazy.get();
  }, 60_000);
  afterAll(async () => {
    await writer.close();
    await lazy.close();
    await dropDatabase(url);
  });

  it('hashes the basis into the chain beside records without one, finds records by grant, and registers the approver', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const old = entry({ principal: { authenticated: true, sub: 'archivist-001', name: null, org: '常德市档案馆', scopes: ['marriage:read'] }, purpose: '档案整理', caseNumber: '(2026)湘0702民初1234号' });
    const evidence = [
      { kind: 'lawyer-licence', reference: '14307201810123456' },
      { kind: 'acceptance-notice', reference: CASE },
    ];
    const granted = entry({ subjects: [DEMO.husband, DEMO.wife], basis: { category: 'lawyer', purpose: 'litigation', evidence, grant: { id: grant, approvedBy: 'approver-001' } } });
    const denied = entry({ outcome: 'DENIED', subjects: [], fieldsReturned: [], basis: { category: 'lawyer', purpose: 'litigation', evidence: [] } });
    for (const e of [old, granted, denied]) await writer.append(e);
    const to = new Date(Date.now() + 1000).toISOString();
    const store = await lazy.get();
    expect((await verifyStore(store, {})).ok).toBe(true);

    const search = (filter: Record<string, string>) =>
      auditResolvers(lazy).Query.auditRecords(undefined, { filter, first: 10 }).then((r) => r.edges.map((e) => e.node.id));
    expect(await search({ grant })).toEqual([granted.id]);
    expect(await search({ category: 'lawyer' })).toEqual([denied.id, granted.id]);
    expect(await search({ purpose: 'litigation' })).toEqual(expect.arrayContaining([denied.id, granted.id]));

    const rows: RegisterRow[] = [];
    for await (const row of registerRows(store, owners, { from, to })) rows.push(row);
    expect(rows.map((r) => [r.record, r.subject, r.category, r.purpose, r.grant, r.approver, r.departments])).toEqual([
      [old.id, DEMO.husband, null, '档案整理', null, null, ['marriage', 'social-security']],
      [granted.id, DEMO.husband, 'lawyer', 'litigation', grant, 'approver-001', ['marriage', 'social-security']],
      [granted.id, DEMO.wife, 'lawyer', 'litigation', grant, 'approver-001', ['marriage', 'social-security']],
    ]);
    expect(rows[0].evidence).toEqual([{ kind: 'case-number', reference: '(2026)湘0702民初1234号' }]);
    expect(rows[1].evidence).toEqual(evidence);

    // The command line writes the same register.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'af-register-'));
    const file = path.join(dir, 'register.xlsx');
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/audit.ts', 'register', '--from', from, '--to', to, '--format', 'xlsx', '--out', file], {
      env: { ...process.env, AUDIT_DB_URL: url, LOG_LEVEL: 'silent' },
    });
    const sheet = normalised(await readXlsx(readFileSync(file)));
    expect(sheet.slice(1)).toEqual(normalised(rows.map(cells)));
    expect(sheet[2].slice(6, 9)).toEqual([`lawyer-licence=14307201810123456; acceptance-notice=${CASE}`, grant, 'approver-001']);
    const jsonl = path.join(dir, 'register.jsonl');
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/audit.ts', 'register', '--from', from, '--to', to, '--format', 'jsonl', '--out', jsonl], {
      env: { ...process.env, AUDIT_DB_URL: url, LOG_LEVEL: 'silent' },
    });
    expect(readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l))).toEqual(rows);
    // In memory too: the writer ends the stream it is given with a complete workbook.
    const chunks: Buffer[] = [];
    const { PassThrough } = await import('node:stream');
    const out = new PassThrough().on('data', (c: Buffer) => chunks.push(c));
    async function* some() {
      yield* rows;
    }
    expect(await writeRegisterXlsx(some(), out)).toBe(3);
    expect(normalised(await readXlsx(Buffer.concat(chunks))).length).toBe(4);
  }, 60_000);
});

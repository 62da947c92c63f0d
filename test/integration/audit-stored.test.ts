/**
 * One request's record never fails another's (issue 11, items 1 and 5), at the audit writer on the
 * embedded store (PGlite): records carrying what PostgreSQL refuses or what overflows the stack are
 * stored normalised and bounded, a batch the store refuses is split so only the faulty record
 * fails, and the chain verifies, also over a quiet time range.
 */
import { randomUUID } from 'node:crypto';
import { canonicalJson } from '../../lib/hash';
import { chainHash, indexColumns, type AuditEntry } from '../../gateway/src/audit/record';
import { loadCheckpointSigner } from '../../gateway/src/audit/signing';
import { LazyAuditStore } from '../../gateway/src/audit/store';
import { STORED_LIMITS } from '../../gateway/src/audit/stored';
import { verifyStore } from '../../gateway/src/audit/verify';
import { AuditUnavailableError, AuditWriter } from '../../gateway/src/audit/writer';
import { silentLogger } from '../helpers';

/** An array nested `depth` levels deep, built without recursion. */
export function deepArray(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

const entry = (i: number, patch: Partial<AuditEntry> = {}): AuditEntry => ({
  id: randomUUID(),
  time: new Date().toISOString(),
  requestId: `req-${i}`,
  endpoint: 'graphql',
  principal: { authenticated: true, sub: `user-${i % 7}`, name: null, org: '常德市档案馆', scopes: ['marriage:read'] },
  clientAddress: '127.0.0.1',
  purpose: '婚姻登记核查',
  caseNumber: null,
  operationName: 'Q',
  operationType: 'query',
  documentHash: null,
  document: 'query Q($id: ID!) { person(idNumber: $id) { name } }',
  variables: { id: '430702198503151239' },
  subjects: ['430702198503151239'],
  fieldsReturned: ['Person.name', 'Query.person'],
  fieldsDenied: [],
  outcome: 'OK',
  errorCodes: [],
  cacheHit: false,
  durationMs: 1.5,
  httpStatus: 200,
  ...patch,
});

describe('audit records that would break a batch (PGlite)', () => {
  const lazy = new LazyAuditStore(undefined, 'memory');
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
  afterAll(async () => {
    await writer.close();
    await lazy.close();
  });

  beforeAll(() => lazy.get(), 60_000);

  it('stores hostile values normalised and bounded, in the same batches as everyone else, and the chain verifies', async () => {
    const hostile: Record<string, Partial<AuditEntry>> = {
      nul: { principal: { authenticated: false, sub: 'anonymous', name: null, org: null, scopes: [] }, purpose: '\u0000', document: '{__typename}', variables: null },
      surrogate: { operationName: '\ud800', caseNumber: 'a\udc00b' },
      deep: { variables: { unused: deepArray(60_000) } },
      controls: { purpose: 'line1\nline2\u001b[31m', document: 'query {\n\t__typename # \u0000\n}' },
      large: { variables: JSON.parse(`{"__proto__":"kept","long":"${'x'.repeat(100_000)}","ids":${JSON.stringify(Array.from({ length: 20_000 }, (_, i) => `id-${i}`))}}`) },
      longName: { operationName: 'A'.repeat(10_000), document: `# ${'y'.repeat(200_000)}\n{__typename}` },
    };
    const names = Object.keys(hostile);
    const entries = Array.from({ length: 120 }, (_, i) => entry(i, i % 20 === 0 ? hostile[names[i / 20]] : {}));
    const records = await Promise.all(entries.map((e) => writer.append(e)));
    expect(records).toHaveLength(120);
    const byName = Object.fromEntries(names.map((n, k) => [n, records[k * 20]]));

    expect(byName.nul).toMatchObject({ purpose: '\ufffd', normalised: ['purpose'] });
    expect(byName.nul.truncated).toBeUndefined();
    expect(byName.surrogate).toMatchObject({ operationName: '\ufffd', caseNumber: 'a\ufffdb', normalised: ['caseNumber', 'operationName'] });
    expect(byName.controls).toMatchObject({ purpose: 'line1\ufffdline2\ufffd[31m', document: 'query {\n\t__typename # \ufffd\n}', normalised: ['document', 'purpose'] });
    expect(byName.deep.truncated).toEqual(['variables']);
    expect(JSON.stringify(byName.deep.variables)).toContain(`[not stored: nested deeper than ${STORED_LIMITS.variableDepth} levels]`);
    const large = byName.large.variables as { ids: string[]; long: string };
    expect(byName.large.truncated).toEqual(['variables']);
    expect(large.long).toMatch(/^x{4096}…\[95904 more characters not stored\]$/);
    expect(large.ids.at(-1)).toMatch(/^\[not stored: \d+ more items\]$/);
    expect(JSON.stringify(byName.large.variables).length).toBeLessThan(STORED_LIMITS.variableChars + 1000);
    expect(Object.keys(byName.large.variables!)).toContain('__proto__');
    expect(byName.longName.truncated).toEqual(['document', 'operationName']);
    expect(byName.longName.operationName).toHaveLength(STORED_LIMITS.line + '…[9744 more characters not stored]'.length);
    // Everyone else's record is stored as it came.
    expect(records[1]).toMatchObject({ purpose: '婚姻登记核查', variables: { id: '430702198503151239' } });
    expect(records[1].normalised).toBeUndefined();

    const store = await lazy.get();
    const report = await verifyStore(store);
    expect(report).toMatchObject({ ok: true, records: 120, problem: null });
    // The columns hold what the hashed body holds (verify checks it too).
    const row = await store.db.selectFrom('audit_record').select(['operation_name', 'case_number', 'body']).where('id', '=', byName.surrogate.id).executeTakeFirstOrThrow();
    expect([row.operation_name, row.case_number]).toEqual(['\ufffd', 'a\ufffdb']);
    expect(JSON.parse(row.body)).toMatchObject({ operationName: '\ufffd', normalised: ['caseNumber', 'operationName'] });
  });

  it('splits a batch the store refuses, so only the faulty record fails', async () => {
    // A record id that is not a UUID: PostgreSQL refuses the whole INSERT (22P02), as it would any
    // value it cannot store; normalisation cannot fix this one, so the writer must isolate it.
    const store = await lazy.get();
    const before = store.statements;
    const entries = Array.from({ length: 60 }, (_, i) => entry(i, i === 37 ? { id: 'not-a-uuid' } : {}));
    const settled = await Promise.allSettled(entries.map((e) => writer.append(e)));
    const rejected = settled.flatMap((s, i) => (s.status === 'rejected' ? [i] : []));
    expect(rejected).toEqual([37]);
    expect((settled[37] as PromiseRejectedResult).reason).toBeInstanceOf(AuditUnavailableError);
    // Halving, not a transaction per record: about 2·log2(60) batches of ~5 statements.
    expect(store.statements - before).toBeLessThan(20 * 6);
    expect(await verifyStore(store)).toMatchObject({ ok: true, records: 179 });
  });

  it('verifies a record written before normalisation, whose column got U+FFFD for a lone surrogate', async () => {
    const store = await lazy.get();
    const head = await store.db.selectFrom('audit_record').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    const record = { ...entry(0, { operationName: '\ud800' }), seq: Number(head.seq) + 1 };
    const body = canonicalJson(record);
    expect(body).toContain('"operationName":"\\ud800"');
    await store.db
      .insertInto('audit_record')
      .values({ seq: record.seq, id: record.id, ...indexColumns(record), body, prev_hash: head.hash, hash: chainHash(head.hash, body) })
      .execute();
    const row = await store.db.selectFrom('audit_record').select('operation_name').where('seq', '=', record.seq).executeTakeFirstOrThrow();
    expect(row.operation_name).toBe('\ufffd'); // what the driver's UTF-8 encoding made of it
    expect(await verifyStore(store)).toMatchObject({ ok: true, problem: null });
  });

  it('reports a time range that holds no records as intact', async () => {
    const store = await lazy.get();
    const report = await verifyStore(store, { from: '2001-01-01T00:00:00Z', to: '2001-01-02T00:00:00Z' });
    expect(report).toMatchObject({ ok: true, records: 0, problem: null });
    const future = await verifyStore(store, { from: new Date(Date.now() + 3600_000).toISOString() });
    expect(future).toMatchObject({ ok: true, records: 0, problem: null });
  });
});

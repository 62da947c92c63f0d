/**
 * The audit writer on the embedded store (PGlite, what `npm start` uses): group commit writes many
 * concurrent records in a few transactions, the chain and checkpoints verify, the table is append-only.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { AuditEntry } from '../../gateway/src/audit/record';
import { loadCheckpointSigner } from '../../gateway/src/audit/signing';
import { LazyAuditStore } from '../../gateway/src/audit/store';
import { verifyStore } from '../../gateway/src/audit/verify';
import { AuditWriter } from '../../gateway/src/audit/writer';
import { silentLogger } from '../helpers';

const entry = (i: number): AuditEntry => ({
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
  document: '{ person(idNumber: $id) { name } }',
  variables: { id: '430702198503151239', n: i },
  subjects: ['430702198503151239'],
  fieldsReturned: ['Person.name', 'Query.person'],
  fieldsDenied: [],
  outcome: 'OK',
  errorCodes: [],
  cacheHit: false,
  durationMs: 1.5,
  httpStatus: 200,
});

describe('audit writer on PGlite', () => {
  const lazy = new LazyAuditStore(undefined, 'memory');
  const writer = new AuditWriter({
    store: lazy,
    signer: loadCheckpointSigner({ dataDir: 'memory', logger: silentLogger }),
    logger: silentLogger,
    batchMs: 5,
    batchMax: 100,
    checkpointRecords: 50,
    checkpointSeconds: 60,
    writeTimeoutMs: 10_000,
  });
  afterAll(async () => {
    await writer.close();
    await lazy.close();
  });

  it('commits 250 concurrent records in a handful of statements, as one gap-free chain', async () => {
    const store = await lazy.get();
    const before = store.statements;
    const records = await Promise.all(Array.from({ length: 250 }, (_, i) => writer.append(entry(i))));
    const statements = store.statements - before;
    expect(records.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    // Three batches (100 + 100 + 50), each one audit_append and a checkpoint; a record at a time would be 250+.
    expect(statements).toBeLessThanOrEqual(3 * 2);
    const report = await verifyStore(store);
    expect(report).toMatchObject({ ok: true, records: 250, anchored: true, problem: null });
    expect(report.checkpoints).toBeGreaterThanOrEqual(3);
  });

  it('commits records appended one after another, each as soon as the previous is committed', async () => {
    for (let i = 0; i < 5; i++) expect((await writer.append(entry(i))).seq).toBe(251 + i);
  });

  it('keeps the log append-only', async () => {
    const store = await lazy.get();
    await expect(sql`UPDATE audit_record SET sub = 'x'`.execute(store.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_checkpoint`.execute(store.db)).rejects.toThrow(/append-only/);
  });

  it('signs the head on demand only when it is not signed yet', async () => {
    await writer.append(entry(999));
    expect(await writer.checkpoint()).toBe(256);
    expect(await writer.checkpoint()).toBeNull();
  });
});

/** Audit building blocks without a database: canonical form, chain checks, signatures, what a record says. */
import { createHash, generateKeyPairSync, createPublicKey } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSchema, parse } from 'graphql';
import { outcomeOf, returnedFields } from '../../gateway/src/audit/entry';
import { canonicalJson } from '../../lib/hash';
import { aroundSeq, chainHash, GENESIS_HASH, type AuditEntry, type AuditRecord } from '../../gateway/src/audit/record';
import { checkpointProblem, loadCheckpointSigner, signerFromKey } from '../../gateway/src/audit/signing';
import { ChainVerifier, type ChainItem } from '../../gateway/src/audit/verify';
import { AuditUnavailableError, AuditWriter } from '../../gateway/src/audit/writer';
import { silentLogger } from '../helpers';

describe('canonicalJson', () => {
  it('sorts keys at every depth, drops undefined, keeps arrays in order and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: '张' }], c: undefined }, e: true })).toBe('{"a":{"d":[3,{"y":"张","z":null}]},"b":1,"e":true}');
    expect(canonicalJson(JSON.parse(canonicalJson({ x: 1.5, y: 'a"b' })))).toBe('{"x":1.5,"y":"a\\"b"}');
  });
  it('refuses numbers JSON cannot carry', () => {
    expect(() => canonicalJson({ n: Infinity })).toThrow(/non-finite/);
  });
});

it('aroundSeq splits the canonical record where its seq goes, whichever members it has', () => {
  const entries: Array<Record<string, unknown>> = [
    {},
    { a: 1 },
    { z: 'x' },
    { requestId: 'r', subjects: ['1'], basis: { category: 'court', evidence: [] }, traceId: undefined, variables: { seq: 0, '"seq":': 'x' } },
    { seq0: 1, sep: 2, 'se\uffff': 3, s: 4, '张': 5 },
  ];
  for (const entry of entries) {
    const { before_seq, after_seq } = aroundSeq(entry as unknown as AuditEntry);
    for (const seq of [1, 4_294_967_297]) expect(`${before_seq}${seq}${after_seq}`).toBe(canonicalJson({ ...entry, seq }));
  }
});

it('chainHash is sha256(prev_hash || body)', () => {
  const body = '{"seq":1}';
  expect(chainHash(GENESIS_HASH, body)).toBe(createHash('sha256').update(GENESIS_HASH + body).digest('hex'));
});

describe('ChainVerifier', () => {
  const signer = signerFromKey(generateKeyPairSync('ed25519').privateKey);
  /** A chain of `n` records with a checkpoint at `cpAt`. */
  function chain(n: number, cpAt: number[] = [n]) {
    const items: ChainItem[] = [];
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= n; seq++) {
      const body = canonicalJson({ seq, id: `r${seq}`, principal: { sub: 'u' } } as unknown as AuditRecord);
      const hash = chainHash(prev, body);
      items.push({ seq, prevHash: prev, hash, body });
      prev = hash;
    }
    return { items, checkpoints: cpAt.map((s) => signer.sign(s, items[s - 1].hash, '2026-01-01T00:00:00.000Z')) };
  }
  const run = (items: ChainItem[], checkpoints = chain(0, []).checkpoints, anchor: { seq: number; hash: string } | null = { seq: 0, hash: GENESIS_HASH }, last?: number) => {
    const v = new ChainVerifier(anchor, checkpoints);
    items.every((i) => v.push(i));
    return v.finish(last);
  };

  it('accepts an intact chain and counts its checkpoints', () => {
    const { items, checkpoints } = chain(10, [5, 10]);
    expect(run(items, checkpoints)).toMatchObject({ ok: true, records: 10, checkpoints: 2, anchored: true, lastCheckpoint: { seq: 10 } });
  });
  it('names the first bad record for an edit, a deletion, a swap and a cut-off tail', () => {
    const { items, checkpoints } = chain(10);
    const edited = items.map((i) => (i.seq === 4 ? { ...i, body: i.body.replace('"r4"', '"rX"') } : i));
    expect(run(edited, checkpoints).problem).toEqual({ seq: 4, reason: expect.stringMatching(/edited/) });
    expect(run(items.filter((i) => i.seq !== 6), checkpoints).problem).toEqual({ seq: 6, reason: 'record seq 6 missing (deleted)' });
    const swapped = [...items];
    [swapped[2], swapped[3]] = [{ ...items[3], seq: 3 }, { ...items[2], seq: 4 }];
    expect(run(swapped, checkpoints).problem?.seq).toBe(3);
    expect(run(items.slice(0, 8), checkpoints).problem).toEqual({ seq: 9, reason: expect.stringMatching(/after seq 8 missing/) });
  });
  it('checks each checkpoint signature, and the pinned key when one is given', () => {
    const { items, checkpoints } = chain(3);
    expect(run(items, [{ ...checkpoints[0], time: '2027-01-01T00:00:00.000Z' }]).problem?.reason).toMatch(/signature does not match/);
    const other = generateKeyPairSync('ed25519');
    expect(checkpointProblem(checkpoints[0], createPublicKey(other.privateKey))).toMatch(/not by the pinned key/);
    expect(checkpointProblem(checkpoints[0], createPublicKey(signer.publicKeyPem))).toBeNull();
  });
  it('takes a range start on trust only when no anchor is given', () => {
    const { items } = chain(5, []);
    expect(run(items.slice(2), [], null)).toMatchObject({ ok: true, anchored: false, firstSeq: 3 });
    expect(run(items.slice(2)).problem?.seq).toBe(1);
  });
});

describe('the checkpoint key', () => {
  it('is generated once under DATA_DIR and loaded again', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'af-key-'));
    const a = loadCheckpointSigner({ dataDir: dir, logger: silentLogger });
    const b = loadCheckpointSigner({ dataDir: dir, logger: silentLogger });
    expect(b.keyId).toBe(a.keyId);
    expect(loadCheckpointSigner({ dataDir: 'memory', logger: silentLogger }).keyId).not.toBe(a.keyId);
    expect(loadCheckpointSigner({ keyFile: path.join(dir, 'audit-signing-key.pem'), dataDir: 'memory', logger: silentLogger }).keyId).toBe(a.keyId);
  });
});

describe('returnedFields', () => {
  const schema = buildSchema(`
    type Query { person(id: ID!): Person, records: [Record!]! }
    type Person { idNumber: ID!, name: String, spouse: Person, tags: [String] }
    interface Record { code: String }
    type Marriage implements Record { code: String, date: String }
    type Property implements Record { code: String, area: Float }
  `);
  it('lists coordinates with non-null values through aliases, fragments and type conditions', () => {
    const doc = parse(`query Q { p: person(id: "1") { name ...F spouse { name } } records { __typename code ... on Marriage { date } ... on Property { area } } }
      fragment F on Person { tags }`);
    const data = { p: { name: '张', tags: [null, 'a'], spouse: { name: null } }, records: [{ __typename: 'Marriage', code: 'M', date: '2016' }, { __typename: 'Property', code: null, area: 90 }] };
    expect(returnedFields(schema, doc, data, 'Q')).toEqual({
      coordinates: ['Marriage.code', 'Marriage.date', 'Person.name', 'Person.spouse', 'Person.tags', 'Property.area', 'Query.person', 'Query.records'],
      leafValues: 5,
    });
  });
});

it('outcomeOf tells OK, PARTIAL, DENIED, ERROR and UNAUTHENTICATED apart', () => {
  expect(outcomeOf(false, [], false, 3)).toBe('OK');
  expect(outcomeOf(false, ['UNAUTHORIZED_FIELD_OR_TYPE'], true, 3)).toBe('PARTIAL');
  expect(outcomeOf(false, ['UNAUTHORIZED_FIELD_OR_TYPE'], true, 0)).toBe('DENIED');
  expect(outcomeOf(false, ['FORBIDDEN'], true, 0)).toBe('DENIED');
  expect(outcomeOf(false, ['BAD_USER_INPUT'], true, 0)).toBe('ERROR');
  expect(outcomeOf(true, ['UNAUTHENTICATED'], true, 0)).toBe('UNAUTHENTICATED');
});

describe('AuditWriter without a store', () => {
  const options = { signer: signerFromKey(generateKeyPairSync('ed25519').privateKey), logger: silentLogger, batchMs: 1, batchMax: 10, checkpointRecords: 10, checkpointSeconds: 60 };
  const entry: AuditEntry = {
    id: '00000000-0000-4000-8000-000000000000',
    time: new Date().toISOString(),
    requestId: 'r',
    endpoint: 'graphql',
    principal: { authenticated: false, sub: 'anonymous', name: null, org: null, scopes: [] },
    clientAddress: '127.0.0.1',
    purpose: null,
    caseNumber: null,
    operationName: null,
    operationType: null,
    documentHash: null,
    document: null,
    variables: null,
    subjects: [],
    fieldsReturned: [],
    fieldsDenied: [],
    outcome: 'OK',
    errorCodes: [],
    cacheHit: false,
    durationMs: 1,
    httpStatus: 200,
  };
  it('rejects callers when the store is down', async () => {
    const writer = new AuditWriter({ ...options, writeTimeoutMs: 1000, store: { get: () => Promise.reject(new Error('ECONNREFUSED')) } });
    await expect(writer.append(entry)).rejects.toThrow(AuditUnavailableError);
    await writer.close();
  });
  it('rejects callers whose commit does not come in time', async () => {
    const writer = new AuditWriter({ ...options, writeTimeoutMs: 100, store: { get: () => new Promise(() => {}) } });
    await expect(writer.append(entry)).rejects.toThrow(/not committed within 100 ms/);
  });
});

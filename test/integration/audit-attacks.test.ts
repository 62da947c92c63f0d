/**
 * One request's audit record never fails another's (issue 11, items 1, 5 and 11): hostile requests
 * interleaved with concurrent legitimate load, on the PostgreSQL audit store and on the embedded
 * one. Every answered request has its record, the attacks are recorded (their values normalised
 * and bounded), the chain verifies; requests refused before Apollo Server are recorded too; an
 * unknown operation name and a 60,000-deep variable are 400s, not 500s.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { openAuditStore, type AuditStore } from '../../gateway/src/audit/store';
import { verifyStore } from '../../gateway/src/audit/verify';
import { dropDatabase } from '../../lib/db';
import { gql, roleHeaders, testDbUrl } from '../helpers';
import { startFederation, startGateway, type Federation } from '../federation';

const AUDIT_URL = testDbUrl('postgres', 'audit_attacks')!;
const DEEP = 60_000;

interface Sent {
  status: number;
  json: any;
  requestId: string;
}

/** Sends a raw body (the deep variable cannot go through JSON.stringify) with a fresh request id. */
async function send(url: string, body: string | undefined, headers: Record<string, string> = {}, method = 'POST'): Promise<Sent> {
  const requestId = `atk-${randomUUID()}`;
  const type: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  const res = await fetch(url, { method, headers: { ...type, 'x-request-id': requestId, ...headers }, body });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = { text };
  }
  return { status: res.status, json, requestId };
}

const codeOf = (s: Sent) => s.json?.errors?.[0]?.extensions?.code;

/** The attacks of issue 11, as raw bodies and headers. */
const ATTACKS: Record<string, { body: string; headers?: Record<string, string> }> = {
  // PostgreSQL refuses NUL in a text column: it failed the whole batch.
  nulPurpose: { body: '{"query":"{__typename}"}', headers: { 'x-access-purpose': '%00' } },
  nulOperationName: { body: '{"query":"query A {__typename}","operationName":"A\\u0000"}' },
  // Stack overflow while hashing the record: it failed the whole batch, and was a 500 itself.
  deepVariable: { body: `{"query":"{__typename}","variables":{"unused":${'['.repeat(DEEP)}1${']'.repeat(DEEP)}}}` },
  // Stored as U+FFFD in the column but hashed as \ud800: a false tampering alarm.
  loneSurrogate: { body: '{"query":"query A {__typename}","operationName":"\\ud800"}' },
  unknownOperation: { body: '{"query":"query A {__typename}","operationName":"B"}' },
  largeUnused: { body: JSON.stringify({ query: '{__typename}', variables: { pad: 'x'.repeat(200_000) } }) },
};

/** 120 legitimate reads with the attacks interleaved, all at once; returns both sides. */
async function attackUnderLoad(url: string, fed: Federation) {
  const archivist = await roleHeaders('archivist');
  const ids = fed.population.persons.map((p) => p.idNumber);
  const legit = Array.from({ length: 120 }, (_, i) => () =>
    send(url, JSON.stringify({ query: 'query Q($id: ID!) { person(idNumber: $id) { name } }', variables: { id: ids[i % ids.length] } }), archivist),
  );
  const names = Object.keys(ATTACKS);
  const attacks = names.map((name) => () => send(url, ATTACKS[name].body, ATTACKS[name].headers));
  const order = [...legit];
  attacks.forEach((a, k) => order.splice(7 + k * 21, 0, a));
  const results = await Promise.all(order.map((f) => f()));
  const attacked = Object.fromEntries(names.map((name, k) => [name, results[7 + k * 21]]));
  const answered = results.filter((r) => !Object.values(attacked).includes(r));
  return { answered, attacked };
}

describe('audit under attack', () => {
  let fed: Federation;
  let db: pg.Pool;
  let store: AuditStore;
  let auditor: Record<string, string>;

  /** Every record, by request id. */
  async function recordsByRequestId(): Promise<Map<string, any[]>> {
    const { rows } = await db.query<{ body: string }>('SELECT body FROM audit_record ORDER BY seq');
    const out = new Map<string, any[]>();
    for (const { body } of rows) {
      const r = JSON.parse(body);
      out.set(r.requestId, [...(out.get(r.requestId) ?? []), r]);
    }
    return out;
  }

  beforeAll(async () => {
    await dropDatabase(AUDIT_URL);
    fed = await startFederation({ env: { AUDIT_DB_URL: AUDIT_URL } });
    db = new pg.Pool({ connectionString: AUDIT_URL, max: 2 });
    store = await openAuditStore(AUDIT_URL, 'memory');
    auditor = await roleHeaders('auditor');
  }, 90_000);
  afterAll(async () => {
    await fed?.stop();
    await db?.end();
    await store?.close();
    await dropDatabase(AUDIT_URL);
  });

  it('hostile requests among 120 concurrent legitimate ones affect only themselves, are recorded, and the chain verifies', async () => {
    const { answered, attacked } = await attackUnderLoad(fed.url, fed);
    expect(answered.map((r) => r.status)).toEqual(answered.map(() => 200));
    expect(answered.every((r) => r.json.data?.person?.name && !r.json.errors)).toBe(true);
    for (const r of Object.values(attacked)) expect(r.status).not.toBe(503);
    expect(attacked.deepVariable.status).toBe(400);
    expect(attacked.deepVariable.json.errors[0].extensions).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'variableDepth', max: 10 });
    expect([attacked.loneSurrogate.status, codeOf(attacked.loneSurrogate)]).toEqual([400, 'OPERATION_RESOLUTION_FAILURE']);
    expect([attacked.unknownOperation.status, codeOf(attacked.unknownOperation)]).toEqual([400, 'OPERATION_RESOLUTION_FAILURE']);

    const records = await recordsByRequestId();
    for (const r of [...answered, ...Object.values(attacked)]) expect([r.requestId, records.get(r.requestId)?.length]).toEqual([r.requestId, 1]);
    const recordOf = (name: string) => records.get(attacked[name].requestId)![0];
    expect(recordOf('nulPurpose')).toMatchObject({ principal: { sub: 'anonymous' } });
    expect(JSON.stringify(recordOf('nulPurpose'))).not.toContain('\\u0000');
    expect(recordOf('nulOperationName')).toMatchObject({ operationName: 'A\ufffd', normalised: ['operationName'], outcome: 'ERROR', httpStatus: 400 });
    expect(recordOf('deepVariable')).toMatchObject({ outcome: 'ERROR', errorCodes: ['OPERATION_LIMIT_EXCEEDED'], httpStatus: 400, document: '{__typename}', truncated: ['variables'] });
    expect(recordOf('loneSurrogate')).toMatchObject({ operationName: '\ufffd', normalised: ['operationName'], errorCodes: ['OPERATION_RESOLUTION_FAILURE'] });
    expect(recordOf('largeUnused').truncated).toEqual(['variables']);

    // The column and the hashed body agree (no false alarm), the whole chain and the API agree.
    expect(await verifyStore(store)).toMatchObject({ ok: true, problem: null, records: records.size });
    const status = await gql(fed.url.replace(/\/graphql$/, '/audit/graphql'), '{ auditChainStatus { ok problem { reason } } }', undefined, auditor);
    expect(status.data.auditChainStatus).toEqual({ ok: true, problem: null });
  }, 120_000);

  it('reports a quiet time range as intact, not as records missing', async () => {
    const quiet = await gql(fed.url.replace(/\/graphql$/, '/audit/graphql'), '{ auditChainStatus(from: "2020-01-01T00:00:00Z", to: "2020-02-01T00:00:00Z") { ok records problem { reason } } }', undefined, auditor);
    expect(quiet.data.auditChainStatus).toEqual({ ok: true, records: 0, problem: null });
  });

  it('records the requests refused before Apollo Server, with their error codes', async () => {
    const audit = fed.url.replace(/\/graphql$/, '/audit/graphql');
    const refused: Array<[string, Sent, number, string]> = [
      ['malformed JSON', await send(fed.url, '{"query": "{ __typename }",'), 400, 'BAD_REQUEST'],
      ['batch', await send(fed.url, '[{"query":"{__typename}"},{"query":"{__typename}"}]'), 400, 'BAD_REQUEST'],
      ['token limit', await send(fed.url, JSON.stringify({ query: `{ ${'__typename '.repeat(1500)}}` })), 400, 'OPERATION_LIMIT_EXCEEDED'],
      ['413', await send(fed.url, JSON.stringify({ query: '{__typename}', variables: { pad: 'x'.repeat(300 * 1024) } })), 413, 'OPERATION_LIMIT_EXCEEDED'],
      ['CSRF text/plain', await send(fed.url, '{"query":"{__typename}"}', { 'content-type': 'text/plain' }), 400, 'BAD_REQUEST'],
      ['CSRF GET', await send(`${fed.url}?query=${encodeURIComponent('{__typename}')}`, undefined, {}, 'GET'), 400, 'BAD_REQUEST'],
      ['auditors: malformed JSON', await send(audit, '{"query":', auditor), 400, 'BAD_REQUEST'],
      [
        'deep GET variables',
        await send(`${fed.url}?query=${encodeURIComponent('{__typename}')}&variables=${encodeURIComponent(`{"x":${'['.repeat(20)}${']'.repeat(20)}}`)}`, undefined, { 'apollo-require-preflight': 'true' }, 'GET'),
        400,
        'OPERATION_LIMIT_EXCEEDED',
      ],
    ];
    const records = await recordsByRequestId();
    for (const [what, res, status, code] of refused) {
      expect([what, res.status, codeOf(res)]).toEqual([what, status, code]);
      expect([what, records.get(res.requestId)?.length]).toEqual([what, 1]);
      expect(records.get(res.requestId)![0]).toMatchObject({ outcome: 'ERROR', errorCodes: [code], httpStatus: status, subjects: [] });
    }
    const tokenBomb = records.get(refused[2][1].requestId)![0];
    expect(tokenBomb.document).toMatch(/^\{ __typename __typename/);
    expect(records.get(refused[6][1].requestId)![0]).toMatchObject({ endpoint: 'audit', principal: { sub: 'auditor-001' } });
    expect(await verifyStore(store)).toMatchObject({ ok: true, problem: null });
  });

  it('refuses a NUL in the auditors\' search as BAD_USER_INPUT, not a 500', async () => {
    const res = await gql(fed.url.replace(/\/graphql$/, '/audit/graphql'), 'query($p: String) { auditRecords(filter: { purpose: $p }) { edges { cursor } } }', { p: 'a\u0000' }, auditor);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'filter.purpose' });
  });

  describe('on a gateway with the embedded PGlite store', () => {
    let embedded: { url: string; stop(): Promise<void> };

    beforeAll(async () => {
      embedded = await startGateway(fed); // no AUDIT_DB_URL: PGlite in memory
      // Opening PGlite takes seconds; load before /readyz says so would only measure the start.
      for (let ready = false; !ready; await new Promise((r) => setTimeout(r, 200))) {
        ready = (await fetch(embedded.url.replace(/\/graphql$/, '/readyz'))).status === 200;
      }
    }, 180_000);
    afterAll(() => embedded?.stop());

    it('hostile requests among 120 concurrent legitimate ones affect only themselves, and every request is in an intact chain', async () => {
      const { answered, attacked } = await attackUnderLoad(embedded.url, fed);
      expect(answered.map((r) => r.status)).toEqual(answered.map(() => 200));
      for (const r of Object.values(attacked)) expect(r.status).not.toBe(503);
      const auditor = await roleHeaders('auditor');
      const status = await gql(embedded.url.replace(/\/graphql$/, '/audit/graphql'), '{ auditChainStatus { ok records problem { reason } } }', undefined, auditor);
      // This gateway's log holds exactly the requests sent to it.
      expect(status.data.auditChainStatus).toEqual({ ok: true, records: answered.length + Object.keys(attacked).length, problem: null });
      const anonymous = await gql(
        embedded.url.replace(/\/graphql$/, '/audit/graphql'),
        '{ auditRecords(filter: { actor: "anonymous" }, first: 100) { edges { node { requestId operationName normalised truncated } } } }',
        undefined,
        auditor,
      );
      const byRequest = new Map(anonymous.data.auditRecords.edges.map((e: any) => [e.node.requestId, e.node]));
      for (const name of Object.keys(attacked)) expect([name, byRequest.has(attacked[name].requestId)]).toEqual([name, true]);
      expect(byRequest.get(attacked.loneSurrogate.requestId)).toMatchObject({ operationName: '\ufffd', normalised: ['operationName'], truncated: [] });
    }, 180_000);
  });
});

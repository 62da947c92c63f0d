/**
 * The audit log at the gateway, on real PostgreSQL: one committed record per request whatever its
 * outcome, subjects across joins, the auditors' API and its access rule, fail-closed when the audit
 * store is down, and /readyz.
 */
import { createHash, randomUUID } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { DEMO } from '../../subgraphs/common/population';
import { dropDatabase } from '../../lib/db';
import { gql, roleHeaders, testDbUrl } from '../helpers';
import { startFederation, startGateway, type Federation } from '../federation';

const AUDIT_URL = testDbUrl('postgres', 'audit')!;

/** Drops the throwaway audit database (the gateway recreates and migrates it). Fails when PostgreSQL is missing. */

/** A TCP proxy to a local port that can be cut (every connection destroyed) and reopened on the same port. */
async function tcpProxy(target: number) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(target, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s)).on('error', () => {});
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  await open();
  return {
    get port() {
      return port;
    },
    open,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        if (!server?.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}

describe('audit log (PostgreSQL)', () => {
  let fed: Federation;
  let db: pg.Pool;
  let archivist: Record<string, string>;
  let auditor: Record<string, string>;
  const auditUrl = () => fed.url.replace(/\/graphql$/, '/audit/graphql');

  /** Sends a request with a fresh request id and returns the response with the records carrying that id. */
  async function audited(query: string, variables: Record<string, unknown> | undefined, headers: Record<string, string>, url = fed.url) {
    const requestId = `t-${randomUUID()}`;
    const res = await gql(url, query, variables, { ...headers, 'x-request-id': requestId });
    const { rows } = await db.query<{ seq: number; body: string }>(`SELECT seq, body FROM audit_record WHERE body::jsonb->>'requestId' = $1`, [requestId]);
    return { res, records: rows.map((r) => JSON.parse(r.body)) };
  }

  beforeAll(async () => {
    await dropDatabase(AUDIT_URL);
    [archivist, auditor] = await Promise.all([roleHeaders('archivist'), roleHeaders('auditor')]);
    fed = await startFederation({ env: { AUDIT_DB_URL: AUDIT_URL } });
    db = new pg.Pool({ connectionString: AUDIT_URL, max: 2 });
  }, 60_000);
  afterAll(async () => {
    await fed?.stop();
    await db?.end();
    await dropDatabase(AUDIT_URL);
  });

  it('records a successful read: who, why, what, whose, which fields', async () => {
    const query = 'query Marriages($id: ID!) { person(idNumber: $id) { name marriages { date kind } } }';
    const { res, records } = await audited(query, { id: DEMO.husband }, archivist);
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(records).toHaveLength(1);
    const [r] = records;
    expect(r).toMatchObject({
      endpoint: 'graphql',
      principal: { authenticated: true, sub: 'archivist-001', org: '常德市档案馆' },
      purpose: 'archive-management',
      caseNumber: null,
      operationName: 'Marriages',
      operationType: 'query',
      document: query,
      documentHash: createHash('sha256').update(query).digest('hex'),
      variables: { id: DEMO.husband },
      outcome: 'OK',
      errorCodes: [],
      cacheHit: false,
      httpStatus: 200,
      fieldsDenied: [],
    });
    expect(r.principal.scopes).toContain('marriage:read');
    expect(r.clientAddress).toMatch(/127\.0\.0\.1/);
    expect(r.subjects).toContain(DEMO.husband);
    expect(r.fieldsReturned).toEqual(['MarriageRecord.date', 'MarriageRecord.kind', 'Person.marriages', 'Person.name', 'Query.person']);
    expect(r.durationMs).toBeGreaterThan(0);
    expect(Date.now() - Date.parse(r.time)).toBeLessThan(60_000);
  });

  it('lists both people of a join (person -> spouse -> spouse properties) as subjects', async () => {
    const { res, records } = await audited(
      'query($id: ID!) { person(idNumber: $id) { marriages { spouse { idNumber realEstate { certificateNumber } } } } }',
      { id: DEMO.husband },
      archivist,
    );
    expect(res.errors).toBeUndefined();
    expect(records).toHaveLength(1);
    expect(records[0].subjects).toEqual(expect.arrayContaining([DEMO.husband, DEMO.wife]));
    expect(records[0].fieldsReturned).toEqual(expect.arrayContaining(['MarriageRecord.spouse', 'Person.realEstate', 'PropertyRight.certificateNumber']));
  });

  it('records a response served from the cache, with the subjects of the cached answer', async () => {
    const query = 'query Cached($id: ID!) { person(idNumber: $id) { name sex } }';
    const first = await audited(query, { id: DEMO.wife }, archivist);
    const second = await audited(query, { id: DEMO.wife }, archivist);
    expect(second.res.data).toEqual(first.res.data);
    expect([first.records.length, second.records.length]).toEqual([1, 1]);
    expect(first.records[0].cacheHit).toBe(false);
    expect(second.records[0]).toMatchObject({ cacheHit: true, outcome: 'OK', subjects: [DEMO.wife], fieldsReturned: first.records[0].fieldsReturned });
  });

  it('records refused fields (PARTIAL) and a fully refused request (DENIED)', async () => {
    const partial = await audited(
      'query($id: ID!) { person(idNumber: $id) { medicalInsurance { settlements(first: 2) { items { hospitalName diagnosis { code } } } } } }',
      { id: DEMO.husband },
      archivist, // no medical:sensitive
    );
    expect(partial.res.errors?.[0].extensions?.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    expect(partial.records).toHaveLength(1);
    expect(partial.records[0]).toMatchObject({ outcome: 'PARTIAL', fieldsDenied: ['MedicalSettlement.diagnosis'], errorCodes: ['UNAUTHORIZED_FIELD_OR_TYPE'] });
    expect(partial.records[0].fieldsReturned).toContain('MedicalSettlement.hospitalName');
    expect(partial.records[0].fieldsReturned).not.toContain('MedicalSettlement.diagnosis');

    const denied = await audited('query($id: ID!) { person(idNumber: $id) { name } }', { id: DEMO.husband }, auditor);
    expect(denied.records).toHaveLength(1);
    expect(denied.records[0]).toMatchObject({ outcome: 'DENIED', fieldsDenied: ['Query.person'], principal: { sub: 'auditor-001' } });
  });

  it('records unauthenticated, invalid and malformed-ID requests', async () => {
    const unauthenticated = await audited('{ person(idNumber: "430702198503151239") { name } }', undefined, { authorization: 'Bearer not-a-jwt' });
    expect(unauthenticated.res.status).toBe(401);
    expect(unauthenticated.records).toHaveLength(1);
    expect(unauthenticated.records[0]).toMatchObject({ outcome: 'UNAUTHENTICATED', httpStatus: 401, principal: { authenticated: false, sub: 'anonymous' }, subjects: [] });

    const invalid = await audited('{ person(idNumber: "430702198503151239") { noSuchField } }', undefined, archivist);
    expect(invalid.res.status).toBe(400);
    expect(invalid.records).toHaveLength(1);
    expect(invalid.records[0]).toMatchObject({ outcome: 'ERROR', errorCodes: ['GRAPHQL_VALIDATION_FAILED'], httpStatus: 400 });

    const malformed = await audited('{ person(idNumber: "430702198503151230") { name } }', undefined, archivist);
    expect(malformed.res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(malformed.records).toHaveLength(1);
    expect(malformed.records[0]).toMatchObject({ outcome: 'ERROR', errorCodes: ['BAD_USER_INPUT'], subjects: [], fieldsReturned: [] });

    const unparsable = await audited('{ person(', undefined, archivist);
    expect(unparsable.records).toHaveLength(1);
    expect(unparsable.records[0]).toMatchObject({ outcome: 'ERROR', errorCodes: ['GRAPHQL_PARSE_FAILED'], document: '{ person(' });
  });

  it('lets an auditor find the request just made, and audits the auditor', async () => {
    const made = await audited('query Lookup($id: ID!) { person(idNumber: $id) { name } }', { id: DEMO.wife }, archivist);
    const search = `query($f: AuditFilter, $first: Int, $after: String) {
      auditRecords(filter: $f, first: $first, after: $after) {
        edges { cursor node { id seq operationName subjects purpose outcome principal { sub org } hash prevHash variables } }
        pageInfo { hasNextPage endCursor }
      } }`;
    const since = new Date(Date.now() - 60_000).toISOString();
    const found = await audited(search, { f: { subject: DEMO.wife, actor: 'archivist-001', purpose: 'archive-management', from: since, outcome: 'OK' }, first: 1 }, auditor, auditUrl());
    expect(found.res.errors).toBeUndefined();
    const { edges, pageInfo } = found.res.data.auditRecords;
    expect(edges[0].node).toMatchObject({ id: made.records[0].id, operationName: 'Lookup', principal: { sub: 'archivist-001', org: '常德市档案馆' } });
    expect(JSON.parse(edges[0].node.variables)).toEqual({ id: DEMO.wife });
    expect(pageInfo.hasNextPage).toBe(true); // the join test above returned the wife's records too
    const next = await gql(auditUrl(), search, { f: { subject: DEMO.wife }, first: 5, after: pageInfo.endCursor }, auditor);
    expect(next.data.auditRecords.edges.every((e: any) => e.node.seq < edges[0].node.seq)).toBe(true);

    // The auditor's own query is in the log, as an audit-endpoint record with no subjects.
    expect(found.records).toHaveLength(1);
    expect(found.records[0]).toMatchObject({ endpoint: 'audit', outcome: 'OK', principal: { sub: 'auditor-001' }, subjects: [] });
    expect(found.records[0].fieldsReturned).toContain('AuditRecord.subjects');

    const byId = await gql(auditUrl(), 'query($id: ID!) { auditRecord(id: $id) { seq hash fieldsReturned } }', { id: made.records[0].id }, auditor);
    expect(byId.data.auditRecord.fieldsReturned).toEqual(['Person.name', 'Query.person']);
    const status = await gql(auditUrl(), '{ auditChainStatus { ok records anchored problem { seq reason } } }', undefined, auditor);
    expect(status.data.auditChainStatus).toMatchObject({ ok: true, anchored: true, problem: null });
  });

  it('refuses non-auditors (FORBIDDEN / UNAUTHENTICATED) and bad input (BAD_USER_INPUT), and records them', async () => {
    const query = '{ auditRecords { edges { node { id } } } }';
    const forbidden = await audited(query, undefined, archivist, auditUrl());
    expect(forbidden.res.status).toBe(403);
    expect(forbidden.res.data).toBeUndefined();
    expect(forbidden.res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(forbidden.records[0]).toMatchObject({ endpoint: 'audit', outcome: 'DENIED', principal: { sub: 'archivist-001' } });

    const anonymous = await audited(query, undefined, {}, auditUrl());
    expect(anonymous.res.status).toBe(401);
    expect(anonymous.res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

    for (const [args, argumentName] of [
      ['filter: { from: "yesterday" }', 'filter.from'],
      ['filter: { subject: "430702198503151230" }', 'filter.subject'],
      ['first: 1000', 'first'],
      ['after: "abc"', 'after'],
      ['filter: { from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }', 'filter.to'],
    ]) {
      const bad = await gql(auditUrl(), `{ auditRecords(${args}) { edges { cursor } } }`, undefined, auditor);
      expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName });
    }
  });

  it('reports the audit store in /readyz', async () => {
    const res = await fetch(fed.url.replace(/\/graphql$/, '/readyz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready', audit: 'reachable' });
  });

  it('fails closed when the audit store goes away while serving, and recovers when it is back', async () => {
    const proxy = await tcpProxy(5432);
    const gw = await startGateway(fed, { AUDIT_DB_URL: `postgres://postgres@127.0.0.1:${proxy.port}${new URL(AUDIT_URL).pathname}` });
    const query = 'query($id: ID!) { person(idNumber: $id) { name } }';
    try {
      expect((await gql(gw.url, query, { id: DEMO.husband }, archivist)).status).toBe(200);
      await proxy.close(); // connections cut, nothing listening
      const refused = await gql(gw.url, query, { id: DEMO.husband }, archivist);
      expect(refused).toMatchObject({ status: 503, errors: [{ extensions: { code: 'AUDIT_UNAVAILABLE' } }] });
      expect(refused.data).toBeUndefined();
      await proxy.open();
      expect((await gql(gw.url, query, { id: DEMO.husband }, archivist)).status).toBe(200);
    } finally {
      await gw.stop();
      await proxy.close();
    }
  });

  it('fails closed: with the audit store down, record reads are 503 AUDIT_UNAVAILABLE with no data', async () => {
    // Nothing listens on port 1: the store is unreachable from the start.
    const down = await startGateway(fed, { AUDIT_DB_URL: 'postgres://postgres@127.0.0.1:1/af_test_audit_down', AUDIT_WRITE_TIMEOUT_MS: '2000' });
    try {
      const res = await gql(down.url, 'query($id: ID!) { person(idNumber: $id) { name marriages { spouse { name } } } }', { id: DEMO.husband }, archivist);
      expect(res.status).toBe(503);
      expect(res.data).toBeUndefined();
      expect(res.errors).toHaveLength(1);
      expect(res.errors![0].extensions?.code).toBe('AUDIT_UNAVAILABLE');
      expect(JSON.stringify(res)).not.toContain('张建国');

      const auditors = await gql(down.url.replace(/\/graphql$/, '/audit/graphql'), '{ auditRecords { edges { cursor } } }', undefined, auditor);
      expect(auditors.status).toBe(503);
      expect(auditors.errors?.[0].extensions?.code).toBe('AUDIT_UNAVAILABLE');

      // An error-only answer reveals no records: it keeps its own status.
      const unauthenticated = await gql(down.url, '{ person(idNumber: "430702198503151239") { name } }', undefined, { authorization: 'Bearer not-a-jwt' });
      expect(unauthenticated.status).toBe(401);

      const ready = await fetch(down.url.replace(/\/graphql$/, '/readyz'));
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ audit: 'unreachable' });
    } finally {
      await down.stop();
    }
  });
});

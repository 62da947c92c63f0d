/**
 * Trusted operations (issue 18, item 1) against real PostgreSQL: a client system's manifest is
 * published and approved with `npm run operations`, then runs by id and by (re-formatted) body on
 * two gateway replicas sharing the store; unlisted documents are refused (or logged), a retired
 * operation stops running, and the audit record names the client and the operation.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { DEMO } from '../../subgraphs/common/population';
import { dropDatabase } from '../../lib/db';
import { findRole } from '../../lib/roles';
import { clientToken, roleHeaders, testDbUrl } from '../helpers';
import { metric } from './cache-helpers';
import { startFederation, startGateway, type Federation } from '../federation';

const DB_URL = testDbUrl('postgres', 'trusted_ops')!;
const CLIENT = `court-case-system-${process.pid}`;
const PERSON = `query Person($id: ID!) {
  person(idNumber: $id) { name }
}`;
const PERSON_ID = createHash('sha256').update(PERSON).digest('hex');
const MARRIAGES = 'query Marriages($id: ID!) { person(idNumber: $id) { marriages { kind } } }';
const MARRIAGES_ID = 'marriages-v1';
const UNLISTED = 'query Unlisted($id: ID!) { person(idNumber: $id) { name maritalStatus } }';
// Waits past TRUSTED_OPERATIONS_CACHE_SECONDS so every replica reads the store again.
const CACHE_SECONDS = 0.3;
const pastCache = () => new Promise((r) => setTimeout(r, CACHE_SECONDS * 1000 + 100));

/** Runs `npm run operations -- …` as an operator would, on the test's database. */
function operations(...args: string[]): { status: number | null; out: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/operations.ts', ...args], {
    env: { ...process.env, OPERATIONS_DB_URL: DB_URL, LOG_LEVEL: 'silent' },
    encoding: 'utf8',
  });
  return { status: run.status, out: run.stdout + run.stderr };
}

describe('trusted operations (PostgreSQL, two replicas)', () => {
  let fed: Federation;
  let replica: { url: string; stop(): Promise<void> };
  let logging: { url: string; stop(): Promise<void> };
  let db: pg.Pool;
  let court: Record<string, string>;
  let archivist: Record<string, string>;
  const logLines: string[] = [];
  const env = { AUDIT_DB_URL: DB_URL, TRUSTED_OPERATIONS: 'refuse', TRUSTED_OPERATIONS_CACHE_SECONDS: String(CACHE_SECONDS), TRUSTED_OPERATIONS_EXEMPT_SCOPES: 'pii:unmasked' };

  /** POSTs `body` as the court's client system (or `headers`); returns status, body and the audit records. */
  async function send(url: string, body: Record<string, unknown>, headers: Record<string, string> = { ...court, 'apollographql-client-name': CLIENT }) {
    const requestId = `t-${randomUUID()}`;
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...headers }, body: JSON.stringify(body) });
    const json = await res.json();
    const { rows } = await db.query<{ body: string }>(`SELECT body FROM audit_record WHERE body::jsonb->>'requestId' = $1`, [requestId]);
    return { status: res.status, ...json, records: rows.map((r) => JSON.parse(r.body)) };
  }

  beforeAll(async () => {
    await dropDatabase(DB_URL);
    [court, archivist] = await Promise.all([roleHeaders('court'), roleHeaders('archivist')]);
    fed = await startFederation({ env });
    replica = await startGateway(fed, env);
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logLines.push(line) });
    logging = await startGateway(fed, { ...env, TRUSTED_OPERATIONS: 'log' }, { logger });
    db = new pg.Pool({ connectionString: DB_URL, max: 2 });
  }, 60_000);
  afterAll(async () => {
    await logging?.stop();
    await replica?.stop();
    await fed?.stop();
    await db?.end();
    await dropDatabase(DB_URL);
  });

  it('refuses a client system’s document before it is published, with 403 PERSISTED_QUERY_NOT_IN_LIST, and audits it', async () => {
    const res = await send(fed.url, { query: PERSON, variables: { id: DEMO.husband } });
    expect(res.status).toBe(403);
    expect(res.data).toBeUndefined();
    expect(res.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    expect(res.records).toHaveLength(1);
    expect(res.records[0]).toMatchObject({ client: CLIENT, errorCodes: ['PERSISTED_QUERY_NOT_IN_LIST'], httpStatus: 403 });
    expect(res.records[0].operationId).toBeUndefined();
  });

  it('publishes a manifest (pending), then runs its operations once approved', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'af-manifest-'));
    const manifest = path.join(dir, 'manifest.json');
    writeFileSync(
      manifest,
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [
          { id: PERSON_ID, name: 'Person', type: 'query', body: PERSON },
          { id: MARRIAGES_ID, name: 'Marriages', type: 'query', body: MARRIAGES },
        ],
      }),
    );
    const published = operations('publish', '--client', CLIENT, manifest);
    expect(published).toMatchObject({ status: 0 });
    expect(published.out).toMatch(/2 new operation\(s\) pending approval/);
    await pastCache();
    // Published is not approved.
    expect((await send(fed.url, { query: PERSON, variables: { id: DEMO.husband } })).status).toBe(403);

    expect(operations('approve', '--client', CLIENT, '--all')).toMatchObject({ status: 0 });
    const listed = operations('list', '--client', CLIENT);
    expect(listed.out).toContain(`${CLIENT}\t${MARRIAGES_ID}\tapproved`);
    await pastCache();

    const byBody = await send(fed.url, { query: PERSON, variables: { id: DEMO.husband } });
    expect(byBody.errors).toBeUndefined();
    expect(byBody.data.person.name).toMatch(/^张/);
    expect(byBody.records[0]).toMatchObject({ client: CLIENT, operationId: PERSON_ID, outcome: 'OK' });
  });

  it('matches a body with other whitespace, commas and comments', async () => {
    const reformatted = `# the court's person lookup\nquery Person($id: ID!) {person(idNumber: $id) {\n\n  name, # only the name\n}}`;
    const res = await send(fed.url, { query: reformatted, variables: { id: DEMO.husband } });
    expect(res.errors).toBeUndefined();
    expect(res.data.person.name).toMatch(/^张/);
    expect(res.records[0].operationId).toBe(PERSON_ID);
  });

  it('runs an operation sent by id only (persistedQuery extension, documentId, id) on either replica', async () => {
    const variables = { id: DEMO.husband };
    for (const url of [fed.url, replica.url]) {
      const apollo = await send(url, { extensions: { persistedQuery: { version: 1, sha256Hash: PERSON_ID } }, variables });
      expect(apollo.errors).toBeUndefined();
      expect(apollo.data.person.name).toMatch(/^张/);
      expect(apollo.records[0]).toMatchObject({ client: CLIENT, operationId: PERSON_ID });
      // An id that is not a hash of the document (Apollo Router's manifests allow any id).
      const named = await send(url, { documentId: MARRIAGES_ID, variables });
      expect(named.errors).toBeUndefined();
      expect(named.data.person.marriages.length).toBeGreaterThan(0);
      expect(named.records[0]).toMatchObject({ operationId: MARRIAGES_ID });
      const plain = await send(url, { id: MARRIAGES_ID, variables });
      expect(plain.data.person.marriages.length).toBeGreaterThan(0);
    }
  });

  it('gives another client system nothing of this one’s list, and an unknown id is not found', async () => {
    const other = await send(fed.url, { query: PERSON, variables: { id: DEMO.husband } }, { ...court, 'apollographql-client-name': 'housing-subsidy-system' });
    expect(other.status).toBe(403);
    expect(other.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    const unknown = await send(fed.url, { documentId: 'no-such-operation', variables: { id: DEMO.husband } });
    expect(unknown.data).toBeUndefined();
    expect(unknown.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('refuses an unlisted document in refuse mode and serves and logs it in log mode', async () => {
    const refused = await send(replica.url, { query: UNLISTED, variables: { id: DEMO.husband } });
    expect(refused.status).toBe(403);
    expect(refused.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    const logged = await send(logging.url, { query: UNLISTED, variables: { id: DEMO.husband } });
    expect(logged.errors).toBeUndefined();
    expect(logged.data.person.name).toMatch(/^张/);
    const line = logLines.map((l) => JSON.parse(l)).find((l) => /not in the client/.test(l.msg));
    expect(line).toMatchObject({ client: CLIENT, operationName: 'Unlisted' });
    expect(logged.records[0]).toMatchObject({ client: CLIENT });
    expect(logged.records[0].operationId).toBeUndefined();
    expect(await metric(logging.url, `gateway_trusted_operations_total{client="${CLIENT}",result="logged"}`)).toBe(1);
    expect(await metric(replica.url, `gateway_trusted_operations_total{client="${CLIENT}",result="refused"}`)).toBeGreaterThanOrEqual(1);
  });

  it('names the client by a token claim when configured, ignoring the header', async () => {
    const claimed = await startGateway(fed, { ...env, TRUSTED_OPERATIONS_CLIENT_CLAIM: 'client_id', TRUSTED_OPERATIONS_REQUIRE_CLIENT: 'true' });
    try {
      const court = findRole('court');
      const withClaim = await clientToken({ sub: 'case-system', scopes: court.scopes, org: court.org, category: court.category, extra: { client_id: CLIENT } });
      const served = await send(claimed.url, { documentId: MARRIAGES_ID, variables: { id: DEMO.husband } }, { ...(await roleHeaders('court')), authorization: `Bearer ${withClaim}` });
      expect(served.errors).toBeUndefined();
      expect(served.records[0]).toMatchObject({ client: CLIENT, operationId: MARRIAGES_ID });
      // A token without the claim cannot borrow the client's list by sending its name in the header.
      const borrowed = await send(claimed.url, { query: MARRIAGES, variables: { id: DEMO.husband } }, { ...(await roleHeaders('court')), 'apollographql-client-name': CLIENT });
      expect(borrowed.status).toBe(403);
      expect(borrowed.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      expect(borrowed.records[0].client).toBeUndefined();
    } finally {
      await claimed.stop();
    }
  });

  it('lets exempt scopes and requests naming no client system through', async () => {
    const archivistRes = await send(fed.url, { query: UNLISTED, variables: { id: DEMO.husband } }, { ...archivist, 'apollographql-client-name': CLIENT });
    expect(archivistRes.errors).toBeUndefined();
    const unnamed = await send(fed.url, { query: UNLISTED, variables: { id: DEMO.husband } }, court);
    expect(unnamed.errors).toBeUndefined();
  });

  it('refuses a retired operation on every replica within the cache time', async () => {
    expect(operations('retire', '--client', CLIENT, PERSON_ID)).toMatchObject({ status: 0 });
    await pastCache();
    for (const url of [fed.url, replica.url]) {
      const res = await send(url, { query: PERSON, variables: { id: DEMO.husband } });
      expect(res.status).toBe(403);
      expect(res.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      // By id it is no longer the client's: automatic persisted queries do not know it either.
      const byId = await send(url, { documentId: PERSON_ID, variables: { id: DEMO.husband } });
      expect(byId.data).toBeUndefined();
    }
    // --all approves pending operations only: a retired one stays retired.
    expect(operations('approve', '--client', CLIENT, '--all').out).toMatch(/0 operation\(s\) approved/);
  });
});

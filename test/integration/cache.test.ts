/**
 * The response cache and APQ in the real Redis (127.0.0.1:6379 or TEST_REDIS_URL), under a key
 * prefix of this run's own that is removed afterwards; fails (never skips) without Redis. A
 * request served from the cache is recognised by the subgraphs' SQL statement counts not moving.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { sql } from 'kysely';
import { DEMO } from '../../subgraphs/common/population';
import { makeIdNumber } from '../../lib/id-number';
import { gql, MYSQL_URL, REDIS_URL, roleHeaders, testDbUrl } from '../helpers';
import { dropDatabase } from '../../lib/db';
import { startFederation, startGateway, type Federation } from '../federation';
import { cacheKeys, dropKeys, metric, runScript, sqlDelta } from './cache-helpers';

const PREFIX = `af-test:${process.pid}-${Date.now()}:`;
// A generous command timeout: a busy test machine must not turn a hit into a timed-out bypass here.
const CACHE_ENV = { REDIS_URL, CACHE_KEY_PREFIX: PREFIX, CACHE_COMMAND_TIMEOUT_MS: '1000' };

const DOSSIER = `query Dossier($id: ID!) {
  person(idNumber: $id) {
    idNumber name maritalStatus
    marriages { id kind office spouseName spouse { idNumber name medicalInsurance { personType } } }
    realEstate { unitNumber location coOwners { idNumber } }
    medicalInsurance { personType }
  }
}`;

describe('response cache in Redis', () => {
  let fed: Federation;
  let redis: Redis;
  let archivist: Record<string, string>;
  let court: Record<string, string>;
  const dossier = (headers: Record<string, string>, id: string = DEMO.husband) => gql(fed.url, DOSSIER, { id }, headers);
  /** Runs `request`, returning its response and how many SQL statements the subgraphs ran for it. */
  const measured = async <T>(request: () => Promise<T>) => {
    const before = fed.statements();
    const res = await request();
    return { res, sql: sqlDelta(before, fed.statements()) };
  };

  // Replicas write their audit records to throwaway PostgreSQL databases (embedded PGlite is slow to start).
  const auditDbs: string[] = [];
  const auditDb = async (name: string) => {
    const url = testDbUrl('postgres', `audit_${name}`)!;
    auditDbs.push(url);
    return url;
  };

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect(); // no Redis: the suite fails here
    fed = await startFederation({ env: CACHE_ENV });
    archivist = await roleHeaders('archivist');
    court = await roleHeaders('court');
  });
  afterAll(async () => {
    await fed?.stop();
    for (const url of auditDbs) await dropDatabase(url);
    if (redis) await dropKeys(redis, PREFIX);
    redis?.disconnect();
  });

  it('answers the second identical request from Redis without a subgraph statement', async () => {
    const first = await measured(() => dossier(archivist));
    expect(first.res.errors).toBeUndefined();
    expect(first.sql).toBeGreaterThan(0);
    expect(await cacheKeys(redis, `${PREFIX}{cache}r:*`)).not.toHaveLength(0);

    const second = await measured(() => dossier(archivist));
    expect(second.sql).toBe(0);
    expect(second.res.data).toEqual(first.res.data);
    expect(await metric(fed.url, 'gateway_cache_requests_total{cache="response",result="hit"}')).toBeGreaterThanOrEqual(1);
  });

  it('sends the same Cache-Control on a miss and on a hit: no-store, no remaining max-age to read', async () => {
    const query = 'query($id: ID!) { person(idNumber: $id) { name maritalStatus } }'; // answered without errors, hinted 600 s
    const post = () => fetch(fed.url, { method: 'POST', headers: { 'content-type': 'application/json', ...archivist }, body: JSON.stringify({ query, variables: { id: DEMO.wife } }) });
    const miss = await post();
    expect(miss.headers.get('cache-control')).toBe('no-store');
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a hit's remaining TTL would now be lower
    const before = fed.statements();
    const hit = await post();
    expect(sqlDelta(before, fed.statements())).toBe(0);
    expect(hit.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses 10,000 IDs in a variable the operation does not declare, and writes no tag for them', async () => {
    const tagsBefore = (await cacheKeys(redis, `${PREFIX}{cache}tag:*`)).length;
    const ids = Array.from({ length: 10_000 }, (_, i) => makeIdNumber('430702', `${1900 + Math.floor(i / 1000)}-01-01`, i % 1000));
    const res = await gql(fed.url, 'query($id: ID!) { person(idNumber: $id) { name } }', { id: DEMO.husband, junk: ids }, archivist);
    expect(res.status).toBe(400);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', variableName: 'junk' });
    expect(res.data ?? null).toBeNull();
    expect((await cacheKeys(redis, `${PREFIX}{cache}tag:*`)).length).toBe(tagsBefore);
  });

  it('does not cache an answer showing more persons than CACHE_MAX_TAGS; a smaller one is cached', async () => {
    const prefix = `${PREFIX}small:`;
    const replica = await startGateway(fed, { ...CACHE_ENV, CACHE_KEY_PREFIX: prefix, CACHE_MAX_TAGS: '2', AUDIT_DB_URL: await auditDb('tags') });
    try {
      const ask = (query: string) => measured(() => gql(replica.url, query, { id: DEMO.husband }, archivist));
      await ask(DOSSIER); // husband, wife, ex-wife, co-owners: more than 2
      expect((await ask(DOSSIER)).sql).toBeGreaterThan(0);
      expect(await cacheKeys(redis, `${prefix}{cache}r:*`)).toHaveLength(0);
      const one = 'query($id: ID!) { person(idNumber: $id) { name } }';
      await ask(one);
      expect((await ask(one)).sql).toBe(0);
      expect(await cacheKeys(redis, `${prefix}{cache}tag:*`)).toEqual([`${prefix}{cache}tag:Person:${DEMO.husband}`]);
      expect(await metric(replica.url, 'gateway_cache_writes_total{outcome="too_many_tags"}')).toBeGreaterThanOrEqual(1);
    } finally {
      await replica.stop();
    }
  });

  it('the in-memory cache keeps to its byte budget: a new answer evicts older ones long before the entry limit', async () => {
    const replica = await startGateway(fed, { CACHE_MEMORY_MAX_BYTES: '100000', AUDIT_DB_URL: await auditDb('memory') }); // no REDIS_URL: in memory
    try {
      // Two answers of ~12,000 characters, their 100 subjects and 100 tags each (~60 KB counted): one fits 100 KB, two do not.
      const ids = fed.population.persons.map((p) => p.idNumber);
      const list = (from: number) => measured(() => gql(replica.url, 'query($ids: [ID!]!) { persons(idNumbers: $ids) { idNumber name phone address birthDate } }', { ids: ids.slice(from, from + 100) }, archivist));
      const a = await list(0);
      expect(a.res.errors).toBeUndefined();
      expect(JSON.stringify(a.res.data).length).toBeGreaterThan(11_000);
      expect((await list(0)).sql).toBe(0); // cached
      await list(100); // stored, evicting the first
      expect((await list(100)).sql).toBe(0);
      expect((await list(0)).sql).toBeGreaterThan(0); // evicted by bytes, with 2 of 10,000 entries used
    } finally {
      await replica.stop();
    }
  });

  it('never shares an entry between callers of different scopes; denials come back on a hit too', async () => {
    await dossier(archivist);
    const first = await measured(() => dossier(court));
    expect(first.sql).toBeGreaterThan(0); // not the archivist's entry
    const p = first.res.data.person;
    expect(p.name).toBe('张**');
    expect(p.marriages.at(-1).spouse.idNumber).toBe('430***********2420');
    expect(p.medicalInsurance).toBeNull();

    const again = await measured(() => dossier(court));
    expect(again.sql).toBe(0);
    expect(again.res.data).toEqual(first.res.data); // masked and denied exactly as the first time
    expect(again.res.errors).toEqual(first.res.errors);
    expect(again.res.errors?.map((e) => e.extensions?.code)).toContain('UNAUTHORIZED_FIELD_OR_TYPE');
  });

  it('never shares an entry between two citizens (self)', async () => {
    const query = 'query($id: ID!) { person(idNumber: $id) { name maritalStatus } }';
    const husband = await roleHeaders('citizen', { sub: DEMO.husband, caseNumber: null });
    const wife = await roleHeaders('citizen', { sub: DEMO.wife, caseNumber: null });
    await gql(fed.url, query, { id: DEMO.husband }, husband);
    const own = await measured(() => gql(fed.url, query, { id: DEMO.husband }, husband));
    expect(own.sql).toBe(0);
    expect(own.res.data.person.name).toBe('张建国');

    // The same query and variables from another citizen: the row-level rule, not his cached answer
    // (refused at the root, before any statement), and never from the cache either.
    const hits = () => metric(fed.url, 'gateway_cache_requests_total{cache="response",result="hit"}');
    const before = await hits();
    for (let i = 0; i < 2; i++) {
      const other = await gql(fed.url, query, { id: DEMO.husband }, wife);
      expect(other.data?.person ?? null).toBeNull();
      expect(other.errors?.map((e) => e.extensions?.code)).toContain('FORBIDDEN');
    }
    expect(await hits()).toBe(before); // an answer with errors other than denials is never cached
  });

  it('serves no stale answer after a correction: every cached answer showing a changed person is dropped', async () => {
    await dossier(archivist);
    await dossier(archivist, DEMO.wife);
    const before = (await dossier(archivist)).data.person;
    const current = before.marriages.at(-1);
    expect((await measured(() => dossier(archivist, DEMO.wife))).sql).toBe(0); // both cached

    const office = '常德市武陵区民政局婚姻登记处(更正)';
    const fix = await gql(fed.url, 'mutation($id: ID!, $office: String!) { correctMarriageOffice(id: $id, office: $office) { idNumber } }', { id: current.id, office }, archivist);
    expect(fix.errors).toBeUndefined();
    expect(fix.data.correctMarriageOffice.map((p: any) => p.idNumber).sort()).toEqual([DEMO.husband, DEMO.wife].sort());

    expect((await dossier(archivist)).data.person.marriages.at(-1).office).toBe(office);
    expect((await dossier(archivist, DEMO.wife)).data.person.marriages.at(-1).office).toBe(office);

    // A person reached through a join: the wife's name and medical insurance in the husband's dossier.
    await dossier(archivist);
    await gql(fed.url, 'mutation { correctPersonName(idNumber: "430702198706222420", name: "李秀瑛") { idNumber } }', undefined, archivist);
    await gql(fed.url, 'mutation { correctMedicalPersonType(idNumber: "430702198706222420", personType: RETIRED) { idNumber } }', undefined, archivist);
    const spouse = (await dossier(archivist)).data.person.marriages.at(-1).spouse;
    expect(spouse.name).toBe('李秀瑛');
    expect(spouse.medicalInsurance.personType).toBe('RETIRED');
  });

  it('drops the entries of every gateway replica sharing the Redis', async () => {
    // Replicas sharing a Redis share the audit database too: it holds the durable invalidation log.
    const replica = await startGateway(fed, { ...CACHE_ENV, AUDIT_DB_URL: fed.auditDbUrl! });
    try {
      await dossier(archivist);
      const viaReplica = await measured(() => gql(replica.url, DOSSIER, { id: DEMO.husband }, archivist));
      expect(viaReplica.sql).toBe(0); // the replica answers from the entry this gateway stored
      const fix = await gql(replica.url, 'mutation { correctPersonName(idNumber: "430702198503151239", name: "张建國") { name } }', undefined, archivist);
      expect(fix.data.correctPersonName.name).toBe('张建國');
      expect((await dossier(archivist)).data.person.name).toBe('张建國');
    } finally {
      await replica.stop();
    }
  });

  it('refuses a correction without the write scope', async () => {
    const res = await gql(fed.url, 'mutation { correctPersonName(idNumber: "430702198503151239", name: "X") { idNumber } }', undefined, court);
    expect(res.errors?.map((e) => e.extensions?.code)).toContain('UNAUTHORIZED_FIELD_OR_TYPE');
    expect(res.data?.correctPersonName ?? null).toBeNull();
  });

  it('npm run import writes the store and drops the cached answers through the same cache', async () => {
    const right = (await dossier(archivist)).data.person.realEstate.find((r: any) => r.coOwners.length > 0);
    await dossier(archivist, DEMO.wife);
    // An entry written before this replica has read the invalidations the previous test logged is
    // not trusted until it has (the durable invalidation log is re-read every second): ask again.
    let cached = await measured(() => dossier(archivist, DEMO.wife));
    for (let i = 0; i < 30 && cached.sql > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      cached = await measured(() => dossier(archivist, DEMO.wife));
    }
    expect(cached.sql).toBe(0);
    const location = '湖南省常德市武陵区朗州路88号(更正)';
    const dir = mkdtempSync(path.join(os.tmpdir(), 'af-import-'));
    const file = path.join(dir, 'corrections.json');
    writeFileSync(file, JSON.stringify([{ unitNumber: right.unitNumber, location }]));
    // The script opens the store as configured: point it at this federation's real-estate database.
    const { rows } = await sql<{ db: string }>`select database() as db`.execute(fed.subgraphs['real-estate'].store.db);
    // Asynchronously: the gateway runs in this process and must keep serving (a blocked event loop
    // lets its keep-alive sockets time out under the next request).
    const run = await runScript(['scripts/import.ts', '--dept', 'real-estate', '--file', file], {
      ...process.env,
      LOG_LEVEL: 'silent',
      REDIS_URL,
      CACHE_KEY_PREFIX: PREFIX,
      AUDIT_DB_URL: fed.auditDbUrl,
      REAL_ESTATE_DB_URL: `${MYSQL_URL}/${rows[0].db}`,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const after = (await dossier(archivist, DEMO.wife)).data.person.realEstate.find((r: any) => r.unitNumber === right.unitNumber);
    expect(after.location).toBe(location);
  });

  it('round-trips an automatic persisted query through Redis', async () => {
    const query = '{ person(idNumber: "430702198503151239") { maritalStatus } }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const send = (body: object) =>
      fetch(fed.url, { method: 'POST', headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true', ...archivist }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<any>);
    const extensions = { persistedQuery: { version: 1, sha256Hash } };

    expect((await send({ extensions })).errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await send({ query, extensions })).data).toEqual({ person: { maritalStatus: 'MARRIED' } });
    expect(await redis.exists(`${PREFIX}apq:${sha256Hash}`)).toBe(1);
    expect((await send({ extensions })).data).toEqual({ person: { maritalStatus: 'MARRIED' } });
  });
});

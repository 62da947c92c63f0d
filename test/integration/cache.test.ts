/**
 * The response cache and APQ in the real Redis (127.0.0.1:6379 or TEST_REDIS_URL), under a key
 * prefix of this run's own that is removed afterwards; fails (never skips) without Redis. A
 * request served from the cache is recognised by the subgraphs' SQL statement counts not moving.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { sql } from 'kysely';
import { DEMO } from '../../subgraphs/common/population';
import { gql, MYSQL_URL, REDIS_URL, roleHeaders } from '../helpers';
import { startFederation, startGateway, type Federation } from '../federation';
import { cacheKeys, dropKeys, metric, sqlDelta } from './cache-helpers';

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

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect(); // no Redis: the suite fails here
    fed = await startFederation({ env: CACHE_ENV });
    archivist = await roleHeaders('archivist');
    court = await roleHeaders('court');
  });
  afterAll(async () => {
    await fed?.stop();
    if (redis) await dropKeys(redis, PREFIX);
    redis?.disconnect();
  });

  it('answers the second identical request from Redis without a subgraph statement', async () => {
    const first = await measured(() => dossier(archivist));
    expect(first.res.errors).toBeUndefined();
    expect(first.sql).toBeGreaterThan(0);
    expect(await cacheKeys(redis, `${PREFIX}r:*`)).not.toHaveLength(0);

    const second = await measured(() => dossier(archivist));
    expect(second.sql).toBe(0);
    expect(second.res.data).toEqual(first.res.data);
    expect(await metric(fed.url, 'gateway_cache_requests_total{cache="response",result="hit"}')).toBeGreaterThanOrEqual(1);
  });

  it('marks answers private with the TTL of the subgraphs\' cache hints', async () => {
    const res = await fetch(fed.url, { method: 'POST', headers: { 'content-type': 'application/json', ...archivist }, body: JSON.stringify({ query: DOSSIER, variables: { id: DEMO.wife } }) });
    expect(res.headers.get('cache-control')).toBe('max-age=600, private'); // Person/PropertyRight 600 s, the lowest hint selected
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
    const replica = await startGateway(fed, CACHE_ENV);
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
    expect((await measured(() => dossier(archivist, DEMO.wife))).sql).toBe(0);
    const location = '湖南省常德市武陵区朗州路88号(更正)';
    const dir = mkdtempSync(path.join(os.tmpdir(), 'af-import-'));
    const file = path.join(dir, 'corrections.json');
    writeFileSync(file, JSON.stringify([{ unitNumber: right.unitNumber, location }]));
    // The script opens the store as configured: point it at this federation's real-estate database.
    const { rows } = await sql<{ db: string }>`select database() as db`.execute(fed.subgraphs['real-estate'].store.db);
    const run = spawnSync('npx', ['tsx', 'scripts/import.ts', '--dept', 'real-estate', '--file', file], {
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'silent', REDIS_URL, CACHE_KEY_PREFIX: PREFIX, REAL_ESTATE_DB_URL: `${MYSQL_URL}/${rows[0].db}` },
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

/**
 * A correction made while Redis is down is never undone by Redis coming back with its old data.
 * Two gateway replicas share a Redis server this test starts itself (on a free port, its data in a
 * temporary folder; never the shared one) and the audit database. Redis is shut down WITH a
 * snapshot holding a cached answer, a name is corrected through replica A, A stops (its deferred
 * invalidation dies with it), and Redis restarts from the snapshot: neither replica B nor a replica
 * started afterwards may serve the old name.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { DEMO } from '../../subgraphs/common/population';
import { gql, PG_URL, roleHeaders } from '../helpers';
import { startFederation, startGateway, type Federation } from '../federation';
import { eventually, PrivateRedis } from '../private-redis';
import { cacheKeys, runScript, sqlDelta } from './cache-helpers';

const PREFIX = 'af-durable:';
// Two queries showing the name, so replica B and a replica started later each meet a stale entry.
const QUERIES = ['query($id: ID!) { person(idNumber: $id) { name } }', 'query($id: ID!) { person(idNumber: $id) { name sex } }'];

describe('durable cache invalidation (a Redis of its own that restarts with its data)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'af-redis-'));
  let redis: PrivateRedis;
  let fed: Federation;
  let env: Record<string, string>;
  let archivist: Record<string, string>;
  const gateways: Array<{ url: string; stop(): Promise<void> }> = [];
  const replica = async () => {
    const g = await startGateway(fed, env);
    gateways.push(g);
    return g;
  };
  const ask = async (url: string, query = QUERIES[0]) => {
    const before = fed.statements();
    const res = await gql(url, query, { id: DEMO.husband }, archivist);
    expect(res.errors).toBeUndefined();
    return { name: res.data.person.name as string, sql: sqlDelta(before, fed.statements()) };
  };

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    fed = await startFederation();
    // The replicas share this Redis and the federation's audit database (which holds the log).
    env = { REDIS_URL: redis.url, CACHE_KEY_PREFIX: PREFIX, AUDIT_DB_URL: fed.auditDbUrl!, CACHE_COMMAND_TIMEOUT_MS: '1000', CACHE_RETRY_AFTER_MS: '200' };
    archivist = await roleHeaders('archivist');
  });
  afterAll(async () => {
    for (const g of gateways) await g.stop().catch(() => {});
    await fed?.stop();
    await redis?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('no replica serves the pre-correction answer after Redis returns with it and the correcting replica restarted', async () => {
    const a = await replica();
    const b = await replica();
    const old = (await ask(b.url)).name;
    await ask(b.url, QUERIES[1]);
    expect((await ask(b.url)).sql).toBe(0); // cached in Redis
    expect((await ask(a.url, QUERIES[1])).sql).toBe(0); // shared by replica A

    await redis.shutdownSaving();
    const corrected = `${old}(更正)`;
    const fix = await gql(a.url, 'mutation($id: ID!, $n: String!) { correctPersonName(idNumber: $id, name: $n) { name } }', { id: DEMO.husband, n: corrected }, archivist);
    expect(fix.errors).toBeUndefined();
    expect(fix.data.correctPersonName.name).toBe(corrected);
    await a.stop(); // its deferred Redis invalidation dies with it

    await redis.start();
    // Redis is back with both pre-correction answers.
    const stale = await redis.client((c) => cacheKeys(c, `${PREFIX}{cache}r:*`));
    expect(stale.length).toBe(2);

    // A replica started now (A restarted) knows the correction from the log, not from memory.
    const restarted = await replica();
    expect((await ask(restarted.url)).name).toBe(corrected);
    // B reconnects by itself; every answer meanwhile and after is the corrected one, until B
    // answers from the cache again (a fresh entry).
    await eventually(async () => {
      const { name, sql } = await ask(b.url, QUERIES[1]);
      expect(name).toBe(corrected);
      return sql === 0;
    }, 15000);
  });

  it('the same for a correction imported (npm run import) while Redis is down', async () => {
    const b = await replica();
    const old = (await ask(b.url)).name;
    expect((await ask(b.url)).sql).toBe(0);
    await redis.shutdownSaving();

    const file = path.join(dir, 'corrections.json');
    const corrected = `${old}(导入)`;
    writeFileSync(file, JSON.stringify([{ idNumber: DEMO.husband, name: corrected }]));
    const { rows } = await sql<{ db: string }>`select current_database() as db`.execute(fed.subgraphs['social-security'].store.db);
    const run = await runScript(['scripts/import.ts', '--dept', 'social-security', '--file', file], {
      ...process.env,
      LOG_LEVEL: 'silent',
      ...env,
      SOCIAL_SECURITY_DB_URL: `${PG_URL}/${rows[0].db}`,
    });
    expect(run.stdout).toMatch(/1 of 1 corrections applied/);
    expect(run.stderr).toMatch(/Redis could not be reached; the gateways ignore those answers anyway/);
    expect(run.status).toBe(0); // logged durably: Redis being down no longer fails the import

    await redis.start();
    await eventually(async () => {
      const { name, sql } = await ask(b.url);
      expect(name).toBe(corrected);
      return sql === 0;
    }, 15000);
  });
});

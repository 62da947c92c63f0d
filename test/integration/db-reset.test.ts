/**
 * A database restart or failover never takes a process down (issue 12, item 1). Each store reaches
 * the real PostgreSQL/MariaDB through a TCP proxy this test controls; cutting it resets every
 * connection, as a failover does, and pg_terminate_backend ends the backends of this test's own
 * throwaway database. Under load: no uncaught error, requests fail cleanly (503 AUDIT_UNAVAILABLE,
 * STORE_UNAVAILABLE) while the connection is gone, every answered request has its audit record,
 * the chain verifies, and service resumes by itself.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { DB_TIMEOUT_DEFAULTS, loadConfig } from '../../lib/config';
import { dropDatabase, openStore, type Store } from '../../lib/db';
import { createGateway } from '../../gateway/src/server';
import { openAuditStore } from '../../gateway/src/audit/store';
import { verifyStore } from '../../gateway/src/audit/verify';
import { composeSupergraph } from '../../schema/compose';
import { SUBGRAPHS } from '../../subgraphs';
import { createSubgraphServer, type RunningServer, type SubgraphDefinition } from '../../subgraphs/common/server';
import { DEMO } from '../../subgraphs/common/population';
import { gql, internalHeaders, INTERNAL_SECRET, openTestStore, PG_URL, roleHeaders, silentLogger, testDbUrl, testPopulation, type Engine } from '../helpers';
import { startTcpProxy, type TcpProxy } from '../tcp-proxy';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const serverOf = (url: string) => new URL(url).host;

/** Errors the process would otherwise have died of; every test asserts there were none. */
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => void uncaught.push(err);
beforeAll(() => process.on('uncaughtException', onUncaught));
afterAll(() => process.off('uncaughtException', onUncaught));

/** Ends every backend of `database` (this test's own throwaway database only). */
async function terminateBackends(database: string): Promise<number> {
  const admin = new pg.Client({ connectionString: `${PG_URL}/postgres` });
  await admin.connect();
  try {
    const { rows } = await admin.query('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
    return rows.length;
  } finally {
    await admin.end();
  }
}

/** Runs `call` from `clients` loops until `stop()`; keeps every outcome with the time it came back. */
function load<T>(clients: number, call: (i: number) => Promise<T>) {
  const results: Array<{ at: number; result: T }> = [];
  let running = true;
  let n = 0;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      const result = await call(n++);
      results.push({ at: Date.now(), result });
      await sleep(5);
    }
  });
  return {
    results,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/** Time from `since` until the first result after it that `ok` accepts, once none after it fails. */
function recoveredAfter<T>(results: Array<{ at: number; result: T }>, since: number, ok: (r: T) => boolean): number {
  const after = results.filter((r) => r.at >= since);
  const lastFailure = after.reduce((last, r) => (ok(r.result) ? last : Math.max(last, r.at)), since);
  const first = after.find((r) => r.at >= lastFailure && ok(r.result));
  if (!first) throw new Error(`service did not resume: ${JSON.stringify(after.map((r) => [r.at - since, r.result]))}`);
  return first.at - since;
}

describe('gateway: the audit store resets under load', () => {
  const auditUrl = testDbUrl('postgres', 'audit_reset')!;
  let proxy: TcpProxy;
  let running: { url: string; stop(): Promise<void> };

  beforeAll(async () => {
    proxy = await startTcpProxy(serverOf(auditUrl));
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PUBLIC_HOST: '127.0.0.1', DATA_DIR: 'memory', AUDIT_DB_URL: proxy.via(auditUrl), AUDIT_WRITE_TIMEOUT_MS: '3000' });
    // No subgraph is needed: `{ __typename }` is answered by the gateway, and audited like any request.
    const gateway = await createGateway({ config, logger: silentLogger, supergraphSdl: composeSupergraph(), subgraphUrls: {} });
    running = await gateway.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await running?.stop();
    await proxy?.close();
    await dropDatabase(auditUrl);
  });

  it('connections cut twice and backends terminated: 503 AUDIT_UNAVAILABLE meanwhile, no crash, every 200 audited, chain intact, resumes', async () => {
    const headers = await roleHeaders('archivist');
    const traffic = load(6, async () => {
      const requestId = `reset-${randomUUID()}`;
      const res = await gql(running.url, '{ __typename }', undefined, { ...headers, 'x-request-id': requestId });
      return { requestId, status: res.status, code: res.errors?.[0]?.extensions?.code as string | undefined };
    });
    const answered = (r: { status: number }) => r.status === 200;
    const recoveries: number[] = [];
    try {
      await until(() => traffic.results.some((r) => answered(r.result))); // the store is open
      for (const fault of ['cut', 'terminate', 'cut'] as const) {
        await sleep(700);
        const at = Date.now();
        if (fault === 'cut') proxy.cut();
        else expect(await terminateBackends(new URL(auditUrl).pathname.slice(1))).toBeGreaterThan(0);
        await sleep(1500);
        recoveries.push(recoveredAfter(traffic.results, at, answered));
      }
    } finally {
      await traffic.stop();
    }
    const results = traffic.results.map((r) => r.result);

    expect(uncaught).toEqual([]);
    const refused = results.filter((r) => !answered(r));
    for (const r of refused) expect(r).toMatchObject({ status: 503, code: 'AUDIT_UNAVAILABLE' });
    const ok = results.filter(answered);
    expect(ok.length).toBeGreaterThan(20);
    for (const ms of recoveries) expect(ms).toBeLessThan(1500);

    const store = await openAuditStore(auditUrl, 'memory');
    try {
      const { rows } = await sql<{ id: string }>`SELECT body::jsonb->>'requestId' AS id FROM audit_record`.execute(store.db);
      const recorded = new Set(rows.map((r) => r.id));
      expect(ok.filter((r) => !recorded.has(r.requestId))).toEqual([]);
      expect(await verifyStore(store)).toMatchObject({ ok: true, problem: null });
      console.log(`audit store resets: ${ok.length} answered, ${refused.length} refused (AUDIT_UNAVAILABLE), ${rows.length} audit records; recovered after ${recoveries.join(', ')} ms`);
    } finally {
      await store.close();
    }
  }, 30_000);
});

/** Shorter than the defaults, to keep the frozen-connection test short. */
const TEST_TIMEOUTS = { ...DB_TIMEOUT_DEFAULTS, connectTimeoutMs: 2000, statementTimeoutMs: 2000 };

/** A department's subgraph seeded directly, then served on a store that reaches its database through `proxy`. */
async function proxiedSubgraph(def: SubgraphDefinition, engine: Engine) {
  const url = testDbUrl(engine, def.name)!;
  const seeded = await openTestStore(def, engine, url);
  await def.seed(seeded, testPopulation(50));
  await seeded.close();
  const proxy = await startTcpProxy(serverOf(url));
  const store: Store<unknown> = await openStore({ name: def.name, url: proxy.via(url), dataDir: 'memory', createDatabase: false, timeouts: TEST_TIMEOUTS });
  const server: RunningServer = await (await createSubgraphServer(def, { store, logger: silentLogger, internalSecret: INTERNAL_SECRET })).listen(0);
  return {
    proxy,
    url,
    server,
    async stop() {
      await server.stop();
      await store.close();
      await proxy.close();
      await dropDatabase(url);
    },
  };
}

const SUBGRAPH_CASES: Array<{ name: 'social-security' | 'real-estate'; engine: Engine; query: string; ok(data: any): boolean }> = [
  { name: 'social-security', engine: 'postgres', query: `{ person(idNumber: "${DEMO.husband}") { name } }`, ok: (d) => d?.person?.name === '张建国' },
  {
    name: 'real-estate',
    engine: 'mysql',
    query: `{ _entities(representations: [{ __typename: "Person", idNumber: "${DEMO.husband}" }]) { ... on Person { realEstate { unitNumber } } } }`,
    ok: (d) => d?._entities?.[0]?.realEstate?.length > 0,
  },
];

describe.each(SUBGRAPH_CASES)('subgraph $name ($engine): its store resets under load', ({ name, engine, query, ok }) => {
  let sub: Awaited<ReturnType<typeof proxiedSubgraph>>;
  beforeAll(async () => {
    sub = await proxiedSubgraph(SUBGRAPHS[name]!, engine);
  });
  afterAll(() => sub?.stop());

  it('answers STORE_UNAVAILABLE while the connections are gone, never crashes, and resumes', async () => {
    const headers = await internalHeaders(name);
    const traffic = load(6, async () => {
      const res = await gql(sub.server.url, query, undefined, headers);
      return { ok: ok(res.data), codes: (res.errors ?? []).map((e) => e.extensions?.code), messages: (res.errors ?? []).map((e) => e.message) };
    });
    const recoveries: number[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        await sleep(500);
        const at = Date.now();
        if (engine === 'postgres' && i === 1) expect(await terminateBackends(new URL(sub.url).pathname.slice(1))).toBeGreaterThan(0);
        else sub.proxy.cut();
        await sleep(2000);
        recoveries.push(recoveredAfter(traffic.results, at, (r) => r.ok));
      }
    } finally {
      await traffic.stop();
    }
    const results = traffic.results.map((r) => r.result);

    expect(uncaught).toEqual([]);
    const failed = results.filter((r) => !r.ok);
    for (const r of failed) expect(r.codes).toEqual(expect.arrayContaining(['STORE_UNAVAILABLE']));
    for (const r of failed) expect(r.codes.filter((c) => c !== 'STORE_UNAVAILABLE')).toEqual([]);
    expect(results.length - failed.length).toBeGreaterThan(20);
    for (const ms of recoveries) expect(ms).toBeLessThan(2000);
    console.log(`${name} store resets: ${results.length - failed.length} answered, ${failed.length} STORE_UNAVAILABLE; recovered after ${recoveries.join(', ')} ms`);
  }, 30_000);

  it('a frozen connection fails its statement after the statement timeout instead of hanging, then service resumes', async () => {
    // Each statement on the frozen connection is given up 1 s after the statement timeout (2 s here),
    // a new connection after the connect timeout (2 s); a request runs a few statements in turn.
    const headers = await internalHeaders(name);
    sub.proxy.freeze();
    const started = Date.now();
    const stuck = await gql(sub.server.url, query, undefined, headers);
    const waited = Date.now() - started;
    sub.proxy.restore();
    expect(stuck.errors?.map((e) => e.extensions?.code)).toContain('STORE_UNAVAILABLE');
    expect(waited).toBeLessThan(7000);
    const after = await gql(sub.server.url, query, undefined, headers);
    expect(ok(after.data)).toBe(true);
    expect(uncaught).toEqual([]);
    console.log(`${name}: a frozen connection failed after ${waited} ms`);
  }, 30_000);
});

/**
 * Replicas proven locally, as production runs them: three gateway processes (`node gateway/src/main.ts`)
 * behind HAProxy (Debian's package), the four subgraphs on PostgreSQL and MariaDB, a Redis Cluster
 * (three masters with a replica each) and one audit database. Under steady load through HAProxy,
 * one replica is killed with SIGKILL and another stopped with SIGTERM. Every request answered with
 * data has exactly one audit record, the chain verifies, a correction through one replica is seen
 * through the others at once, and clients only ever see an answer or a clean GraphQL error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { DEPARTMENTS, envPrefix, type Department } from '../../lib/config';
import { dropDatabase } from '../../lib/db';
import { openAuditStore } from '../../gateway/src/audit/store';
import { SUBGRAPHS } from '../../subgraphs';
import { DEMO } from '../../subgraphs/common/population';
import { freePort, gql, roleHeaders, startTestSubgraph, testDbUrl, testPopulation, type TestSubgraph } from '../helpers';
import { PRODUCTION_ENGINES } from '../federation';
import { eventually, PrivateRedisCluster } from '../private-redis';
import { runScript } from '../integration/cache-helpers';
import { startLoad, stopLoads } from '../integration/failover-load';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NAME = 'query($id: ID!) { person(idNumber: $id) { name } }';
const CORRECT = 'mutation($id: ID!, $n: String!) { correctPersonName(idNumber: $id, name: $n) { name } }';

/** One gateway process and its output. */
interface Replica {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  output: string;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

describe('three gateway replicas behind HAProxy, under faults', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'af-replicas-'));
  const auditDbUrl = testDbUrl('postgres', 'audit_replicas')!;
  const replicas: Replica[] = [];
  const subgraphs = {} as Record<Department, TestSubgraph<any>>;
  let cluster: PrivateRedisCluster;
  let haproxy: ChildProcess;
  let haproxyLog = '';
  let lbUrl: string;
  let archivist: Record<string, string>;
  const population = testPopulation();

  async function startReplica(name: string): Promise<Replica> {
    const port = await freePort();
    const env: Record<string, string> = {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? os.tmpdir(),
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PUBLIC_HOST: '127.0.0.1',
      GATEWAY_PORT: String(port),
      DATA_DIR: 'memory',
      AUDIT_DB_URL: auditDbUrl,
      AUDIT_SIGNING_KEY_FILE: path.join(dir, 'audit-signing-key.pem'),
      AUDIT_RULES_INTERVAL_SECONDS: '0',
      REDIS_CLUSTER_NODES: cluster.nodeList,
      CACHE_KEY_PREFIX: `af-replicas-${process.pid}:`,
      // Long enough for HAProxy's health check (every 500 ms, down after 2 failures) to stop sending.
      SHUTDOWN_DELAY_MS: '1500',
      SHUTDOWN_DRAIN_MS: '5000',
    };
    for (const dept of DEPARTMENTS) env[`${envPrefix(dept)}_SUBGRAPH_URL`] = subgraphs[dept].url;
    // node --import tsx: one process, so signals reach the gateway itself.
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const replica: Replica = {
      name,
      port,
      url: `http://127.0.0.1:${port}/graphql`,
      child,
      output: '',
      exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    };
    child.stdout!.on('data', (d) => (replica.output += d));
    child.stderr!.on('data', (d) => (replica.output += d));
    replicas.push(replica);
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`replica ${name} exited:\n${replica.output}`);
      return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200;
    }, 90_000);
    return replica;
  }

  /** HAProxy's view of a backend server (`UP`, `DOWN`, …), through its stats socket. */
  function serverStatus(name: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let text = '';
      const socket = net.connect(path.join(dir, 'haproxy.sock'), () => socket.end('show stat\n'));
      socket.on('data', (d) => (text += d));
      socket.on('error', reject);
      socket.on('close', () => resolve(text.split('\n').find((l) => l.startsWith(`gateways,${name},`))?.split(',')[17] ?? 'unknown'));
    });
  }

  beforeAll(async () => {
    writeFileSync(path.join(dir, 'audit-signing-key.pem'), generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    cluster = await PrivateRedisCluster.start(3);
    await Promise.all(DEPARTMENTS.map(async (dept) => (subgraphs[dept] = await startTestSubgraph(SUBGRAPHS[dept]!, PRODUCTION_ENGINES[dept], population))));
    await dropDatabase(auditDbUrl);
    // The audit schema first (as a deployment migrates before rolling out), then the replicas together.
    await (await openAuditStore(auditDbUrl, 'memory')).close();
    await Promise.all(['g1', 'g2', 'g3'].map(startReplica));
    replicas.sort((a, b) => a.name.localeCompare(b.name));

    // deploy/haproxy/haproxy.cfg as shipped, its addresses from the environment.
    const lbPort = await freePort();
    const haproxyEnv = {
      ...process.env,
      LB_BIND: `127.0.0.1:${lbPort}`,
      HAPROXY_ERRORS: path.resolve('deploy/haproxy/errors'),
      HAPROXY_STATS_SOCKET: path.join(dir, 'haproxy.sock'),
      ...Object.fromEntries(replicas.map((r, i) => [`GATEWAY_${i + 1}`, `127.0.0.1:${r.port}`])),
    };
    haproxy = spawn('haproxy', ['-db', '-f', 'deploy/haproxy/haproxy.cfg'], { env: haproxyEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    haproxy.stderr!.on('data', (d) => (haproxyLog += d));
    await eventually(async () => {
      if (haproxy.exitCode !== null) throw new Error(`haproxy exited: ${haproxyLog}`);
      return (await Promise.all(replicas.map((r) => serverStatus(r.name).catch(() => '')))).every((s) => s === 'UP');
    }, 20_000);
    lbUrl = `http://127.0.0.1:${lbPort}/graphql`;
    archivist = await roleHeaders('archivist');
  }, 240_000);

  afterAll(async () => {
    await stopLoads();
    for (const r of replicas) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    if (haproxy && haproxy.exitCode === null) haproxy.kill('SIGKILL');
    await Promise.all(DEPARTMENTS.map((d) => subgraphs[d]?.stop()));
    await cluster?.remove();
    await dropDatabase(auditDbUrl);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers through every fault with data or a clean error; one audit record per answer; the chain verifies', async () => {
    const [g1, g2, g3] = replicas;
    const ids = [DEMO.husband, DEMO.wife, ...population.persons.slice(20, 26).map((p) => p.idNumber)];
    const persons = await Promise.all(ids.map(async (idNumber) => ({ idNumber, name: (await gql(g3.url, NAME, { id: idNumber }, archivist)).data.person.name as string })));
    const started = Date.now();
    const load = startLoad({ urls: [lbUrl], headers: archivist, persons, concurrency: 8, requestIdPrefix: `replicas-${process.pid}-` });
    await sleep(3000);

    // A correction through g1 is seen through g2 and g3 at once (the Redis Cluster and the durable log are shared).
    const otherId = population.persons[40].idNumber; // not read by the load, which checks every name it gets
    const other = { idNumber: otherId, name: (await gql(g3.url, NAME, { id: otherId }, archivist)).data.person.name as string };
    for (const r of [g1, g2, g3]) expect((await gql(r.url, NAME, { id: other.idNumber }, archivist)).data.person.name).toBe(other.name); // cached everywhere
    const fix = await gql(g1.url, CORRECT, { id: other.idNumber, n: `${other.name}(更正)` }, archivist);
    expect(fix.errors).toBeUndefined();
    for (const r of [g2, g3]) expect((await gql(r.url, NAME, { id: other.idNumber }, archivist)).data.person.name).toBe(`${other.name}(更正)`);
    await gql(g2.url, CORRECT, { id: other.idNumber, n: other.name }, archivist);
    for (const r of [g1, g3]) expect((await gql(r.url, NAME, { id: other.idNumber }, archivist)).data.person.name).toBe(other.name);

    // SIGKILL: in-flight requests on g1 are lost (HAProxy answers them 502); the health check takes g1 out.
    await sleep(1000);
    const killedAt = Date.now();
    g1.child.kill('SIGKILL');
    await eventually(async () => (await serverStatus('g1')).startsWith('DOWN'), 10_000);
    const sigkillDetectedMs = Date.now() - killedAt;
    await sleep(2000);

    // SIGTERM: g2 reports not ready, HAProxy stops sending, g2 drains and exits 0.
    const termAt = Date.now();
    g2.child.kill('SIGTERM');
    await eventually(async () => (await serverStatus('g2')).startsWith('DOWN'), 10_000);
    const sigtermDrainedMs = Date.now() - termAt;
    expect(await g2.exited).toEqual({ code: 0, signal: null });
    await sleep(2000);

    const report = await load.stop();
    const durationMs = Date.now() - started;

    // Clients saw answers, or GraphQL errors with a code: never a reset connection, an HTML page or a wrong name.
    expect(report.wrong).toEqual([]);
    for (const what of Object.keys(report.errors)) expect(what).toMatch(/^\d{3} [A-Z_]+(,[A-Z_]+)*$/);
    expect(report.answered).toBeGreaterThan(50);
    expect(report.corrections).toBeGreaterThan(3);

    // Exactly one audit record for every request answered with data (and none twice).
    const db = new Client({ connectionString: auditDbUrl });
    await db.connect();
    let records: Map<string, number>;
    try {
      const { rows } = await db.query<{ id: string; n: number }>(
        `SELECT body::jsonb->>'requestId' AS id, count(*)::int AS n FROM audit_record WHERE body::jsonb->>'requestId' LIKE $1 GROUP BY 1`,
        [`replicas-${process.pid}-%`],
      );
      records = new Map(rows.map((r) => [r.id, r.n]));
    } finally {
      await db.end();
    }
    expect(report.answeredIds.filter((id) => records.get(id) !== 1)).toEqual([]);
    expect([...records.values()].filter((n) => n !== 1)).toEqual([]);

    const verify = await runScript(['scripts/audit.ts', 'verify'], { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'warn', AUDIT_DB_URL: auditDbUrl, DATA_DIR: 'memory' });
    expect(verify.stdout).toContain('OK: the chain is intact');
    expect(verify.status).toBe(0);

    const figures = {
      durationMs,
      requests: report.requests,
      answered: report.answeredIds.length,
      auditRecords: records.size,
      corrections: report.corrections,
      errors: report.errors,
      errorWindowMs: report.errorWindowMs,
      sigkillDetectedMs,
      sigtermDrainedMs,
      chain: verify.stdout.split('\n')[0],
    };
    console.log(`replicas under faults: ${JSON.stringify(figures)}`);
  }, 120_000);
});

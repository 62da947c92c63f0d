/**
 * The cache never turns a Redis problem into a client error. The gateway uses a Redis server
 * this test starts itself on a free port (never the shared one on 6379, nor a fixed port another
 * checkout's run may hold) and then kills, restarts and freezes (SIGSTOP: a Redis that accepts
 * connections but does not answer).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import pino from 'pino';
import { DEMO } from '../../subgraphs/common/population';
import { freePort, gql, roleHeaders } from '../helpers';
import { startFederation, startGateway, type Federation } from '../federation';
import { metric, sqlDelta } from './cache-helpers';

let PORT = 0; // chosen in beforeAll

/** Starts a throwaway, non-persistent redis-server and waits until it answers PING. */
async function startRedis(): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => child.once('error', reject));
  await Promise.race([failed, eventually(() => pings(), 5000)]);
  return child;
}

async function stopRedis(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  await exited;
}

async function pings(): Promise<boolean> {
  const probe = new Redis({ port: PORT, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** Retries `check` every 100 ms until it holds; fails after `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const QUERY = 'query($id: ID!) { person(idNumber: $id) { name marriages { id office } } }';

describe('cache resilience (a Redis of its own)', () => {
  let redis: ChildProcess | undefined;
  let fed: Federation;
  let gateway: { url: string; stop(): Promise<void> };
  let archivist: Record<string, string>;
  const logs: Array<{ level: number; msg: string }> = [];
  const ask = () => gql(gateway.url, QUERY, { id: DEMO.husband }, archivist);
  const measured = async () => {
    const before = fed.statements();
    const res = await ask();
    return { res, sql: sqlDelta(before, fed.statements()) };
  };
  /** Whether the request after a priming one is served from the cache. */
  const cachedAgain = async () => {
    await ask();
    return (await measured()).sql === 0;
  };

  beforeAll(async () => {
    PORT = await freePort();
    redis = await startRedis();
    // A wide skip window makes "an invalidation never reached Redis" deterministic below.
    fed = await startFederation();
    const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
    // The federation's audit database holds the durable invalidation log, as in production.
    const env = { REDIS_URL: `redis://127.0.0.1:${PORT}`, CACHE_KEY_PREFIX: 'af-test:', CACHE_RETRY_AFTER_MS: '1500', AUDIT_DB_URL: fed.auditDbUrl! };
    gateway = await startGateway(fed, env, { logger });
    archivist = await roleHeaders('archivist');
  });
  afterAll(async () => {
    await gateway?.stop();
    await fed?.stop();
    await stopRedis(redis);
  });

  it('keeps answering, uncached, while Redis is down and caches again by itself once it is back', async () => {
    const first = await ask();
    expect(await cachedAgain()).toBe(true);

    await stopRedis(redis);
    const during = await measured();
    expect(during.res.errors).toBeUndefined();
    expect(during.res.data).toEqual(first.data);
    expect(during.sql).toBeGreaterThan(0);
    expect(await metric(gateway.url, 'gateway_cache_available')).toBe(0);
    expect(await metric(gateway.url, 'gateway_cache_requests_total{cache="response",result="bypass"}')).toBeGreaterThan(0);
    expect(logs.filter((l) => l.msg.startsWith('cache unavailable'))).toHaveLength(1);

    redis = await startRedis();
    await eventually(cachedAgain);
    expect(await metric(gateway.url, 'gateway_cache_available')).toBe(1);
    expect(logs.filter((l) => l.msg.startsWith('cache available again'))).toHaveLength(1);
  });

  it('answers within the command timeout while Redis hangs, and a correction made meanwhile leaves no stale entry', async () => {
    await eventually(cachedAgain);
    const id = (await ask()).data.person.marriages.at(-1).id;
    const office = '常德市武陵区民政局婚姻登记处(挂起期间更正)';
    redis!.kill('SIGSTOP');
    try {
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const res = await ask(); // the read times out: answered uncached
        expect(res.errors).toBeUndefined();
        expect(Date.now() - started).toBeLessThan(1000);
      }
      // Three timeouts in a row are an outage: the skip window opens.
      expect(await metric(gateway.url, 'gateway_cache_available')).toBe(0);

      // Within the skip window the invalidation is not even sent: it is kept for later.
      const fix = await gql(gateway.url, 'mutation($id: ID!, $o: String!) { correctMarriageOffice(id: $id, office: $o) { idNumber } }', { id, o: office }, archivist);
      expect(fix.errors).toBeUndefined();
      expect((await ask()).data.person.marriages.at(-1).office).toBe(office);
    } finally {
      redis!.kill('SIGCONT');
    }
    // Redis still holds the old entry; the kept invalidation drops it before the first read.
    await eventually(cachedAgain);
    expect((await ask()).data.person.marriages.at(-1).office).toBe(office);
  });
});

/**
 * The cache never turns a Redis problem into a client error. The gateway uses a Redis server
 * this test starts itself on a free port (never the shared one on 6379, nor a fixed port another
 * checkout's run may hold) and then kills, restarts and freezes (SIGSTOP: a Redis that accepts
 * connections but does not answer).
 */
import pino from 'pino';
import { DEMO } from '../../subgraphs/common/population';
import { gql, roleHeaders } from '../helpers';
import { startFederation, startGateway, type Federation } from '../federation';
import { eventually, PrivateRedis } from '../private-redis';
import { metric, sqlDelta } from './cache-helpers';

const QUERY = 'query($id: ID!) { person(idNumber: $id) { name marriages { id office } } }';

describe('cache resilience (a Redis of its own)', () => {
  let redis: PrivateRedis;
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
    redis = await PrivateRedis.start();
    // A wide skip window makes "an invalidation never reached Redis" deterministic below.
    fed = await startFederation();
    const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
    // The federation's audit database holds the durable invalidation log, as in production.
    const env = { REDIS_URL: redis.url, CACHE_KEY_PREFIX: 'af-test:', CACHE_RETRY_AFTER_MS: '1500', AUDIT_DB_URL: fed.auditDbUrl! };
    gateway = await startGateway(fed, env, { logger });
    archivist = await roleHeaders('archivist');
  });
  afterAll(async () => {
    await gateway?.stop();
    await fed?.stop();
    await redis?.remove();
  });

  it('keeps answering, uncached, while Redis is down and caches again by itself once it is back', async () => {
    const first = await ask();
    expect(await cachedAgain()).toBe(true);

    await redis.kill();
    const during = await measured();
    expect(during.res.errors).toBeUndefined();
    expect(during.res.data).toEqual(first.data);
    expect(during.sql).toBeGreaterThan(0);
    expect(await metric(gateway.url, 'gateway_cache_available')).toBe(0);
    expect(await metric(gateway.url, 'gateway_cache_requests_total{cache="response",result="bypass"}')).toBeGreaterThan(0);
    expect(logs.filter((l) => l.msg.startsWith('cache unavailable'))).toHaveLength(1);

    await redis.start();
    await eventually(cachedAgain);
    expect(await metric(gateway.url, 'gateway_cache_available')).toBe(1);
    expect(logs.filter((l) => l.msg.startsWith('cache available again'))).toHaveLength(1);
  });

  it('answers within the command timeout while Redis hangs, and a correction made meanwhile leaves no stale entry', async () => {
    await eventually(cachedAgain);
    const id = (await ask()).data.person.marriages.at(-1).id;
    const office = '常德市武陵区民政局婚姻登记处(挂起期间更正)';
    redis.signal('SIGSTOP');
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
      redis.signal('SIGCONT');
    }
    // Redis still holds the old entry; the kept invalidation drops it before the first read.
    await eventually(cachedAgain);
    expect((await ask()).data.person.marriages.at(-1).office).toBe(office);
  });
});

/**
 * The cache on Redis Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME): a master, a replica and three
 * sentinels, private redis-servers on free ports in temporary folders (never the shared Redis).
 * The master is killed under load: the sentinels promote the replica, the gateways find it through
 * them, no answer is wrong meanwhile and caching resumes by itself.
 */
import { DEMO } from '../../subgraphs/common/population';
import { gql, roleHeaders } from '../helpers';
import { startFederation, startGateway, type Federation } from '../federation';
import { eventually, PrivateSentinels } from '../private-redis';
import { sqlDelta } from './cache-helpers';
import { startLoad, stopLoads } from './failover-load';

const NAME = 'query($id: ID!) { person(idNumber: $id) { name } }';

describe('Redis Sentinel (REDIS_SENTINELS)', () => {
  let sentinels: PrivateSentinels;
  let fed: Federation;
  let archivist: Record<string, string>;
  const gateways: Array<{ url: string; stop(): Promise<void> }> = [];
  const ask = async (url: string, id: string = DEMO.husband) => {
    const before = fed.statements();
    const res = await gql(url, NAME, { id }, archivist);
    expect(res.errors).toBeUndefined();
    return { name: res.data.person.name as string, sql: sqlDelta(before, fed.statements()) };
  };

  beforeAll(async () => {
    sentinels = await PrivateSentinels.start();
    fed = await startFederation();
    archivist = await roleHeaders('archivist');
    const env = {
      REDIS_SENTINELS: sentinels.sentinelList,
      REDIS_SENTINEL_NAME: PrivateSentinels.NAME,
      CACHE_KEY_PREFIX: 'af-sentinel:',
      AUDIT_DB_URL: fed.auditDbUrl!,
      CACHE_COMMAND_TIMEOUT_MS: '1000',
      CACHE_RETRY_AFTER_MS: '200',
    };
    for (let i = 0; i < 2; i++) gateways.push(await startGateway(fed, env));
  }, 120_000);
  afterAll(async () => {
    await stopLoads();
    for (const g of gateways) await g.stop().catch(() => {});
    await fed?.stop();
    await sentinels?.remove();
  });

  it('caches on the master the sentinels name', async () => {
    const [a, b] = gateways;
    await ask(a.url);
    expect((await ask(b.url)).sql).toBe(0);
    expect(await sentinels.master.client((c) => c.exists(`af-sentinel:{cache}epoch`))).toBe(0); // no invalidation yet
    expect(await sentinels.master.client((c) => c.keys('af-sentinel:{cache}r:*'))).not.toHaveLength(0);
  });

  it('the master killed under load: the replica is promoted, no answer is wrong, caching resumes on it', async () => {
    const [a, b] = gateways;
    const persons = [DEMO.husband, DEMO.wife, ...fed.population.persons.slice(10, 14).map((p) => p.idNumber)];
    const named = await Promise.all(persons.map(async (idNumber) => ({ idNumber, name: (await ask(a.url, idNumber)).name })));
    const load = startLoad({ urls: [a.url, b.url], headers: archivist, persons: named });
    await new Promise((r) => setTimeout(r, 1500));
    const killedAt = Date.now();
    await sentinels.master.kill();
    await eventually(async () => (await sentinels.masterPort()) === sentinels.replica.port, 20000);
    const promotedAfterMs = Date.now() - killedAt;
    await new Promise((r) => setTimeout(r, 2000)); // traffic on the promoted replica
    const report = await load.stop();
    console.log(`Redis Sentinel failover under load: ${JSON.stringify({ ...report, promotedAfterMs })}`);
    expect(report.wrong).toEqual([]);
    expect(report.answered).toBeGreaterThan(20); // reads spanned the failover, even on a busy machine
    expect(report.corrections).toBeGreaterThan(1);
    expect(report.errors).toEqual({}); // the cache fails open: requests went on uncached
    for (const g of [a, b]) {
      await eventually(async () => {
        await ask(g.url, DEMO.wife);
        return (await ask(g.url, DEMO.wife)).sql === 0;
      }, 15000);
    }
    // Cached on the promoted replica, which now takes writes.
    expect(await sentinels.replica.client((c) => c.keys('af-sentinel:{cache}r:*'))).not.toHaveLength(0);
  }, 60_000);
});

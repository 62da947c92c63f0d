/**
 * Redis Cluster is not supported yet, so the gateway refuses to start on one instead of failing
 * every cache command with CROSSSLOT while looking healthy. The cluster node is a private
 * redis-server on a free port in a temporary folder (never the shared Redis).
 */
import { loadConfig } from '../../lib/config';
import { createGateway } from '../../gateway/src/server';
import { refuseRedisCluster } from '../../gateway/src/cache/redis-cluster';
import { composeSupergraph } from '../../scripts/supergraph';
import { freePort, REDIS_URL, silentLogger } from '../helpers';
import { PrivateRedis } from '../private-redis';

describe('Redis Cluster', () => {
  let node: PrivateRedis;
  let url: string;

  beforeAll(async () => {
    node = await PrivateRedis.start(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf']);
    url = node.url;
  });

  afterAll(() => node?.remove());

  it('the gateway refuses to start with REDIS_URL on a cluster node, saying why and what to do', async () => {
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: 'memory', REDIS_URL: url });
    const starting = createGateway({ config, logger: silentLogger, supergraphSdl: composeSupergraph() });
    await expect(starting).rejects.toThrow(/REDIS_URL points to a Redis Cluster node .*Redis Cluster is not supported yet.*standalone Redis/);
  });

  it('a standalone Redis passes the check', async () => {
    await expect(refuseRedisCluster(REDIS_URL, 2000)).resolves.toBeUndefined();
  });

  it('an unreachable Redis is not refused (the gateway starts uncached, as before)', async () => {
    await expect(refuseRedisCluster(`redis://127.0.0.1:${await freePort()}`, 500)).resolves.toBeUndefined();
  });
});

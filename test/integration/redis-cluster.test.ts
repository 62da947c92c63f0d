/**
 * Redis Cluster is not supported yet, so the gateway refuses to start on one instead of failing
 * every cache command with CROSSSLOT while looking healthy. The cluster node is a private
 * redis-server on a free port in a temporary folder (never the shared Redis).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { loadConfig } from '../../lib/config';
import { createGateway } from '../../gateway/src/server';
import { refuseRedisCluster } from '../../gateway/src/cache/redis-cluster';
import { composeSupergraph } from '../../scripts/supergraph';
import { freePort, REDIS_URL, silentLogger } from '../helpers';

async function answers(port: number): Promise<boolean> {
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
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

describe('Redis Cluster', () => {
  let node: ChildProcess;
  let url: string;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'af-redis-cluster-'));

  beforeAll(async () => {
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    node = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const failed = new Promise<never>((_, reject) => node.once('error', reject));
    const deadline = Date.now() + 5000;
    const up = (async () => {
      while (!(await answers(port))) {
        if (Date.now() > deadline) throw new Error('the private redis-server (cluster mode) did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await Promise.race([failed, up]);
  });

  afterAll(async () => {
    if (node && node.exitCode === null) {
      const exited = new Promise((resolve) => node.once('exit', resolve));
      node.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

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

/** The Redis settings: REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS with REDIS_SENTINEL_NAME, one at a time. */
import { loadConfig } from '../../lib/config';

describe('Redis configuration', () => {
  it('REDIS_SENTINELS needs REDIS_SENTINEL_NAME, and only one kind of Redis may be configured', () => {
    expect(() => loadConfig({ REDIS_SENTINELS: 'a:26379' })).toThrow(/REDIS_SENTINELS needs REDIS_SENTINEL_NAME/);
    expect(() => loadConfig({ REDIS_SENTINEL_NAME: 'archive' })).toThrow(/REDIS_SENTINEL_NAME is set without REDIS_SENTINELS/);
    expect(() => loadConfig({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'a:7000' })).toThrow(/REDIS_URL and REDIS_CLUSTER_NODES are both set/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:7000,b' })).toThrow(/REDIS_CLUSTER_NODES: "b" is not host:port/);
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'redis-0:6379, [::1]:7001', REDIS_PASSWORD: 's3cret' }).redis).toEqual({
      mode: 'cluster',
      nodes: [{ host: 'redis-0', port: 6379 }, { host: '::1', port: 7001 }],
      password: 's3cret',
    });
    expect(loadConfig({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'archive' }).redis).toMatchObject({ mode: 'sentinel', name: 'archive', sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }] });
    expect(loadConfig({}).redis).toBeUndefined();
  });

  it('REDIS_URL alone is the single-node form', () => {
    expect(loadConfig({ REDIS_URL: 'redis://:pw@cache:6380/2' }).redis).toEqual({ mode: 'single', url: 'redis://:pw@cache:6380/2' });
    expect(loadConfig({ REDIS_URL: '', REDIS_CLUSTER_NODES: 'a:7000' }).redis).toMatchObject({ mode: 'cluster' }); // an empty value is unset
  });
});

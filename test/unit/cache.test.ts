/** The cache's parts without servers: the in-memory store, key derivation, failure handling, the executor wrapper. */
import { buildSchema, GraphQLError, parse } from 'graphql';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { Cache } from '../../gateway/src/cache/cache';
import { canonicalJson } from '../../lib/hash';
import { authorizationFingerprint, responseKey, responseTags } from '../../gateway/src/cache/key';
import { EntityKeys } from '../../gateway/src/cache/entity-keys';
import { entryBytes, MemoryStore } from '../../gateway/src/cache/memory-store';
import { cacheMetrics } from '../../gateway/src/cache/metrics';
import { MetricsRegistry } from '../../gateway/src/metrics';
import { ResponseCache } from '../../gateway/src/cache/response-cache';
import type { CacheStore } from '../../gateway/src/cache/store';
import type { GatewayContext } from '../../gateway/src/context';
import { composeExecutors } from '../../gateway/src/pipeline';
import { silentLogger } from '../helpers';

const HUSBAND = '430702198503151239';
const MIB = 1024 * 1024;
const WIFE = '430702198706222420';
const schema = buildSchema('type Query { person(idNumber: ID!): Person } type Mutation { fix(idNumber: ID!): Person } type Person { idNumber: ID! name: String }');

function context(scopes: string[], sub = 'tester'): GatewayContext {
  return { principal: { authenticated: true, sub, scopes }, basis: { evidence: [] }, subjects: new Set(), logger: silentLogger } as unknown as GatewayContext;
}

/** Just enough of a gateway request context for the cache; `maxAge` is what the subgraphs would allow. */
function request(ctx: GatewayContext, query: string, variables: Record<string, unknown> = {}, maxAge = 60) {
  const document = parse(query);
  const op = document.definitions[0] as any;
  const policy = { maxAge: undefined as number | undefined, restrict(h: { maxAge?: number }) { if (h.maxAge !== undefined) this.maxAge = Math.min(this.maxAge ?? Infinity, h.maxAge); }, policyIfCacheable() { return this.maxAge ? { maxAge: this.maxAge, scope: 'PRIVATE' } : null; } };
  return { rc: { context: ctx, document, operation: op, schema, queryHash: query, request: { variables }, overallCachePolicy: policy } as unknown as GatewayGraphQLRequestContext, maxAge, policy };
}

function setup(store: CacheStore = new MemoryStore({ maxEntries: 100, maxBytes: MIB }), enabled = true, maxTags = 500) {
  const metrics = cacheMetrics(new MetricsRegistry());
  const cache = new Cache({ store, logger: silentLogger, metrics, retryAfterMs: 0 });
  return { cache, metrics, responses: new ResponseCache({ cache, metrics, enabled, maxTtlSeconds: 3600, maxTags }) };
}

describe('MemoryStore', () => {
  it('evicts the least recently used entry and expires entries', async () => {
    const store = new MemoryStore({ maxEntries: 2, maxBytes: MIB });
    await store.set('a', '1', 60);
    await store.set('b', '2', 60);
    await store.get('a'); // a is now the most recently used
    await store.set('c', '3', 60);
    expect([await store.get('a'), await store.get('b'), await store.get('c')]).toEqual(['1', undefined, '3']);
    await store.set('d', '4', 0);
    expect(await store.get('d')).toBeUndefined();
  });

  it('holds at most its byte budget, evicting the least recently used; an entry over the whole budget is not kept', async () => {
    const value = 'x'.repeat(10_000); // ~20 KB each, as UTF-16
    const key = (i: number) => `k${String(i).padStart(2, '0')}`;
    const budget = 5 * entryBytes(key(0), value, ['Person:1']);
    const store = new MemoryStore({ maxEntries: 1000, maxBytes: budget });
    const { epoch } = await store.read(key(0));
    for (let i = 0; i < 20; i++) {
      expect(await store.write(key(i), value, 60, ['Person:1'], epoch)).toBe(true);
      expect(store.size.bytes).toBeLessThanOrEqual(budget);
    }
    expect(store.size.entries).toBe(5);
    expect(await store.get('k14')).toBeUndefined();
    expect(await store.get('k19')).toBe(value);
    // Tags count: an entry carrying thousands of them costs its share of the budget.
    const tags = Array.from({ length: 10_000 }, (_, i) => `Person:${String(i).padStart(18, '0')}`);
    await store.write('tagged', 'small', 60, tags, epoch);
    expect(await store.get('tagged')).toBeUndefined();
    expect(store.size.bytes).toBeLessThanOrEqual(budget);
    expect(await store.invalidate(['Person:1'])).toBe(5);
    expect(store.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('drops tagged entries on invalidation and refuses a write read before it (the race)', async () => {
    const store = new MemoryStore({ maxEntries: 10, maxBytes: MIB });
    const { epoch } = await store.read('x');
    expect(await store.write('x', 'old', 60, ['Person:1'], epoch)).toBe(true);
    expect(await store.write('y', 'other', 60, ['Person:2'], epoch)).toBe(true);
    const late = await store.read('z'); // a request that started before the change...
    expect(await store.invalidate(['Person:1'])).toBe(1);
    expect(await store.get('x')).toBeUndefined();
    expect(await store.get('y')).toBe('other');
    expect(await store.write('z', 'stale', 60, ['Person:3'], late.epoch)).toBe(false); // ...stores nothing
  });
});

describe('cache key', () => {
  it('separates scopes, and self callers by sub, but not other callers by sub', () => {
    const q = 'query($id: ID!) { person(idNumber: $id) { name } }';
    const key = (ctx: GatewayContext, vars = { id: HUSBAND }) => responseKey(request(ctx, q, vars).rc, ctx);
    expect(key(context(['a', 'b'], 'x'))).toBe(key(context(['b', 'a'], 'y')));
    expect(key(context(['a']))).not.toBe(key(context(['a', 'pii:unmasked'])));
    expect(key(context(['self'], HUSBAND))).not.toBe(key(context(['self'], WIFE)));
    expect(key(context(['a']), { id: HUSBAND })).not.toBe(key(context(['a']), { id: WIFE }));
    expect(authorizationFingerprint({ principal: context(['self'], HUSBAND).principal }).subjects).toEqual([HUSBAND]);
    expect(authorizationFingerprint({ principal: context(['a'], HUSBAND).principal, grant: { id: 'G', fields: [], subjects: [WIFE] } }).subjects).toEqual([WIFE]);
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3] } })).toBe('{"a":{"c":[3],"d":2},"b":1}');
  });

  it('tags subjects, entities fetched by key and ID numbers the operation used as arguments, nothing else it was sent', () => {
    const ctx = context(['a']);
    ctx.subjects.add(HUSBAND);
    ctx.entityKeys = new EntityKeys();
    ctx.entityKeys.fetching({ representations: [{ __typename: 'Person', idNumber: WIFE }, { __typename: 'X', a: '1', b: '2' }] });
    const query = 'query($id: ID!, $d: ID = "430703198608143020") { person(idNumber: $id) { name } other: person(idNumber: $d) { name } }';
    const tags = responseTags(request(ctx, query, { id: HUSBAND, unused: [WIFE, '430721199001010015'] }).rc, ctx);
    expect(tags.sort()).toEqual([`Person:${HUSBAND}`, 'Person:430703198608143020', `Person:${WIFE}`].sort());
  });
});

describe('Cache failures', () => {
  const broken = (message = 'connection refused'): CacheStore => {
    const store = new MemoryStore({ maxEntries: 10, maxBytes: MIB });
    const fail = async () => {
      throw new Error(message);
    };
    return Object.assign(store, { get: fail, read: fail, write: fail, invalidate: fail, set: fail });
  };

  it('takes one timed-out command for a blip, not an outage', async () => {
    const store = broken('Command timed out');
    const { cache } = setup(store);
    expect(await cache.read('k')).toBeUndefined();
    expect(cache.available).toBe(true);
  });

  it('turns failing commands into "unavailable", logged and counted once, never thrown', async () => {
    const warn = jest.spyOn(silentLogger, 'warn');
    const { cache, metrics } = setup(broken());
    expect(await cache.get('k')).toBeUndefined();
    expect(await cache.read('k')).toBeUndefined();
    expect(await cache.invalidate(['Person:1'])).toBe(false);
    expect(cache.available).toBe(false);
    expect(await cache.read('k')).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
    expect((await metrics.available.get()).values[0].value).toBe(0);
    warn.mockRestore();
  });

  it('keeps a failed invalidation and serves uncached until it has been applied', async () => {
    const store = new MemoryStore({ maxEntries: 10, maxBytes: MIB });
    const { cache } = setup(store);
    const { epoch } = (await cache.read('r'))!;
    await cache.write('r', 'old', 60, ['Person:1'], epoch);
    const invalidate = store.invalidate.bind(store);
    store.invalidate = async () => {
      throw new Error('timeout');
    };
    expect(await cache.invalidate(['Person:1'])).toBe(false);
    expect(await cache.read('r')).toBeUndefined(); // not the entry the change should have dropped
    store.invalidate = invalidate;
    expect((await cache.read('r'))?.value).toBeUndefined(); // applied first, then read: gone
    expect(cache.available).toBe(true);
  });
});

describe('ResponseCache', () => {
  const query = 'query($id: ID!) { person(idNumber: $id) { name } }';

  it('stores a clean answer with its subjects and restores them on a hit', async () => {
    const { responses } = setup();
    let calls = 0;
    const exec = composeExecutors(async (rc) => {
      calls++;
      (rc.context as any).subjects.add(HUSBAND);
      rc.overallCachePolicy.restrict({ maxAge: 60 });
      return { data: { person: { name: '张建国' } } };
    }, [responses.stage]);
    await exec(request(context(['a']), query, { id: HUSBAND }).rc);
    const hitCtx = context(['a']);
    const hit = await exec(request(hitCtx, query, { id: HUSBAND }).rc);
    expect(calls).toBe(1);
    expect(hit.data).toEqual({ person: { name: '张建国' } });
    expect([...hitCtx.subjects]).toEqual([HUSBAND]);
    expect(hitCtx.cacheHit).toBe(true);
  });

  const denied = new GraphQLError('denied', { extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } });
  const forbidden = new GraphQLError('no', { extensions: { code: 'FORBIDDEN' } });
  it.each([
    ['only denials', query, [denied], 60, 1],
    ['another error', query, [forbidden], 60, 2],
    ['no max-age', query, [], 0, 2],
    ['a mutation', 'mutation($id: ID!) { fix(idNumber: $id) { name } }', [], 60, 2],
  ])('an answer with %s is executed once per request unless cached (%#)', async (_what, doc, errors, maxAge, executions) => {
    const { responses } = setup();
    let calls = 0;
    const exec = composeExecutors(async (rc) => {
      calls++;
      rc.overallCachePolicy.restrict({ maxAge });
      return errors.length ? { data: { person: null }, errors } : { data: { person: null } };
    }, [responses.stage]);
    await exec(request(context(['a']), doc as string, { id: HUSBAND }).rc);
    await exec(request(context(['a']), doc as string, { id: HUSBAND }).rc);
    expect(calls).toBe(executions);
  });

  it('stores no answer carrying more tags than maxTags', async () => {
    const { responses, metrics } = setup(undefined, true, 2);
    let calls = 0;
    const exec = composeExecutors(async (rc) => {
      calls++;
      ['430702198503151239', '430702198706222420', '430703198608143020'].forEach((id) => (rc.context as any).subjects.add(id));
      rc.overallCachePolicy.restrict({ maxAge: 60 });
      return { data: { person: { name: 'x' } } };
    }, [responses.stage]);
    await exec(request(context(['a']), query, { id: HUSBAND }).rc);
    await exec(request(context(['a']), query, { id: HUSBAND }).rc);
    expect(calls).toBe(2);
    expect((await metrics.writes.get()).values.find((v) => v.labels.outcome === 'too_many_tags')?.value).toBe(2);
  });

  it('leaves every answer uncacheable for HTTP caches (no-store), hit or miss', async () => {
    const { responses } = setup();
    const exec = composeExecutors(async (rc) => {
      rc.overallCachePolicy.restrict({ maxAge: 60 });
      return { data: { person: { name: 'x' } } };
    }, [responses.stage]);
    for (let i = 0; i < 2; i++) {
      const { rc, policy } = request(context(['a']), query, { id: HUSBAND });
      await exec(rc);
      expect(policy.policyIfCacheable()).toBeNull();
    }
  });

  it('with caching off, still drops what a mutation changed (other replicas may cache)', async () => {
    const store = new MemoryStore({ maxEntries: 10, maxBytes: MIB });
    const { epoch } = await store.read('r');
    await store.write('r', 'old', 60, [`Person:${HUSBAND}`], epoch);
    const { responses } = setup(store, false);
    const exec = composeExecutors(async (rc) => {
      (rc.context as any).subjects.add(HUSBAND);
      return { data: { fix: { name: 'x' } } };
    }, [responses.stage]);
    await exec(request(context(['a']), 'mutation($id: ID!) { fix(idNumber: $id) { name } }', { id: HUSBAND }).rc);
    expect(await store.get('r')).toBeUndefined();
  });
});

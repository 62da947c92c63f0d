/**
 * The response cache: the executor chain's stage (gateway/src/pipeline.ts) between masking and
 * @apollo/gateway's executor, so it sees the authorized, pruned operation with the masking keys
 * (server.ts composes the chain). Authorization therefore runs on every request, hit or miss, and
 * the gateway's ID-number masking and denied nulls are applied to cached data per request,
 * exactly as to fresh data.
 *
 * - TTL: the subgraphs' `@cacheControl` hints. Each subgraph's Apollo Server computes its
 *   policy and sends it as a Cache-Control header; @apollo/gateway's RemoteGraphQLDataSource
 *   (`honorSubgraphCacheControlHeader`, on by default) folds every subgraph response into
 *   `overallCachePolicy`, the most restrictive wins, and a subgraph without a header counts as
 *   max-age 0. Nothing is cached without a positive max-age from every subgraph called.
 * - Only queries are cached, only without errors (other than UNAUTHORIZED_FIELD_OR_TYPE), and
 *   only with at most `maxTags` tags: an answer showing more persons than that is served uncached
 *   rather than write that many tag sets (one Redis script) per answer.
 * - Every answer is sent `Cache-Control: no-store`, hit or miss: a hit's shorter remaining
 *   max-age would tell a caller that someone else had just asked about the same person, and
 *   no HTTP cache, private or shared, should keep personal records.
 * - A hit restores the audit facts of the request that filled the entry (`subjects`) and sets
 *   `cacheHit`, so the audit record of a hit says whose records were returned.
 * - A mutation drops, when it has run, every entry tagged with the persons it reports as
 *   subjects (the changed persons), in every replica sharing the Redis, and logs the drop
 *   durably: an entry carries its tags and the invalidation-log position it was computed under,
 *   and is a miss when one of its tags was invalidated after that (invalidation-log.ts).
 */
import { GraphQLError } from 'graphql';
import type { GatewayExecutor, GatewayExecutionResult, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { ErrorCode } from '../../../lib/errors';
import type { ExecutorStage } from '../pipeline';
import { inSpan } from '../../../lib/tracing';
import type { Cache } from './cache';
import { EntityKeys } from './entity-keys';
import { responseKey, responseTags, type CachedContext } from './key';
import type { CacheMetrics } from './metrics';
import { personTag } from './store';

export interface ResponseCacheOptions {
  cache: Cache;
  metrics: CacheMetrics;
  /** Look up and store query responses; when false only mutations' invalidations run. @default true (CACHE_ENABLED) */
  enabled: boolean;
  /** Upper bound on an entry's TTL, whatever the hints say. @default 3600 (CACHE_MAX_TTL_SECONDS) */
  maxTtlSeconds: number;
  /** Most tags (persons shown) an answer may carry and still be stored. @default 500 (CACHE_MAX_TAGS) */
  maxTags: number;
}

/** What a response entry holds. */
interface Entry {
  data: GatewayExecutionResult['data'];
  errors?: Array<{ message: string; path?: ReadonlyArray<string | number>; extensions?: Record<string, unknown> }>;
  /** Audit facts of the request that filled the entry. */
  subjects: string[];
  /** Epoch milliseconds when the entry expires: one a store restored past its time is a miss. */
  expiresAt: number;
  /** What it shows (`Person:<idNumber>`) and the invalidation-log position it was computed under. */
  tags: string[];
  position: number;
}

/** The only errors a cached response may carry: they depend on the key alone. */
const CACHEABLE_ERRORS = new Set<unknown>([ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE]);

export class ResponseCache {
  constructor(private readonly options: ResponseCacheOptions) {}

  /** The stage answering from the cache, or executing and storing (see the module comment). */
  readonly stage: ExecutorStage<CachedContext> = async (rc, ctx, inner) => {
    try {
      const kind = rc.operation.operation;
      if (kind === 'mutation') return await this.mutate(inner, rc, ctx);
      if (kind !== 'query' || !this.options.enabled) return await inner(rc);
      return await this.query(inner, rc, ctx);
    } finally {
      // Once the entry's TTL is read: the client always gets `no-store` (see the module comment).
      rc.overallCachePolicy.restrict({ maxAge: 0 });
    }
  };

  private async query(inner: GatewayExecutor, rc: GatewayGraphQLRequestContext, ctx: CachedContext): Promise<GatewayExecutionResult> {
    const { cache, metrics } = this.options;
    const key = responseKey(rc, ctx);
    const found = await inSpan('cache.lookup', {}, async (span) => {
      const read = await cache.read(key);
      span.setAttribute('cache.result', !read ? 'bypass' : read.value ? 'found' : 'absent');
      return read;
    });
    if (!found) {
      metrics.requests.inc({ cache: 'response', result: 'bypass' });
      return inner(rc);
    }
    const entry = found.value ? parseEntry(found.value) : undefined;
    // An entry a logged invalidation postdates is stale even if the store still holds it (it came
    // back from a snapshot, or the deletion was deferred in a replica that died).
    if (entry && entry.expiresAt > Date.now() && cache.trusts(entry.tags, entry.position)) {
      metrics.requests.inc({ cache: 'response', result: 'hit' });
      return this.restore(entry, rc, ctx);
    }
    metrics.requests.inc({ cache: 'response', result: 'miss' });
    ctx.entityKeys ??= new EntityKeys(); // the subgraph data source reports each fetch to it
    const result = await inner(rc);
    const ttl = Math.min(rc.overallCachePolicy.policyIfCacheable()?.maxAge ?? 0, this.options.maxTtlSeconds);
    if (ttl <= 0 || !(result.errors ?? []).every((e) => CACHEABLE_ERRORS.has(e.extensions?.code))) {
      metrics.writes.inc({ outcome: 'uncacheable' });
      return result;
    }
    const tags = responseTags(rc, ctx);
    if (tags.length > this.options.maxTags) {
      metrics.writes.inc({ outcome: 'too_many_tags' });
      return result;
    }
    // Serialized now: the masking stage masks the result in place once it is returned.
    const value = JSON.stringify({
      data: result.data,
      errors: result.errors?.map((e) => ({ message: e.message, path: e.path, extensions: e.extensions })),
      subjects: [...ctx.subjects],
      expiresAt: Date.now() + ttl * 1000,
      tags,
      position: found.position,
    } satisfies Entry);
    const outcome = await inSpan('cache.write', {}, () => cache.write(key, value, ttl, tags, found.epoch));
    metrics.writes.inc({ outcome });
    return result;
  }

  private restore(entry: Entry, rc: GatewayGraphQLRequestContext, ctx: CachedContext): GatewayExecutionResult {
    for (const s of entry.subjects) ctx.subjects.add(s);
    ctx.cacheHit = true;
    const errors = entry.errors?.map((e) => new GraphQLError(e.message, { path: e.path, extensions: e.extensions }));
    return errors?.length ? { data: entry.data, errors } : { data: entry.data };
  }

  private async mutate(inner: GatewayExecutor, rc: GatewayGraphQLRequestContext, ctx: CachedContext): Promise<GatewayExecutionResult> {
    const result = await inner(rc);
    // Awaited, so a client that reads after the mutation returned never gets the old record.
    if (!(await inSpan('cache.invalidate', { 'cache.tags': ctx.subjects.size }, () => this.options.cache.invalidate([...ctx.subjects].map(personTag))))) {
      ctx.logger.warn({ subjects: ctx.subjects.size }, 'cache invalidation deferred: the cache is unavailable and is bypassed until it has been applied');
    }
    return result;
  }
}

function parseEntry(value: string): Entry | undefined {
  try {
    const entry = JSON.parse(value) as Entry;
    return Array.isArray(entry.subjects) && Array.isArray(entry.tags) && typeof entry.expiresAt === 'number' && typeof entry.position === 'number' ? entry : undefined;
  } catch {
    return undefined; // a corrupt entry is a miss; the fresh answer overwrites it
  }
}

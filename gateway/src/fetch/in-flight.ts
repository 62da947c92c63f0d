/**
 * Merges identical subgraph fetches that are in flight at the same time (SUBGRAPH_DEDUP): while
 * one request's fetch is on its way to a subgraph, another request whose fetch would get the same
 * answer waits for it instead of sending its own. "The same answer" is decided on what the subgraph
 * receives: its URL, the body (the fetch's document, variables and operation name) and, from the
 * internal token, every claim the subgraph's access rules read (`callerKey`) — never the document
 * alone, so callers whose answers could differ (another purpose, other evidence, another
 * approval, another citizen) are never merged. Only queries: a mutation is always sent.
 *
 * It wraps the HTTP fetcher, under RemoteGraphQLDataSource: each request still runs its own
 * willSendRequest / didReceiveResponse (its internal token, the entity keys its cache entry is
 * tagged with, the subjects its audit record names, the subgraph's cache hint) and parses its own
 * copy of the body (the query plan merges into what it gets). The subgraph sees, logs and traces
 * the first request's call only.
 */
import type { Counter, MetricsRegistry } from '../metrics';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { readOwnInternalToken, TokenMemo } from '../../../lib/tokens';
import type { PolicyFacts } from '../../../lib/access-policy';
import { authorizationFingerprint } from '../cache/key';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

/** A subgraph request body whose document is a query (`query …` or `{ … }`, @apollo/gateway puts `query` first); anything else is never merged. */
const QUERY_BODY = /^\{"query":"(?:query\b|\{)/;

const sorted = (values: readonly string[] | undefined) => [...(values ?? [])].sort();

/**
 * What a subgraph's answer depends on about the caller: the response cache's authorization
 * fingerprint (scopes, authentication, and the persons the row-level rule limits the caller to: a
 * citizen's own ID number, an approval's subjects) and every other fact the subgraph's access
 * rules decide on (category, organisation, purpose, evidence kinds, the approval's id and fields).
 * Not the claims no rule reads (another clerk's `sub`, name, client system, case number), so colleagues asking the same under the same legal basis share a fetch.
 */
export function callerKey(facts: PolicyFacts): string {
  const { principal, grant } = facts;
  return JSON.stringify([
    authorizationFingerprint(facts),
    principal.category ?? null,
    principal.org ?? null,
    facts.purpose ?? null,
    sorted(facts.evidence),
    grant ? [grant.id, sorted(grant.fields)] : null,
  ]);
}

/** A request waiting for another's fetch. */
type Follower = { resolve: (value: FetcherResponse) => void; reject: (err: unknown) => void };

/** The fetches in flight of one gateway, shared by its subgraph data sources. */
export class InFlightFetches {
  /** Followers of each fetch in flight, by key. */
  private readonly pending = new Map<string, Follower[]>();
  /** `callerKey` by internal token: the gateway reuses a token for its lifetime's first half (lib/tokens.ts). */
  private readonly callers = new TokenMemo<string | null>();
  private readonly merged: Counter<'subgraph'>;

  constructor(metrics: MetricsRegistry) {
    this.merged = metrics.counter({
      name: 'gateway_subgraph_fetches_deduplicated_total',
      help: 'Subgraph fetches answered by an identical fetch of another request already in flight (SUBGRAPH_DEDUP), by subgraph.',
      labelNames: ['subgraph'] as const,
    });
  }

  /**
   * `fetcher` for `subgraph`, sharing each query with an identical one already in flight.
   * `fetcher` must answer with a body that can be read again (subgraphFetcher's, fetch/subgraph-fetcher.ts).
   */
  fetcher(subgraph: string, fetcher: Fetcher): Fetcher {
    return (url, init) => {
      const body = init?.body;
      const authorization = (init?.headers as Record<string, string> | undefined)?.authorization;
      const caller = authorization?.startsWith('Bearer ') ? this.callerOf(authorization.slice('Bearer '.length)) : null;
      if (typeof body !== 'string' || !QUERY_BODY.test(body) || caller === null) return fetcher(url, init);
      return this.share(subgraph, `${url}\u0000${body}\u0000${caller}`, () => fetcher(url, init));
    };
  }

  private callerOf(token: string): string | null {
    let caller = this.callers.get(token);
    if (caller === undefined) {
      const claims = readOwnInternalToken(token);
      caller = claims ? callerKey(claims) : null;
      this.callers.set(token, caller, Date.now() + 60_000);
    }
    return caller;
  }

  private async share(subgraph: string, key: string, fetch: () => Promise<FetcherResponse>): Promise<FetcherResponse> {
    const waiting = this.pending.get(key);
    if (waiting) {
      this.merged.inc({ subgraph });
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    }
    const followers: Follower[] = [];
    this.pending.set(key, followers);
    try {
      const response = await fetch();
      this.pending.delete(key);
      for (const f of followers) f.resolve(ownCopy(response));
      return response;
    } catch (err) {
      this.pending.delete(key);
      for (const f of followers) f.reject(err);
      throw err;
    }
  }
}

/** The response for another request: the same status and headers, its body parsed anew from the text. */
function ownCopy(response: FetcherResponse): FetcherResponse {
  const copy: FetcherResponse = { ...response, json: async () => JSON.parse(await response.text()), clone: () => copy };
  return copy;
}

/**
 * The fetcher every subgraph call goes through: a time limit on the whole exchange (connect,
 * response, body), and one stable error for a subgraph that is slow, down or broken. @apollo/gateway
 * puts a failed fetch's error in the response and leaves that fetch's fields null, so the other
 * subgraphs still answer: partial data, never a hung gateway, and never the subgraph's internal URL
 * or body in the client's error (RemoteGraphQLDataSource's own errors carry both).
 */
import http from 'node:http';
import https from 'node:https';
import { CLIENT_IDLE_MS } from '../../../lib/http-server';
import { performance } from 'node:perf_hooks';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import nodeFetch, { type Response } from 'node-fetch';
import type { GraphQLError } from 'graphql';
import { codedError, ErrorCode } from '../../../lib/errors';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

/** How a subgraph call ended, as the latency metric labels it. */
export type SubgraphOutcome = 'ok' | 'http_error' | 'timeout' | 'unreachable' | 'invalid_response';

export interface SubgraphFetcherOptions {
  /** Subgraph name, in the error and the metric. */
  subgraph: string;
  /** Longest one subgraph call may take, body included. @default 10000 (config SUBGRAPH_TIMEOUT_MS) */
  timeoutMs: number;
  /** Told once per call how long it took and how it ended (the subgraph latency histogram). */
  observe?: (subgraph: string, seconds: number, outcome: SubgraphOutcome) => void;
}

// Keep-alive sockets to the subgraphs. node-fetch over node:http rather than the built-in fetch:
// the benchmark profile showed undici's web streams and AbortSignal.timeout costing ~1.5 ms of
// gateway CPU per request on the dossier query.
// An idle socket is closed after CLIENT_IDLE_MS, before the subgraph would close it (lib/http-server.ts).
const agentOptions = { keepAlive: true, maxSockets: 256, timeout: CLIENT_IDLE_MS };
const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
const agentFor = (url: URL) => (url.protocol === 'https:' ? agents.https : agents.http);

/** A `fetch` for RemoteGraphQLDataSource that times out and reports failures as `SUBGRAPH_UNAVAILABLE`. */
export function subgraphFetcher(options: SubgraphFetcherOptions): Fetcher {
  const { subgraph, timeoutMs, observe } = options;
  return async (url, init) => {
    const start = performance.now();
    const done = (outcome: SubgraphOutcome) => observe?.(subgraph, (performance.now() - start) / 1000, outcome);
    let response: Response;
    let text: string;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      response = await nodeFetch(url, { ...(init as object), agent: agentFor, signal: controller.signal as never });
      // Read the body here, under the same deadline: a subgraph that stalls mid-body is slow too.
      text = await response.text();
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
      done(timedOut ? 'timeout' : 'unreachable');
      throw timedOut
        ? subgraphUnavailable(subgraph, 'timeout', `did not answer within ${timeoutMs} ms`)
        : subgraphUnavailable(subgraph, 'unreachable', 'could not be reached');
    } finally {
      clearTimeout(timer);
    }
    if (response.status >= 500) {
      done('http_error');
      throw subgraphUnavailable(subgraph, 'http_error', `answered HTTP ${response.status}`);
    }
    // 4xx responses stay RemoteGraphQLDataSource's to report (401 UNAUTHENTICATED, 400 with GraphQL errors).
    // Parsed once here, both to refuse a broken body and to hand RemoteGraphQLDataSource its `json()`.
    let json: unknown;
    if (/json/.test(response.headers.get('content-type') ?? '')) {
      try {
        json = JSON.parse(text);
      } catch {
        if (response.ok) {
          done('invalid_response');
          throw subgraphUnavailable(subgraph, 'invalid_response', 'sent a response that is not JSON');
        }
      }
    }
    done(response.ok ? 'ok' : 'http_error');
    return buffered(response, text, json);
  };
}

/** `SUBGRAPH_UNAVAILABLE` naming the subgraph and why; the fields it serves come back null. */
export function subgraphUnavailable(subgraph: string, reason: SubgraphOutcome, what: string): GraphQLError {
  return codedError(
    ErrorCode.SUBGRAPH_UNAVAILABLE,
    `The ${subgraph} subgraph ${what}, so the fields it serves are null in this response. The rest of the response is complete; try again later for those fields.`,
    { subgraph, reason },
  );
}

/** The response with its body already read (and parsed), in the shape RemoteGraphQLDataSource reads. */
function buffered(response: Response, text: string, json: unknown): FetcherResponse {
  const self: FetcherResponse = {
    bodyUsed: false,
    url: response.url,
    redirected: response.redirected,
    status: response.status,
    ok: response.ok,
    statusText: response.statusText,
    headers: response.headers as unknown as FetcherResponse['headers'],
    text: async () => text,
    json: async () => (json === undefined ? JSON.parse(text) : json),
    arrayBuffer: async () => new TextEncoder().encode(text).buffer as ArrayBuffer,
    clone: () => self,
  };
  return self;
}

/**
 * The fetcher every subgraph call goes through: a time limit on the whole exchange (connect,
 * response, body), and one stable error for a subgraph that is slow, down or broken. @apollo/gateway
 * puts a failed fetch's error in the response and leaves that fetch's fields null, so the other
 * subgraphs still answer: partial data, never a hung gateway, and never the subgraph's internal URL
 * or body in the client's error (RemoteGraphQLDataSource's own errors carry both).
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { CLIENT_IDLE_MS } from '../../../lib/http-server';
import { performance } from 'node:perf_hooks';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
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

// Keep-alive sockets to the subgraphs, and node:http itself rather than a fetch implementation:
// a subgraph call is one POST of a string and one text body, and the benchmark profile showed
// undici's web streams (the built-in fetch) costing ~1.5 ms of gateway CPU per dossier, and
// node-fetch's Request, Headers and body streams ~0.1 ms per call over plain node:http.
// An idle socket is closed after CLIENT_IDLE_MS, before the subgraph would close it (lib/http-server.ts).
const agentOptions = { keepAlive: true, maxSockets: 256, timeout: CLIENT_IDLE_MS };
const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };

/** What a subgraph answered: status, headers and the whole body. */
interface Answer {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  text: string;
}

class Timeout extends Error {}

/** POSTs (or sends `init.method`) to `url` and reads the whole answer, all within `timeoutMs`. */
function exchange(url: string, init: Parameters<Fetcher>[1], timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const body = typeof init?.body === 'string' ? init.body : undefined;
    const headers = { ...(init?.headers as Record<string, string> | undefined) };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const secure = target.protocol === 'https:';
    const request = (secure ? https : http).request(target, { method: init?.method ?? 'POST', headers, agent: secure ? agents.https : agents.http });
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      request.destroy(new Timeout());
    }, timeoutMs);
    // Whatever error the destroyed exchange reports first, an expired one is a timeout.
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(expired ? new Timeout() : err);
    };
    request.once('error', fail);
    request.once('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.once('error', fail);
      // The connection closed before the body was complete (a subgraph that died mid-answer).
      response.once('close', () => response.complete || fail(new Error('connection closed mid-body')));
      response.once('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', headers: response.headers, text });
      });
    });
    request.end(body);
  });
}

/** A `fetch` for RemoteGraphQLDataSource that times out and reports failures as `SUBGRAPH_UNAVAILABLE`. */
export function subgraphFetcher(options: SubgraphFetcherOptions): Fetcher {
  const { subgraph, timeoutMs, observe } = options;
  return async (url, init) => {
    const start = performance.now();
    const done = (outcome: SubgraphOutcome) => observe?.(subgraph, (performance.now() - start) / 1000, outcome);
    let answer: Answer;
    try {
      // The body is read under the same deadline: a subgraph that stalls mid-body is slow too.
      answer = await exchange(url, init, timeoutMs);
    } catch (err) {
      const timedOut = err instanceof Timeout;
      done(timedOut ? 'timeout' : 'unreachable');
      throw timedOut
        ? subgraphUnavailable(subgraph, 'timeout', `did not answer within ${timeoutMs} ms`)
        : subgraphUnavailable(subgraph, 'unreachable', 'could not be reached');
    }
    if (answer.status >= 500) {
      done('http_error');
      throw subgraphUnavailable(subgraph, 'http_error', `answered HTTP ${answer.status}`);
    }
    // 4xx responses stay RemoteGraphQLDataSource's to report (401 UNAUTHENTICATED, 400 with GraphQL errors).
    // Parsed once here, both to refuse a broken body and to hand RemoteGraphQLDataSource its `json()`.
    const ok = answer.status >= 200 && answer.status < 300;
    let json: unknown;
    if (/json/.test(String(answer.headers['content-type'] ?? ''))) {
      try {
        json = JSON.parse(answer.text);
      } catch {
        if (ok) {
          done('invalid_response');
          throw subgraphUnavailable(subgraph, 'invalid_response', 'sent a response that is not JSON');
        }
      }
    }
    done(ok ? 'ok' : 'http_error');
    return buffered(url, answer, ok, json);
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

/** The answer in the shape of the fetch Response RemoteGraphQLDataSource reads (status, headers.get, text, json). */
function buffered(url: string, answer: Answer, ok: boolean, json: unknown): FetcherResponse {
  const { text } = answer;
  const headers = {
    get: (name: string) => {
      const value = answer.headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
    has: (name: string) => answer.headers[name.toLowerCase()] !== undefined,
  };
  const self: FetcherResponse = {
    bodyUsed: false,
    url,
    redirected: false,
    status: answer.status,
    ok,
    statusText: answer.statusText,
    headers: headers as unknown as FetcherResponse['headers'],
    text: async () => text,
    json: async () => (json === undefined ? JSON.parse(text) : json),
    arrayBuffer: async () => new TextEncoder().encode(text).buffer as ArrayBuffer,
    clone: () => self,
  };
  return self;
}

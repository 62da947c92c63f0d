/**
 * Load generation with autocannon's programmatic API, in the harness's own process: every request
 * gets its own body from the scenario's generator (`requests[].setupRequest`), and every response
 * body is checked (`verifyBody`), so GraphQL errors inside 200 responses count as errors.
 */
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  /** The next request body. */
  next(): string;
  /** Whether a response body is a good answer. */
  verify(body: string): boolean;
  connections: number;
  /** Seconds. */
  duration: number;
}

export interface LoadResult {
  /** Requests completed in the window. */
  requests: number;
  /** Requests sent, including those still in flight when the window closed. */
  sent: number;
  seconds: number;
  /** Completed requests per second. */
  rps: number;
  /** Latency percentiles, ms (autocannon records whole milliseconds). */
  p50: number;
  p99: number;
  /** Responses with a non-2xx status. */
  non2xx: number;
  /** Bad responses: failed the body check (GraphQL errors, missing data, non-2xx bodies), connection errors, timeouts. */
  errors: number;
  /** The first bad body seen, for the report. */
  firstBad?: string;
}

/** Runs one load window and returns its numbers. */
export async function drive(options: LoadOptions): Promise<LoadResult> {
  let firstBad: string | undefined;
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    connections: options.connections,
    duration: options.duration,
    // Count only what was asked; a request that hangs 10 s is an error worth seeing, not a retry.
    timeout: 10,
    requests: [
      {
        setupRequest: (req: any) => {
          req.body = options.next();
          return req;
        },
      },
    ],
    verifyBody: (body: string) => {
      const ok = options.verify(body);
      if (!ok && firstBad === undefined) firstBad = body.slice(0, 600);
      return ok;
    },
  } as autocannon.Options);
  const seconds = result.duration;
  const requests = result.requests.total;
  return {
    requests,
    sent: (result.requests as { sent?: number }).sent ?? requests,
    seconds,
    rps: requests / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: (result as any).mismatches + result.errors + result.timeouts,
    firstBad,
  };
}

/** One request outside the load (sampling, probes): the parsed body and status. */
export async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/**
 * `GET /readyz`: whether this replica should receive traffic. It is a list of named checks (the
 * audit store, each subgraph, …), each bounded by a timeout and its answer kept briefly, so a
 * load balancer probing every second costs the dependencies at most one call per check per
 * window, and a hung dependency makes the probe answer 503 in time instead of hanging with it.
 * While the gateway is stopping, readiness is 503 before any check runs (server.ts, `stop`).
 */
import type { RequestHandler } from 'express';
import { ANONYMOUS, signInternalToken } from '../../../lib/tokens';

/** One dependency's state: `ok`, and a short word for the response body (`reachable`, `timeout`, …). */
export interface CheckResult {
  ok: boolean;
  status: string;
  /**
   * The dependency is down (not misconfigured): for a `degradable` check the replica stays ready
   * and serves what does not need it, as long as one degradable check still passes.
   */
  down?: boolean;
  /** Why it failed, for operators (the body's `reasons`). */
  reason?: string;
}

/** A named readiness check. Keep it cheap: it runs at most once per `cacheMs`. */
export type ReadinessCheck = () => Promise<CheckResult>;

export interface ReadinessOptions {
  /** Checks by name; each appears under its name in the response body. */
  checks: Record<string, ReadinessCheck>;
  /** False once shutdown began: the replica stays up but asks to receive no new traffic. */
  accepting: () => boolean;
  /** A check that has not answered within this long counts as failed (`timeout`). */
  timeoutMs: number;
  /** How long a check's answer is reused. */
  cacheMs: number;
  /**
   * Checks whose dependency being down leaves the replica useful (a subgraph: only its fields are
   * null), so that one department's outage does not pull every gateway replica out of the load
   * balancer. The replica is not ready when all of them are down, or when one is misconfigured
   * (answers, but not as expected). @default none
   */
  degradable?: string[];
}

/**
 * The `/readyz` handler: 200 `ready` when every check passes, 200 `degraded: …` when only some
 * degradable dependencies are down, else 503 naming what failed.
 */
export function readinessHandler(options: ReadinessOptions): RequestHandler {
  const checks = Object.entries(options.checks).map(([name, check]) => [name, remembered(bounded(check, options.timeoutMs), options.cacheMs)] as const);
  const degradable = new Set(options.degradable ?? []);
  return async (_req, res) => {
    res.setHeader('cache-control', 'no-store');
    if (!options.accepting()) {
      res.status(503).json({ status: 'stopping' });
      return;
    }
    const results = await Promise.all(checks.map(async ([name, check]) => [name, await check()] as const));
    const tolerated = (name: string, r: CheckResult) => degradable.has(name) && r.down === true;
    const optional = results.filter(([name]) => degradable.has(name));
    const allDown = optional.length > 0 && optional.every(([name, r]) => !r.ok && tolerated(name, r));
    const failed = results.filter(([name, r]) => !r.ok && (allDown || !tolerated(name, r))).map(([name]) => name);
    const down = results.filter(([name, r]) => !r.ok && !failed.includes(name)).map(([name]) => name);
    const status = failed.length > 0 ? `not ready: ${failed.join(', ')}` : down.length > 0 ? `degraded: ${down.join(', ')}` : 'ready';
    const body: Record<string, unknown> = { status };
    for (const [name, result] of results) body[name] = result.status;
    const reasons = Object.fromEntries(results.filter(([, r]) => !r.ok && r.reason).map(([name, r]) => [name, r.reason]));
    if (Object.keys(reasons).length > 0) body.reasons = reasons;
    res.status(failed.length === 0 ? 200 : 503).json(body);
  };
}

/** The check, failing with `timeout` when it takes longer than `timeoutMs` (and `error` when it throws). */
function bounded(check: ReadinessCheck, timeoutMs: number): ReadinessCheck {
  return () =>
    new Promise<CheckResult>((resolve) => {
      const timer = setTimeout(() => resolve({ ok: false, status: 'timeout', down: true }), timeoutMs);
      check().then(
        (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        () => {
          clearTimeout(timer);
          resolve({ ok: false, status: 'error' });
        },
      );
    });
}

/** The check's last answer for `cacheMs` after it arrived; concurrent probes share one run. */
function remembered(check: ReadinessCheck, cacheMs: number): ReadinessCheck {
  let last: { at: number; result: Promise<CheckResult> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= cacheMs) {
      const entry = { at: Infinity, result: check() };
      last = entry;
      // The window starts when the answer arrives, so a slow check is not repeated back to back.
      void entry.result.then(() => (entry.at = Date.now()));
    }
    return last.result;
  };
}

/**
 * Whether the subgraph at `url` answers a GraphQL request signed as the gateway signs them: the
 * right service at that address (not something else listening on its port) that accepts this
 * gateway's internal token. The query is `{ __typename }`, which reads no store.
 */
export function subgraphCheck(options: { name: string; url: string; secret: string; timeoutMs: number }): ReadinessCheck {
  return async () => {
    const token = await signInternalToken({ principal: ANONYMOUS }, options.name, options.secret, 60);
    try {
      const res = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': 'readiness' },
        body: JSON.stringify({ query: '{ __typename }' }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const body = (await res.json().catch(() => undefined)) as { data?: { __typename?: string } } | undefined;
      if (res.ok && body?.data?.__typename) return { ok: true, status: 'reachable' };
      if (res.status === 401 || res.status === 403) return { ok: false, status: 'refuses the internal token' };
      // A 5xx is a subgraph in trouble; any other answer is something else listening on its address.
      return { ok: false, status: `answered ${res.status}`, down: res.status >= 500 };
    } catch (err) {
      return { ok: false, status: (err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable', down: true };
    }
  };
}

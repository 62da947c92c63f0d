/**
 * Rate limits and quotas as an Apollo Server plugin. In `didResolveOperation` (after the document
 * is parsed and valid, before planning or any subgraph call) each request limit that applies is
 * incremented and the subject quotas are read; one over its maximum refuses the request with 429,
 * `Retry-After` and `RATE_LIMITED`, which the audit plugin records like any refusal. In
 * `willSendResponse` the subjects the response released are added to the quotas: a request is let
 * through while its organisation is under quota, so the last one may take it past. The quotas are
 * read and added to through `Tallies` (tallies.ts: one shared read and one send per key every
 * RATE_LIMIT_QUOTA_SYNC_MS, not two commands per request); the request limits are exact.
 *
 * Fail open: when the counters cannot be reached the request is served unmetered, logged and
 * counted. The audit log still records every request, and an archive that refuses every court
 * and bureau while Redis restarts does more harm than a few unmetered seconds.
 */
import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { codedError, ErrorCode } from '../../../lib/errors';
import type { Logger } from '../../../lib/logger';
import type { Principal } from '../../../lib/tokens';
import type { Counters } from './counters';
import type { RateLimitMetrics } from './metrics';
import { Tallies } from './tallies';
import { limitsFor, type Caller, type Defaults, type Limit, type Rule } from './rules';

/** What the plugin reads from the request's context. */
export interface RateLimitContext {
  principal: Principal;
  clientAddress: string;
  client?: string;
  subjects?: Set<string>;
  logger: Logger;
}

export interface RateLimitOptions {
  counters: Counters;
  /** How old a quota's shared count may be, and how long a release may wait to be added to it (tallies.ts). */
  quotaSyncMs: number;
  rules: readonly Rule[];
  defaults: Defaults;
  metrics: RateLimitMetrics;
  logger: Logger;
  /** Between two "counters unreachable" log lines. @default 10000 */
  logEveryMs?: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** The UTC day's key suffix and how long until it ends. */
function today(now = Date.now()): { day: string; remainingMs: number } {
  return { day: new Date(now).toISOString().slice(0, 10), remainingMs: DAY_MS - (now % DAY_MS) };
}

/** The plugin, and `close` to send the releases not yet added to the quotas. */
export function rateLimitPlugin(options: RateLimitOptions): { plugin: ApolloServerPlugin<RateLimitContext>; close(): Promise<void> } {
  const { counters, quotaSyncMs, rules, defaults, metrics, logger, logEveryMs = 10_000 } = options;
  let loggedAt = 0;
  const unmetered = (err: unknown) => {
    metrics.unavailable();
    unreachable(err);
  };
  const unreachable = (err: unknown) => {
    if (Date.now() - loggedAt < logEveryMs) return;
    loggedAt = Date.now();
    logger.warn({ err }, 'rate-limit counters unreachable: requests are served unmetered until they are back');
  };
  const tallies = new Tallies(counters, { freshMs: quotaSyncMs, onError: unreachable });
  const callerOf = (ctx: RateLimitContext): Caller => ({
    sub: ctx.principal.sub,
    org: ctx.principal.org,
    category: ctx.principal.category,
    client: ctx.client,
    address: ctx.clientAddress,
    authenticated: ctx.principal.authenticated,
  });

  const plugin: ApolloServerPlugin<RateLimitContext> = {
    async requestDidStart({ contextValue: ctx }) {
      // Read once the operation is resolved: by then every plugin's requestDidStart (the client's name) has run.
      let caller: Caller;
      let subjectLimits: Limit[] = [];
      return {
        async didResolveOperation() {
          caller = callerOf(ctx);
          subjectLimits = limitsFor('subjectsPerDay', caller, rules, defaults);
          const { day, remainingMs } = today();
          const checks: Array<Promise<[Limit, number, number]>> = [
            ...limitsFor('requestsPerMinute', caller, rules, defaults).map(async (l): Promise<[Limit, number, number]> => {
              const c = await counters.increment(l.key, 1, MINUTE_MS);
              return [l, c.count, c.resetMs];
            }),
            // Read: the request may go ahead while the quota is not yet used up.
            ...subjectLimits.map(async (l): Promise<[Limit, number, number]> => [l, (await tallies.read(`${l.key}:${day}`, remainingMs)) + 1, remainingMs]),
          ];
          let results;
          try {
            results = await Promise.all(checks);
          } catch (err) {
            return unmetered(err);
          }
          const over = results.find(([l, count]) => count > l.max);
          metrics.request(caller, over ? 'refused' : 'allowed');
          if (over) throw rateLimited(over[0], Math.max(1, Math.ceil(over[2] / 1000)));
        },
        async willSendResponse() {
          const released = ctx.subjects?.size ?? 0;
          if (released === 0 || !caller) return;
          metrics.released(caller, released);
          if (subjectLimits.length === 0) return;
          const { day, remainingMs } = today();
          for (const l of subjectLimits) tallies.add(`${l.key}:${day}`, released, remainingMs);
        },
      };
    },
  };
  return { plugin, close: () => tallies.close() };
}

function rateLimited(limit: Limit, retryAfterSeconds: number) {
  const what =
    limit.kind === 'requestsPerMinute'
      ? `More than ${limit.max} requests a minute were sent`
      : `Records of ${limit.max} subjects a day have been released to this organisation`;
  return codedError(ErrorCode.RATE_LIMITED, `${what}; try again in ${retryAfterSeconds} s.`, {
    limit: limit.kind,
    max: limit.max,
    retryAfterSeconds,
    http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) },
  });
}

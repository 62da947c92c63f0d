/**
 * The project's gateway's own counters (GET /metrics, Prometheus text): response-cache lookups by
 * result and cache store errors, read before and after a run to show how a run was served.
 */

export interface CacheCounts {
  hit: number;
  miss: number;
  /** Served uncached because the cache store did not answer in time. */
  bypass: number;
  /** Cache store commands that failed or timed out. */
  errors: number;
}

const LOOKUP = /^gateway_cache_requests_total\{([^}]*)\}\s+([\d.e+-]+)$/;
const ERRORS = /^gateway_cache_errors_total(?:\{[^}]*\})?\s+([\d.e+-]+)$/;

/** Parses the cache counters out of a Prometheus text exposition. */
export function parseCacheCounts(text: string): CacheCounts {
  const counts: CacheCounts = { hit: 0, miss: 0, bypass: 0, errors: 0 };
  for (const line of text.split('\n')) {
    const m = LOOKUP.exec(line);
    if (m && m[1].includes('cache="response"')) {
      const result = /result="(\w+)"/.exec(m[1])?.[1];
      if (result === 'hit' || result === 'miss' || result === 'bypass') counts[result] += Number(m[2]);
      continue;
    }
    const e = ERRORS.exec(line);
    if (e) counts.errors += Number(e[1]);
  }
  return counts;
}

/** The gateway's cache counters now, or undefined when it exposes none. */
export async function scrapeCache(metricsUrl: string | undefined): Promise<CacheCounts | undefined> {
  if (!metricsUrl) return undefined;
  try {
    const res = await fetch(metricsUrl);
    return res.ok ? parseCacheCounts(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

export function cacheDelta(after: CacheCounts | undefined, before: CacheCounts | undefined): CacheCounts | undefined {
  if (!after || !before) return undefined;
  return { hit: after.hit - before.hit, miss: after.miss - before.miss, bypass: after.bypass - before.bypass, errors: after.errors - before.errors };
}

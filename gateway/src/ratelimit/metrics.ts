/** Rate-limit metrics, per client system and organisation, on the gateway's registry. */
import { boundedLabel, type MetricsRegistry } from '../metrics';
import type { Caller } from './rules';

export interface RateLimitMetrics {
  request(caller: Caller, result: 'allowed' | 'refused'): void;
  released(caller: Caller, subjects: number): void;
  unavailable(): void;
}

export function rateLimitMetrics(metrics: MetricsRegistry): RateLimitMetrics {
  const requests = metrics.counter({
    name: 'gateway_rate_limit_requests_total',
    help: 'Requests checked against the rate limits, by client system, organisation and result (allowed, refused)',
    labelNames: ['client', 'org', 'result'],
  });
  const subjects = metrics.counter({
    name: 'gateway_rate_limit_subjects_released_total',
    help: 'Subjects whose records were released, as counted against the daily quotas, by client system and organisation',
    labelNames: ['client', 'org'],
  });
  const unmetered = metrics.counter({
    name: 'gateway_rate_limit_unmetered_total',
    help: 'Requests served unmetered because the rate-limit counters (Redis) could not be reached',
  });
  const client = boundedLabel();
  const org = boundedLabel();
  return {
    request: (c, result) => requests.inc({ client: client(c.client), org: org(c.org), result }),
    released: (c, n) => subjects.inc({ client: client(c.client), org: org(c.org) }, n),
    unavailable: () => unmetered.inc(),
  };
}

/** Rate-limit metrics, per client system and organisation, on the gateway's registry. */
import { Counter, type Registry } from 'prom-client';
import { boundedLabel } from '../metrics/labels';
import type { Caller } from './rules';

export interface RateLimitMetrics {
  request(caller: Caller, result: 'allowed' | 'refused'): void;
  released(caller: Caller, subjects: number): void;
  unavailable(): void;
}

export function rateLimitMetrics(registry: Registry): RateLimitMetrics {
  const requests = new Counter({
    name: 'gateway_rate_limit_requests_total',
    help: 'Requests checked against the rate limits, by client system, organisation and result (allowed, refused)',
    labelNames: ['client', 'org', 'result'],
    registers: [registry],
  });
  const subjects = new Counter({
    name: 'gateway_rate_limit_subjects_released_total',
    help: 'Subjects whose records were released, as counted against the daily quotas, by client system and organisation',
    labelNames: ['client', 'org'],
    registers: [registry],
  });
  const unmetered = new Counter({
    name: 'gateway_rate_limit_unmetered_total',
    help: 'Requests served unmetered because the rate-limit counters (Redis) could not be reached',
    registers: [registry],
  });
  const client = boundedLabel();
  const org = boundedLabel();
  return {
    request: (c, result) => requests.inc({ client: client(c.client), org: org(c.org), result }),
    released: (c, n) => subjects.inc({ client: client(c.client), org: org(c.org) }, n),
    unavailable: () => unmetered.inc(),
  };
}

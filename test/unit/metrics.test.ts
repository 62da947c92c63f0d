/** The gateway's metrics come from one module: every feature registers through it, under the names dashboards read. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cacheMetrics } from '../../gateway/src/cache/metrics';
import { demandControlMetrics } from '../../gateway/src/limits';
import { boundedLabel, MetricsRegistry } from '../../gateway/src/metrics';
import { requestMetrics } from '../../gateway/src/observability';
import { operationsMetrics } from '../../gateway/src/operations/metrics';
import { rateLimitMetrics } from '../../gateway/src/ratelimit/metrics';

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));

it('registers every feature metric in the one registry, under its published name', async () => {
  const metrics = new MetricsRegistry();
  cacheMetrics(metrics);
  demandControlMetrics(metrics);
  requestMetrics(metrics).request('Dossier', 'ok', 0.01, []);
  operationsMetrics(metrics);
  rateLimitMetrics(metrics);
  expect(metrics.registry.getMetricsAsArray().map((m) => m.name).sort()).toEqual([
    'gateway_cache_available',
    'gateway_cache_errors_total',
    'gateway_cache_invalidated_entries_total',
    'gateway_cache_operation_duration_seconds',
    'gateway_cache_requests_total',
    'gateway_cache_writes_total',
    'gateway_errors_total',
    'gateway_operation_cost_actual',
    'gateway_operation_cost_estimated',
    'gateway_rate_limit_requests_total',
    'gateway_rate_limit_subjects_released_total',
    'gateway_rate_limit_unmetered_total',
    'gateway_request_duration_seconds',
    'gateway_subgraph_request_duration_seconds',
    'gateway_trusted_operations_total',
  ]);
  expect(await metrics.registry.metrics()).toContain('gateway_request_duration_seconds_count{operation="Dossier",outcome="ok"} 1');
});

it('counts caller-chosen label values past the bound as `other`', () => {
  const label = boundedLabel(2);
  expect(['a', 'b', 'c', 'a', undefined].map(label)).toEqual(['a', 'b', 'other', 'a', 'none']);
});

it('leaves prom-client to gateway/src/metrics alone', () => {
  const importers = ['gateway', 'lib', 'scripts', 'subgraphs'].flatMap(filesUnder).filter((f) => /from 'prom-client'/.test(readFileSync(f, 'utf8')));
  expect(importers).toEqual([path.join('gateway', 'src', 'metrics', 'index.ts')]);
});

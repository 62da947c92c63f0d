/**
 * The gateway's Prometheus metrics: one prom-client Registry per gateway, which every feature
 * (cache, requests, audit…) registers its metrics in, served as text on `GET /metrics`.
 */
import type { RequestHandler } from 'express';
import { Registry } from 'prom-client';

/**
 * A fresh registry. One per gateway rather than prom-client's global default, so that several
 * gateways in one process (the tests start many) do not collide on metric names.
 */
export function createMetricsRegistry(): Registry {
  return new Registry();
}

/** `GET /metrics`: the registry in the Prometheus text exposition format. */
export function metricsHandler(registry: Registry): RequestHandler {
  return async (_req, res, next) => {
    try {
      res.set('content-type', registry.contentType).send(await registry.metrics());
    } catch (err) {
      next(err);
    }
  };
}

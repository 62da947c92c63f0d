/** Request ids, the access log and the request/subgraph metrics. */
export { requestId, requestIdOf } from './request-id';
export { accessLog, accessLogPlugin, accessRecord, type AccessRecord, type Outcome } from './access-log';
export { requestMetrics, type RequestMetrics } from './metrics';

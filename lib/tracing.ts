/**
 * OpenTelemetry tracing, shared by the gateway and the subgraphs. Off unless the standard `OTEL_*`
 * variables turn it on (an OTLP endpoint, or `OTEL_TRACES_EXPORTER=console`); then one provider per
 * process exports over OTLP/HTTP, the W3C `traceparent` header carries the trace from the gateway
 * to the subgraphs, and each process adds its spans: the HTTP request, the gateway's steps, the
 * subgraph's resolvers and every SQL statement (`statementSpan`, called from lib/db.ts).
 *
 * With tracing off the `@opentelemetry/api` calls below are no-ops and cost next to nothing, and
 * the SDK and exporter are never loaded (they are imported only when tracing starts).
 */
import { context, INVALID_SPAN_CONTEXT, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { RequestHandler } from 'express';
import type { Config } from './config';

const TRACER_NAME = 'archive-federation';

/** The project's tracer (a no-op one until `startTracing` registers a provider). */
export const tracer = (): Tracer => trace.getTracer(TRACER_NAME);

export interface Tracing {
  /** Where spans go; the in-memory exporter of `OTEL_TRACES_EXPORTER=memory` (the benchmark) can be read back. */
  exporter: SpanExporter;
  /** Exports the spans still buffered. */
  flush(): Promise<void>;
  /** Flushes, then unregisters the provider (tracing is off again in this process). */
  shutdown(): Promise<void>;
}

let started = false;

/** Whether a provider is registered in this process (resolver spans are only wrapped then). */
export const tracingStarted = (): boolean => started;

/** The exporter the configuration asks for; undefined = tracing off. */
async function configuredExporter(config: Config): Promise<SpanExporter | undefined> {
  if (config.OTEL_SDK_DISABLED) return undefined;
  switch (config.OTEL_TRACES_EXPORTER) {
    case 'none':
      return undefined;
    case 'console':
      return new (await import('@opentelemetry/sdk-trace-node')).ConsoleSpanExporter();
    case 'memory': {
      const { InMemorySpanExporter } = await import('@opentelemetry/sdk-trace-node');
      // A long run (the benchmark) keeps the latest spans, not every span ever.
      return new (class extends InMemorySpanExporter {
        override export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
          if (this.getFinishedSpans().length > 10_000) this.reset();
          super.export(spans, done);
        }
      })();
    }
    default:
      // The exporter reads the endpoint, headers, timeout… from the OTEL_EXPORTER_OTLP_* variables itself.
      if (!config.OTEL_EXPORTER_OTLP_ENDPOINT && !config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
      return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  }
}

/**
 * Registers this process's tracer provider, when the configuration (or `exporter`, for tests)
 * asks for one: service name from `OTEL_SERVICE_NAME` (else `serviceName`), `OTEL_RESOURCE_ATTRIBUTES`
 * added, spans batched to the exporter; W3C trace context and baggage propagation, context kept
 * across `await` by AsyncLocalStorage. Returns undefined when tracing stays off.
 */
export async function startTracing(config: Config, serviceName: string, given?: SpanExporter): Promise<Tracing | undefined> {
  const exporter = given ?? (await configuredExporter(config));
  if (!exporter || started) return undefined;
  const { BatchSpanProcessor, NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
  const { detectResources, envDetector, resourceFromAttributes } = await import('@opentelemetry/resources');
  const resource = resourceFromAttributes({ 'service.name': config.OTEL_SERVICE_NAME ?? serviceName }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  provider.register();
  started = true;
  return {
    exporter,
    flush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      started = false;
    },
  };
}

/** The trace id of the active span (32 hex), or undefined outside a sampled trace. */
export function activeTraceId(): string | undefined {
  const span = trace.getActiveSpan();
  const ctx = span?.spanContext();
  return ctx && span!.isRecording() && trace.isSpanContextValid(ctx) ? ctx.traceId : undefined;
}

/**
 * Express middleware: the request's server span, continuing the caller's trace when it sends a
 * `traceparent`, active for everything the request does next.
 */
export function traceRequests(): RequestHandler {
  return (req, res, next) => {
    if (!started) return next(); // nothing would record it: skip the no-op span and its listener
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer().startSpan(
      `${req.method} ${req.baseUrl || req.path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.baseUrl || req.path } },
      parent,
    );
    const end = () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500 || !res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.once('close', end);
    context.with(trace.setSpan(parent, span), next);
  };
}

/** What `inSpan` hands `fn` while tracing is off: the span the no-op tracer would have made. */
const NOT_RECORDING = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Runs `fn` in a child span of the active one, ending it (with the error, if `fn` throws) when `fn` settles. */
export function inSpan<T>(name: string, attributes: Record<string, string | number | boolean>, fn: (span: Span) => Promise<T>, kind = SpanKind.INTERNAL): Promise<T> {
  if (!started) {
    try {
      return fn(NOT_RECORDING);
    } catch (err) {
      return Promise.reject(err); // as the async span callback would have
    }
  }
  return tracer().startActiveSpan(name, { attributes, kind }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      failed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Marks `span` failed by `err`. */
export function failed(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/** What Kysely's `log` hook reports of one statement. */
export interface StatementEvent {
  level: 'query' | 'error';
  query: { sql: string };
  queryDurationMillis: number;
  error?: unknown;
}

const DB_SYSTEM = { postgres: 'postgresql', mysql: 'mysql', pglite: 'postgresql' } as const;

/**
 * A client span for one SQL statement that has just finished (Kysely reports it afterwards, with
 * its duration), child of the span that ran it: the resolver, the audit commit…; none outside a span.
 */
export function statementSpan(dialect: keyof typeof DB_SYSTEM, store: string, event: StatementEvent): void {
  // Statements outside any traced work (migrations, background timers) would each be a trace of their own.
  if (!started || !trace.getActiveSpan()) return;
  const end = Date.now();
  const operation = /^\s*(\w+)/.exec(event.query.sql)?.[1]?.toUpperCase() ?? 'SQL';
  const span = tracer().startSpan(`${operation} ${store}`, {
    kind: SpanKind.CLIENT,
    startTime: end - event.queryDurationMillis,
    attributes: { 'db.system.name': DB_SYSTEM[dialect], 'db.namespace': store, 'db.operation.name': operation, 'db.query.text': event.query.sql },
  });
  if (event.level === 'error') failed(span, event.error);
  span.end(end);
}

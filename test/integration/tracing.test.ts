/**
 * OpenTelemetry tracing, gateway and subgraphs in one process (PostgreSQL and MariaDB stores),
 * spans kept by the SDK's in-memory exporter: one request is one connected trace, from the
 * gateway's request span through authorization, the cache, planning and each subgraph call into
 * each subgraph's request, resolvers and SQL statements, and the audit commit; the access-log line
 * and the audit record name the trace.
 */
import { Writable } from 'node:stream';
import pg from 'pg';
import pino from 'pino';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { loadConfig } from '../../lib/config';
import { dropDatabase } from '../../lib/db';
import { startTracing, type Tracing } from '../../lib/tracing';
import { openAuditStore } from '../../gateway/src/audit/store';
import { verifyStore } from '../../gateway/src/audit/verify';
import { DEMO } from '../../subgraphs/common/population';
import { gql, roleHeaders, testDbUrl } from '../helpers';
import { startFederation, startGateway, type Federation } from '../federation';

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('tracing (OpenTelemetry, in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let fed: Federation;
  let gateway: { url: string; stop(): Promise<void> };
  const auditDbUrl = testDbUrl('postgres', 'audit_tracing')!;
  const logLines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    // Registered before the servers start, as main.ts does, so the subgraphs wrap their resolvers.
    tracing = (await startTracing(loadConfig({}), 'archive-test', exporter))!;
    expect(tracing).toBeDefined();
    fed = await startFederation();
    await dropDatabase(auditDbUrl);
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (logLines.push(JSON.parse(String(chunk))), done()) }));
    gateway = await startGateway(fed, { AUDIT_DB_URL: auditDbUrl, LOG_LEVEL: 'info' }, { logger });
  });
  afterAll(async () => {
    await gateway?.stop();
    await fed?.stop();
    await dropDatabase(auditDbUrl);
    await tracing?.shutdown();
  });

  it('gives one request one connected trace across the gateway and the subgraphs', async () => {
    await tracing.flush();
    exporter.reset();
    const headers = await roleHeaders('archivist');
    const res = await gql(
      gateway.url,
      `query Dossier($id: ID!) { person(idNumber: $id) { name maritalStatus marriages { kind spouse { name } } realEstate { location owners { idNumber } } medicalInsurance { enrolments { insuranceType } } } }`,
      { id: DEMO.husband },
      headers,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.person.name).toBe('张建国');
    await tracing.flush();
    const spans = exporter.getFinishedSpans();

    // One root: the gateway's request span; every other span's parent is in the trace.
    const roots = spans.filter((s) => !parentOf(s));
    expect(roots.map((s) => s.name)).toEqual(['POST /graphql']);
    const traceId = roots[0].spanContext().traceId;
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));
    const ids = new Set(spans.map((s) => s.spanContext().spanId));
    expect(spans.filter((s) => parentOf(s) && !ids.has(parentOf(s)!)).map((s) => s.name)).toEqual([]);

    const named = (name: string) => spans.filter((s) => s.name === name);
    const root = roots[0];
    for (const step of ['authorization', 'cache.lookup', 'gateway.plan', 'audit.commit']) expect(named(step).length).toBeGreaterThanOrEqual(1);
    expect(parentOf(named('authorization')[0])).toBe(root.spanContext().spanId);

    // Each subgraph call: a client span in the gateway, the subgraph's server span under it (W3C
    // traceparent), its resolvers under that, and SQL statements under the resolvers.
    for (const department of ['social-security', 'marriage', 'real-estate', 'medical-insurance']) {
      const calls = named(`subgraph ${department}`);
      expect(calls.length).toBeGreaterThanOrEqual(1);
      expect(calls[0].kind).toBe(SpanKind.CLIENT);
      const servers = spans.filter((s) => s.kind === SpanKind.SERVER && calls.some((c) => c.spanContext().spanId === parentOf(s)));
      expect(servers.length).toBe(calls.length);
      const serverIds = new Set(servers.map((s) => s.spanContext().spanId));
      const resolvers = spans.filter((s) => s.name.startsWith('resolve ') && serverIds.has(parentOf(s)!));
      expect(resolvers.length).toBeGreaterThanOrEqual(1);
      const below = (span: ReadableSpan): ReadableSpan[] => spans.filter((s) => parentOf(s) === span.spanContext().spanId).flatMap((c) => [c, ...below(c)]);
      const statements = servers.flatMap(below).filter((s) => s.attributes['db.namespace'] === department);
      expect(statements.length).toBeGreaterThanOrEqual(1);
      expect(statements[0].attributes['db.query.text']).toMatch(/select/i);
    }
    expect(named('resolve Query.person')).toHaveLength(1);
    // The audit commit's statement (one audit_append call per batch) runs inside its span.
    const commit = named('audit.commit')[0];
    const auditSql = spans.filter((s) => s.kind === SpanKind.CLIENT && String(s.attributes['db.query.text'] ?? '').includes('audit_append'));
    expect(auditSql.some((s) => parentOf(s) === commit.spanContext().spanId)).toBe(true);

    // The trace id in the access-log line and in the audit record.
    const line = logLines.find((l) => l.msg === 'request' && l.operation === 'Dossier');
    expect(line?.traceId).toBe(traceId);
    const client = new pg.Client({ connectionString: auditDbUrl });
    await client.connect();
    try {
      const { rows } = await client.query("select body from audit_record where body like '%Dossier%' order by seq desc limit 1");
      expect(JSON.parse(rows[0].body).traceId).toBe(traceId);
    } finally {
      await client.end();
    }
  });

  it('continues a trace the client started (W3C traceparent)', async () => {
    await tracing.flush();
    exporter.reset();
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const headers = { ...(await roleHeaders('archivist')), traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` };
    const res = await gql(gateway.url, `{ person(idNumber: "${DEMO.wife}") { name } }`, undefined, headers);
    expect(res.errors).toBeUndefined();
    await tracing.flush();
    // The gateway's request span and the subgraph's (social-security answers `name`) continue it.
    const servers = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
    expect(servers.length).toBe(2);
    expect(servers.map((s) => s.spanContext().traceId)).toEqual([callerTrace, callerTrace]);
    expect(servers.map(parentOf)).toContain('00f067aa0ba902b7');
  });

  it('names the trace in the record of a request refused before GraphQL, leaves it out when the caller did not sample, and the chain verifies', async () => {
    const refused = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'trace-refused' }, body: '{"query": ' });
    expect(refused.status).toBe(400);
    const unsampled = await gql(gateway.url, '{ __typename }', undefined, { 'x-request-id': 'trace-unsampled', traceparent: '00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' });
    expect(unsampled.errors).toBeUndefined();
    const store = await openAuditStore(auditDbUrl, 'memory');
    try {
      const body = async (requestId: string) => {
        const row = await store.db.selectFrom('audit_record').select('body').where('body', 'like', `%"${requestId}"%`).executeTakeFirstOrThrow();
        return JSON.parse(row.body) as Record<string, unknown>;
      };
      expect((await body('trace-refused')).traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(await body('trace-unsampled')).not.toHaveProperty('traceId');
      // Records with and without a trace id chain and verify alike.
      expect(await verifyStore(store)).toMatchObject({ ok: true, problem: null });
    } finally {
      await store.close();
    }
  });
});

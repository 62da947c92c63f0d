/**
 * `/readyz` checks: each subgraph must answer a signed `{ __typename }` (a foreign service or a
 * secret mismatch fails; a closed port or a hung one leaves the replica degraded), within the timeout, and an answer is
 * reused for the cache window so frequent probes cost the subgraphs one call.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { verifyInternalToken } from '../../lib/tokens';
import { readinessHandler, subgraphCheck, type ReadinessCheck } from '../../gateway/src/health/readiness';

const SECRET = 'readiness-test-secret-readiness-test-secret';

/** A fake subgraph: answers `{ __typename }` when the internal token verifies for `marriage`, else 401; `hang` never answers. */
async function fakeSubgraph(mode: 'ok' | 'hang' | 'foreign') {
  let calls = 0;
  const server = http.createServer(async (req, res) => {
    calls++;
    if (mode === 'hang') return;
    if (mode === 'foreign') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>something else</html>');
    try {
      await verifyInternalToken(String(req.headers.authorization).replace(/^Bearer /, ''), 'marriage', SECRET);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { __typename: 'Query' } }));
    } catch {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: 'no' }] }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    calls: () => calls,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

async function readyz(checks: Record<string, ReadinessCheck>, options: { accepting?: boolean; timeoutMs?: number; cacheMs?: number; degradable?: string[] } = {}) {
  const app = express();
  app.get('/readyz', readinessHandler({ checks, accepting: () => options.accepting ?? true, timeoutMs: options.timeoutMs ?? 300, cacheMs: options.cacheMs ?? 0, degradable: options.degradable }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`;
  return {
    get: async () => {
      const res = await fetch(url);
      return { status: res.status, body: await res.json() };
    },
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe('readiness', () => {
  it('is not ready when a subgraph is misconfigured, and says which one does not answer', async () => {
    const good = await fakeSubgraph('ok');
    const hung = await fakeSubgraph('hang');
    const foreign = await fakeSubgraph('foreign');
    const closed = await fakeSubgraph('ok');
    await closed.close();
    const check = (url: string, secret = SECRET) => subgraphCheck({ name: 'marriage', url, secret, timeoutMs: 1500 });
    const checks = { good: check(good.url), hung: check(hung.url), foreign: check(foreign.url), closed: check(closed.url), wrongSecret: check(good.url, `${SECRET}-other`) };
    const probe = await readyz(checks, { timeoutMs: 1500, degradable: Object.keys(checks) }); // generous: a busy machine
    try {
      const started = Date.now();
      const res = await probe.get();
      expect(Date.now() - started).toBeLessThan(5000); // the hung subgraph costs the timeout, not forever
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        status: 'not ready: foreign, wrongSecret',
        good: 'reachable',
        hung: 'timeout',
        foreign: 'answered 200',
        closed: 'unreachable',
        wrongSecret: 'refuses the internal token',
      });
    } finally {
      await probe.close();
      await Promise.all([good.close(), hung.close(), foreign.close()]);
    }
  });

  it('stays ready (degraded) while some subgraphs are down, and is not ready when all are', async () => {
    const good = await fakeSubgraph('ok');
    const closed = await fakeSubgraph('ok');
    await closed.close();
    const check = (url: string) => subgraphCheck({ name: 'marriage', url, secret: SECRET, timeoutMs: 1500 });
    const audit: ReadinessCheck = async () => ({ ok: true, status: 'reachable' });
    const some = await readyz({ audit, good: check(good.url), closed: check(closed.url) }, { timeoutMs: 1500, degradable: ['good', 'closed'] });
    const all = await readyz({ audit, closed: check(closed.url), alsoClosed: check(closed.url) }, { timeoutMs: 1500, degradable: ['closed', 'alsoClosed'] });
    try {
      expect(await some.get()).toEqual({ status: 200, body: { status: 'degraded: closed', audit: 'reachable', good: 'reachable', closed: 'unreachable' } });
      expect(await all.get()).toEqual({ status: 503, body: { status: 'not ready: closed, alsoClosed', audit: 'reachable', closed: 'unreachable', alsoClosed: 'unreachable' } });
    } finally {
      await Promise.all([some.close(), all.close(), good.close()]);
    }
  });

  it('reuses an answer for the cache window (one subgraph call for many probes) and bounds a hung check', async () => {
    const good = await fakeSubgraph('ok');
    const never: ReadinessCheck = () => new Promise(() => {});
    const probe = await readyz({ marriage: subgraphCheck({ name: 'marriage', url: good.url, secret: SECRET, timeoutMs: 1500 }) }, { cacheMs: 60_000, timeoutMs: 1500 });
    const stuck = await readyz({ audit: never }, { timeoutMs: 200 });
    try {
      for (let i = 0; i < 5; i++) expect((await probe.get()).status).toBe(200);
      expect(good.calls()).toBe(1);
      expect(await stuck.get()).toEqual({ status: 503, body: { status: 'not ready: audit', audit: 'timeout' } });
    } finally {
      await Promise.all([probe.close(), stuck.close(), good.close()]);
    }
  });

  it('answers 503 stopping once shutdown began, without running the checks', async () => {
    let ran = 0;
    const probe = await readyz({ audit: async () => (ran++, { ok: true, status: 'reachable' }) }, { accepting: false });
    try {
      expect(await probe.get()).toEqual({ status: 503, body: { status: 'stopping' } });
      expect(ran).toBe(0);
    } finally {
      await probe.close();
    }
  });
});

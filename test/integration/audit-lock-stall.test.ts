/**
 * One stalled replica must not stop the audit log of the others (issue 12, item 2). Two gateways
 * share one throwaway audit database, each through its own TCP proxy; gateway A's proxy freezes
 * right after A sends its append (`audit_append`), so A goes silent in the middle of a commit, as
 * under a partition or SIGSTOP. The append is one statement: the server takes the chain lock,
 * commits and lets it go whether A hears back or not, so B goes on at once (no transaction is left
 * holding the lock until PostgreSQL ends it). A's /readyz says 503 (store probe past
 * READYZ_TIMEOUT_MS, then "stalled" past AUDIT_STALLED_AFTER_MS) and A resumes once its network is
 * back. Every answered request has its record and the chain verifies.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { loadConfig } from '../../lib/config';
import { dropDatabase } from '../../lib/db';
import { createGateway } from '../../gateway/src/server';
import { openAuditStore } from '../../gateway/src/audit/store';
import { verifyStore } from '../../gateway/src/audit/verify';
import { composeSupergraph } from '../../schema/compose';
import { gql, roleHeaders, silentLogger, testDbUrl } from '../helpers';
import { startTcpProxy, type TcpProxy } from '../tcp-proxy';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  gateway: 'A' | 'B';
  requestId: string;
  status: number;
  code?: string;
  sentAt: number;
  at: number;
}

describe('a replica stalled in the middle of an audit commit', () => {
  const auditUrl = testDbUrl('postgres', 'audit_stall')!;
  const proxies: TcpProxy[] = [];
  const gateways: Array<{ url: string; stop(): Promise<void> }> = [];
  const answers: Answer[] = [];
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => void uncaught.push(err);
  let headers: Record<string, string>;
  let supergraphSdl: string | undefined;

  /** A gateway (no subgraphs needed: `{ __typename }` is answered, and audited, by the gateway). */
  async function replica(env: Record<string, string> = {}): Promise<{ url: string; readyz: string; proxy: TcpProxy }> {
    const proxy = await startTcpProxy(new URL(auditUrl).host);
    proxies.push(proxy);
    // READYZ_CACHE_MS 0: every probe below sees the state at that moment, not the previous probe's answer.
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PUBLIC_HOST: '127.0.0.1', DATA_DIR: 'memory', AUDIT_DB_URL: proxy.via(auditUrl), READYZ_CACHE_MS: '0', ...env });
    const running = await (await createGateway({ config, logger: silentLogger, supergraphSdl: (supergraphSdl ??= composeSupergraph()), subgraphUrls: {} })).listen(0, '127.0.0.1');
    gateways.push(running);
    return { url: running.url, readyz: running.url.replace(/\/graphql$/, '/readyz'), proxy };
  }

  async function ask(gateway: 'A' | 'B', url: string): Promise<Answer> {
    const requestId = `stall-${gateway}-${randomUUID()}`;
    const sentAt = Date.now();
    const res = await gql(url, '{ __typename }', undefined, { ...headers, 'x-request-id': requestId });
    const answer = { gateway, requestId, status: res.status, code: res.errors?.[0]?.extensions?.code as string | undefined, sentAt, at: Date.now() };
    answers.push(answer);
    return answer;
  }

  async function readyz(url: string) {
    const started = Date.now();
    const res = await fetch(url);
    return { status: res.status, body: (await res.json()) as Record<string, string>, ms: Date.now() - started };
  }

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    headers = await roleHeaders('archivist');
  });
  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    proxies.forEach((p) => p.restore());
    for (const g of gateways) await g.stop();
    for (const p of proxies) await p.close();
    await dropDatabase(auditUrl);
  });

  // These gateways run no subgraphs, so /readyz as a whole stays 503: only its audit part is watched.
  async function untilReady(g: { readyz: string }): Promise<void> {
    const deadline = Date.now() + 15_000;
    while ((await readyz(g.readyz)).body.audit !== 'reachable') {
      if (Date.now() > deadline) throw new Error('the audit store did not open');
      await sleep(200);
    }
  }

  it('the other replica goes on within seconds, /readyz of the stalled one says 503 in time, and it resumes when its network is back', async () => {
    const a = await replica();
    const b = await replica();
    // Both open (and race to migrate) the store in the background; a busy machine may take seconds.
    for (const g of [a, b]) await untilReady(g);
    expect((await ask('A', a.url)).status).toBe(200);
    expect((await ask('B', b.url)).status).toBe(200);

    // B under steady load from 3 clients for the whole test.
    let loading = true;
    const load = Promise.all(
      Array.from({ length: 3 }, async () => {
        while (loading) {
          await ask('B', b.url);
          await sleep(20);
        }
      }),
    );
    try {
      await sleep(300);
      const frozen = a.proxy.freezeOn('audit_append');
      const stuck = ask('A', a.url); // A sends its append, then its connection goes silent
      const frozenAt = await frozen;

      await sleep(1000);
      const probing = await readyz(a.readyz); // the store probe hangs on the frozen connection
      // The store does not answer within READYZ_TIMEOUT_MS: `timeout` (the handler's bound) or `unreachable` (the probe's own).
      expect(probing).toMatchObject({ status: 503, body: { audit: expect.stringMatching(/^(timeout|unreachable)$/) } });
      expect(probing.ms).toBeLessThan(2000 + 700);
      await sleep(Math.max(0, frozenAt + 3500 - Date.now()));
      const stalled = await readyz(a.readyz); // the commit is older than AUDIT_STALLED_AFTER_MS (3 s)
      expect(stalled).toMatchObject({ status: 503, body: { audit: 'stalled' } });
      expect(stalled.body.status).toMatch(/^not ready: .*audit/);
      expect((stalled.body.reasons as unknown as Record<string, string>).audit).toMatch(/audit commit has been running for \d+ ms/);
      expect(stalled.ms).toBeLessThan(500);
      expect((await stuck).status).toBe(503); // after AUDIT_WRITE_TIMEOUT_MS (5 s): refused, not hung
      expect((await stuck).code).toBe('AUDIT_UNAVAILABLE');

      const bResumed = answers.find((x) => x.gateway === 'B' && x.sentAt > frozenAt + 100 && x.status === 200);
      expect(bResumed).toBeDefined();
      const bRecovery = bResumed!.at - frozenAt;
      // Sooner than PostgreSQL would end an idle transaction (DB_IDLE_IN_TRANSACTION_TIMEOUT_MS, 2 s): no session of A holds the lock.
      expect(bRecovery).toBeLessThan(2000);

      const restoredAt = Date.now();
      a.proxy.restore();
      let aResumed: Answer | undefined;
      while (!aResumed && Date.now() - restoredAt < 10_000) {
        const x = await ask('A', a.url);
        if (x.status === 200) aResumed = x;
        else await sleep(50);
      }
      expect(aResumed).toBeDefined();
      const aRecovery = aResumed!.at - restoredAt;
      expect(aRecovery).toBeLessThan(3000);
      expect((await readyz(a.readyz)).body.audit).toBe('reachable');
      const during = answers.filter((x) => x.gateway === 'B' && x.sentAt > frozenAt);
      console.log(
        `lock stall: B answered again ${bRecovery} ms after A froze mid-append; A resumed ${aRecovery} ms after its network came back; ` +
          `B during the stall: ${during.filter((x) => x.status === 200).length} answered, ${during.filter((x) => x.status !== 200).length} refused`,
      );
    } finally {
      loading = false;
      await load;
    }

    expect(uncaught).toEqual([]);
    for (const x of answers.filter((x) => x.status !== 200)) expect(x).toMatchObject({ status: 503, code: 'AUDIT_UNAVAILABLE' });
    const store = await openAuditStore(auditUrl, 'memory');
    try {
      const { rows } = await sql<{ id: string }>`SELECT body::jsonb->>'requestId' AS id FROM audit_record`.execute(store.db);
      const recorded = new Set(rows.map((r) => r.id));
      expect(answers.filter((x) => x.status === 200 && !recorded.has(x.requestId))).toEqual([]);
      expect(await verifyStore(store)).toMatchObject({ ok: true, problem: null });
      const refused = answers.filter((x) => x.status !== 200).length;
      console.log(`lock stall, both replicas: ${answers.length - refused} answered, ${refused} refused (AUDIT_UNAVAILABLE), ${rows.length} audit records`);
    } finally {
      await store.close();
    }
  }, 30_000);

  it('a replica whose own connection stays silent is not wedged for good: the client gives the statement up, and it resumes on restore', async () => {
    // Short timeouts: the client closes a silent connection 1 s after DB_STATEMENT_TIMEOUT_MS.
    const c = await replica({ DB_STATEMENT_TIMEOUT_MS: '1500', DB_CONNECT_TIMEOUT_MS: '1000', AUDIT_WRITE_TIMEOUT_MS: '2000', AUDIT_STALLED_AFTER_MS: '1000' });
    await untilReady(c);
    expect((await ask('A', c.url)).status).toBe(200);
    const frozenAt = Date.now();
    c.proxy.freeze();
    const refused = ask('A', c.url);
    await sleep(1300);
    expect(await readyz(c.readyz)).toMatchObject({ status: 503, body: { audit: 'stalled' } });
    expect(await refused).toMatchObject({ status: 503, code: 'AUDIT_UNAVAILABLE' });
    // The commit was given up at 2.5 s: the writer is idle again, only the store is unreachable.
    await sleep(Math.max(0, frozenAt + 3000 - Date.now()));
    const after = await readyz(c.readyz);
    expect(after).toMatchObject({ status: 503, body: { audit: expect.stringMatching(/^(timeout|unreachable)$/) } });
    const restoredAt = Date.now();
    c.proxy.restore();
    let resumed: Answer | undefined;
    while (!resumed && Date.now() - restoredAt < 10_000) {
      const x = await ask('A', c.url);
      if (x.status === 200) resumed = x;
      else await sleep(50);
    }
    expect(resumed).toBeDefined();
    expect(uncaught).toEqual([]);
    console.log(`silent connection: writer unwedged while still frozen; resumed ${resumed!.at - restoredAt} ms after restore`);
  }, 30_000);
});

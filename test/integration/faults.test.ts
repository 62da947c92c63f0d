/**
 * Fault tolerance on real subgraphs (PostgreSQL + MariaDB): a subgraph slower than
 * SUBGRAPH_TIMEOUT_MS (behind a delaying proxy), one killed mid-run, a graceful stop with a request
 * in flight, and SIGTERM to a spawned gateway process under load. The gateway answers what it can,
 * names the missing subgraph with SUBGRAPH_UNAVAILABLE, and never hangs. Also the access log and
 * metrics those requests leave behind.
 */
import { spawn } from 'node:child_process';
import pino from 'pino';
import { DEMO } from '../../subgraphs/common/population';
import { dropDatabase } from '../../lib/db';
import { DEPARTMENTS, envPrefix } from '../../lib/config';
import { gql, roleHeaders, testDbUrl } from '../helpers';
import { startFederation, startGateway, type Federation } from '../federation';
import { startDelayingProxy } from '../delaying-proxy';

const DOSSIER = `query Dossier($id: ID!) {
  person(idNumber: $id) { name maritalStatus marriages { kind spouse { name } } realEstate { unitNumber } socialInsurance { enrolments { type } } }
}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The SUBGRAPH_UNAVAILABLE errors' code, subgraph and reason (test mode adds stack traces). */
const unavailable = (res: { errors?: Array<{ extensions?: Record<string, any> }> }) =>
  (res.errors ?? []).filter((e) => e.extensions?.code === 'SUBGRAPH_UNAVAILABLE').map(({ extensions: { code, subgraph, reason } = {} }) => ({ code, subgraph, reason }));
// The response cache would answer repeated queries without asking the subgraphs: these tests are about asking them.
const NO_CACHE = { CACHE_ENABLED: 'false' };

describe('fault tolerance', () => {
  let fed: Federation;
  let proxy: Awaited<ReturnType<typeof startDelayingProxy>>;
  let slow: { url: string; stop(): Promise<void> };
  let archivist: Record<string, string>;
  const logLines: Array<Record<string, any>> = [];
  const auditDbs: string[] = [];
  const auditDb = async (name: string) => {
    const url = testDbUrl('postgres', `audit_${name}`)!;
    await dropDatabase(url);
    auditDbs.push(url);
    return url;
  };

  beforeAll(async () => {
    archivist = await roleHeaders('archivist');
    fed = await startFederation({ env: NO_CACHE });
    proxy = await startDelayingProxy(fed.subgraphs.marriage.url);
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
    slow = await startGateway(fed, { ...NO_CACHE, SUBGRAPH_TIMEOUT_MS: '2000', AUDIT_DB_URL: await auditDb('faults_slow') }, { subgraphUrls: { marriage: proxy.url }, logger });
  });
  afterAll(async () => {
    await slow?.stop();
    await proxy?.stop();
    await fed?.stop();
    for (const url of auditDbs) await dropDatabase(url);
  });

  it('a slow subgraph within SUBGRAPH_TIMEOUT_MS is served in full', async () => {
    proxy.state.delayMs = 100;
    const res = await gql(slow.url, DOSSIER, { id: DEMO.husband }, archivist);
    expect(res.errors).toBeUndefined();
    expect(res.data.person.marriages.at(-1).spouse.name).toBe('李秀英');
  });

  it('a subgraph past SUBGRAPH_TIMEOUT_MS: its fields are null with SUBGRAPH_UNAVAILABLE, the rest is served at once', async () => {
    proxy.state.delayMs = 8000;
    const started = Date.now();
    const res = await gql(slow.url, DOSSIER, { id: DEMO.husband }, { ...archivist, 'x-request-id': 'faults-timeout-1' });
    expect(Date.now() - started).toBeLessThan(6000); // gave up on the slow subgraph at its deadline
    expect(res.status).toBe(200);
    expect(unavailable(res)).toEqual([{ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'marriage', reason: 'timeout' }]);
    expect(res.data.person).toMatchObject({ name: '张建国', marriages: null, maritalStatus: null });
    expect(res.data.person.realEstate.length).toBeGreaterThan(0);
    expect(res.data.person.socialInsurance.enrolments.length).toBeGreaterThan(0);
    expect(JSON.stringify(res.errors)).not.toContain(proxy.url);
  });

  it('logs one access line per request with the request id (also sent to the subgraph), never variables or tokens', async () => {
    const line = logLines.find((l) => l.msg === 'request' && l.requestId === 'faults-timeout-1');
    expect(line).toMatchObject({ operation: 'Dossier', status: 200, outcome: 'partial', errorCodes: ['SUBGRAPH_UNAVAILABLE'], sub: 'archivist-001', method: 'POST' });
    expect(typeof line!.durationMs).toBe('number');
    const text = JSON.stringify(line);
    expect(text).not.toContain(DEMO.husband);
    expect(text).not.toContain(archivist.authorization.slice(7, 40));
    expect(proxy.state.requestIds).toContain('faults-timeout-1');
  });

  it('exposes request, error and subgraph metrics on /metrics', async () => {
    const text = await (await fetch(slow.url.replace(/\/graphql$/, '/metrics'))).text();
    expect(text).toMatch(/gateway_subgraph_request_duration_seconds_count\{subgraph="marriage",outcome="timeout"\} [1-9]/);
    expect(text).toMatch(/gateway_subgraph_request_duration_seconds_count\{subgraph="real-estate",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/gateway_request_duration_seconds_count\{operation="Dossier",outcome="partial"\} [1-9]/);
    expect(text).toMatch(/gateway_errors_total\{code="SUBGRAPH_UNAVAILABLE"\} [1-9]/);
  });

  it('stop() drains: a request in flight completes in full, then new connections are refused', async () => {
    const draining = await startGateway(fed, { ...NO_CACHE, SUBGRAPH_TIMEOUT_MS: '5000', AUDIT_DB_URL: await auditDb('faults_drain') }, { subgraphUrls: { marriage: proxy.url } });
    proxy.state.delayMs = 1500;
    const seen = proxy.state.requestIds.length;
    const inFlight = gql(draining.url, DOSSIER, { id: DEMO.husband }, archivist);
    while (proxy.state.requestIds.length === seen) await sleep(20); // the request reached the slow subgraph
    const stopped = draining.stop();
    const res = await inFlight;
    expect(res.errors).toBeUndefined();
    expect(res.data.person.marriages.at(-1).spouse.name).toBe('李秀英');
    await stopped;
    await expect(fetch(draining.url, { method: 'POST' })).rejects.toThrow();
  });

  it('SIGTERM to a gateway process under load: every in-flight request is answered, then it exits 0', async () => {
    proxy.state.delayMs = 1000;
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      NODE_OPTIONS: '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      GATEWAY_PORT: '0',
      HOST: '127.0.0.1',
      PUBLIC_HOST: '127.0.0.1',
      DATA_DIR: 'memory',
      AUDIT_DB_URL: await auditDb('faults_sigterm'),
      SUBGRAPH_TIMEOUT_MS: '5000',
      ...NO_CACHE,
      // Eight identical dossiers must each be in flight at the subgraph; merged, only one would be.
      SUBGRAPH_DEDUP: 'off',
    };
    for (const name of DEPARTMENTS) env[`${envPrefix(name)}_SUBGRAPH_URL`] = name === 'marriage' ? proxy.url : fed.subgraphs[name].url;
    // node --import tsx: one process, so the signal reaches the gateway itself (not a wrapper that relays it).
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      let url: string | undefined;
      while (!(url = /"url":"([^"]+)","msg":"gateway ready"/.exec(output)?.[1])) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`gateway did not start:\n${output}`);
        await sleep(100);
      }
      const seen = proxy.state.requestIds.length;
      const load = Array.from({ length: 8 }, () => gql(url!, DOSSIER, { id: DEMO.wife }, archivist));
      while (proxy.state.requestIds.length < seen + 8) await sleep(20);
      child.kill('SIGTERM');
      const answers = await Promise.all(load);
      for (const res of answers) {
        expect(res.errors).toBeUndefined();
        expect(res.data.person.marriages.length).toBeGreaterThan(0);
      }
      expect(await exited).toBe(0);
      expect(output).toContain('"signal":"SIGTERM"');
      await expect(fetch(url!, { method: 'POST' })).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 45_000);

  // Last: the marriage subgraph stays down for the rest of this file.
  it('a subgraph killed mid-run: its fields are SUBGRAPH_UNAVAILABLE, the others still answer', async () => {
    const before = await gql(fed.url, DOSSIER, { id: DEMO.husband }, archivist);
    expect(before.errors).toBeUndefined();
    await fed.subgraphs.marriage.server.stop();
    for (let i = 0; i < 2; i++) {
      const res = await gql(fed.url, DOSSIER, { id: DEMO.husband }, archivist);
      expect(res.status).toBe(200);
      expect(res.data.person).toMatchObject({ name: '张建国', marriages: null, maritalStatus: null });
      expect(res.data.person.realEstate.length).toBeGreaterThan(0);
      expect(unavailable(res)).toEqual([{ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'marriage', reason: 'unreachable' }]);
    }
  });
});

/**
 * The production way to run the gateway: `npm run build`, then `node dist/gateway/src/main.js`
 * as the process itself (no npm or tsx in between), on real subgraphs. SIGTERM with a request in
 * flight: `/readyz` turns 503 at once while the gateway still serves for SHUTDOWN_DELAY_MS, the
 * request completes, the closing audit checkpoint covers the last record, and the exit code is 0.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { DEPARTMENTS, envPrefix } from '../../lib/config';
import { dropDatabase } from '../../lib/db';
import { openAuditStore } from '../../gateway/src/audit/store';
import { DEMO } from '../../subgraphs/common/population';
import { gql, roleHeaders, testDbUrl } from '../helpers';
import { startFederation, type Federation } from '../federation';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const QUERY = 'query($id: ID!) { person(idNumber: $id) { name marriages { spouse { name } } } }';

/** A proxy in front of a subgraph that holds each GraphQL call (not readiness probes) for `holdMs`. */
async function holdingProxy(target: string, holdMs: number) {
  let held = 0;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.headers['x-request-id'] !== 'readiness') {
      held++;
      await sleep(holdMs);
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
    const upstream = await fetch(target, { method: 'POST', headers, body: Buffer.concat(chunks) });
    res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    held: () => held,
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe('the compiled gateway (npm run build, node dist/…)', () => {
  let fed: Federation;
  let proxy: Awaited<ReturnType<typeof holdingProxy>>;
  const auditUrl = testDbUrl('postgres', 'compiled_audit')!;

  beforeAll(async () => {
    const build = spawnSync('npm', ['run', 'build'], { encoding: 'utf8', timeout: 120_000 });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
    fed = await startFederation({ env: { CACHE_ENABLED: 'false' } });
    proxy = await holdingProxy(fed.subgraphs.marriage.url, 1500);
  }, 180_000);

  afterAll(async () => {
    await proxy?.stop();
    await fed?.stop();
    await dropDatabase(auditUrl);
  });

  it('builds the modules, the schema files beside them and the page bundles', () => {
    for (const file of ['gateway/src/main.js', 'scripts/subgraph.js', 'gateway/src/audit/schema.graphql', 'subgraphs/marriage/schema.graphql', 'gateway/src/web/auditor/client.bundle.js']) {
      expect(existsSync(`dist/${file}`)).toBe(true);
    }
  });

  it('SIGTERM with a request in flight: not ready at once, the request answered, closing checkpoint, exit 0', async () => {
    const env: Record<string, string> = {
      PATH: process.env.PATH!,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      GATEWAY_PORT: '0',
      HOST: '127.0.0.1',
      PUBLIC_HOST: '127.0.0.1',
      DATA_DIR: 'memory',
      AUDIT_DB_URL: auditUrl,
      CACHE_ENABLED: 'false',
      SHUTDOWN_DELAY_MS: '1500',
      READYZ_CACHE_MS: '0',
    };
    for (const name of DEPARTMENTS) env[`${envPrefix(name)}_SUBGRAPH_URL`] = name === 'marriage' ? proxy.url : fed.subgraphs[name].url;
    const child: ChildProcess = spawn(process.execPath, ['dist/gateway/src/main.js'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      let url: string | undefined;
      while (!(url = /"url":"([^"]+)","msg":"gateway ready"/.exec(output)?.[1])) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the compiled gateway did not start:\n${output}`);
        await sleep(100);
      }
      const readyz = url.replace(/\/graphql$/, '/readyz');
      let ready: { status: number; body: Record<string, string> };
      do {
        const res = await fetch(readyz); // a busy machine may time out the first checks
        ready = { status: res.status, body: await res.json() };
      } while (ready.status !== 200 && Date.now() < deadline && (await sleep(250), true));
      expect(ready.body).toEqual({ status: 'ready', audit: 'reachable', access: 'in process', ...Object.fromEntries(DEPARTMENTS.map((name) => [name, 'reachable'])) });

      const archivist = await roleHeaders('archivist');
      expect((await gql(url, QUERY, { id: DEMO.wife }, archivist)).status).toBe(200); // a record before the last one
      const seen = proxy.held();
      const inFlight = gql(url, QUERY, { id: DEMO.husband }, archivist);
      while (proxy.held() === seen) await sleep(20);
      child.kill('SIGTERM');
      await sleep(200);
      const stopping = await fetch(readyz); // still served, but asks for no new traffic
      expect(stopping.status).toBe(503);
      expect(await stopping.json()).toMatchObject({ status: 'stopping' });
      const res = await inFlight;
      expect(res.errors).toBeUndefined();
      expect(res.data.person.marriages.at(-1).spouse.name).toBe('李秀英');
      expect(await exited).toBe(0);
      expect(output).toContain('"signal":"SIGTERM"');

      // The closing checkpoint signs the chain up to the in-flight request's record.
      const store = await openAuditStore(auditUrl, 'memory');
      try {
        const { rows } = await sql<{ records: string; signed: string }>`SELECT (SELECT max(seq) FROM audit_record) AS records, (SELECT max(seq) FROM audit_checkpoint) AS signed`.execute(store.db);
        expect(Number(rows[0].records)).toBeGreaterThanOrEqual(2);
        expect(Number(rows[0].signed)).toBe(Number(rows[0].records));
      } finally {
        await store.close();
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});

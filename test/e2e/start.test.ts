/**
 * End to end, as a user runs it: `npm start` on the embedded default (fresh data folder, other
 * ports), the printed sample query answered by the subgraphs it started (not by whatever listens on
 * the supergraph's default ports), readiness checking them, Ctrl-C stopping every part.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO } from '../../subgraphs/common/population';
import { gql } from '../helpers';

const BASE = 14000 + (process.pid % 500) * 10;

/** Whatever else listens on the supergraph's default subgraph ports: it must never get a request (nor an internal token). */
interface Decoy {
  port: number;
  calls: string[];
  close(): Promise<void>;
}

/** Listens on each of 4001–4004 that is free (one taken by someone else is left alone). */
async function startDecoys(): Promise<Decoy[]> {
  const decoys: Decoy[] = [];
  for (let port = 4001; port <= 4004; port++) {
    const calls: string[] = [];
    const server = http.createServer((req, res) => {
      calls.push(`${req.method} ${req.url} authorization=${req.headers.authorization ? 'yes' : 'no'}`);
      res.writeHead(503).end();
    });
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (listening) decoys.push({ port, calls, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) });
  }
  return decoys;
}

describe('npm start (embedded default)', () => {
  let decoys: Decoy[] = [];
  let child: ChildProcess;
  let output = '';
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'af-e2e-'));

  beforeAll(async () => {
    decoys = await startDecoys();
    child = spawn('npm', ['start'], {
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        SEED_PERSONS: '300',
        AUDIT_WRITE_TIMEOUT_MS: '30000', // the embedded audit store's first commits on a busy machine
        LOG_LEVEL: 'warn',
        PUBLIC_HOST: '127.0.0.1',
        GATEWAY_PORT: String(BASE),
        SOCIAL_SECURITY_PORT: String(BASE + 1),
        REAL_ESTATE_PORT: String(BASE + 2),
        MARRIAGE_PORT: String(BASE + 3),
        MEDICAL_INSURANCE_PORT: String(BASE + 4),
        // No *_SUBGRAPH_URL: the gateway must call the subgraphs started on the ports above.
      },
      detached: true,
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + 300_000; // four embedded stores seeding on a busy 2-core machine
    while (!output.includes('is ready')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not become ready:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 310_000);

  afterAll(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    await Promise.all(decoys.map((d) => d.close()));
  });

  it('prints the gateway URL and a sample query with a working token', async () => {
    expect(output).toContain(`Gateway:   http://127.0.0.1:${BASE}/graphql`);
    const token = /authorization: Bearer (\S+?)'/.exec(output)?.[1];
    expect(token).toBeDefined();
    const res = await gql(
      `http://127.0.0.1:${BASE}/graphql`,
      `{ person(idNumber: "${DEMO.husband}") { name marriages { spouse { name realEstate { holding } } } socialInsurance { enrolments { type } } medicalInsurance { enrolments { insuranceType } } } }`,
      undefined,
      { authorization: `Bearer ${token}`, 'x-access-purpose': 'archive-management' },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.person.name).toBe('张建国');
    expect(res.data.person.marriages.at(-1).spouse.name).toBe('李秀英');
    expect(res.data.person.marriages.at(-1).spouse.realEstate.map((r: any) => r.holding)).toContain('JOINT');
  });

  it('sends the gateway to the subgraphs it started, never to the supergraph\'s localhost:4001–4004', () => {
    expect(decoys.length).toBeGreaterThan(0); // at least one default port was free to listen on
    expect(decoys.flatMap((d) => d.calls.map((c) => `${d.port}: ${c}`))).toEqual([]);
  });

  it('serves health endpoints and the explorer landing page; readiness checks each subgraph it started', async () => {
    expect((await fetch(`http://127.0.0.1:${BASE}/healthz`)).status).toBe(200);
    const departments = ['social-security', 'real-estate', 'marriage', 'medical-insurance'];
    let ready: Record<string, string> = {};
    for (let i = 0; i < 20 && ready.status !== 'ready'; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 500)); // a busy machine may time out a check (READYZ_TIMEOUT_MS)
      ready = await (await fetch(`http://127.0.0.1:${BASE}/readyz`)).json();
    }
    expect(ready).toEqual({ status: 'ready', audit: 'reachable', access: 'in process', ...Object.fromEntries(departments.map((name) => [name, 'reachable'])) });
    expect(decoys.flatMap((d) => d.calls)).toEqual([]);
    const page = await fetch(`http://127.0.0.1:${BASE}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('stops every part on Ctrl-C', async () => {
    // A terminal's Ctrl-C sends SIGINT to the whole process group: npm and the node process under it.
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    process.kill(-child.pid!, 'SIGINT');
    expect([{ code: 0, signal: null }, { code: null, signal: 'SIGINT' }]).toContainEqual(await exited);
    // Every part stopped, not only npm: nothing listens on the gateway's or the subgraphs' ports.
    await new Promise((r) => setTimeout(r, 1000));
    for (let port = BASE; port <= BASE + 4; port++) await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});

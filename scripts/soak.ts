/**
 * `npm run soak -- [--seconds 300] [--rate 50] [--sample 5] [--warmup S] [--persons 300] [--cache]`
 * `npm run soak -- --url http://host:4000/graphql [--pid PID] [--token JWT]`
 *
 * A bounded soak test: a steady request rate (dossiers, 10-person lists and a few over-limit
 * queries that must be refused) against a gateway, sampling the gateway process's resident memory
 * every few seconds. Without --url it starts its own stack: the four subgraphs in this process on
 * embedded stores in a temporary folder, and the gateway as a child process (`gateway/src/main.ts`)
 * so its memory is measured alone. Prints a table and a verdict: after the warm-up, memory must grow
 * less than 10% and fewer than 1% of requests may fail. Exit code 0 = pass.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEPARTMENTS, envPrefix, loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { findRole } from '../lib/roles';
import { signClientToken } from '../lib/tokens';
import { generatePopulation } from '../subgraphs/common/population';
import { runSubgraph } from '../subgraphs/common/run';
import { SUBGRAPHS } from '../subgraphs';

interface Options {
  seconds: number;
  rate: number;
  sample: number;
  warmup: number;
  persons: number;
  cache: boolean;
  url?: string;
  pid?: number;
  token?: string;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, fallback: number) => {
    const v = get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${v}`);
    return n;
  };
  const seconds = num('seconds', 300);
  return {
    seconds,
    rate: num('rate', 50),
    sample: num('sample', 5),
    warmup: num('warmup', Math.min(60, Math.round(seconds / 4))),
    persons: num('persons', 300),
    cache: argv.includes('--cache'),
    url: get('url'),
    pid: get('pid') ? Number(get('pid')) : undefined,
    token: get('token'),
  };
}

const DOSSIER = `query Dossier($id: ID!) { person(idNumber: $id) { idNumber name maritalStatus
  marriages { kind date spouse { idNumber name realEstate { unitNumber } } }
  realEstate { unitNumber holding coOwners { idNumber } } socialInsurance { enrolments { type status } } medicalInsurance { enrolments { insuranceType } } } }`;
const LIST = `query List($ids: [ID!]!) { persons(idNumbers: $ids) { idNumber name marriages { spouse { idNumber } } realEstate { owners { idNumber } } } }`;
/** 10 levels deep: must come back 400 OPERATION_LIMIT_EXCEEDED every time. */
const TOO_DEEP = `query TooDeep($id: ID!) { person(idNumber: $id) { ${'marriages { spouse { '.repeat(4)}idNumber${' } }'.repeat(4)} } }`;

interface Target {
  url: string;
  pid?: number;
  stop(): Promise<void>;
}

/** Resident set size of `pid` in MB (Linux /proc, else ps). */
function rssMb(pid: number): number {
  const status = `/proc/${pid}/status`;
  if (existsSync(status)) return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(status, 'utf8'))![1]) / 1024;
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)]).toString().trim()) / 1024;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Subgraphs in this process on embedded stores; the gateway as a child process, measured alone. */
async function startStack(options: Options): Promise<Target> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'af-soak-'));
  const env: Record<string, string> = { DATA_DIR: dataDir, SEED_PERSONS: String(options.persons), LOG_LEVEL: 'warn', HOST: '127.0.0.1', PUBLIC_HOST: '127.0.0.1' };
  for (const name of DEPARTMENTS) env[`${envPrefix(name)}_PORT`] = '0';
  const config = loadConfig(env);
  const population = generatePopulation(options.persons);
  console.log(`starting 4 subgraphs (embedded, ${options.persons} persons, in ${dataDir}) and the gateway...`);
  const subgraphs = await Promise.all(DEPARTMENTS.map((name) => runSubgraph(SUBGRAPHS[name], config, createLogger('warn', name), () => population)));
  const port = await freePort();
  const gatewayEnv: Record<string, string> = { ...(process.env as Record<string, string>), ...env, NODE_OPTIONS: '', GATEWAY_PORT: String(port), CACHE_ENABLED: String(options.cache) };
  for (const s of subgraphs) gatewayEnv[`${envPrefix(s.name)}_SUBGRAPH_URL`] = s.server.url;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/main.ts'], { env: gatewayEnv, stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}/graphql`;
  for (const deadline = Date.now() + 120_000; ; await new Promise((r) => setTimeout(r, 250))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('the gateway did not become ready');
    const ready = await fetch(url.replace(/graphql$/, 'readyz')).then((r) => r.ok, () => false);
    if (ready) break;
  }
  return {
    url,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await Promise.all(subgraphs.map((s) => s.stop()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface Window {
  done: number;
  failed: number;
  skipped: number;
  latencies: number[];
}
const newWindow = (): Window => ({ done: 0, failed: 0, skipped: 0, latencies: [] });
const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN);
const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 0.5);

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const target: Target = options.url ? { url: options.url, pid: options.pid, stop: async () => {} } : await startStack(options);
  const config = loadConfig({});
  const archivist = findRole('archivist');
  const token =
    options.token ??
    (await signClientToken({ sub: 'soak', name: 'soak', org: archivist.org, scopes: archivist.scopes, category: archivist.category }, { secret: config.JWT_SECRET!, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttl: '2h' }));
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-access-purpose': archivist.purpose };
  const ids = generatePopulation(options.persons).persons.map((p) => p.idNumber);
  const pick = () => ids[Math.floor(Math.random() * ids.length)];

  /** One request of the mix; resolves to whether it was answered as it should be. */
  const one = async (): Promise<boolean> => {
    const r = Math.random();
    const [query, variables, refused] =
      r < 0.7 ? [DOSSIER, { id: pick() }, false] : r < 0.95 ? [LIST, { ids: Array.from({ length: 10 }, pick) }, false] : [TOO_DEEP, { id: pick() }, true];
    const res = await fetch(target.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
    return refused ? res.status === 400 && body.errors?.[0]?.extensions?.code === 'OPERATION_LIMIT_EXCEEDED' : res.ok && !body.errors && body.data != null;
  };

  const maxInFlight = Math.max(50, options.rate * 2);
  let inFlight = 0;
  let window = newWindow();
  const totals = newWindow();
  const rows: Array<{ t: number; rss: number | null; rps: number; p50: number; p99: number; failed: number; skipped: number }> = [];
  const started = performance.now();
  let issued = 0;
  // Paced by the clock, not by timer ticks: a late tick sends what is due, so the rate stays steady.
  const ticker = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * options.rate) - issued;
    for (let i = 0; i < due; i++) send();
  }, 10);
  function send() {
    issued++;
    if (inFlight >= maxInFlight) return void (window.skipped++, totals.skipped++);
    inFlight++;
    const t0 = performance.now();
    one()
      .catch(() => false)
      .then((ok) => {
        inFlight--;
        for (const w of [window, totals]) {
          w.done++;
          if (!ok) w.failed++;
          w.latencies.push(performance.now() - t0);
        }
      });
  }

  console.log(`soak: ${options.rate} req/s for ${options.seconds}s against ${target.url}; warm-up ${options.warmup}s; RSS of pid ${target.pid ?? '(none: pass --pid)'}`);
  console.log('   t(s)   rss(MB)    req/s   p50(ms)   p99(ms)  failed  skipped');
  let lastSample = started;
  while (performance.now() - started < options.seconds * 1000) {
    await new Promise((r) => setTimeout(r, options.sample * 1000));
    const now = performance.now();
    const sorted = window.latencies.sort((a, b) => a - b);
    const row = {
      t: Math.round((now - started) / 1000),
      rss: target.pid ? rssMb(target.pid) : null,
      rps: window.done / ((now - lastSample) / 1000),
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      failed: window.failed,
      skipped: window.skipped,
    };
    rows.push(row);
    console.log(
      `${String(row.t).padStart(7)} ${(row.rss?.toFixed(1) ?? '-').padStart(9)} ${row.rps.toFixed(1).padStart(8)} ${row.p50.toFixed(1).padStart(9)} ${row.p99.toFixed(1).padStart(9)} ${String(row.failed).padStart(7)} ${String(row.skipped).padStart(8)}`,
    );
    window = newWindow();
    lastSample = now;
  }
  clearInterval(ticker);
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 50));
  await target.stop();

  // Growth: the median of the last third of the samples after the warm-up against that of the first
  // third. Medians, because RSS saw-tooths with garbage collection; a leak lifts the whole tooth.
  const steady = rows.filter((r) => r.t >= options.warmup && r.rss !== null);
  const third = Math.max(1, Math.floor(steady.length / 3));
  const failRate = totals.done ? totals.failed / totals.done : 1;
  const all = totals.latencies.sort((a, b) => a - b);
  console.log(`\nrequests: ${totals.done} (${(totals.done / options.seconds).toFixed(1)}/s), failed ${totals.failed} (${(failRate * 100).toFixed(2)}%), skipped ${totals.skipped}; latency p50 ${percentile(all, 0.5).toFixed(1)} ms, p99 ${percentile(all, 0.99).toFixed(1)} ms`);
  let pass = failRate < 0.01;
  if (steady.length >= 2) {
    const baseline = median(steady.slice(0, third).map((r) => r.rss!));
    const final = median(steady.slice(-third).map((r) => r.rss!));
    const growth = (final - baseline) / baseline;
    const peak = Math.max(...rows.map((r) => r.rss ?? 0));
    console.log(`RSS after warm-up (median of first / last ${third} samples): ${baseline.toFixed(1)} MB -> ${final.toFixed(1)} MB (${(growth * 100).toFixed(1)}%), peak ${peak.toFixed(1)} MB`);
    pass &&= growth < 0.1;
  } else {
    console.log('RSS: not enough samples after the warm-up (or no --pid) to judge memory growth');
  }
  console.log(`verdict: ${pass ? 'PASS' : 'FAIL'} (memory growth after warm-up < 10%, failures < 1%)`);
  process.exit(pass ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

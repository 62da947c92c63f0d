/**
 * `npm run bench`: the benchmark of issue #6 (ARCHITECTURE.md, Performance). Seeds the bench
 * databases once, starts the four subgraphs once, then every target in its own process, checks a
 * few responses of each scenario in depth, and drives load in rounds, targets alternating, while
 * sampling each target's CPU and RSS and the subgraphs' SQL statement counters. Writes
 * bench/results/<date>.json and .md. Every child process is stopped on exit and on Ctrl-C.
 */
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEPARTMENTS, envPrefix, loadConfig } from '../lib/config';
import { findRole } from '../lib/roles';
import { signClientToken, signInternalToken, type Principal } from '../lib/tokens';
import { readPolicies } from '../gateway/src/authz/policies';
import { generatePopulation } from '../subgraphs/common/population';
import { parseOptions, type BenchOptions } from './options';
import { buildScenarios, shuffled, type Scenario, type ScenarioName } from './scenarios';
import { CONTROL_PORT, SUBGRAPH_PORT_BASE, TARGETS, fits, startTarget, type RunningTarget, type TargetContext, type TargetId } from './targets';
import { installCleanup, sampleUsage, spawnNode, stopAll, waitUntil, type Child } from './processes';
import { analyzeDatabases, clearBenchCache, contributors, dbEnv, ensureSeeded, resetAuditDatabase } from './databases';
import { drive, post } from './load';
import { checkTargets, machineInfo, markdown, summarize, writeResults, type BenchResult, type RunRecord, type StatementProbe } from './report';
import { cacheDelta, scrapeCache } from './metrics';
import { summarizeProfiles, type ProfileSummary } from './profile';

// The bench's own secrets: its gateways, subgraphs and tokens agree on them, nothing else does.
const JWT_SECRET = 'archive-federation-bench-jwt-secret';
const INTERNAL_SECRET = 'archive-federation-bench-internal-secret';
/** Internal tokens for the plain gateways outlive any run. */
const INTERNAL_TOKEN_TTL_SECONDS = 12 * 3600;
const PROBE_SIZES = [10, 50, 100];

async function statementCounts(): Promise<Record<string, number>> {
  const res = await fetch(`http://127.0.0.1:${CONTROL_PORT}/bench/statements`);
  if (!res.ok) throw new Error(`statement counters answered ${res.status}`);
  return (await res.json()) as Record<string, number>;
}

/**
 * Waits until the subgraphs have sent no statement for ~300 ms, i.e. the requests still in
 * flight when a load window closed have finished (at most 10 s); returns the counters then.
 */
async function quiesce(): Promise<Record<string, number>> {
  let last = await statementCounts();
  let stable = 0;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && stable < 2) {
    await new Promise((r) => setTimeout(r, 150));
    const now = await statementCounts();
    stable = JSON.stringify(now) === JSON.stringify(last) ? stable + 1 : 0;
    last = now;
  }
  return last;
}

const diff = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));

/** Client headers of an archivist, and internal tokens per subgraph on the archivist's behalf. */
async function credentials() {
  const role = findRole('archivist');
  const defaults = loadConfig({});
  const token = await signClientToken(
    { sub: 'bench-archivist', name: role.labelZh, org: role.org, scopes: role.scopes },
    { secret: JWT_SECRET, issuer: defaults.JWT_ISSUER, audience: defaults.JWT_AUDIENCE, ttl: INTERNAL_TOKEN_TTL_SECONDS },
  );
  const caseNumber = '(2026)湘0702民初1234号';
  const clientHeaders = { authorization: `Bearer ${token}`, 'x-access-purpose': encodeURIComponent(role.purpose), 'x-case-number': encodeURIComponent(caseNumber) };
  const principal: Principal = { authenticated: true, sub: 'bench-archivist', name: role.labelZh, org: role.org, scopes: role.scopes };
  const internalTokens: Record<string, string> = {};
  for (const name of DEPARTMENTS) {
    internalTokens[name] = await signInternalToken({ principal, purpose: role.purpose, caseNumber, requestId: 'bench' }, name, INTERNAL_SECRET, INTERNAL_TOKEN_TTL_SECONDS);
  }
  return { clientHeaders, internalTokens };
}

/** The supergraph a plain @apollo/gateway or Hive Gateway accepts, pointing at the bench subgraphs. */
function strippedSupergraph(file: string): string {
  const { gatewaySdl } = readPolicies(readFileSync('schema/supergraph.graphql', 'utf8'));
  const sdl = gatewaySdl.replace(/(@join__graph\(name:\s*"([^"]+)",\s*url:\s*")[^"]*(")/g, (_m, head: string, name: string, tail: string) => {
    const i = DEPARTMENTS.indexOf(name as (typeof DEPARTMENTS)[number]);
    if (i < 0) throw new Error(`supergraph names an unknown subgraph "${name}"`);
    return `${head}http://127.0.0.1:${SUBGRAPH_PORT_BASE + i}/graphql${tail}`;
  });
  writeFileSync(file, sdl);
  return file;
}

function startSubgraphs(logDir: string): Child {
  const ports = Object.fromEntries(DEPARTMENTS.map((name, i) => [`${envPrefix(name)}_PORT`, String(SUBGRAPH_PORT_BASE + i)]));
  return spawnNode('subgraphs', 'bench/subgraphs.ts', {
    log: path.join(logDir, 'subgraphs.log'),
    env: { ...dbEnv(), ...ports, NODE_ENV: 'production', HOST: '127.0.0.1', LOG_LEVEL: 'warn', JWT_SECRET, INTERNAL_TOKEN_SECRET: INTERNAL_SECRET, BENCH_CONTROL_PORT: String(CONTROL_PORT) },
  });
}

/** Rotates the targets by the round, so no target always runs first (A B C, B C A, …). */
const rotate = <T>(items: T[], by: number) => items.map((_, i) => items[(i + by) % items.length]);

const pad = (s: string | number, n: number) => String(s).padStart(n);

async function main() {
  const options: BenchOptions = parseOptions(process.argv.slice(2));
  installCleanup();
  const started = Date.now();
  const date = new Date().toISOString().slice(0, 19);
  const stamp = date.replace(/:/g, '-');
  const logDir = path.resolve('bench/logs', stamp);
  mkdirSync(logDir, { recursive: true });
  const machine = machineInfo();
  const profileDir = path.join(logDir, 'profiles');
  if (options.profile) mkdirSync(profileDir, { recursive: true });
  /** Profile files by process and scenario (`full-nocache/dossier`, `subgraphs/dossier`). */
  const profileFiles = new Map<string, string[]>();

  await ensureSeeded(options.persons);
  await analyzeDatabases();
  await resetAuditDatabase();
  const cleared = await clearBenchCache();
  if (cleared) console.log(`Cleared ${cleared} cached entries of an earlier run.`);

  console.log(`Starting the subgraphs and ${options.targets.length} target(s); logs in ${path.relative(process.cwd(), logDir)}/`);
  const subgraphs = startSubgraphs(logDir);
  const { clientHeaders, internalTokens } = await credentials();
  await waitUntil(subgraphs, async () => (await statementCounts()) !== undefined);

  const population = generatePopulation(options.persons);
  const scenarios = buildScenarios({
    persons: shuffled(population.persons.map((p) => p.idNumber), 6),
    contributors: shuffled(await contributors(20_000), 36),
  });
  const selected = options.scenarios.map((s) => scenarios[s]);

  const ctx: TargetContext = {
    logDir,
    jwtSecret: JWT_SECRET,
    internalSecret: INTERNAL_SECRET,
    clientHeaders,
    internalTokens,
    strippedSupergraph: strippedSupergraph(path.join(logDir, 'supergraph-stripped.graphql')),
    subgraphs,
  };
  const wanted = options.targets.filter((t) => selected.some((s) => fits(t, s.name)));
  const targets = new Map<TargetId, RunningTarget>();
  // Gateways first (in parallel); the ceiling needs a gateway's hot response.
  await Promise.all(
    wanted
      .filter((t) => t !== 'ceiling')
      .map(async (id) => targets.set(id, await startTarget(id, ctx))),
  );

  // Each (target, scenario) has one body generator for sampling, warm-up and every round, so a
  // cached target never sees a person twice (except `hot`, by design).
  const generators = new Map<string, () => string>();
  const generatorOf = (t: TargetId, s: Scenario) => {
    const key = `${t}/${s.name}`;
    if (!generators.has(key)) generators.set(key, s.bodies());
    return generators.get(key)!;
  };

  // Look at real responses before measuring anything: a benchmark of errors is worthless.
  const skipped: Array<{ target: TargetId; scenario: ScenarioName; reason: string }> = [];
  let hotBody: string | undefined;
  for (const s of selected) {
    for (const t of targets.values()) {
      if (!fits(t.id, s.name)) continue;
      for (let i = 0; i < 3; i++) {
        const res = await post(t.url, generatorOf(t.id, s)(), t.headers);
        const problem = res.status !== 200 ? `HTTP ${res.status}: ${res.text.slice(0, 300)}` : s.check(res.json);
        if (problem) {
          skipped.push({ target: t.id, scenario: s.name, reason: problem });
          console.error(`✗ ${s.name} on ${t.id}: ${problem}`);
          break;
        }
        if (s.name === 'hot' && (!hotBody || t.id === 'full')) hotBody = res.text;
      }
    }
  }
  if (wanted.includes('ceiling') && hotBody) {
    ctx.hotBody = path.join(logDir, 'hot-response.json');
    writeFileSync(ctx.hotBody, hotBody);
    targets.set('ceiling', await startTarget('ceiling', ctx));
  }
  const isSkipped = (t: TargetId, s: ScenarioName) => skipped.some((x) => x.target === t && x.scenario === s);

  // SQL statements of one persons(idNumbers:) request by list size, with nothing else running.
  let statementProbe: StatementProbe | undefined;
  const via = (['full-nocache', 'apollo', 'hive'] as TargetId[]).find((t) => targets.has(t) && !isSkipped(t, 'list50'));
  if (via) {
    const t = targets.get(via)!;
    const ids = shuffled(population.persons.map((p) => p.idNumber), 99);
    statementProbe = { via, bySize: {} };
    for (const n of PROBE_SIZES) {
      const before = await statementCounts();
      const res = await post(t.url, JSON.stringify({ query: scenarios.list50.query, variables: { ids: ids.slice(0, n) } }), t.headers);
      if (res.status !== 200 || res.json?.errors) throw new Error(`statement probe failed: ${res.text.slice(0, 300)}`);
      statementProbe.bySize[String(n)] = diff(await statementCounts(), before);
    }
  }

  const runs: RunRecord[] = [];
  const total = options.rounds * selected.reduce((n, s) => n + [...targets.keys()].filter((t) => fits(t, s.name) && !isSkipped(t, s.name)).length, 0);
  console.log(`\n${total} runs of ${options.warmup} s + ${options.duration} s, ${options.connections} connections\n`);
  for (let round = 1; round <= options.rounds; round++) {
    for (const s of selected) {
      const order = rotate(
        [...targets.values()].filter((t) => fits(t.id, s.name) && !isSkipped(t.id, s.name)),
        round - 1,
      );
      for (const t of order) {
        const next = generatorOf(t.id, s);
        const load = { url: t.url, headers: t.headers, next, verify: s.verify, connections: options.connections };
        if (options.warmup > 0) await drive({ ...load, duration: options.warmup });
        // Under --profile: the target's and the subgraphs' V8 profilers record the measured window only.
        const profiled = options.profile ? [...new Set(t.id === 'ceiling' ? [subgraphs] : [t.child, subgraphs])] : [];
        const before = await quiesce(); // the warm-up's stragglers are done
        for (const c of profiled) await c.ask({ bench: 'profile-start' }, 'profile-started');
        const cacheBefore = await scrapeCache(t.metricsUrl);
        const target = sampleUsage(t.child.pid);
        const subs = t.child === subgraphs ? undefined : sampleUsage(subgraphs.pid);
        const harnessCpu = process.cpuUsage();
        const harnessStart = process.hrtime.bigint();
        const result = await drive({ ...load, duration: options.duration });
        const harnessSeconds = Number(process.hrtime.bigint() - harnessStart) / 1e9;
        const used = process.cpuUsage(harnessCpu);
        const targetUsage = target.stop();
        const subsUsage = subs?.stop() ?? targetUsage;
        for (const c of profiled) {
          const key = `${c === subgraphs ? 'subgraphs' : t.id}/${s.name}`;
          const file = path.join(profileDir, `${key.replace('/', '-')}-${t.id}-r${round}.cpuprofile`);
          await c.ask({ bench: 'profile-stop', file }, 'profile-stopped');
          profileFiles.set(key, [...(profileFiles.get(key) ?? []), file]);
        }
        const statements = diff(await quiesce(), before);
        const cache = cacheDelta(await scrapeCache(t.metricsUrl), cacheBefore);
        const sql = Object.values(statements).reduce((a, b) => a + b, 0);
        const record: RunRecord = {
          round,
          scenario: s.name,
          target: t.id,
          ...result,
          cpuPercent: targetUsage.cpuPercent,
          cpuMsPerRequest: result.rps ? (targetUsage.cpuPercent * 10) / result.rps : 0,
          peakRssMiB: targetUsage.peakRssMiB,
          subgraphsCpuPercent: subsUsage.cpuPercent,
          loadCpuPercent: (100 * (used.user + used.system)) / 1e6 / harnessSeconds,
          statements,
          // Every request sent in the window ran to its end on the server (quiesce), cut off or not.
          statementsPerRequest: result.sent ? sql / result.sent : 0,
          cache,
        };
        runs.push(record);
        console.log(
          `round ${round}/${options.rounds} ${s.name.padEnd(13)} ${t.id.padEnd(12)} ${pad(result.rps.toFixed(0), 6)} req/s  p50 ${pad(result.p50, 4)} ms  p99 ${pad(result.p99, 4)} ms  errors ${result.errors}  ` +
            `CPU ${pad(record.cpuPercent.toFixed(0), 3)}% (${record.cpuMsPerRequest.toFixed(1)} ms/req)  RSS ${pad(record.peakRssMiB.toFixed(0), 4)} MiB  SQL/req ${record.statementsPerRequest.toFixed(2)}` +
            (cache ? `  cache hit ${cache.hit} miss ${cache.miss} bypass ${cache.bypass} errors ${cache.errors}` : ''),
        );
        if (result.firstBad) console.log(`   first bad response: ${result.firstBad.slice(0, 200)}`);
      }
    }
  }

  let profiles: ProfileSummary[] | undefined;
  if (options.profile) {
    profiles = [...profileFiles.entries()].map(([key, files]) => {
      const [proc, scenario] = key.split('/');
      const label = proc === 'subgraphs' ? 'the four subgraphs (one process)' : TARGETS[proc as TargetId].label;
      const requests = runs.filter((r) => r.scenario === scenario && (proc === 'subgraphs' || r.target === proc)).reduce((n, r) => n + r.requests, 0);
      return summarizeProfiles(files, label, [scenario], requests);
    });
  }
  await stopAll();

  const summaries = summarize(runs);
  const result: BenchResult = {
    date,
    machine,
    options,
    runs,
    summaries,
    checks: checkTargets(summaries, statementProbe),
    statementProbe,
    profiles,
    skipped: skipped.length ? skipped : undefined,
  };
  const files = writeResults(result, options.outDir);
  console.log(`\n${markdown(result)}`);
  for (const s of skipped) console.log(`SKIPPED ${s.scenario} on ${s.target}: ${s.reason}`);
  console.log(`Wrote ${files.json} and ${files.md} in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  if (skipped.length) process.exitCode = 1;
}

main().catch(async (err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  await stopAll();
  process.exit(1);
});


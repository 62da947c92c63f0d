/**
 * `npm run bench`: the benchmark (README, "Performance"). Seeds the bench
 * databases once, starts the four subgraphs once, then every target in its own process, checks a
 * few responses of each scenario in depth, and drives load in rounds, targets alternating, while
 * sampling each target's CPU and RSS and the subgraphs' SQL statement counters. Writes
 * bench/results/<date>.json and .md. Every child process is stopped on exit and on Ctrl-C.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generatePopulation } from '../subgraphs/common/population';
import { parseOptions, type BenchOptions } from './options';
import { buildScenarios, shuffled, type Scenario, type ScenarioName } from './scenarios';
import { BENCH_PORTS, TARGETS, credentials, fits, isProjectGateway, startSubgraphs, startTarget, strippedSupergraph, trustBenchOperations, type RunningTarget, type TargetContext, type TargetId } from './targets';
import { assertPortsFree, installCleanup, runNode, sampleUsage, stopAll, waitUntil } from './processes';
import { analyzeDatabases, clearBenchCache, contributors, ensureSeeded, resetAuditDatabase } from './databases';
import { diff, quiesce, statementCounts } from './statements';
import { drive, post } from './load';
import { checkTargets, machineInfo, markdown, summarize, writeResults, type BenchResult, type RunRecord, type StatementProbe } from './report';
import { cacheDelta, scrapeCache } from './metrics';
import { summarizeProfiles, type ProfileSummary } from './profile';

const PROBE_SIZES = [10, 50, 100];

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
  // Keep the logs (and profiles) of the last ten runs only.
  for (const old of readdirSync('bench/logs').sort().slice(0, -10)) rmSync(path.join('bench/logs', old), { recursive: true, force: true });
  const machine = machineInfo();
  const profileDir = path.join(logDir, 'profiles');
  if (options.profile) mkdirSync(profileDir, { recursive: true });
  /** Profile files by process and scenario (`full-nocache/dossier`, `subgraphs/dossier`). */
  const profileFiles = new Map<string, string[]>();

  await assertPortsFree(BENCH_PORTS);
  await ensureSeeded(options.persons);
  await analyzeDatabases();
  await resetAuditDatabase();
  const cleared = await clearBenchCache();
  if (cleared) console.log(`Cleared ${cleared} cached entries of an earlier run.`);

  console.log(`Starting the subgraphs and the targets; logs in ${path.relative(process.cwd(), logDir)}/`);
  const subgraphs = startSubgraphs(logDir);
  const { clientHeaders, internalTokens } = await credentials();
  await waitUntil(subgraphs, async () => (await statementCounts()) !== undefined, options.startTimeout * 1000);

  const population = generatePopulation(options.persons);
  const scenarios = buildScenarios({
    persons: shuffled(population.persons.map((p) => p.idNumber), 6),
    contributors: shuffled(await contributors(20_000), 36),
    named: shuffled(population.persons.map((p) => ({ name: p.name, year: Number(p.birthDate.slice(0, 4)) })), 15),
  });
  const selected = options.scenarios.map((s) => scenarios[s]);

  const ctx: TargetContext = {
    logDir,
    startTimeoutMs: options.startTimeout * 1000,
    clientHeaders,
    internalTokens,
    strippedSupergraph: strippedSupergraph(path.join(logDir, 'supergraph-stripped.graphql')),
    subgraphs,
  };
  const wanted = options.targets.filter((t) => selected.some((s) => fits(t, s.name)));
  const targets = new Map<TargetId, RunningTarget>();
  // What could not be measured, and why: a target that does not start or answers wrongly.
  const skipped: Array<{ target: TargetId; scenario: ScenarioName; reason: string }> = [];
  const skip = (target: TargetId, reason: string, scenario?: ScenarioName) => {
    for (const s of selected) if (fits(target, s.name) && (!scenario || scenario === s.name)) skipped.push({ target, scenario: s.name, reason });
    console.error(`✗ ${scenario ?? 'every scenario'} on ${target}: ${reason}`);
  };
  const start = (id: TargetId) =>
    startTarget(id, ctx).then(
      (t) => void targets.set(id, t),
      (err: Error) => skip(id, `did not start: ${err.message}`),
    );
  // The documents `features` may run (it refuses any other): on its client's trusted list first.
  // The project's gateway runs as the image runs it: compiled (`node dist/gateway/src/main.js`).
  if (wanted.some(isProjectGateway)) await runNode('build', 'scripts/build.ts', {});
  if (wanted.includes('features')) await trustBenchOperations(selected.map((s) => s.query));
  // Gateways first (in parallel); the ceiling needs a gateway's hot response.
  await Promise.all(wanted.filter((t) => t !== 'ceiling' && t !== 'floor').map(start));

  // Each (target, scenario) has one body generator for sampling, warm-up and every round, so a
  // cached target never sees a person twice (except `hot`, by design).
  const generators = new Map<string, () => string>();
  const generatorOf = (t: TargetId, s: Scenario) => {
    const key = `${t}/${s.name}`;
    if (!generators.has(key)) generators.set(key, s.bodies());
    return generators.get(key)!;
  };

  // Look at real responses before measuring anything: a benchmark of errors is worthless.
  let hotBody: string | undefined;
  for (const s of selected) {
    for (const t of targets.values()) {
      if (!fits(t.id, s.name)) continue;
      for (let i = 0; i < 3; i++) {
        const res = await post(t.url, generatorOf(t.id, s)(), t.headers);
        const problem =
          res.status !== 200 ? `HTTP ${res.status}: ${res.text.slice(0, 300)}` : res.json === undefined ? `not JSON: ${res.text.slice(0, 300)}` : s.check(res.json);
        if (problem) {
          skip(t.id, problem, s.name);
          break;
        }
        if (s.name === 'hot' && (!hotBody || t.id === 'full')) hotBody = res.text;
      }
    }
  }
  for (const served of ['ceiling', 'floor'] as const) {
    if (!wanted.includes(served)) continue;
    if (hotBody) {
      ctx.hotBody = path.join(logDir, 'hot-response.json');
      writeFileSync(ctx.hotBody, hotBody);
      await start(served);
    } else skip(served, 'no gateway gave a good hot response to serve');
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
      const before = await quiesce();
      const res = await post(t.url, JSON.stringify({ query: scenarios.list50.query, variables: { ids: ids.slice(0, n) } }), t.headers);
      if (res.status !== 200 || res.json?.errors) {
        console.error(`✗ statement probe (${n} persons on ${via}): ${res.text.slice(0, 300)}`);
        statementProbe = undefined;
        break;
      }
      statementProbe.bySize[String(n)] = diff(await quiesce(), before);
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
  // The message says what to do; the stack only when asked for (BENCH_DEBUG=1).
  console.error(err instanceof Error ? (process.env.BENCH_DEBUG ? err.stack : err.message) : err);
  await stopAll();
  process.exit(1);
});


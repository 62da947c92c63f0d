/**
 * Turns the runs into results: medians over rounds per (scenario, target), ratios against the
 * plain @apollo/gateway and Hive Gateway, the issue's targets checked, written as JSON and as a
 * markdown table (bench/results/<date>.{json,md}).
 */
import os from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchOptions } from './options';
import type { ScenarioName } from './scenarios';
import { TARGETS, type TargetId } from './targets';
import type { ProfileSummary } from './profile';
import type { CacheCounts } from './metrics';
import type { LoadResult } from './load';

/** One measured window: one target, one scenario, one round (the load numbers plus what was measured around them). */
export interface RunRecord extends LoadResult {
  round: number;
  scenario: ScenarioName;
  target: TargetId;
  /** The target process, % of one core. */
  cpuPercent: number;
  /** The target's CPU time per completed request, ms: steadier than req/s on a shared machine. */
  cpuMsPerRequest: number;
  peakRssMiB: number;
  /** The four subgraphs' process, % of one core (for `subgraph` it is the target itself). */
  subgraphsCpuPercent: number;
  /** The harness (autocannon), % of one core. */
  loadCpuPercent: number;
  /** SQL statements the subgraphs sent per completed request, by subgraph and in total. */
  statements: Record<string, number>;
  statementsPerRequest: number;
  /** The project's gateway's response-cache lookups during the run. */
  cache?: CacheCounts;
}

export interface Summary {
  scenario: ScenarioName;
  target: TargetId;
  label: string;
  rounds: number;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  cpuPercent: number;
  cpuMsPerRequest: number;
  peakRssMiB: number;
  subgraphsCpuPercent: number;
  statementsPerRequest: number;
  /** Response-cache hits / lookups over all rounds, % (the project's gateway only). */
  cacheHitPercent?: number;
  /** rps / plain @apollo/gateway's rps on the same scenario. */
  vsApollo?: number;
  vsHive?: number;
}

export interface TargetCheck {
  goal: string;
  /** Ratio of req/s (what the goal is about). */
  actual: string;
  /** The same ratio from CPU ms per request, for a machine too busy for req/s to be clean. */
  cpuRatio?: string;
  met: boolean | null;
}

export interface StatementProbe {
  /** Through which target the lists were sent. */
  via: TargetId;
  /** Statements per subgraph for one request of N persons, by N. */
  bySize: Record<string, Record<string, number>>;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  loadAverageAtStart: number[];
}

export interface BenchResult {
  date: string;
  machine: Machine;
  options: BenchOptions;
  runs: RunRecord[];
  summaries: Summary[];
  checks: TargetCheck[];
  statementProbe?: StatementProbe;
  profiles?: ProfileSummary[];
  /** (target, scenario) pairs whose sample responses were wrong: not measured. */
  skipped?: Array<{ target: TargetId; scenario: ScenarioName; reason: string }>;
}

export function machineInfo(): Machine {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function median(values: number[]): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function hitPercent(runs: RunRecord[]): number | undefined {
  const counted = runs.filter((r) => r.cache);
  if (!counted.length) return undefined;
  const hits = counted.reduce((n, r) => n + r.cache!.hit, 0);
  const lookups = counted.reduce((n, r) => n + r.cache!.hit + r.cache!.miss + r.cache!.bypass, 0);
  return lookups ? (100 * hits) / lookups : undefined;
}

export function summarize(runs: RunRecord[]): Summary[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const key = `${r.scenario}\u0000${r.target}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const summaries: Summary[] = [...groups.values()].map((rs) => ({
    scenario: rs[0].scenario,
    target: rs[0].target,
    label: TARGETS[rs[0].target].label,
    rounds: rs.length,
    rps: median(rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    requests: rs.reduce((n, r) => n + r.requests, 0),
    errors: rs.reduce((n, r) => n + r.errors, 0),
    cpuPercent: median(rs.map((r) => r.cpuPercent)),
    cpuMsPerRequest: median(rs.map((r) => r.cpuMsPerRequest)),
    peakRssMiB: Math.max(...rs.map((r) => r.peakRssMiB)),
    subgraphsCpuPercent: median(rs.map((r) => r.subgraphsCpuPercent)),
    statementsPerRequest: median(rs.map((r) => r.statementsPerRequest)),
    cacheHitPercent: hitPercent(rs),
  }));
  for (const s of summaries) {
    const base = (t: TargetId) => summaries.find((o) => o.scenario === s.scenario && o.target === t)?.rps;
    const apollo = base('apollo');
    const hive = base('hive');
    if (apollo) s.vsApollo = s.rps / apollo;
    if (hive) s.vsHive = s.rps / hive;
  }
  return summaries;
}

/** The issue's targets, as far as this run measured them. */
export function checkTargets(summaries: Summary[], probe?: StatementProbe): TargetCheck[] {
  const find = (scenario: ScenarioName, target: TargetId) => summaries.find((s) => s.scenario === scenario && s.target === target);
  const check = (goal: string, scenario: ScenarioName, a: TargetId, b: TargetId, min: number): TargetCheck => {
    const x = find(scenario, a);
    const y = find(scenario, b);
    if (!x || !y || !y.rps) return { goal, actual: 'not measured', met: null };
    const ratio = x.rps / y.rps;
    // The same comparison by CPU time per request (b's / a's): what req/s would show if the gateway alone limited it.
    const cpu = x.cpuMsPerRequest && y.cpuMsPerRequest ? y.cpuMsPerRequest / x.cpuMsPerRequest : undefined;
    return { goal, actual: `${ratio.toFixed(2)}×`, cpuRatio: cpu === undefined ? undefined : `${cpu.toFixed(2)}×`, met: ratio >= min };
  };
  /** `a`'s CPU time per request at most `max` times `b`'s (the gateway's own cost, whatever else the machine runs). */
  const cpuCheck = (goal: string, scenario: ScenarioName, a: TargetId, b: TargetId, max: number): TargetCheck => {
    const x = find(scenario, a);
    const y = find(scenario, b);
    if (!x?.cpuMsPerRequest || !y?.cpuMsPerRequest) return { goal, actual: 'not measured', met: null };
    const ratio = x.cpuMsPerRequest / y.cpuMsPerRequest;
    return { goal, actual: `${ratio.toFixed(2)}× (${x.cpuMsPerRequest.toFixed(2)} vs ${y.cpuMsPerRequest.toFixed(2)} ms)`, cpuRatio: `${ratio.toFixed(2)}×`, met: ratio <= max };
  };
  const hot = find('hot', 'full');
  const checks = [
    check('dossier: gateway, cache off ≥ 1.0× Hive Gateway', 'dossier', 'full-nocache', 'hive', 1.0),
    check('dossier: gateway, cache off ≥ 0.85× plain @apollo/gateway', 'dossier', 'full-nocache', 'apollo', 0.85),
    cpuCheck('dossier: gateway, cache off, CPU per request ≤ 0.7× Hive Gateway', 'dossier', 'full-nocache', 'hive', 0.7),
    cpuCheck('dossier: gateway, cache off, CPU per request ≤ Hive Gateway, Rust query planner', 'dossier', 'full-nocache', 'hive-rust', 1.0),
    check('hot: gateway cached ≥ 10× cache off', 'hot', 'full', 'full-nocache', 10),
    hot?.cpuMsPerRequest
      ? { goal: 'hot: gateway cached ≤ 0.4 ms CPU per request', actual: `${hot.cpuMsPerRequest.toFixed(2)} ms`, met: hot.cpuMsPerRequest <= 0.4 }
      : { goal: 'hot: gateway cached ≤ 0.4 ms CPU per request', actual: 'not measured', met: null },
    cpuCheck('dossier: gateway CPU per request with tracing on ≤ 1.15× off', 'dossier', 'traced', 'full-nocache', 1.15),
    cpuCheck('dossier: gateway CPU per request with trusted operations, quotas and tracing on ≤ 1.15× off', 'dossier', 'features', 'full-nocache', 1.15),
    cpuCheck('list50: gateway CPU per request with trusted operations, quotas and tracing on ≤ 1.15× off', 'list50', 'features', 'full-nocache', 1.15),
  ];
  if (probe) {
    const sizes = Object.keys(probe.bySize);
    const totals = sizes.map((n) => Object.values(probe.bySize[n]).reduce((a, b) => a + b, 0));
    const same = sizes.every((n) => JSON.stringify(probe.bySize[n]) === JSON.stringify(probe.bySize[sizes[sizes.length - 1]]));
    // Under load too: every target's list50 costs what one 50-person request costs alone.
    const probe50 = totals[sizes.indexOf('50')];
    const underLoad = summaries.filter((s) => s.scenario === 'list50' && s.target !== 'full');
    const loadSame = probe50 === undefined || underLoad.every((s) => Math.abs(s.statementsPerRequest - probe50) < 0.05);
    checks.push({
      goal: `SQL statements per request independent of list size (${sizes.join(' / ')} persons)`,
      actual:
        totals.join(' / ') +
        ' statements' +
        (underLoad.length ? `; list50 under load ${[...new Set(underLoad.map((s) => s.statementsPerRequest.toFixed(2)))].join(' / ')}` : ''),
      met: same && loadSame,
    });
  }
  return checks;
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));
const ratioCell = (n: number | undefined) => (n === undefined ? '–' : `${n.toFixed(2)}×`);

export function markdown(result: BenchResult): string {
  const { machine, options } = result;
  const lines: string[] = [];
  lines.push(`# Benchmark ${result.date}`, '');
  lines.push(
    `Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}; load average at start ${machine.loadAverageAtStart.join(' ')}.`,
    `Run: ${options.persons} persons, ${options.connections} connections, ${options.duration} s per run after ${options.warmup} s warm-up, ${options.rounds} round(s)${options.quick ? ' (--quick)' : ''}${options.profile ? ', under --cpu-prof' : ''}; medians over rounds.`,
    'Load generator, subgraphs, PostgreSQL, MariaDB and Redis share the machine with the target: compare targets within one run, not across machines.',
    '',
  );
  const scenarios = [...new Set(result.summaries.map((s) => s.scenario))];
  for (const scenario of scenarios) {
    lines.push(`### ${scenario}`, '');
    lines.push('| target | req/s | p50 ms | p99 ms | errors | CPU % | CPU ms/req | peak RSS MiB | subgraphs CPU % | SQL/req | cache hits | vs apollo | vs hive |');
    lines.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
    for (const s of result.summaries.filter((x) => x.scenario === scenario)) {
      lines.push(
        `| ${s.label} | ${fmt(s.rps)} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${s.errors} | ${fmt(s.cpuPercent)} | ${fmt(s.cpuMsPerRequest, s.cpuMsPerRequest < 1 ? 2 : 1)} | ${fmt(s.peakRssMiB)} | ${s.target === 'subgraph' ? '(target)' : fmt(s.subgraphsCpuPercent)} | ${fmt(s.statementsPerRequest, 2)} | ${s.cacheHitPercent === undefined ? '–' : `${fmt(s.cacheHitPercent)} %`} | ${ratioCell(s.vsApollo)} | ${ratioCell(s.vsHive)} |`,
      );
    }
    lines.push('');
  }
  lines.push('### Targets', '', '| goal | measured (req/s) | by CPU ms/req | met |', '|---|--:|--:|:-:|');
  for (const c of result.checks) lines.push(`| ${c.goal} | ${c.actual} | ${c.cpuRatio ?? '–'} | ${c.met === null ? '–' : c.met ? 'yes' : '**no**'} |`);
  lines.push('');
  if (result.statementProbe) {
    const probe = result.statementProbe;
    const subgraphs = Object.keys(Object.values(probe.bySize)[0] ?? {});
    lines.push(`### SQL statements for one persons(idNumbers:) request (via ${TARGETS[probe.via].label})`, '');
    lines.push(`| persons | ${subgraphs.join(' | ')} |`, `|--:|${subgraphs.map(() => '--:').join('|')}|`);
    for (const [n, by] of Object.entries(probe.bySize)) lines.push(`| ${n} | ${subgraphs.map((s) => by[s]).join(' | ')} |`);
    lines.push('');
  }
  if (result.skipped?.length) {
    lines.push('### Not measured (wrong sample responses)', '');
    for (const s of result.skipped) lines.push(`- ${s.scenario} on ${TARGETS[s.target].label}: \`${s.reason.slice(0, 300).replace(/`/g, "'")}\``);
    lines.push('');
  }
  const bad = result.runs.filter((r) => r.errors > 0);
  if (bad.length) {
    lines.push('### Errors', '');
    for (const r of bad) lines.push(`- round ${r.round} ${r.scenario} on ${r.target}: ${r.errors} of ${r.requests}${r.firstBad ? `; first: \`${r.firstBad.slice(0, 300).replace(/`/g, "'")}\`` : ''}`);
    lines.push('');
  }
  const profiles = result.profiles ?? [];
  for (const scenario of [...new Set(profiles.flatMap((p) => p.scenarios))]) {
    // Side by side: where each process spends its CPU per request, by package.
    const ps = profiles.filter((p) => p.scenarios.includes(scenario) && p.requests);
    if (ps.length < 2) continue;
    const names = [...new Set(ps.flatMap((p) => p.byPackage.slice(0, 12).map((g) => g.name)))];
    const cell = (p: ProfileSummary, name: string) => {
      const ms = p.byPackage.find((g) => g.name === name)?.msPerRequest;
      return ms === undefined ? '·' : ms.toFixed(2);
    };
    lines.push(`### CPU ms per request by package, ${scenario} (under the profiler)`, '');
    lines.push(`| package | ${ps.map((p) => p.process).join(' | ')} |`, `|---|${ps.map(() => '--:').join('|')}|`);
    lines.push(`| **all (busy)** | ${ps.map((p) => (p.busyMs / p.requests).toFixed(2)).join(' | ')} |`);
    for (const name of names) lines.push(`| ${name} | ${ps.map((p) => cell(p, name)).join(' | ')} |`);
    lines.push('');
  }
  for (const p of profiles) {
    lines.push(`### CPU profile: ${p.process}, ${p.scenarios.join(', ')} (${fmt(p.busyMs / 1000, 1)} s busy of ${fmt(p.totalMs / 1000, 1)} s sampled, ${p.requests} requests)`, '');
    lines.push('| self % | function | where |', '|--:|---|---|');
    for (const f of p.top) lines.push(`| ${f.percent.toFixed(1)} | \`${f.functionName}\` | ${f.location} |`);
    lines.push('');
  }
  lines.push('Columns: req/s, CPU % (of one core; 200 = both), CPU ms/req (the target\'s CPU time per request: steadier than req/s when the machine is shared) and SQL/req are medians over rounds; cache hits = the project\'s gateway\'s response-cache hits / lookups; peak RSS is the maximum; errors are all bad responses (non-2xx, GraphQL `errors`, missing data, timeouts) summed over rounds. "vs" = req/s ratio on the same scenario.');
  return lines.join('\n') + '\n';
}

/** Writes `<outDir>/<date>.json` and `.md`; returns their paths. */
export function writeResults(result: BenchResult, outDir: string): { json: string; md: string } {
  mkdirSync(outDir, { recursive: true });
  const stem = path.join(outDir, result.date.replace(/[:]/g, '-'));
  writeFileSync(`${stem}.json`, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(`${stem}.md`, markdown(result));
  return { json: `${stem}.json`, md: `${stem}.md` };
}

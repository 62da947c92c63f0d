/**
 * Reads V8 `.cpuprofile` files (the format of `node --cpu-prof`; child-preload.mjs records them over
 * the measured runs only) and ranks where the time went: the functions with the most self time,
 * and self time by package, so a missed target names its cause.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Which process: a target's label, or the subgraphs. */
  process: string;
  scenarios: string[];
  files: string[];
  /** Sampled time, ms (idle included). */
  totalMs: number;
  /** Of which not idle, ms. */
  busyMs: number;
  /** Functions by self time, % of the non-idle time. */
  top: Array<{ functionName: string; location: string; percent: number }>;
  /** Requests completed while profiling (0 = unknown). */
  requests: number;
  /** Self time by package (node_modules/<pkg>), `node:` internals, the project's folders, GC; ms per request when `requests` is known. */
  byPackage: Array<{ name: string; percent: number; msPerRequest?: number }>;
}

const IDLE = new Set(['(idle)', '(program)']);

/** `…/node_modules/@apollo/gateway/dist/x.js` -> `@apollo/gateway`; project files -> their top folder. */
function packageOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return '(garbage collector)';
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node: internals';
  const at = url.lastIndexOf('node_modules/');
  const m = at >= 0 ? /^((?:@[^/]+\/)?[^/]+)/.exec(url.slice(at + 'node_modules/'.length)) : null;
  if (m) return m[1];
  const rel = url.replace(/^file:\/\//, '').replace(`${path.resolve(__dirname, '..')}/`, '');
  return rel.split('/').slice(0, 3).join('/');
}

function shortLocation(url: string, line: number): string {
  if (!url) return '';
  const rel = url.replace(/^file:\/\//, '').replace(`${path.resolve(__dirname, '..')}/`, '');
  return `${rel.replace(/^.*node_modules\//, '')}:${line + 1}`;
}

/** Summarizes profiles of one process (merged): top `limit` functions by self time and self time by package. */
export function summarizeProfiles(files: string[], processLabel: string, scenarios: string[], requests = 0, limit = 20): ProfileSummary {
  const fns = new Map<string, { functionName: string; location: string; ms: number }>();
  const pkgs = new Map<string, number>();
  let total = 0;
  let busy = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const selfMs = new Map<number, number>();
    profile.samples.forEach((id, i) => {
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      total += ms;
      selfMs.set(id, (selfMs.get(id) ?? 0) + ms);
    });
    for (const [id, ms] of selfMs) {
      const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
      if (IDLE.has(functionName)) continue;
      busy += ms;
      const name = functionName || '(anonymous)';
      const location = shortLocation(url, lineNumber);
      const key = `${name}@${location}`;
      const f = fns.get(key) ?? { functionName: name, location, ms: 0 };
      f.ms += ms;
      fns.set(key, f);
      const pkg = packageOf(url, functionName);
      pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + ms);
    }
  }
  const pct = (ms: number) => (busy ? (100 * ms) / busy : 0);
  return {
    process: processLabel,
    scenarios,
    files,
    totalMs: total,
    busyMs: busy,
    top: [...fns.values()].sort((a, b) => b.ms - a.ms).slice(0, limit).map((f) => ({ functionName: f.functionName, location: f.location, percent: pct(f.ms) })),
    requests,
    byPackage: [...pkgs.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([name, ms]) => ({ name, percent: pct(ms), msPerRequest: requests ? ms / requests : undefined })),
  };
}

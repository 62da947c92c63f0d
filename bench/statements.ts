/**
 * The subgraphs' SQL statement counters (lib/db.ts counts every statement a store sends), read
 * from the bench subgraphs process (`GET /bench/statements`) before and after each run.
 */
import { CONTROL_PORT } from './targets';

/** Statements sent so far, by subgraph. */
export async function statementCounts(): Promise<Record<string, number>> {
  const res = await fetch(`http://127.0.0.1:${CONTROL_PORT}/bench/statements`);
  if (!res.ok) throw new Error(`statement counters answered ${res.status}`);
  return (await res.json()) as Record<string, number>;
}

/**
 * Waits until the subgraphs have sent no statement for ~300 ms, i.e. the requests still in
 * flight when a load window closed have finished (at most 10 s); returns the counters then.
 */
export async function quiesce(): Promise<Record<string, number>> {
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

export const diff = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));

/** Plumbing shared by the cache tests: Redis key housekeeping, /metrics samples, SQL counts, scripts. */
import { spawn } from 'node:child_process';
import type Redis from 'ioredis';

/** Every key matching `pattern` (SCAN, so a busy shared Redis is not blocked). */
export async function cacheKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** Removes this test run's keys from the shared Redis. */
export async function dropKeys(redis: Redis, prefix: string): Promise<void> {
  const keys = await cacheKeys(redis, `${prefix}*`);
  if (keys.length) await redis.del(...keys);
}

/** One sample of the gateway's /metrics, e.g. `gateway_cache_available`; 0 when absent. */
export async function metric(graphqlUrl: string, sample: string): Promise<number> {
  const text = await (await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

/** SQL statements run between two `Federation.statements()` snapshots, over all departments. */
export function sqlDelta(before: Record<string, number>, after: Record<string, number>): number {
  return Object.keys(after).reduce((sum, k) => sum + after[k] - before[k], 0);
}

/** Runs a script with tsx asynchronously (an in-process gateway keeps serving meanwhile); resolves with its exit status and output. */
export function runScript(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

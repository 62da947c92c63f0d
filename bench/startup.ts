/**
 * `npx tsx bench/startup.ts [--runs 3]`: start-up time and memory of the gateway run from
 * TypeScript through tsx (`node --import tsx gateway/src/main.ts`, what `npm run gateway` runs
 * under its tsx wrapper) against the compiled JavaScript (`node dist/gateway/src/main.js`, what the
 * Docker image runs; `npm run build` first). Time = spawn to the "gateway ready" log line; RSS =
 * VmRSS of the gateway process 2 s after that. Same environment for both: an audit database on the
 * local PostgreSQL, the in-memory cache, no subgraphs needed (the supergraph is static).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { dropDatabase } from '../lib/db';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' } } });
const AUDIT_DB_URL = `${values['pg-url']}/af_bench_startup_${process.pid}`;
const MODES = {
  tsx: ['--import', 'tsx', 'gateway/src/main.ts'],
  compiled: ['dist/gateway/src/main.js'],
};

interface Sample {
  readyMs: number;
  rssMb: number;
}

async function once(args: string[]): Promise<Sample> {
  const env = { PATH: process.env.PATH!, NODE_ENV: 'test', LOG_LEVEL: 'info', GATEWAY_PORT: '0', DATA_DIR: 'memory', AUDIT_DB_URL };
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const readyMs = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('"msg":"gateway ready"')) {
        clearInterval(timer);
        resolve(Number(process.hrtime.bigint() - started) / 1e6);
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`the gateway exited:\n${output}`));
      }
    }, 5);
  });
  await new Promise((r) => setTimeout(r, 2000));
  const rssMb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return { readyMs, rssMb };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  if (!existsSync('dist/gateway/src/main.js')) throw new Error('dist/ is missing: run `npm run build` first');
  const samples: Record<string, Sample[]> = { tsx: [], compiled: [] };
  await once(MODES.compiled); // creates and migrates the audit database, so neither mode pays for it
  for (let i = 0; i < Number(values.runs); i++) {
    for (const [mode, args] of Object.entries(MODES)) samples[mode].push(await once(args));
  }
  await dropDatabase(AUDIT_DB_URL);
  console.log(`runs: ${values.runs} each, alternating; median (min–max)`);
  for (const [mode, list] of Object.entries(samples)) {
    const ready = list.map((s) => s.readyMs);
    const rss = list.map((s) => s.rssMb);
    console.log(
      `${mode.padEnd(9)} ready ${median(ready).toFixed(0)} ms (${Math.min(...ready).toFixed(0)}–${Math.max(...ready).toFixed(0)})   ` +
        `RSS ${median(rss).toFixed(0)} MB (${Math.min(...rss).toFixed(0)}–${Math.max(...rss).toFixed(0)})`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

/**
 * How many audited requests per second one chain sustains: WRITERS processes (gateway replicas,
 * bench/audit-writer-child.ts) each drive an `AuditWriter` directly, CONCURRENCY requests in
 * flight apiece, against one throwaway PostgreSQL database, in ROUNDS of DURATION seconds; reports
 * the records/s of each round (and their median) and how long each request waited for its commit
 * (p50/p99). Before the load, a lone request's wait: one writer, one record at a time. Afterwards
 * the whole chain is verified (verify.ts, as `npm run audit -- verify` does); any problem, or a
 * record count other than what was committed, fails the run.
 *
 *   npx tsx bench/audit-writer.ts [--writers 3] [--concurrency 64] [--duration 10] [--rounds 3] [--lone 500] [--profile]
 *
 * PostgreSQL at TEST_PG_URL or 127.0.0.1:5432; the database is `<BENCH_DB_PREFIX>audit_writer_<pid>`
 * (prefix default `af_bench_`), dropped at the end. The writers take AUDIT_BATCH_MS and
 * AUDIT_BATCH_MAX from the environment like the gateway.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { dropDatabase } from '../lib/db';
import { sql } from 'kysely';
import { openAuditStore, type AuditStore } from '../gateway/src/audit/store';
import { verifyStore } from '../gateway/src/audit/verify';
import { cpuSeconds, installCleanup, sampleUsage, spawnNode, stopAll, waitUntil, type Child } from './processes';
import { summarizeProfiles } from './profile';
import { median } from './report';

const { values } = parseArgs({
  options: {
    writers: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '64' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    lone: { type: 'string', default: '500' },
    profile: { type: 'boolean', default: false },
  },
});
const WRITERS = Number(values.writers);
const CONCURRENCY = Number(values.concurrency);
const DURATION = Number(values.duration);
const ROUNDS = Number(values.rounds);
const LONE = Number(values.lone);

const PG = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const URL = `${PG}/${process.env.BENCH_DB_PREFIX ?? 'af_bench_'}audit_writer_${process.pid}`;

/** The `q` quantile (0..1) of `sorted`, nearest rank. */
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const waits = (all: number[]) => {
  const s = [...all].sort((a, b) => a - b);
  return `commit wait p50 ${quantile(s, 0.5).toFixed(2)} ms  p99 ${quantile(s, 0.99).toFixed(2)} ms`;
};

/** CPU seconds used so far by each PostgreSQL backend connected to the bench database. */
async function backendCpu(store: AuditStore): Promise<Map<number, number>> {
  const { rows } = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`.execute(store.db);
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      cpu.set(pid, cpuSeconds(pid));
    } catch {
      // ended meanwhile
    }
  }
  return cpu;
}

interface Ran {
  records: number;
  waits: number[];
  statements?: number;
}

async function main() {
  installCleanup();
  const logDir = path.resolve('bench/logs', `audit-writer-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}`);
  mkdirSync(logDir, { recursive: true });
  await dropDatabase(URL);
  // Migrated here, once, so the writers do not race to create the tables.
  const store = await openAuditStore(URL, 'memory');
  let committed = 0;
  try {
    const writers: Child[] = Array.from({ length: WRITERS }, (_, i) =>
      spawnNode(`audit writer ${i + 1}`, 'bench/audit-writer-child.ts', { env: { AUDIT_DB_URL: URL }, log: path.join(logDir, `writer-${i + 1}.log`) }),
    );
    for (const w of writers) await waitUntil(w, () => w.ask({ bench: 'audit-ping' }, 'audit-pong', 1000).then(() => true));
    console.log(`${WRITERS} writer processes, ${CONCURRENCY} requests in flight each, ${ROUNDS} × ${DURATION} s; machine: ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}`);

    const lone = (await writers[0].ask({ bench: 'audit-lone', count: LONE }, 'audit-lone-done', 120_000)) as unknown as Ran;
    committed += lone.records;
    console.log(`lone request (one writer, one record at a time): ${lone.records} records  ${waits(lone.waits)}`);

    const rates: number[] = [];
    const cpuPerRecord: Array<{ writers: number; postgres: number }> = [];
    const profiles: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      if (values.profile) for (const w of writers) await w.ask({ bench: 'profile-start' }, 'profile-started');
      const pgBefore = await backendCpu(store);
      const usage = writers.map((w) => sampleUsage(w.pid));
      const started = performance.now();
      const ran = (await Promise.all(
        writers.map((w) => w.ask({ bench: 'audit-load', seconds: DURATION, concurrency: CONCURRENCY }, 'audit-loaded', (DURATION + 60) * 1000)),
      )) as unknown as Ran[];
      const seconds = (performance.now() - started) / 1000;
      const writersCpu = usage.reduce((sum, u) => sum + (u.stop().cpuPercent / 100) * seconds, 0);
      const pgAfter = await backendCpu(store);
      const pgCpu = [...pgAfter].reduce((sum, [pid, cpu]) => sum + cpu - (pgBefore.get(pid) ?? 0), 0);
      if (values.profile) {
        for (const [i, w] of writers.entries()) {
          const file = path.join(logDir, `writer-${i + 1}-r${round}.cpuprofile`);
          await w.ask({ bench: 'profile-stop', file }, 'profile-stopped');
          profiles.push(file);
        }
      }
      const records = ran.reduce((n, r) => n + r.records, 0);
      const statements = ran.reduce((n, r) => n + r.statements!, 0);
      committed += records;
      rates.push(records / seconds);
      cpuPerRecord.push({ writers: (writersCpu * 1000) / records, postgres: (pgCpu * 1000) / records });
      console.log(
        `round ${round}/${ROUNDS}: ${records} records in ${seconds.toFixed(1)} s = ${(records / seconds).toFixed(0)} records/s  ${waits(ran.flatMap((r) => r.waits))}  ` +
          `${(statements / records).toFixed(3)} SQL statements per record  ` +
          `CPU per record: writers ${cpuPerRecord.at(-1)!.writers.toFixed(3)} ms, PostgreSQL backends ${cpuPerRecord.at(-1)!.postgres.toFixed(3)} ms`,
      );
    }
    const cpu = median(cpuPerRecord.map((c) => c.writers + c.postgres));
    // What the CPU per record allows when the machine's cores do nothing else (one commit at a time on the chain aside).
    console.log(`median of ${ROUNDS} rounds: ${median(rates).toFixed(0)} records/s; ${cpu.toFixed(3)} CPU ms per record (writers + PostgreSQL) = ${((os.cpus().length * 1000) / cpu).toFixed(0)} records/s on ${os.cpus().length} idle cores`);
    await Promise.all(writers.map((w) => w.ask({ bench: 'audit-close' }, 'audit-closed')));
    if (profiles.length) {
      const summary = summarizeProfiles(profiles, 'audit writers', ['audit-writer']);
      console.log(`\nwriters' CPU by package:\n${summary.byPackage.slice(0, 12).map((p) => `  ${p.percent.toFixed(1).padStart(5)}%  ${p.name}`).join('\n')}`);
      console.log(`top functions:\n${summary.top.slice(0, 15).map((f) => `  ${f.percent.toFixed(1).padStart(5)}%  ${f.functionName}  ${f.location}`).join('\n')}`);
    }

    const started = performance.now();
    const report = await verifyStore(store);
    const verifySeconds = (performance.now() - started) / 1000;
    if (!report.ok) throw new Error(`the chain does not verify: seq ${report.problem?.seq}: ${report.problem?.reason}`);
    if (report.records !== committed) throw new Error(`the chain holds ${report.records} records, but ${committed} commits were acknowledged`);
    console.log(`verified: ${report.records} records, ${report.checkpoints} signed checkpoints, intact (${verifySeconds.toFixed(1)} s)`);
  } finally {
    await stopAll();
    await store.close();
    await dropDatabase(URL);
  }
}

main().catch(async (err) => {
  console.error(err instanceof Error ? err.message : err);
  await stopAll();
  process.exit(1);
});

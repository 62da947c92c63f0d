/**
 * The bench's own databases (af_bench_*), kept apart from development and test data: seeded once
 * with N persons (seeding 100k takes about a minute, so only when they hold another number), a
 * fresh audit database per run, and the bench's Redis keys cleared so no run hits another's cache.
 */
import pg from 'pg';
import { createConnection } from 'mysql2/promise';
import Redis from 'ioredis';
import { envPrefix, type Department } from '../lib/config';
import { dropDatabase } from '../lib/db';
import { generatePopulation } from '../subgraphs/common/population';
import { runNode } from './processes';

export const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const MYSQL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
export const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Every bench key in Redis starts with this (CACHE_KEY_PREFIX of the bench gateways). */
export const CACHE_PREFIX = `${(process.env.BENCH_DB_PREFIX ?? 'af_bench_').replace(/_+$/, '')}:`;

/** Database names start with this: `af_bench_social_security`, …, `af_bench_audit`. */
const DB_PREFIX = process.env.BENCH_DB_PREFIX ?? 'af_bench_';

export const DB_URLS: Record<Department, string> = {
  'social-security': `${PG}/${DB_PREFIX}social_security`,
  marriage: `${PG}/${DB_PREFIX}marriage`,
  'real-estate': `${MYSQL}/${DB_PREFIX}real_estate`,
  'medical-insurance': `${MYSQL}/${DB_PREFIX}medical_insurance`,
};
export const AUDIT_DB_URL = `${PG}/${DB_PREFIX}audit`;

/** `SOCIAL_SECURITY_DB_URL=…` etc., as `npm run subgraph` and `npm run seed` read them. */
export function dbEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(DB_URLS).map(([name, url]) => [`${envPrefix(name)}_DB_URL`, url]));
}

async function pgQuery<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

async function mysqlHasRows(url: string, table: string): Promise<boolean> {
  const conn = await createConnection(url);
  try {
    const [rows] = await conn.query(`SELECT 1 FROM \`${table}\` LIMIT 1`);
    return (rows as unknown[]).length > 0;
  } finally {
    await conn.end();
  }
}

/**
 * Whether the four stores hold exactly the default population of `persons`: the register has
 * that many residents, including the population's last person (so the same generator and seed
 * made it), and every other store has rows.
 */
export async function holdsPopulation(persons: number, lastId: string): Promise<boolean> {
  try {
    const [count] = await pgQuery<{ n: string; last: boolean }>(
      DB_URLS['social-security'],
      'SELECT count(*) AS n, bool_or(id_number = $1) AS last FROM resident',
      [lastId],
    );
    if (Number(count.n) !== persons || !count.last) return false;
    const [married] = await pgQuery<{ any: boolean }>(DB_URLS.marriage, 'SELECT EXISTS (SELECT 1 FROM marriage_registration) AS any');
    if (!married.any) return false;
    return (await mysqlHasRows(DB_URLS['real-estate'], 'property_right')) && (await mysqlHasRows(DB_URLS['medical-insurance'], 'medical_enrolee'));
  } catch {
    return false; // a missing database or table: not seeded
  }
}

/** Seeds the bench databases with `persons` (`npm run seed -- --persons N --reset`) unless they hold them already. */
export async function ensureSeeded(persons: number): Promise<void> {
  const population = generatePopulation(persons);
  const lastId = population.persons[population.persons.length - 1].idNumber;
  if (await holdsPopulation(persons, lastId)) {
    console.log(`Bench databases hold ${persons} persons already; not seeding.`);
    return;
  }
  console.log(`Seeding the bench databases with ${persons} persons (about a minute per 100k)…`);
  await runNode('seed', 'scripts/seed.ts', { args: ['--persons', String(persons), '--reset'], env: dbEnv() });
  if (!(await holdsPopulation(persons, lastId))) throw new Error('Seeding finished but the bench databases do not hold the population; see the output above');
}

/**
 * Refreshes the planner statistics of the bench databases. Seeding bulk-loads every table and
 * nothing analyzes them where autovacuum is off (as on this machine's PostgreSQL): without
 * statistics, PostgreSQL answers `id_number IN (…50 ids…)` on insurance_enrolment with a parallel
 * sequential scan (~70 ms) instead of the index, and the benchmark would measure that.
 */
export async function analyzeDatabases(): Promise<void> {
  await pgQuery(DB_URLS['social-security'], 'ANALYZE');
  await pgQuery(DB_URLS.marriage, 'ANALYZE');
  for (const url of [DB_URLS['real-estate'], DB_URLS['medical-insurance']]) {
    const conn = await createConnection(url);
    try {
      const [tables] = await conn.query('SHOW TABLES');
      for (const row of tables as Array<Record<string, string>>) await conn.query(`ANALYZE TABLE \`${Object.values(row)[0]}\``);
    } finally {
      await conn.end();
    }
  }
}

/** Persons whose contribution history fills a 36-month page, in the register's order. */
export async function contributors(limit: number): Promise<string[]> {
  const rows = await pgQuery<{ id_number: string }>(
    DB_URLS['social-security'],
    'SELECT id_number FROM contribution GROUP BY id_number HAVING count(*) >= 36 ORDER BY id_number LIMIT $1',
    [limit],
  );
  return rows.map((r) => r.id_number);
}

/** A fresh audit database for this run: the chain starts empty, so runs compare. */
export async function resetAuditDatabase(): Promise<void> {
  await dropDatabase(AUDIT_DB_URL);
}

/** Deletes every bench key from Redis (responses cached by an earlier run would turn misses into hits). */
export async function clearBenchCache(): Promise<number> {
  const redis = new Redis(REDIS, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${CACHE_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) removed += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}

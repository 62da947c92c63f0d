import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, Migrator, MysqlDialect, PostgresDialect, sql, type Migration, type RawBuilder } from 'kysely';
import { jsonBuildObject as mysqlObject } from 'kysely/helpers/mysql';
import { jsonBuildObject as postgresObject } from 'kysely/helpers/postgres';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { createConnection as createMysqlConnection } from 'mysql2/promise';
import { DB_TIMEOUT_DEFAULTS, type DbTimeouts } from './config';
import { mysqlPool, postgresPool, type ConnectionErrorHandler } from './db-connections';
import { statementSpan } from './tracing';

export type SqlDialect = 'postgres' | 'mysql' | 'pglite';

/** A department's record store: one Kysely instance over PostgreSQL, MySQL/MariaDB or embedded PGlite. */
export interface Store<DB> {
  db: Kysely<DB>;
  dialect: SqlDialect;
  /** SQL statements sent to the database since the store opened (for tests and the benchmark). */
  readonly statements: number;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Store name; the embedded data folder is `<dataDir>/<name>`. */
  name: string;
  /** `postgres://…` or `mysql://…`; unset = embedded PGlite. */
  url?: string;
  /** Folder for embedded stores; `memory` keeps them in memory. @default .data */
  dataDir?: string;
  /** Migrations applied in name order on open; omitted = open without migrating. */
  migrations?: Record<string, Migration>;
  /**
   * Name of the table that records applied migrations (its lock table is `<name>_lock`), so two
   * stores with their own migrations can share one database. @default kysely_migration
   */
  migrationTable?: string;
  /** Create the named database on the server when missing. @default true */
  createDatabase?: boolean;
  /** Pool size for server databases. @default 10 */
  poolSize?: number;
  /** Connect, statement, lock and stall timeouts for server databases. @default DB_TIMEOUT_DEFAULTS */
  timeouts?: DbTimeouts;
  /** Told of every connection error (the statement that met it fails; the connection is dropped). @default ignore */
  onConnectionError?: ConnectionErrorHandler;
}

// Return DATE/TIMESTAMP as their text and NUMERIC/BIGINT as numbers on every engine, so rows
// look the same whichever dialect produced them.
const PG_DATE = 1082;
const PG_TIMESTAMP = 1114;
const PG_NUMERIC = 1700;
const PG_INT8 = 20;
const identity = (v: string) => v;
const pgParsers: Record<number, (v: string) => unknown> = {
  [PG_DATE]: identity,
  [PG_TIMESTAMP]: identity,
  [PG_NUMERIC]: Number,
  [PG_INT8]: Number,
};

export function dialectOf(url: string | undefined): SqlDialect {
  if (!url) return 'pglite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  if (/^(mysql|mariadb):\/\//.test(url)) return 'mysql';
  throw new Error(`Unsupported database URL "${url}": use postgres://… or mysql://…, or leave it unset for the embedded store`);
}

/**
 * A child table's rows as one JSON array, for a correlated subquery: select it from the child
 * table (aliased `alias`, linked to the parent row in the subquery's WHERE) and read the column
 * back with `parseJsonList`. Each object holds `columns` under their own names, so it reads like a
 * row of the table (BOOLEANs as 0/1 on MySQL, as in a row); the array follows `orderBy`
 * (ascending) and is empty, not null, when there are no rows. `json_agg` on PostgreSQL and PGlite,
 * `JSON_ARRAYAGG` on MySQL 8 and MariaDB 10.5+, both ordered inside the aggregate: Kysely's
 * `jsonArrayFrom` orders in a derived table, an order MariaDB does not keep, and its MySQL form
 * casts AS JSON, which MariaDB lacks.
 */
export function jsonList<Row>(dialect: SqlDialect, alias: string, columns: { [K in keyof Row]-?: true }, orderBy: ReadonlyArray<keyof Row & string>): RawBuilder<Row[] | string> {
  const object = Object.fromEntries(Object.keys(columns).map((c) => [c, sql.ref(`${alias}.${c}`)]));
  const order = sql.join(orderBy.map((c) => sql.ref(`${alias}.${c}`)));
  return dialect === 'mysql'
    ? sql<string>`coalesce(json_arrayagg(${mysqlObject(object)} order by ${order}), '[]')`
    : sql<Row[]>`coalesce(json_agg(${postgresObject(object)} order by ${order}), '[]')`;
}

/** A `jsonList` column as read: PostgreSQL's driver parses JSON, MariaDB's sends it as text. */
export const parseJsonList = <Row>(value: Row[] | string): Row[] => (typeof value === 'string' ? JSON.parse(value) : value);

/**
 * Runs one statement, built from the database name in `url`, on that server's maintenance
 * database. `skipIf` (PostgreSQL only) is a query on the name that makes the statement unnecessary.
 */
async function onServer(url: string, statement: (name: string, dialect: SqlDialect) => string, skipIf?: string): Promise<void> {
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  const name = decodeURIComponent(u.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`Database name "${name}" must be letters, digits and _`);
  const dialect = dialectOf(url);
  if (dialect === 'postgres') {
    u.pathname = '/postgres';
    const client = new pg.Client({ connectionString: u.toString(), connectionTimeoutMillis: DB_TIMEOUT_DEFAULTS.connectTimeoutMs });
    client.on('error', () => {}); // a reset fails the pending statement, which reports it
    await client.connect();
    try {
      if (skipIf && (await client.query(skipIf, [name])).rowCount) return;
      await client.query(statement(name, dialect)).catch((e) => {
        // Another process created it at the same moment: 42P04 duplicate_database, or 23505 on the catalog.
        if (e.code !== '42P04' && e.code !== '23505') throw e;
      });
    } finally {
      await client.end();
    }
  } else {
    u.pathname = '/';
    const conn = await createMysqlConnection(u.toString());
    try {
      await conn.query(statement(name, dialect));
    } finally {
      await conn.end();
    }
  }
}

/** Creates the database named in `url` if the server does not have it yet (no CREATEDB needed when it exists). */
export function ensureDatabase(url: string): Promise<void> {
  return onServer(
    url,
    (name, dialect) => (dialect === 'postgres' ? `CREATE DATABASE "${name}"` : `CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`),
    'SELECT 1 FROM pg_database WHERE datname = $1',
  );
}

/** Drops the database named in `url` (tests' throwaway databases). */
export function dropDatabase(url: string): Promise<void> {
  return onServer(url, (name, dialect) => (dialect === 'postgres' ? `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)` : `DROP DATABASE IF EXISTS \`${name}\``));
}

/** Refreshes the planner's statistics after a bulk load (autovacuum may be off or late). */
export async function analyze(store: Store<any>): Promise<void> {
  if (store.dialect !== 'mysql') {
    await sql`ANALYZE`.execute(store.db);
    return;
  }
  const tables = await store.db.introspection.getTables();
  if (tables.length) await sql.raw(`ANALYZE TABLE ${tables.map((t) => `\`${t.name}\``).join(', ')}`).execute(store.db);
}

/** Drops every table of a store, migrations table included (tests and `npm run seed -- --reset`). */
export async function dropAllTables(store: Store<any>): Promise<void> {
  const tables = await store.db.introspection.getTables({ withInternalKyselyTables: true });
  for (const t of tables) await store.db.schema.dropTable(t.name).ifExists().execute();
}

/** Opens (and migrates) a store. */
export async function openStore<DB>(options: OpenStoreOptions): Promise<Store<DB>> {
  const { name, url, dataDir = '.data', migrations, migrationTable, createDatabase = true, poolSize = 10, timeouts = DB_TIMEOUT_DEFAULTS, onConnectionError = () => {} } = options;
  const dialect = dialectOf(url);
  if (url && createDatabase) await ensureDatabase(url);

  let driverDialect;
  if (dialect === 'postgres') {
    const types = { getTypeParser: ((oid: number, format?: 'text' | 'binary') => pgParsers[oid] ?? pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser };
    driverDialect = new PostgresDialect({ pool: postgresPool({ url: url!, max: poolSize, timeouts, onError: onConnectionError, types }) });
  } else if (dialect === 'mysql') {
    driverDialect = new MysqlDialect({ pool: mysqlPool({ url: url!, max: poolSize, timeouts, onError: onConnectionError }) });
  } else {
    const dir = dataDir === 'memory' ? undefined : path.resolve(dataDir, name);
    if (dir) mkdirSync(dir, { recursive: true });
    const pglite = new PGlite({ dataDir: dir, parsers: pgParsers });
    driverDialect = new PGliteDialect(pglite);
  }

  let statements = 0;
  const db = new Kysely<DB>({
    dialect: driverDialect,
    log: (event) => {
      statements++;
      statementSpan(dialect, name, event);
    },
  });
  const { error } = migrations ? await new Migrator({
        db,
        provider: { getMigrations: async () => migrations },
        ...(migrationTable ? { migrationTableName: migrationTable, migrationLockTableName: `${migrationTable}_lock` } : {}),
      }).migrateToLatest() : {};
  if (error) {
    await db.destroy();
    throw new Error(`Migrating store ${name} failed: ${(error as Error).message}`);
  }
  return {
    db,
    dialect,
    get statements() {
      return statements;
    },
    async close() {
      await db.destroy(); // also closes an embedded PGlite
    },
  };
}


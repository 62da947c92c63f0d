/**
 * Connection pools for server databases that survive the faults a deployment meets: a reset
 * connection (failover, restart, a killed backend) fails the statements on it and is dropped from
 * the pool instead of crashing the process, and a connection that stops answering (a partition, a
 * stopped peer) is given up after the statement timeout instead of holding its caller, and its
 * locks, forever. The next statement opens a fresh connection, so service resumes by itself.
 */
import pg from 'pg';
import { createPool as createMysqlCallbackPool, type PoolConnection as MysqlPoolConnection } from 'mysql2';
import type { MysqlPool, PostgresPool, PostgresPoolClient } from 'kysely';
import type { DbTimeouts } from './config';
import { withDeadline } from './deadline';

/** How long past the statement timeout the client waits for the server's own cancellation before giving up. */
const CLIENT_GRACE_MS = 1000;

/** Called with every connection-level error; the statement that met it has already failed. */
export type ConnectionErrorHandler = (err: Error) => void;

/** Thrown to a statement whose connection did not answer in time; the connection is closed. */
export class ConnectionTimeoutError extends Error {
  override name = 'ConnectionTimeoutError';
  /** A network code, so callers that map outages (STORE_UNAVAILABLE) recognise it. */
  readonly code = 'ETIMEDOUT';
}

/** Fails a statement past its deadline: `close` drops the silent connection, then the caller gets the error. */
const giveUp = (ms: number, close: () => void) => () => {
  close();
  return new ConnectionTimeoutError(`the database did not answer within ${ms} ms; the connection was closed`);
};

/** What both pools take. */
export interface PoolOptions {
  /** `postgres://…` or `mysql://…` / `mariadb://…`. */
  url: string;
  /** Most connections open at once. */
  max: number;
  timeouts: DbTimeouts;
  onError: ConnectionErrorHandler;
}

/**
 * A pg pool for Kysely's PostgresDialect with the server-side timeouts set on every session
 * (`statement_timeout`, `lock_timeout`, `idle_in_transaction_session_timeout`), TCP keepalive,
 * a connect timeout, and a client-side deadline per statement.
 */
export function postgresPool(options: PoolOptions & { types: pg.CustomTypesConfig }): PostgresPool {
  const { url, max, timeouts: t, onError, types } = options;
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types,
    connectionTimeoutMillis: t.connectTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: t.keepAliveMs,
    statement_timeout: t.statementTimeoutMs,
    lock_timeout: t.lockTimeoutMs,
    // Ends a session whose client stalled mid-transaction, so the locks it holds (the audit chain
    // lock) pass to the next waiter within seconds.
    idle_in_transaction_session_timeout: t.idleInTransactionTimeoutMs,
  });
  // pg-pool listens for errors only while a client is idle; without this, a checked-out client's
  // error event (ECONNRESET, "Connection terminated unexpectedly") is unhandled and ends the process.
  pool.on('error', onError);
  pool.on('connect', (client) => client.on('error', onError));
  const deadlineMs = t.statementTimeoutMs + CLIENT_GRACE_MS;
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let broken = false;
      return {
        query: ((text: string, parameters: readonly unknown[]) =>
          withDeadline(
            client.query(text, [...parameters]),
            deadlineMs,
            giveUp(deadlineMs, () => {
              broken = true;
              // end() would wait for the silent peer; destroying the socket fails the statement now.
              (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
            }),
          )) as unknown as PostgresPoolClient['query'],
        // A client that timed out is closed, not returned to the pool (pg-pool drops errored ones itself).
        release: (destroy?: boolean) => client.release(destroy || broken),
      };
    },
    end: () => pool.end(),
  };
}

/** mysql2 session settings (all in the pool's `connection` hook). */
function mysqlSession(t: DbTimeouts): string {
  // TIMESTAMP columns convert through the session time zone: keep every session on UTC.
  return `SET time_zone = '+00:00', innodb_lock_wait_timeout = ${Math.max(1, Math.ceil(t.lockTimeoutMs / 1000))}`;
}

/**
 * A mysql2 pool for Kysely's MysqlDialect with a connect timeout, TCP keepalive, the lock wait
 * timeout, and a client-side deadline per statement. mysql2 already drops a connection that errs.
 */
export function mysqlPool(options: PoolOptions): MysqlPool {
  const { url, max, timeouts: t, onError } = options;
  const pool = createMysqlCallbackPool({
    uri: url.replace(/^mariadb:/, 'mysql:'),
    connectionLimit: max,
    dateStrings: true,
    decimalNumbers: true,
    supportBigNumbers: true,
    timezone: 'Z',
    charset: 'utf8mb4',
    connectTimeout: t.connectTimeoutMs,
    enableKeepAlive: true,
    keepAliveInitialDelay: t.keepAliveMs,
  });
  pool.on('connection', (conn) => {
    conn.on('error', onError);
    conn.query(mysqlSession(t), (err) => err && onError(err));
  });
  const deadlineMs = t.statementTimeoutMs + CLIENT_GRACE_MS;
  const wrap = (conn: MysqlPoolConnection) => ({
    query(sqlText: string, parameters: unknown[], callback?: (error: unknown, result: any) => void) {
      if (!callback) return conn.query(sqlText, parameters); // streaming: Kysely reads it itself
      withDeadline(
        new Promise((resolve, reject) => conn.query(sqlText, parameters, (err, result) => (err ? reject(err) : resolve(result)))),
        deadlineMs,
        giveUp(deadlineMs, () => conn.destroy()), // destroy() also removes it from the pool
      ).then(
        (result) => callback(null, result),
        (err) => callback(err, undefined),
      );
    },
    release: () => conn.release(),
  });
  return {
    getConnection: (callback) => pool.getConnection((err, conn) => callback(err, err ? (undefined as never) : (wrap(conn) as never))),
    end: (callback) => pool.end(callback),
  };
}

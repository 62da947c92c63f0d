/**
 * The durable invalidation log: every correction's tags (`Person:<idNumber>`) are appended to
 * `cache_invalidation` in the audit database, which every gateway replica and `npm run import`
 * share, before the correction's answer is sent. Redis alone cannot hold them: a Redis that comes
 * back from a snapshot, an append-only file or a promoted replica has lost the deletions made
 * after that point, and a deletion deferred in one replica's memory dies with that replica.
 *
 * Every cached response carries the log position its replica had seen before executing it and
 * its tags. A replica keeps the recent log in memory (polled every second) and trusts an entry
 * only when none of its tags was logged after that position; it serves nothing from the cache
 * while its copy is not known to be current: not refreshed within a few seconds (audit database
 * unreachable), not yet refreshed after the cache store came back, or holding an invalidation of
 * its own that it could not write yet.
 *
 * Positions are a sequence assigned under a transaction-scoped advisory lock, so they are
 * committed in order and polling "after the last position seen" never skips one.
 */
import { sql, type Generated, type Kysely, type Migration } from 'kysely';
import type { Logger } from '../../../lib/logger';

/** The log's table (a migration of the audit store, which all replicas share). */
export interface InvalidationLogDB {
  cache_invalidation: { seq: Generated<number>; tag: string; at: Generated<Date> };
}

/** Creates `cache_invalidation`; listed with the audit store's migrations. */
export const invalidationLogMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('cache_invalidation')
      .addColumn('seq', 'bigserial', (c) => c.primaryKey())
      .addColumn('tag', 'text', (c) => c.notNull())
      .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    // A starting replica loads the invalidations still younger than any cached entry can be.
    await db.schema.createIndex('cache_invalidation_at').on('cache_invalidation').column('at').execute();
  },
};

/** Appends `tags` to the log in one transaction (`db`: a database holding the log's table); returns the position of the last one. */
export async function appendInvalidations(db: Kysely<any>, tags: string[]): Promise<number> {
  return (db as Kysely<InvalidationLogDB>).transaction().execute(async (trx) => {
    // Serializes appends so positions commit in order (a reader never sees 7 before 6 commits).
    await sql`SELECT pg_advisory_xact_lock(hashtext('archive-federation/cache-invalidation'))`.execute(trx);
    const rows = await trx.insertInto('cache_invalidation').values(tags.map((tag) => ({ tag }))).returning('seq').execute();
    return Math.max(...rows.map((r) => Number(r.seq)));
  });
}

export interface InvalidationLogOptions {
  /** The audit database (opened lazily; rejects while it is unreachable); any Kysely whose database has the log's table. */
  db: () => Promise<Kysely<any>>;
  logger: Logger;
  /** Invalidations older than this can no longer match a live entry and are forgotten: the longest entry TTL plus a margin. */
  retentionSeconds: number;
  /** How often the log is polled. @default 1000 */
  pollMs?: number;
}

/**
 * The in-memory copy may be this old (since its last good poll started) before the cache is
 * bypassed. Generous: a poll fails only when the audit database does, and then the audit log
 * refuses every answer anyway; a busy event loop must not make the cache flap.
 */
const STALE_AFTER_MS = 10_000;

/** A replica's view of the invalidation log (see the module comment). */
export class InvalidationLog {
  /** The latest position of each tag logged within the retention, and when this replica learned it. */
  private readonly latest = new Map<string, { seq: number; learnedAt: number }>();
  /** Highest position seen; undefined until the first refresh. */
  private cursor: number | undefined;
  /** When the last successful refresh started. */
  private refreshedAt = 0;
  /** Bumped by requireRefresh; the copy is current only when a refresh started since succeeded. */
  private generation = 0;
  private refreshedGeneration = -1;
  /** This replica's invalidations that could not be written yet. */
  private readonly unwritten = new Set<string>();
  private refreshing?: Promise<void>;
  private unreadable = false;
  private readonly timer: NodeJS.Timeout;
  private readonly pollMs: number;

  constructor(private readonly options: InvalidationLogOptions) {
    this.pollMs = options.pollMs ?? 1000;
    this.timer = setInterval(() => void this.refresh(), this.pollMs);
    this.timer.unref();
  }

  /**
   * Loads the log, waiting at most `timeoutMs` for a slow start (the audit store opening and
   * migrating); an unreachable database is logged at once and retried by the poll.
   */
  async start(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // A refresh required meanwhile (the cache store connecting) is waited for too.
    while (!this.current && !this.unreadable && Date.now() < deadline) {
      await Promise.race([this.refresh(), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
      if (!this.current) await new Promise((r) => setTimeout(r, 50).unref());
    }
  }

  /** Whether cached entries may be trusted now (see the module comment). */
  get current(): boolean {
    const age = Date.now() - this.refreshedAt;
    return this.cursor !== undefined && this.unwritten.size === 0 && this.refreshedGeneration === this.generation && age < STALE_AFTER_MS;
  }

  /** The position an answer computed from now on is stamped with. */
  get position(): number {
    return this.cursor ?? 0;
  }

  /** Whether any of `tags` was invalidated after `position` (then an entry stamped with it is stale). */
  invalidatedSince(tags: readonly string[], position: number): boolean {
    return tags.some((t) => (this.latest.get(t)?.seq ?? 0) > position);
  }

  /** After the cache store comes back: trust no entry until the log has been read again. */
  requireRefresh(): void {
    this.generation++;
    void this.refresh(true);
  }

  /** Appends `tags` durably; false when the database is unreachable (kept, retried by the poll; the cache is bypassed meanwhile). */
  async append(tags: string[]): Promise<boolean> {
    tags.forEach((t) => this.unwritten.add(t));
    const written = await this.writeUnwritten();
    // Read up to (and past) our own position now: answers computed from here on are stamped after
    // it, instead of looking older than the correction until the next poll.
    if (written) await this.refresh(true);
    if (!written) this.options.logger.error({ tags: tags.length }, 'cache invalidation not yet logged: the audit database is unreachable; this gateway serves uncached until it is');
    return written;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async writeUnwritten(): Promise<boolean> {
    if (this.unwritten.size === 0) return true;
    const tags = [...this.unwritten];
    try {
      const seq = await appendInvalidations(await this.options.db(), tags);
      const now = Date.now();
      // Not the cursor: positions below `seq` written by other replicas may not have been read yet.
      for (const tag of tags) {
        this.unwritten.delete(tag);
        this.learn(tag, seq, now);
      }
      return true;
    } catch {
      return false; // append() reports it; the poll retries
    }
  }

  /** Polls once; joins a poll in flight unless `again` (then polls once more after it). */
  private refresh(again = false): Promise<void> {
    if (this.refreshing && !again) return this.refreshing;
    const run: Promise<void> = (this.refreshing ?? Promise.resolve())
      .then(() => this.poll())
      .finally(() => {
        if (this.refreshing === run) this.refreshing = undefined;
      });
    this.refreshing = run;
    return run;
  }

  private async poll(): Promise<void> {
    const started = Date.now();
    const generation = this.generation;
    try {
      await this.writeUnwritten();
      const db: Kysely<InvalidationLogDB> = await this.options.db();
      let cursor = this.cursor;
      let query = db.selectFrom('cache_invalidation').select(['seq', 'tag']).orderBy('seq');
      if (cursor === undefined) {
        // First load: the head first, then what is recent (rows appended in between come along).
        const { head } = await db.selectFrom('cache_invalidation').select((eb) => eb.fn.max('seq').as('head')).executeTakeFirstOrThrow();
        cursor = Number(head ?? 0);
        query = query.where(sql<boolean>`at > now() - make_interval(secs => ${this.options.retentionSeconds})`);
      } else {
        query = query.where('seq', '>', cursor);
      }
      for (const row of await query.execute()) {
        this.learn(row.tag, Number(row.seq), started);
        cursor = Math.max(cursor, Number(row.seq));
      }
      this.cursor = cursor;
      this.forgetOld(started);
      this.refreshedAt = started;
      this.refreshedGeneration = generation;
      if (this.unreadable) this.options.logger.info('cache invalidation log readable again');
      this.unreadable = false;
    } catch (err) {
      if (!this.unreadable) this.options.logger.warn({ err }, 'cache invalidation log unreadable: cached answers are not trusted until it is read again');
      this.unreadable = true;
    }
  }

  private learn(tag: string, seq: number, at: number): void {
    if ((this.latest.get(tag)?.seq ?? 0) < seq) this.latest.set(tag, { seq, learnedAt: at });
  }

  private forgetOld(now: number): void {
    const cutoff = now - this.options.retentionSeconds * 1000;
    for (const [tag, { learnedAt }] of this.latest) if (learnedAt < cutoff) this.latest.delete(tag);
  }
}

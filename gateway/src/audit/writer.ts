/**
 * Group commit for the audit chain. Requests queue their entries; one batch at a time is written by
 * one statement, and every request in the batch waits for that commit. While a batch is being
 * written the next one gathers (up to `batchMax`: everything queued when the last commit ended),
 * so under load the cost of a commit is shared by many requests, and when idle a record waits at
 * most `batchMs` before it is written.
 *
 * Several gateway replicas append to one chain: the statement (store.ts, `audit_append`) takes a
 * transaction-scoped advisory lock, reads the chain head inside it, numbers and hashes its records
 * and inserts them, so the chain has one order whatever the number of writers. Each record is
 * serialised once, here, outside the lock; the store only puts its seq in.
 */
import { sql, type Kysely } from 'kysely';
import type { Config } from '../../../lib/config';
import type { Logger } from '../../../lib/logger';
import { aroundSeq, GENESIS_HASH, indexColumns, type AuditEntry, type AuditRecord } from './record';
import type { CheckpointSigner } from './signing';
import { storedEntry } from './stored';
import type { AuditDB, LazyAuditStore } from './store';

/** Thrown to a request whose record could not be committed: its response must not be sent. */
export class AuditUnavailableError extends Error {
  override name = 'AuditUnavailableError';
}

export interface AuditWriterOptions {
  /** The store, opened on demand (`LazyAuditStore`). */
  store: Pick<LazyAuditStore, 'get'>;
  signer: CheckpointSigner;
  logger: Logger;
  /** How long the first record of an idle writer waits for company. 0 = the next event-loop turn. @default 0 */
  batchMs: number;
  /** Most records in one transaction. @default 100 */
  batchMax: number;
  /** Sign a checkpoint after this many records... @default 1000 */
  checkpointRecords: number;
  /** ...or once the last checkpoint is this old and records were added since. @default 60 */
  checkpointSeconds: number;
  /** A caller waits at most this long for its commit. @default 5000 */
  writeTimeoutMs: number;
}

/** The writer's settings from the gateway's configuration (AUDIT_BATCH_*, AUDIT_CHECKPOINT_*, AUDIT_WRITE_TIMEOUT_MS). */
export function writerSettings(config: Config): Pick<AuditWriterOptions, 'batchMs' | 'batchMax' | 'checkpointRecords' | 'checkpointSeconds' | 'writeTimeoutMs'> {
  return {
    batchMs: config.AUDIT_BATCH_MS,
    batchMax: config.AUDIT_BATCH_MAX,
    checkpointRecords: config.AUDIT_CHECKPOINT_RECORDS,
    checkpointSeconds: config.AUDIT_CHECKPOINT_SECONDS,
    writeTimeoutMs: config.AUDIT_WRITE_TIMEOUT_MS,
  };
}

interface Pending {
  entry: AuditEntry;
  resolve(record: AuditRecord): void;
  reject(err: Error): void;
}

interface ChainHead {
  seq: number;
  hash: string;
  checkpointSeq: number;
  checkpointTime: string | null;
}

/**
 * Whether a failed write was refused for what the records hold rather than for the store being
 * unreachable or busy: PostgreSQL's data exceptions (22xxx: a character it cannot store, a value
 * out of range), integrity violations (23xxx) and limits exceeded (54xxx: an index row too large),
 * or an error raised while building the rows.
 */
function isRecordFault(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code)) return true;
  return err instanceof RangeError || err instanceof TypeError;
}

/** The chain head as `audit_append` returns it (bigints come back as strings from pg). */
interface AppendedHead {
  head_seq: string | number;
  head_hash: string;
  checkpoint_seq: string | number | null;
  checkpoint_time: string | null;
}

/**
 * Reads the head of the chain and of the checkpoints. No lock: committed records never change, so
 * a checkpoint over the head read here stays true whatever is appended meanwhile.
 */
export async function readHead(db: Kysely<AuditDB>): Promise<ChainHead> {
  const { rows } = await sql<{ seq: number | null; hash: string | null; cp_seq: number | null; cp_time: string | null }>`
    SELECT r.seq, r.hash, c.seq AS cp_seq, c.time AS cp_time
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (SELECT seq, hash FROM audit_record ORDER BY seq DESC LIMIT 1) AS r ON true
    LEFT JOIN LATERAL (SELECT seq, time FROM audit_checkpoint ORDER BY seq DESC LIMIT 1) AS c ON true`.execute(db);
  const row = rows[0];
  return { seq: Number(row?.seq ?? 0), hash: row?.hash ?? GENESIS_HASH, checkpointSeq: Number(row?.cp_seq ?? 0), checkpointTime: row?.cp_time ?? null };
}

export class AuditWriter {
  private queue: Pending[] = [];
  private timer?: NodeJS.Timeout | NodeJS.Immediate;
  private flushing?: Promise<void>;
  private readonly checkpointTimer: NodeJS.Timeout;
  /** Set once this writer has committed a record: only then is there a tail of ours to seal. */
  private wrote = false;
  /** When the batch being committed started (undefined when none is): a wedged commit shows here. */
  private batchStartedAt?: number;

  constructor(private readonly options: AuditWriterOptions) {
    // Seals an idle tail: without it the last records before a quiet spell would stay unsigned.
    this.checkpointTimer = setInterval(() => {
      if (!this.wrote) return;
      this.checkpoint(false).catch((err) => options.logger.debug({ err }, 'audit checkpoint skipped'));
    }, options.checkpointSeconds * 1000);
    this.checkpointTimer.unref();
  }

  /**
   * Queues an entry in its stored form (see stored.ts: what one request carried never makes the
   * batch fail); resolves once its batch is committed, rejects with AuditUnavailableError otherwise.
   */
  append(entry: AuditEntry): Promise<AuditRecord> {
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        entry: storedEntry(entry),
        resolve: (r) => (clearTimeout(timeout), resolve(r)),
        reject: (e) => (clearTimeout(timeout), reject(e)),
      };
      const timeout = setTimeout(() => {
        // Still queued: drop it, its response is refused. Already in a batch: it may yet commit, and
        // the log then holds a record of a response that became a 503 (over-reporting, never under).
        const at = this.queue.indexOf(pending);
        if (at >= 0) this.queue.splice(at, 1);
        reject(new AuditUnavailableError(`the audit record was not committed within ${this.options.writeTimeoutMs} ms`));
      }, this.options.writeTimeoutMs);
      this.queue.push(pending);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.flushing) return; // the running flush takes what is queued
    const full = this.queue.length >= this.options.batchMax;
    if (this.timer && !full) return; // the pending timer will
    this.cancelTimer();
    const go = () => {
      this.timer = undefined;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        // A caller resumed by the last batch may have queued its next record after the loop ended.
        if (this.queue.length > 0) this.schedule();
      });
    };
    if (full) go();
    else this.timer = this.options.batchMs > 0 ? setTimeout(go, this.options.batchMs) : setImmediate(go);
  }

  private cancelTimer(): void {
    if (!this.timer) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  /** Writes batches until the queue is empty; what queues meanwhile goes in the next batch. */
  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      this.batchStartedAt = Date.now();
      try {
        await this.commit(this.queue.splice(0, this.options.batchMax));
      } finally {
        this.batchStartedAt = undefined;
      }
      // The callers that commit answered may append again within this turn (a client waiting for
      // its answer to send the next request): one turn lets their records join the next batch
      // instead of leaving a few to go alone and the rest to wait for the commit after.
      if (this.queue.length > 0 && this.queue.length < this.options.batchMax) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Commits `batch`. When the store refuses it for what a record holds (not for being down), the
   * halves are committed apart, down to the record at fault, so one request's record fails only
   * that request. A store that is down fails the batch as a whole, without retries.
   */
  private async commit(batch: Pending[]): Promise<void> {
    try {
      const records = await this.writeBatch(batch.map((p) => p.entry));
      this.wrote = true;
      batch.forEach((p, i) => p.resolve(records[i]));
    } catch (err) {
      if (batch.length > 1 && isRecordFault(err)) {
        const half = Math.ceil(batch.length / 2);
        await this.commit(batch.slice(0, half));
        await this.commit(batch.slice(half));
        return;
      }
      this.options.logger.error({ err, records: batch.length }, 'audit batch not committed');
      const error = new AuditUnavailableError(`the audit store refused the batch: ${(err as Error).message}`, { cause: err });
      batch.forEach((p) => p.reject(error));
    }
  }

  /** How long the batch being committed has taken so far; 0 when none is being committed. */
  commitAgeMs(): number {
    return this.batchStartedAt === undefined ? 0 : Date.now() - this.batchStartedAt;
  }

  /**
   * One statement per batch (store.ts, audit_append): the server takes the chain lock, numbers,
   * completes and hashes the records and commits, so the lock is never held across a round trip.
   * When a checkpoint is due it is signed and stored before the batch's requests are answered; a
   * checkpoint that cannot be stored fails nothing (the records are committed; the next batch or
   * the timer signs), and must not: a retried batch would append its records again.
   */
  private async writeBatch(entries: AuditEntry[]): Promise<AuditRecord[]> {
    const { db } = await this.options.store.get();
    const rows = entries.map((entry) => ({ id: entry.id, ...indexColumns(entry), ...aroundSeq(entry) }));
    const { rows: appended } = await sql<AppendedHead>`SELECT * FROM audit_append(${JSON.stringify(rows)}::json)`.execute(db);
    const head: ChainHead = {
      seq: Number(appended[0].head_seq),
      hash: appended[0].head_hash,
      checkpointSeq: Number(appended[0].checkpoint_seq ?? 0),
      checkpointTime: appended[0].checkpoint_time,
    };
    if (this.checkpointDue(head, false)) await this.sign(db, head).catch((err) => this.options.logger.warn({ err }, 'audit checkpoint not stored'));
    const first = head.seq - entries.length + 1;
    return entries.map((entry, i) => ({ ...entry, seq: first + i }));
  }

  private checkpointDue(head: ChainHead, force: boolean): boolean {
    if (head.seq <= head.checkpointSeq) return false;
    if (force || head.seq - head.checkpointSeq >= this.options.checkpointRecords || !head.checkpointTime) return true;
    return Date.now() - Date.parse(head.checkpointTime) >= this.options.checkpointSeconds * 1000;
  }

  /** Stores a signed checkpoint of `head`; another replica may have signed the same seq already. */
  private async sign(db: Kysely<AuditDB>, head: ChainHead): Promise<void> {
    const checkpoint = this.options.signer.sign(head.seq, head.hash, new Date().toISOString());
    await db.insertInto('audit_checkpoint').values(checkpoint).onConflict((oc) => oc.column('seq').doNothing()).execute();
  }

  /**
   * Signs the chain head now if it is not signed yet (`force`), or if the last checkpoint is older
   * than `checkpointSeconds`. Returns the signed seq, or null when nothing needed signing.
   */
  async checkpoint(force = true): Promise<number | null> {
    const { db } = await this.options.store.get();
    const head = await readHead(db);
    if (!this.checkpointDue(head, force)) return null;
    await this.sign(db, head);
    return head.seq;
  }

  /** Writes what is queued, signs the tail (best effort) and stops the timers. */
  async close(): Promise<void> {
    clearInterval(this.checkpointTimer);
    this.cancelTimer();
    await this.flushing;
    if (this.queue.length > 0) await this.flush();
    if (this.wrote) await this.checkpoint(true).catch((err) => this.options.logger.warn({ err }, 'no closing audit checkpoint'));
  }
}

/**
 * Group commit for the audit chain. Requests queue their entries; one batch at a time is written as
 * one multi-row INSERT in one transaction, and every request in the batch waits for that commit.
 * While a batch is being written the next one gathers, so under load the cost of a commit is
 * shared by many requests, and when idle a record waits at most `batchMs` before it is written.
 *
 * Several gateway replicas append to one chain: each batch takes a transaction-scoped advisory
 * lock, reads the chain head inside it, numbers and hashes its records and inserts them, so the
 * chain has one order whatever the number of writers.
 */
import { sql, type Transaction } from 'kysely';
import type { Logger } from '../../../lib/logger';
import { canonicalJson } from '../../../lib/hash';
import { chainHash, GENESIS_HASH, indexColumns, type AuditEntry, type AuditRecord } from './record';
import type { CheckpointSigner } from './signing';
import { storedEntry } from './stored';
import type { AuditDB, AuditRecordRow, LazyAuditStore } from './store';

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

/** Every replica serializes its appends on this one lock key. */
const CHAIN_LOCK = sql`pg_advisory_xact_lock(hashtext('archive-federation/audit-chain'))`;

/** Reads the head of the chain and of the checkpoints; call with the chain lock held. */
export async function readHead(trx: Transaction<AuditDB>): Promise<ChainHead> {
  const { rows } = await sql<{ seq: number | null; hash: string | null; cp_seq: number | null; cp_time: string | null }>`
    SELECT r.seq, r.hash, c.seq AS cp_seq, c.time AS cp_time
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (SELECT seq, hash FROM audit_record ORDER BY seq DESC LIMIT 1) AS r ON true
    LEFT JOIN LATERAL (SELECT seq, time FROM audit_checkpoint ORDER BY seq DESC LIMIT 1) AS c ON true`.execute(trx);
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

  private async writeBatch(entries: AuditEntry[]): Promise<AuditRecord[]> {
    const store = await this.options.store.get();
    return store.db.transaction().execute(async (trx) => {
      await sql`SELECT ${CHAIN_LOCK}`.execute(trx);
      const head = await readHead(trx);
      let { seq, hash } = head;
      const records: AuditRecord[] = [];
      const rows: Array<Omit<AuditRecordRow, 'time'> & { time: string }> = entries.map((entry) => {
        const record: AuditRecord = { ...entry, seq: ++seq };
        records.push(record);
        const body = canonicalJson(record);
        const prev = hash;
        hash = chainHash(prev, body);
        return { seq, id: record.id, ...indexColumns(record), body, prev_hash: prev, hash };
      });
      await trx.insertInto('audit_record').values(rows).execute();
      if (this.checkpointDue(head, seq, false)) await trx.insertInto('audit_checkpoint').values(this.options.signer.sign(seq, hash, new Date().toISOString())).execute();
      return records;
    });
  }

  private checkpointDue(head: ChainHead, seq: number, force: boolean): boolean {
    if (seq <= head.checkpointSeq) return false;
    if (force || seq - head.checkpointSeq >= this.options.checkpointRecords || !head.checkpointTime) return true;
    return Date.now() - Date.parse(head.checkpointTime) >= this.options.checkpointSeconds * 1000;
  }

  /**
   * Signs the chain head now if it is not signed yet (`force`), or if the last checkpoint is older
   * than `checkpointSeconds`. Returns the signed seq, or null when nothing needed signing.
   */
  async checkpoint(force = true): Promise<number | null> {
    const store = await this.options.store.get();
    return store.db.transaction().execute(async (trx) => {
      await sql`SELECT ${CHAIN_LOCK}`.execute(trx);
      const head = await readHead(trx);
      if (!this.checkpointDue(head, head.seq, force)) return null;
      await trx.insertInto('audit_checkpoint').values(this.options.signer.sign(head.seq, head.hash, new Date().toISOString())).execute();
      return head.seq;
    });
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

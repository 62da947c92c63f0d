/**
 * Chain verification, in the database or offline. A record is intact when its seq follows the
 * previous one, its `prev_hash` is the previous record's hash, its body is canonical and names its
 * own seq, and `sha256(prev_hash || body)` is its hash. Signed checkpoints must match the hash at
 * their seq, so a rewrite that recomputed every later hash is caught at the next checkpoint, and
 * a checkpoint beyond the last record shows that records were cut off the end.
 */
import type { KeyObject } from 'node:crypto';
import { canonicalJson } from '../../../lib/hash';
import { chainHash, GENESIS_HASH, indexColumns, type AuditRecord, type IndexColumns } from './record';
import { checkpointProblem } from './signing';
import type { AuditCheckpointRow, AuditStore } from './store';

/**
 * A value as a UTF-8 column holds it: an unpaired surrogate, which the database driver encodes as
 * U+FFFD, compares as U+FFFD. Records stored since stored.ts have none; older ones may.
 */
function asEncoded<T>(value: T): T {
  if (typeof value === 'string') return Buffer.from(value, 'utf8').toString('utf8') as T;
  return Array.isArray(value) ? (value.map(asEncoded) as T) : value;
}

/** The first thing found wrong: at which record, and why. */
export interface ChainProblem {
  seq: number;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Records checked. */
  records: number;
  firstSeq: number | null;
  lastSeq: number | null;
  lastHash: string | null;
  /** Checkpoints whose signature and hash were checked. */
  checkpoints: number;
  lastCheckpoint: { seq: number; time: string; keyId: string } | null;
  /** Key ids that signed the checkpoints checked. */
  keyIds: string[];
  /** True when the first record links to the genesis hash or to a signed checkpoint. */
  anchored: boolean;
  problem: ChainProblem | null;
}

/** One link of the chain as stored or exported; `columns` only for database rows. */
export interface ChainItem {
  seq: number;
  prevHash: string;
  hash: string;
  body: string;
  columns?: IndexColumns;
}

/** Verifies a chain fed in seq order; stops at the first problem. */
export class ChainVerifier {
  /** The seq the next record must have; null until the first record of an unanchored range. */
  private expected: number | null;
  private prevHash: string | null;
  private readonly checkpoints = new Map<number, AuditCheckpointRow>();
  private readonly keyIds = new Set<string>();
  problem: ChainProblem | null = null;
  records = 0;
  firstSeq: number | null = null;
  lastSeq: number | null = null;
  lastHash: string | null = null;
  checked = 0;

  /**
   * @param anchor the (seq, hash) just before the first record, or null to take the first record's
   *   `prev_hash` on trust (a range verified on its own), starting at `firstSeq` when given.
   * @param checkpoints every checkpoint whose seq may fall in the range.
   * @param pinned when given, every checkpoint must be signed by this key.
   */
  constructor(
    readonly anchor: { seq: number; hash: string } | null,
    checkpoints: AuditCheckpointRow[],
    pinned?: KeyObject,
    firstSeq?: number,
  ) {
    this.expected = anchor ? anchor.seq + 1 : (firstSeq ?? null);
    this.prevHash = anchor?.hash ?? null;
    for (const cp of checkpoints) {
      const problem = checkpointProblem(cp, pinned);
      if (problem) {
        this.fail(Number(cp.seq), problem);
        break;
      }
      this.checkpoints.set(Number(cp.seq), cp);
      this.keyIds.add(cp.key_id);
    }
  }

  private fail(seq: number, reason: string): false {
    this.problem ??= { seq, reason };
    return false;
  }

  /** Checks the next record; false once a problem is found. */
  push(item: ChainItem): boolean {
    if (this.problem) return false;
    const { seq } = item;
    this.expected ??= seq;
    if (seq > this.expected) return this.fail(this.expected, `record seq ${this.expected}${seq - 1 > this.expected ? `..${seq - 1}` : ''} missing (deleted)`);
    if (seq < this.expected) return this.fail(seq, `record seq ${seq} appears again or out of order after seq ${this.expected - 1}`);
    if (this.prevHash !== null && item.prevHash !== this.prevHash) {
      return this.fail(seq, `prev_hash does not match the hash of record ${seq - 1} (a record before it was removed, inserted or changed)`);
    }
    let record: AuditRecord;
    try {
      record = JSON.parse(item.body) as AuditRecord;
    } catch {
      return this.fail(seq, 'the record body is not JSON (edited)');
    }
    if (canonicalJson(record) !== item.body) return this.fail(seq, 'the record body is not in canonical form (edited)');
    if (record.seq !== seq) return this.fail(seq, `the record body says seq ${record.seq} (records reordered)`);
    if (chainHash(item.prevHash, item.body) !== item.hash) return this.fail(seq, 'the hash does not match the record content (edited)');
    if (item.columns) {
      const expected = indexColumns(record);
      for (const key of Object.keys(expected) as Array<keyof IndexColumns>) {
        if (JSON.stringify(item.columns[key]) !== JSON.stringify(asEncoded(expected[key]))) return this.fail(seq, `column ${key} differs from the hashed record (edited)`);
      }
    }
    const cp = this.checkpoints.get(seq);
    if (cp && cp.hash !== item.hash) return this.fail(seq, `the signed checkpoint at seq ${seq} holds another hash (this or an earlier record was rewritten)`);
    if (cp) this.checked++;
    this.firstSeq ??= seq;
    this.records++;
    this.lastSeq = seq;
    this.lastHash = this.prevHash = item.hash;
    this.expected = seq + 1;
    return true;
  }

  /** Ends the walk: `lastExpected` (a header's or the table's last seq) and checkpoints past the end reveal a cut-off tail. */
  finish(lastExpected?: number): VerifyReport {
    const last = this.lastSeq ?? (this.anchor ? this.anchor.seq : 0);
    if (lastExpected !== undefined && lastExpected > last) this.fail(last + 1, `records seq ${last + 1}..${lastExpected} missing`);
    const beyond = [...this.checkpoints.keys()].filter((s) => s > last).sort((a, b) => a - b)[0];
    if (beyond !== undefined) this.fail(last + 1, `records after seq ${last} missing: a signed checkpoint covers seq ${beyond}`);
    const signed = [...this.checkpoints.values()].filter((c) => Number(c.seq) <= last).sort((a, b) => Number(b.seq) - Number(a.seq))[0];
    return {
      ok: this.problem === null,
      records: this.records,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
      lastHash: this.lastHash,
      checkpoints: this.checked,
      lastCheckpoint: signed ? { seq: Number(signed.seq), time: signed.time, keyId: signed.key_id } : null,
      keyIds: [...this.keyIds].sort(),
      anchored: this.anchor !== null && (this.anchor.hash === GENESIS_HASH || this.checkpoints.has(this.anchor.seq)),
      problem: this.problem,
    };
  }
}

export interface VerifyRange {
  /** Records from this time on (ISO-8601); omitted = from the first record. */
  from?: string;
  /** Records before this time; omitted = to the last record. */
  to?: string;
  pinned?: KeyObject;
  /**
   * The whole log must start at seq 1, unless older records were archived (README, Retention):
   * then it starts right after this seq, where a signed checkpoint anchors it.
   */
  archivedThrough?: number;
  /** Rows read per query. @default 2000 */
  pageSize?: number;
}

/** The seq range of the records in [from, to), or null when none are. */
export async function seqRange(store: AuditStore, from?: string, to?: string): Promise<{ first: number; last: number } | null> {
  let q = store.db.selectFrom('audit_record').select((eb) => [eb.fn.min('seq').as('first'), eb.fn.max('seq').as('last')]);
  if (from) q = q.where('time', '>=', from as never);
  if (to) q = q.where('time', '<', to as never);
  const row = await q.executeTakeFirst();
  return row?.first == null ? null : { first: Number(row.first), last: Number(row.last) };
}

/** Verifies the chain in the store, whole or over a time range. */
export async function verifyStore(store: AuditStore, range: VerifyRange = {}): Promise<VerifyReport> {
  const whole = !range.from && !range.to;
  const span = await seqRange(store, range.from, range.to);
  // A quiet time range holds nothing to check: intact. (Records deleted from it leave a gap in seq,
  // which verifying the whole log, or a range that reaches past them, reports.)
  if (!whole && !span) return new ChainVerifier(null, []).finish();
  const checkpoints = await store.db
    .selectFrom('audit_checkpoint')
    .selectAll()
    .where('seq', '>=', span ? span.first - 1 : 0)
    .$if(!whole && span !== null, (q) => q.where('seq', '<=', span!.last))
    .orderBy('seq')
    .execute();
  const before = span && checkpoints.find((c) => Number(c.seq) === span.first - 1);
  // The whole log starts at genesis, or right after the declared archive at a signed checkpoint
  // (so deleting a prefix is caught even when it ends on a checkpoint); a range may start
  // anywhere, on the trust of its first prev_hash (reported as not anchored).
  const start = (range.archivedThrough ?? 0) + 1;
  const anchor = !span || span.first === 1 ? { seq: 0, hash: GENESIS_HASH } : before ? { seq: span.first - 1, hash: before.hash } : null;
  const verifier = new ChainVerifier(anchor, checkpoints, range.pinned, span?.first);
  if (whole && span && (span.first !== start || !anchor)) {
    const reason =
      span.first > start
        ? `records seq ${start}..${span.first - 1} are missing${start === 1 ? ' (if they were archived, say so with --archived-through)' : ''}`
        : `the log starts at seq ${span.first}, not after the archive at seq ${start - 1}${anchor ? '' : ', and no signed checkpoint anchors it'}`;
    return { ...verifier.finish(), ok: false, problem: { seq: Math.min(start, span.first), reason } };
  }
  if (span) {
    const pageSize = range.pageSize ?? 2000;
    for (let after = span.first - 1; after < span.last; ) {
      const rows = await store.db.selectFrom('audit_record').selectAll().where('seq', '>', after).where('seq', '<=', span.last).orderBy('seq').limit(pageSize).execute();
      if (rows.length === 0) break;
      for (const r of rows) {
        const columns: IndexColumns = {
          time: new Date(r.time).toISOString(),
          sub: r.sub,
          org: r.org,
          purpose: r.purpose,
          case_number: r.case_number,
          operation_name: r.operation_name,
          outcome: r.outcome,
          subjects: r.subjects,
          category: r.category,
          grant_id: r.grant_id,
        };
        if (!verifier.push({ seq: Number(r.seq), prevHash: r.prev_hash, hash: r.hash, body: r.body, columns })) return verifier.finish();
      }
      after = Number(rows[rows.length - 1].seq);
    }
  }
  return verifier.finish(span?.last);
}

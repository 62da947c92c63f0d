/**
 * Export files: JSON lines that verify offline, without the database or the gateway. A header
 * (range, anchor), the signed checkpoints covering the range (each with its public key), then the
 * records in seq order. The range is extended to the next checkpoint so its last record is signed.
 *
 * Archiving: export a range, keep the file (WORM storage), and keep its last hash: it is the
 * `anchor` of the next range's first record.
 */
import { createReadStream } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { canonicalJson } from '../../../lib/hash';
import type { AuditCheckpointRow, AuditStore } from './store';
import { ChainVerifier, seqRange, type VerifyReport } from './verify';

export const EXPORT_FORMAT = 'archive-federation/audit-export/v1';

export interface ExportHeader {
  type: 'header';
  format: typeof EXPORT_FORMAT;
  exportedAt: string;
  from: string | null;
  to: string | null;
  firstSeq: number;
  lastSeq: number;
  /** The (seq, hash) the first record links to: genesis, or the end of the previous range. */
  anchor: { seq: number; hash: string };
}

export interface ExportCheckpoint {
  type: 'checkpoint';
  seq: number;
  hash: string;
  time: string;
  keyId: string;
  publicKey: string;
  signature: string;
}

export interface ExportRecord {
  type: 'record';
  seq: number;
  prevHash: string;
  hash: string;
  /** The record as hashed; its canonical JSON is what `hash` covers. */
  record: Record<string, unknown>;
}

export interface ExportOptions {
  from?: string;
  to?: string;
  /** Signs the chain head when no checkpoint covers the range's end yet (the CLI passes the writer's). */
  checkpoint?: () => Promise<unknown>;
}

/** Writes the records in [from, to), extended to the next checkpoint, to `out`; returns the header. */
export async function exportRange(store: AuditStore, out: Writable, options: ExportOptions = {}): Promise<ExportHeader> {
  const span = await seqRange(store, options.from, options.to);
  if (!span) throw new Error(`No audit records between ${options.from ?? 'the start'} and ${options.to ?? 'now'}.`);
  const covering = () => store.db.selectFrom('audit_checkpoint').select('seq').where('seq', '>=', span.last).orderBy('seq').limit(1).executeTakeFirst();
  let end = await covering();
  if (!end && options.checkpoint) {
    await options.checkpoint();
    end = await covering();
  }
  if (!end) throw new Error(`No signed checkpoint covers seq ${span.last} yet; wait for the next one or run \`npm run audit -- checkpoint\`.`);
  const lastSeq = Number(end.seq);
  const first = await store.db.selectFrom('audit_record').select('prev_hash').where('seq', '=', span.first).executeTakeFirstOrThrow();
  const header: ExportHeader = {
    type: 'header',
    format: EXPORT_FORMAT,
    exportedAt: new Date().toISOString(),
    from: options.from ?? null,
    to: options.to ?? null,
    firstSeq: span.first,
    lastSeq,
    anchor: { seq: span.first - 1, hash: first.prev_hash },
  };
  const write = (line: unknown) => new Promise<void>((resolve, reject) => out.write(`${JSON.stringify(line)}\n`, (err) => (err ? reject(err) : resolve())));
  await write(header);
  const checkpoints = await store.db.selectFrom('audit_checkpoint').selectAll().where('seq', '>=', span.first - 1).where('seq', '<=', lastSeq).orderBy('seq').execute();
  for (const c of checkpoints) {
    await write({ type: 'checkpoint', seq: Number(c.seq), hash: c.hash, time: c.time, keyId: c.key_id, publicKey: c.public_key, signature: c.signature } satisfies ExportCheckpoint);
  }
  for (let after = span.first - 1; after < lastSeq; ) {
    const rows = await store.db.selectFrom('audit_record').select(['seq', 'prev_hash', 'hash', 'body']).where('seq', '>', after).where('seq', '<=', lastSeq).orderBy('seq').limit(2000).execute();
    if (rows.length === 0) break;
    for (const r of rows) await write({ type: 'record', seq: Number(r.seq), prevHash: r.prev_hash, hash: r.hash, record: JSON.parse(r.body) } satisfies ExportRecord);
    after = Number(rows[rows.length - 1].seq);
  }
  return header;
}

const toRow = (c: ExportCheckpoint): AuditCheckpointRow => ({ seq: c.seq, hash: c.hash, time: c.time, key_id: c.keyId, public_key: c.publicKey, signature: c.signature });

/** Verifies an export file offline: the chain from its anchor, every checkpoint's signature, and that nothing is missing. */
export async function verifyFile(file: string, pinned?: KeyObject): Promise<VerifyReport & { header: ExportHeader | null }> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let header: ExportHeader | null = null;
  const checkpoints: AuditCheckpointRow[] = [];
  let verifier: ChainVerifier | undefined;
  let lineNo = 0;
  const malformed = (reason: string) => ({ ...new ChainVerifier(null, []).finish(), ok: false, header, problem: { seq: 0, reason: `line ${lineNo}: ${reason}` } });
  for await (const line of lines) {
    lineNo++;
    if (!line.trim()) continue;
    let item: ExportHeader | ExportCheckpoint | ExportRecord;
    try {
      item = JSON.parse(line);
    } catch {
      return malformed('not JSON');
    }
    if (lineNo === 1) {
      if (item.type !== 'header' || item.format !== EXPORT_FORMAT) return malformed(`not an audit export (expected a ${EXPORT_FORMAT} header)`);
      header = item;
    } else if (item.type === 'checkpoint') {
      if (verifier) return malformed('checkpoints must precede the records');
      checkpoints.push(toRow(item));
    } else if (item.type === 'record') {
      verifier ??= new ChainVerifier(header!.anchor, checkpoints, pinned);
      if (!verifier.push({ seq: item.seq, prevHash: item.prevHash, hash: item.hash, body: canonicalJson(item.record) })) break;
    } else {
      return malformed(`unknown line type ${JSON.stringify((item as { type?: unknown }).type)}`);
    }
  }
  lines.close();
  if (!header) return malformed('empty file');
  verifier ??= new ChainVerifier(header.anchor, checkpoints, pinned);
  const report = verifier.finish(header.lastSeq);
  // Without a signature over its end, a file could be rewritten wholesale with fresh hashes.
  if (report.ok && report.lastCheckpoint?.seq !== header.lastSeq) {
    return { ...report, ok: false, header, problem: { seq: header.lastSeq, reason: `no signed checkpoint covers the last record (seq ${header.lastSeq})` } };
  }
  return { ...report, header };
}

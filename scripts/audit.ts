/**
 * `npm run audit -- <command>`, on the store of AUDIT_DB_URL (or the embedded one under DATA_DIR):
 *
 *   verify [--from ISO] [--to ISO] [--archived-through SEQ] [--key public.pem]   the chain in the store
 *   verify --file export.jsonl [--key public.pem]      an export file, offline
 *   export --from ISO --to ISO [--out file]            JSON lines: records + checkpoints + public keys
 *   checkpoint                                         sign the chain head now
 *   findings --from ISO --to ISO                       run the rules over the period, list its findings
 *   register --from ISO --to ISO [--format xlsx|jsonl] --out file   the utilisation register (查档登记)
 *
 * Exit 0 = intact (no findings); 1 = the first bad record is printed (seq and why), or findings
 * were listed; 2 = usage or connection error.
 * With the embedded store, stop the gateway first: PGlite serves one process at a time.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { dbTimeouts, loadConfig, type Config } from '../lib/config';
import { createLogger } from '../lib/logger';
import { exportRange, verifyFile } from '../gateway/src/audit/export';
import { loadCheckpointSigner } from '../gateway/src/audit/signing';
import { coordinateOwners } from '../gateway/src/audit/departments';
import { InsightEvaluator, ruleSettings } from '../gateway/src/audit/evaluator';
import { REGISTER_FORMATS, registerRows, writeRegisterJsonl, writeRegisterXlsx, type RegisterFormat } from '../gateway/src/audit/register';
import { openAuditStore, type AuditStore } from '../gateway/src/audit/store';
import { verifyStore, type VerifyReport } from '../gateway/src/audit/verify';
import { AuditWriter } from '../gateway/src/audit/writer';

const USAGE = `Usage: npm run audit -- verify [--from ISO] [--to ISO] [--archived-through SEQ] [--key public.pem]
       npm run audit -- verify --file export.jsonl [--key public.pem]
       npm run audit -- export --from ISO --to ISO [--out file]
       npm run audit -- checkpoint
       npm run audit -- findings --from ISO --to ISO
       npm run audit -- register --from ISO --to ISO [--format xlsx|jsonl] [--out file]   (xlsx needs --out)`;

class UsageError extends Error {}

function instant(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`--${name} must be an ISO-8601 date-time, not "${value}"`);
  return new Date(t).toISOString();
}

function print(report: VerifyReport, what: string): number {
  const range = report.records ? `seq ${report.firstSeq}..${report.lastSeq}` : 'no records';
  const lines = [
    `${what}: ${report.records} record(s), ${range}`,
    `checkpoints verified: ${report.checkpoints}${report.lastCheckpoint ? ` (last: seq ${report.lastCheckpoint.seq} at ${report.lastCheckpoint.time})` : ''}`,
    `signing keys: ${report.keyIds.join(', ') || 'none'}`,
    `start: ${report.anchored ? 'anchored (genesis or a signed checkpoint)' : 'not anchored: compare the first prev_hash with the previous range'}`,
  ];
  if (report.lastHash) lines.push(`last hash: ${report.lastHash}`);
  if (report.problem) {
    lines.push(`FAILED at seq ${report.problem.seq}: ${report.problem.reason}`);
    console.error(lines.join('\n'));
    return 1;
  }
  lines.push('OK: the chain is intact');
  console.log(lines.join('\n'));
  return 0;
}

/** A writer for the CLI: only its `checkpoint()` is used, with the gateway's key and settings. */
function checkpointer(config: Config, store: AuditStore): AuditWriter {
  const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, 'audit');
  const signer = loadCheckpointSigner({ keyFile: config.AUDIT_SIGNING_KEY_FILE, dataDir: config.DATA_DIR, production: config.NODE_ENV === 'production', logger });
  return new AuditWriter({
    store: { get: async () => store },
    signer,
    logger,
    batchMs: 0,
    batchMax: 1,
    checkpointRecords: config.AUDIT_CHECKPOINT_RECORDS,
    checkpointSeconds: config.AUDIT_CHECKPOINT_SECONDS,
    writeTimeoutMs: config.AUDIT_WRITE_TIMEOUT_MS,
  });
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      file: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string' },
      key: { type: 'string' },
      'archived-through': { type: 'string' },
    },
  });
  const [command] = positionals;
  const from = instant('from', values.from);
  const to = instant('to', values.to);
  if (from && to && from >= to) throw new UsageError('--to must be later than --from');
  let pinned: KeyObject | undefined;
  if (values.key) pinned = createPublicKey(readFileSync(values.key, 'utf8'));
  const archived = values['archived-through'];
  if (archived !== undefined && !/^\d+$/.test(archived)) throw new UsageError('--archived-through must be the last archived seq');
  const archivedThrough = archived === undefined ? undefined : Number(archived);

  if (command === 'verify' && values.file) {
    if (from || to) throw new UsageError('--from/--to apply to the store; an export file is verified whole');
    return print(await verifyFile(values.file, pinned), `export ${values.file}`);
  }
  if (!['verify', 'export', 'checkpoint', 'findings', 'register'].includes(command)) throw new UsageError(command ? `Unknown command "${command}"` : 'Which command?');
  if ((command === 'export' || command === 'findings' || command === 'register') && (!from || !to)) throw new UsageError(`${command} needs --from and --to`);
  const format = (values.format ?? 'xlsx') as RegisterFormat;
  if (command === 'register' && !REGISTER_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${REGISTER_FORMATS.join(', ')}`);
  if (command === 'register' && format === 'xlsx' && !values.out) throw new UsageError('register --format xlsx needs --out file (a spreadsheet is not for a terminal)');

  const config = loadConfig();
  const store = await openAuditStore(config.AUDIT_DB_URL, config.DATA_DIR, { timeouts: dbTimeouts(config) });
  // Only signing needs the key (and, in development, creates it): made on first use.
  let writer: AuditWriter | undefined;
  const checkpoint = () => (writer ??= checkpointer(config, store)).checkpoint(true);
  try {
    if (command === 'verify') return print(await verifyStore(store, { from, to, pinned, archivedThrough }), 'audit store');
    if (command === 'checkpoint') {
      const seq = await checkpoint();
      console.log(seq === null ? 'the chain head is already signed' : `signed checkpoint at seq ${seq}`);
      return 0;
    }
    if (command === 'findings') return await findings(config, store, from!, to!);
    if (command === 'register') return await register(config, store, { from: from!, to: to! }, format, values.out);
    const out = values.out ? createWriteStream(values.out) : process.stdout;
    const header = await exportRange(store, out, { from, to, checkpoint });
    if (values.out) {
      out.end();
      await finished(out);
      console.error(`exported seq ${header.firstSeq}..${header.lastSeq} to ${values.out}; verify offline with: npm run audit -- verify --file ${values.out}`);
    }
    return 0;
  } finally {
    await writer?.close();
    await store.close();
  }
}

/** Writes the utilisation register of [from, to) to `out` (stdout for JSON lines without --out). */
async function register(config: Config, store: AuditStore, range: { from: string; to: string }, format: RegisterFormat, file: string | undefined): Promise<number> {
  const owners = coordinateOwners(readFileSync(config.SUPERGRAPH_PATH, 'utf8'));
  const out = file ? createWriteStream(file) : process.stdout;
  const rows = registerRows(store, owners, range);
  const count = format === 'xlsx' ? await writeRegisterXlsx(rows, out) : await writeRegisterJsonl(rows, out);
  if (file) {
    if (format === 'jsonl') out.end();
    await finished(out);
    console.error(`wrote ${count} register row(s) (one per released subject) to ${file}`);
  }
  return 0;
}

/** Runs the rules over [from, to) (findings are stored as the gateway's are) and prints the period's findings. */
async function findings(config: Config, store: AuditStore, from: string, to: string): Promise<number> {
  const logger = createLogger('silent', 'audit');
  const evaluator = new InsightEvaluator({ store: { get: async () => store }, settings: ruleSettings(config), departments: coordinateOwners(readFileSync(config.SUPERGRAPH_PATH, 'utf8')), batch: config.AUDIT_RULES_BATCH, logger });
  const report = await evaluator.evaluatePeriod(from, to);
  const rows = await store.db.selectFrom('audit_finding').selectAll().where('time', '>=', from as never).where('time', '<', to as never).orderBy('time').execute();
  for (const f of rows) {
    const state = f.acknowledged ? `acknowledged by ${f.ack_by}` : 'open';
    console.log(`${new Date(f.time).toISOString()}  ${f.severity.padEnd(6)} ${f.rule.padEnd(13)} ${f.sub} (${f.org ?? 'no organisation'}) ${f.window_key}: ${f.detail}; records ${f.record_seqs.slice(0, 10).join(',')}${f.record_seqs.length > 10 ? ',…' : ''} [${state}]`);
  }
  console.error(`${report.records} record(s) read, ${report.created} new finding(s); ${rows.length} finding(s) in the period`);
  return rows.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof UsageError ? `${err.message}\n${USAGE}` : `audit: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);

/**
 * One process of bench/audit-writer.ts: an `AuditWriter` over the shared chain, as a gateway
 * replica holds it (the config's defaults), driven directly by the harness over IPC:
 * - `{ bench: 'audit-load', seconds, concurrency }`: `concurrency` requests in flight, each
 *   appending one dossier record and waiting for its commit, for `seconds`; replies with the
 *   records committed, every commit wait (ms) and the SQL statements sent.
 * - `{ bench: 'audit-lone', count }`: one record at a time, each after the last committed.
 * - `{ bench: 'audit-ping' }`: answered once this module listens (messages before are lost).
 * - `{ bench: 'audit-close' }`: closes the writer (signing the tail) and the store, then exits.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../lib/config';
import { sha256Hex } from '../lib/hash';
import { createLogger } from '../lib/logger';
import { makeIdNumber } from '../lib/id-number';
import { loadCheckpointSigner } from '../gateway/src/audit/signing';
import { LazyAuditStore } from '../gateway/src/audit/store';
import { AuditWriter, writerSettings } from '../gateway/src/audit/writer';
import type { AuditEntry } from '../gateway/src/audit/record';
import { entry } from '../test/audit-traffic';
import { DOSSIER } from './scenarios';

/** What the gateway records of a dossier that came back whole (returnedFields over DOSSIER). */
const DOSSIER_FIELDS = [
  'InsuranceEnrolment.status', 'InsuranceEnrolment.type', 'MarriageRecord.archivalCode', 'MarriageRecord.certificateNumber', 'MarriageRecord.date',
  'MarriageRecord.kind', 'MarriageRecord.spouse', 'MedicalEnrolment.insuranceType', 'MedicalInsurance.enrolments', 'Mortgage.amount', 'Mortgage.mortgagee',
  'Person.birthDate', 'Person.idNumber', 'Person.maritalStatus', 'Person.marriages', 'Person.medicalInsurance', 'Person.name', 'Person.realEstate',
  'Person.sex', 'Person.socialInsurance', 'PropertyRight.certificateNumber', 'PropertyRight.coOwners', 'PropertyRight.holding', 'PropertyRight.mortgages',
  'PropertyRight.owners', 'PropertyRight.unitNumber', 'Query.person', 'SocialInsurance.enrolments',
];
const DOCUMENT_HASH = sha256Hex(DOSSIER);

/** A clerk's dossier request with its legal basis, as buildEntry records it (about 2 KB of canonical JSON). */
function dossierEntry(n: number): AuditEntry {
  const person = makeIdNumber('430702', `19${50 + (n % 50)}-0${1 + (n % 9)}-1${n % 10}`, n % 1000);
  const spouse = makeIdNumber('430703', `19${52 + (n % 45)}-1${n % 3}-2${n % 8}`, (n * 7) % 1000);
  const caseNumber = `(2026)湘0702民初${1000 + (n % 9000)}号`;
  return {
    ...entry({ at: new Date(), sub: `clerk-${n % 40}`, org: '武陵区人民法院', purpose: '离婚诉讼财产调查', caseNumber, subjects: [person, spouse].sort(), fieldsReturned: DOSSIER_FIELDS, category: 'court' }),
    principal: { authenticated: true, sub: `clerk-${n % 40}`, name: '王晓明', org: '武陵区人民法院', scopes: ['marriage:read', 'real-estate:read', 'social-security:read', 'medical-insurance:read'], category: 'court' },
    clientAddress: `10.20.${n % 250}.${(n * 13) % 250}`,
    document: DOSSIER,
    documentHash: DOCUMENT_HASH,
    variables: { id: person },
    durationMs: 38.412,
    client: 'court-case-system',
    operationId: 'dossier-v3',
    traceId: randomUUID().replace(/-/g, ''),
    basis: { category: 'court', purpose: 'litigation', evidence: [{ kind: 'case-filing', reference: caseNumber }, { kind: 'court-order', reference: `CO-${n}` }] },
  };
}

const config = loadConfig(process.env);
const logger = createLogger('warn', 'audit-writer-bench');
const store = new LazyAuditStore(config.AUDIT_DB_URL, 'memory');
const writer = new AuditWriter({ store, signer: loadCheckpointSigner({ dataDir: 'memory', logger }), logger, ...writerSettings(config) });
let next = process.pid * 100_000;

/** Appends one record; resolves with how long its commit took (ms). Rejections fail the run. */
async function appendTimed(): Promise<number> {
  const record = dossierEntry(next++);
  const t = performance.now();
  await writer.append(record);
  return performance.now() - t;
}

/** Statements the writer has sent so far (a batch, a checkpoint). */
const statements = async () => (await store.get()).statements;

async function load(seconds: number, concurrency: number) {
  const waits: number[] = [];
  const before = await statements();
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) waits.push(await appendTimed());
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { records: waits.length, waits, statements: (await statements()) - before };
}

async function lone(count: number) {
  const waits: number[] = [];
  for (let i = 0; i < count; i++) waits.push(await appendTimed());
  return { records: waits.length, waits };
}

// The harness talks over IPC; this timer keeps the process up between its messages.
const alive = setInterval(() => {}, 60_000);
process.on('message', (message: { bench?: string; seconds?: number; concurrency?: number; count?: number }) => {
  const reply = (type: string, work: Promise<object>) =>
    work.then(
      (result) => process.send!({ bench: type, ...result }),
      (err: Error) => process.send!({ bench: type, error: err.message }),
    );
  if (message.bench === 'audit-ping') process.send!({ bench: 'audit-pong' });
  else if (message.bench === 'audit-load') void reply('audit-loaded', load(message.seconds!, message.concurrency!));
  else if (message.bench === 'audit-lone') void reply('audit-lone-done', lone(message.count!));
  else if (message.bench === 'audit-close') {
    void reply(
      'audit-closed',
      writer.close().then(() => store.close()).then(() => ({})),
    ).finally(() => clearInterval(alive));
  }
});

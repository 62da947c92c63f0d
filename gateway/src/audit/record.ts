/**
 * The audit record: what one request did, and how its hash chains it (over lib/hash.ts
 * `canonicalJson` of the record).
 * Shared by the writer, the auditors' API and the offline verifier, so they agree byte for byte.
 */
import { canonicalJson, sha256Hex } from '../../../lib/hash';
import type { Principal } from '../../../lib/tokens';

/** How a request ended, from the auditor's point of view. */
export type AuditOutcome = 'OK' | 'PARTIAL' | 'DENIED' | 'ERROR' | 'UNAUTHENTICATED';
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['OK', 'PARTIAL', 'DENIED', 'ERROR', 'UNAUTHENTICATED'];

/** Everything the gateway knows about one request; the writer adds `seq` when it chains it. */
export interface AuditEntry {
  /** Record id (UUID). */
  id: string;
  /** When the request arrived (ISO-8601, UTC, milliseconds). */
  time: string;
  /** `X-Request-Id` or a generated id: joins the record to the gateway's and subgraphs' logs. */
  requestId: string;
  /**
   * `graphql` (record reads), `audit` (auditors reading this log), `me` (citizens reading their
   * access history), `extracts` (certified extracts issued, downloaded, revoked) or `verify` (an
   * extract checked on the public verification page).
   */
  endpoint: 'graphql' | 'audit' | 'me' | 'extracts' | 'verify';
  /** `category`: the requester category claim, once tokens carry one; absent otherwise (the overview counts it `unknown`). */
  principal: { authenticated: boolean; sub: string; name: string | null; org: string | null; scopes: string[]; category?: string };
  clientAddress: string;
  purpose: string | null;
  caseNumber: string | null;
  operationName: string | null;
  /** `query` / `mutation` / `subscription`, when the document parsed. */
  operationType: string | null;
  /** SHA-256 (hex) of `document`, as Apollo's APQ hash. */
  documentHash: string | null;
  document: string | null;
  variables: Record<string, unknown> | null;
  /** ID numbers whose records were returned, as the subgraphs reported them; sorted. */
  subjects: string[];
  /** Schema coordinates (`Person.marriages`) whose values came back non-null; sorted. */
  fieldsReturned: string[];
  /** Schema coordinates removed by authorization; sorted. */
  fieldsDenied: string[];
  outcome: AuditOutcome;
  /** Distinct `extensions.code`s of the response's errors; sorted. */
  errorCodes: string[];
  cacheHit: boolean;
  durationMs: number;
  httpStatus: number;
  /** The client system the request named (TRUSTED_OPERATIONS); absent when it named none. */
  client?: string;
  /** The trusted operation it ran (its manifest id); absent when it matched none. */
  operationId?: string;
  /** The request's OpenTelemetry trace id (32 hex), joining the record to the trace; absent when tracing is off. */
  traceId?: string;
  /**
   * Fields in which characters that cannot be stored faithfully (NUL and other control characters,
   * unpaired surrogates) were replaced by U+FFFD; absent when none were (see stored.ts).
   */
  normalised?: string[];
  /** Fields stored shortened (a long document, deep or large variables); absent when none were. */
  truncated?: string[];
  /**
   * The legal basis the request declared (查档登记): requester category, purpose code, evidence
   * references, and the grant it presented with who approved it. Absent on records of requests
   * that had none worked out (and on every record before it existed, which keep their hashes).
   */
  basis?: AuditBasis;
}

/** The principal as a record keeps it; `category` only when the token has one (records without keep their shape). */
export function auditPrincipal(principal: Principal): AuditEntry['principal'] {
  return {
    authenticated: principal.authenticated,
    sub: principal.sub,
    name: principal.name ?? null,
    org: principal.org ?? null,
    scopes: [...principal.scopes],
    ...(principal.category === undefined ? {} : { category: principal.category }),
  };
}

/** The legal basis as a record keeps it. */
export interface AuditBasis {
  category?: string;
  purpose?: string;
  evidence: Array<{ kind: string; reference: string }>;
  grant?: { id: string; approvedBy: string };
}

/** An entry at its place in the chain: `seq` is part of what is hashed, so rows cannot be swapped. */
export interface AuditRecord extends AuditEntry {
  seq: number;
}

/** The `prev_hash` of record 1. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The record's canonical JSON on either side of its seq: `before + seq + after` is
 * `canonicalJson({ ...entry, seq })`. The store numbers the records under the chain lock (store.ts,
 * audit_append), so the body is serialised once, before the seq is known.
 */
export function aroundSeq(entry: AuditEntry): { before_seq: string; after_seq: string } {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  // Keys sort by code unit, as canonicalJson sorts them.
  for (const [key, value] of Object.entries(entry)) if (key !== 'seq') (key < 'seq' ? before : after)[key] = value;
  const head = canonicalJson(before);
  const tail = canonicalJson(after);
  return { before_seq: `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"seq":`, after_seq: `${tail.length > 2 ? ',' : ''}${tail.slice(1)}` };
}

/** `hash = sha256(prev_hash || canonical JSON of the record)`, prev_hash as its 64 hex characters. */
export function chainHash(prevHash: string, body: string): string {
  return sha256Hex(prevHash + body);
}

/** The searchable columns stored beside a record's body; `verify` checks they still match it. */
export interface IndexColumns {
  time: string;
  sub: string;
  org: string | null;
  purpose: string | null;
  case_number: string | null;
  operation_name: string | null;
  outcome: string;
  subjects: string[];
  category: string | null;
  grant_id: string | null;
}

export function indexColumns(record: AuditEntry): IndexColumns {
  return {
    time: record.time,
    sub: record.principal.sub,
    org: record.principal.org,
    purpose: record.purpose,
    case_number: record.caseNumber,
    operation_name: record.operationName,
    outcome: record.outcome,
    subjects: record.subjects,
    category: record.basis?.category ?? record.principal.category ?? null,
    grant_id: record.basis?.grant?.id ?? null,
  };
}

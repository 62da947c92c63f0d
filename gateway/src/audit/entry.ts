/**
 * Builds the audit entry of a finished request from its Apollo request context: who, why, what was
 * asked, whose records and which fields came back, and how it ended.
 */
import type { GraphQLRequestContext } from '@apollo/server';
import { getNamedType, isCompositeType, type DocumentNode, type GraphQLSchema } from 'graphql';
import { fragmentsOf, selectOperation } from '../../../lib/graphql/operation';
import { SKIP, walkResponse } from '../../../lib/graphql/walk';
import { sha256Hex } from '../../../lib/hash';
import type { Logger } from '../../../lib/logger';
import type { LegalBasis } from '../../../lib/legal-basis';
import type { Identity } from '../auth/identity';
import { auditPrincipal, type AuditBasis, type AuditEntry, type AuditOutcome } from './record';
import type { AuditState } from './refusals';

/**
 * What the audit plugin reads from a request's context. The gateway's context has all of it; the
 * auditors' endpoint has no subgraphs, so no subjects or denials.
 */
export interface AuditedContext extends Identity {
  requestId: string;
  clientAddress: string;
  logger?: Logger;
  subjects?: Set<string>;
  denied?: ReadonlyArray<{ coordinate: string }>;
  /** Set by the response cache when the response came from it. */
  cacheHit?: boolean;
  /** Shared with the `auditRefusals` middleware, which records what the plugin did not. */
  auditState?: AuditState;
  /** The client system and trusted operation (gateway/src/operations), when known. */
  client?: string;
  operationId?: string;
  /** The request's OpenTelemetry trace id, when tracing is on. */
  traceId?: string;
}

/** What the record keeps of a legal basis: the grant by id and approver only (its subjects and fields are in the grant's row). */
export function auditBasis(basis: LegalBasis): AuditBasis {
  return {
    ...(basis.category === undefined ? {} : { category: basis.category }),
    ...(basis.purpose === undefined ? {} : { purpose: basis.purpose }),
    evidence: basis.evidence.map(({ kind, reference }) => ({ kind, reference })),
    ...(basis.grant === undefined ? {} : { grant: { id: basis.grant.id, approvedBy: basis.grant.approvedBy } }),
  };
}

/** Error codes that mean "not allowed" rather than "went wrong". */
const DENIAL_CODES = new Set(['UNAUTHORIZED_FIELD_OR_TYPE', 'FORBIDDEN']);

type Json = Record<string, unknown>;
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** What came back: coordinates with a non-null value, and how many leaf (scalar/enum) values. */
export interface Returned {
  coordinates: string[];
  leafValues: number;
}

/**
 * The schema coordinates whose values came back non-null, walking the document's selections
 * alongside the response data (lib/graphql/walk.ts), so a field under a type condition counts only
 * where the object had that type, when a selected `__typename` tells.
 */
export function returnedFields(schema: GraphQLSchema, document: DocumentNode, data: Json, operationName?: string | null): Returned {
  const operation = selectOperation(document, operationName);
  const out = new Set<string>();
  let leafValues = 0;
  if (!operation) return { coordinates: [], leafValues };
  walkResponse({ schema, fragments: fragmentsOf(document), operation, data }, undefined, ({ coordinate, fieldDef, value }) => {
    if (value === null || value === undefined) return SKIP;
    out.add(coordinate);
    if (isCompositeType(getNamedType(fieldDef.type))) return undefined; // its fields say what came back
    leafValues += Array.isArray(value) ? value.flat(Infinity).filter((x) => x !== null).length : 1;
    return SKIP;
  });
  return { coordinates: sorted(out), leafValues };
}

/**
 * OK; PARTIAL (errors, but some values came back); DENIED (only refusals, no value back); ERROR;
 * UNAUTHENTICATED. Objects holding only nulls do not count as values: `{ person: { name: null } }`
 * after `name` was refused is a denial, not a partial answer.
 */
export function outcomeOf(authFailed: boolean, errorCodes: readonly string[], hadErrors: boolean, leafValues: number): AuditOutcome {
  if (authFailed || errorCodes.includes('UNAUTHENTICATED')) return 'UNAUTHENTICATED';
  if (!hadErrors) return 'OK';
  if (leafValues > 0) return 'PARTIAL';
  return errorCodes.length > 0 && errorCodes.every((c) => DENIAL_CODES.has(c)) ? 'DENIED' : 'ERROR';
}

export interface EntryTiming {
  id: string;
  startedAt: Date;
  durationMs: number;
}

/** The audit entry of a request whose response is about to be sent. */
export function buildEntry(rc: GraphQLRequestContext<AuditedContext>, endpoint: AuditEntry['endpoint'], timing: EntryTiming): AuditEntry {
  const ctx = rc.contextValue;
  const body = rc.response.body;
  const result = body?.kind === 'single' ? body.singleResult : body?.initialResult;
  const errors = result?.errors ?? [];
  const errorCodes = sorted(errors.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')));
  const data = result?.data;
  const returned = rc.document && data ? returnedFields(rc.schema, rc.document, data, rc.request.operationName) : { coordinates: [], leafValues: 0 };
  const document = rc.source ?? rc.request.query ?? null;
  const { principal } = ctx;
  return {
    id: timing.id,
    time: timing.startedAt.toISOString(),
    requestId: ctx.requestId,
    endpoint,
    principal: auditPrincipal(principal),
    clientAddress: ctx.clientAddress,
    purpose: ctx.purpose ?? null,
    caseNumber: ctx.caseNumber ?? null,
    operationName: rc.operationName ?? rc.request.operationName ?? null,
    operationType: rc.operation?.operation ?? null,
    documentHash: rc.queryHash ?? (document === null ? null : sha256Hex(document)),
    document,
    variables: rc.request.variables ?? null,
    subjects: sorted(ctx.subjects ?? []),
    fieldsReturned: returned.coordinates,
    fieldsDenied: sorted((ctx.denied ?? []).map((d) => d.coordinate)),
    outcome: outcomeOf(Boolean(ctx.authError), errorCodes, errors.length > 0, returned.leafValues),
    errorCodes,
    cacheHit: ctx.cacheHit === true || rc.metrics.responseCacheHit === true,
    durationMs: Math.round(timing.durationMs * 1000) / 1000,
    httpStatus: rc.response.http.status ?? 200,
    // Only when known, so records without them keep their shape (and older chains their hashes).
    ...(ctx.client === undefined ? {} : { client: ctx.client }),
    ...(ctx.operationId === undefined ? {} : { operationId: ctx.operationId }),
    ...(ctx.traceId === undefined ? {} : { traceId: ctx.traceId }),
    ...(ctx.basis === undefined ? {} : { basis: auditBasis(ctx.basis) }),
  };
}

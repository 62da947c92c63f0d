/**
 * Issuing, revoking and looking up extracts (the resolvers of /extracts/graphql). The records are
 * read by running the kind's query through the gateway's own ApolloServer with the caller's
 * identity: authorization, masking, the response cache, rate limits and the audit log treat it
 * exactly as the same query sent to /graphql (it is recorded there too, under the same request id).
 */
import type { Catalogue } from '../../../lib/legal-basis';
import type { ApolloServer } from '@apollo/server';
import type { Kysely } from 'kysely';
import { badInput, codedError, ErrorCode } from '../../../lib/errors';
import { idNumberProblem } from '../../../lib/id-number';
import type { Logger } from '../../../lib/logger';
import { openAuditStoreOr503 } from '../audit/api';
import type { AuditedContext } from '../audit/entry';
import type { CheckpointSigner } from '../audit/signing';
import type { LazyAuditStore } from '../audit/store';
import type { GatewayContext } from '../context';
import { canonicalJson, sha256Hex } from '../../../lib/hash';
import { CODE_PATTERN, CONTENT_TYPE, extractProblem, newVerificationCode, signExtract, type ExtractContent } from './content';
import { EXTRACT_KINDS, KINDS, type ExtractKind } from './kinds';
import { findExtract, nextSerial, type ExtractDB, type FoundExtract } from './store';
import { renderExtract } from './template';

/** Error codes that mean the access rules withheld some of the records. */
const DENIALS = new Set<string>([ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE, ErrorCode.FORBIDDEN]);
const MAX_REASON = 500;

export interface ExtractServiceOptions {
  store: LazyAuditStore;
  signer: CheckpointSigner;
  /** The gateway's ApolloServer: the records query runs through it as the caller. */
  gateway: ApolloServer<GatewayContext>;
  archive: string;
  /** The gateway's public base URL (no trailing slash). */
  publicUrl: string;
  /** The purpose catalogue: an extract prints the declared purpose's name. */
  catalogue: Catalogue;
  logger: Logger;
}

/** Whether `principal` may revoke extracts: the archive's archivists (`pii:unmasked` and a department's `:write` scope). */
export function mayRevoke(scopes: readonly string[]): boolean {
  return scopes.includes('pii:unmasked') && scopes.some((s) => s.endsWith(':write'));
}

export const pdfPath = (code: string) => `/extracts/${code}.pdf`;
const serialOf = (row: { year: number; serial: number }) => `${row.year}-${String(row.serial).padStart(6, '0')}`;

/** valid / revoked, or altered when the stored copy no longer verifies against the archive's key. */
export function statusOf(row: FoundExtract, trustedKeyIds: ReadonlySet<string>): 'valid' | 'revoked' | 'altered' {
  if (extractProblem(row, trustedKeyIds) !== null) return 'altered';
  return row.revoked_at ? 'revoked' : 'valid';
}

export function extractService(options: ExtractServiceOptions) {
  const { store, signer, gateway, archive, publicUrl, catalogue } = options;
  const purposeName = (code: string) => {
    const p = catalogue.purposes.get(code);
    return p ? `${p.nameZh}（${code}）` : code;
  };
  const trusted = new Set([signer.keyId]);
  const db = async () => (await openAuditStoreOr503(store)).db as unknown as Kysely<ExtractDB>;

  /** Runs the kind's records query as the caller; refuses when any record was withheld or failed. */
  async function readRecords(kind: ExtractKind, idNumber: string, ctx: AuditedContext) {
    const response = await gateway.executeOperation(
      { query: KINDS[kind].query, variables: { id: idNumber } },
      {
        // Everything the caller's identity carries (principal, purpose, case number, and whatever
        // an access policy adds to it), with fresh per-request state for the gateway's pipeline.
        contextValue: {
          ...ctx,
          logger: ctx.logger ?? options.logger,
          internalTokens: new Map(),
          subjects: new Set<string>(),
          denied: undefined,
          cacheHit: undefined,
          auditState: undefined,
        },
      },
    );
    if (response.body.kind !== 'single') throw codedError(ErrorCode.INTERNAL_SERVER_ERROR, 'The records query answered incrementally.');
    const { data, errors = [] } = response.body.singleResult;
    const codes = errors.map((e) => String(e.extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR));
    if (codes.some((c) => DENIALS.has(c))) {
      const denied = errors.filter((e) => DENIALS.has(String(e.extensions?.code))).map((e) => e.path?.join('.') ?? e.message);
      throw codedError(
        ErrorCode.FORBIDDEN,
        `The access rules do not let you obtain a ${kind} extract of this person (withheld: ${[...new Set(denied)].join(', ')}). Declare a purpose that releases these records (X-Access-Purpose) with the evidence the rules ask for (X-Evidence, X-Case-Number); a citizen may obtain extracts of their own records only.`,
        { http: { status: 403 }, denied },
      );
    }
    if (errors.length > 0) {
      const status = response.http.status && response.http.status >= 500 ? response.http.status : 503;
      throw codedError(codes[0] as ErrorCode, `The records could not be read in full (${errors[0].message}); no extract was issued. Try again later.`, { http: { status } });
    }
    const person = (data as { person?: Record<string, unknown> | null } | undefined)?.person;
    if (!person) throw badInput('idNumber', 'No person with this ID number is on the register; no extract was issued.');
    return person;
  }

  return {
    trusted,
    db,

    async issue(kind: ExtractKind, idNumber: string, ctx: AuditedContext) {
      if (!EXTRACT_KINDS.includes(kind)) throw badInput('kind', `kind must be one of ${EXTRACT_KINDS.join(', ')}.`);
      const problem = idNumberProblem(idNumber);
      if (problem) throw badInput('idNumber', problem);
      if (!ctx.principal.authenticated) throw codedError(ErrorCode.UNAUTHENTICATED, 'Issuing an extract needs a bearer token.', { http: { status: 401 } });
      // Whatever the access rules ask, an extract states what it was issued for (PIPL Art. 6).
      if (!ctx.purpose) throw badInput('X-Access-Purpose', 'Declare what the extract is for in the X-Access-Purpose header (a purpose code, e.g. own-records, litigation, inheritance-notarization); it is printed on the extract and audited.');
      const person = await readRecords(kind, idNumber, ctx);
      const issued = new Date();
      const issuedAt = issued.toISOString();
      const year = Number(new Date(issued.getTime() + 8 * 3600_000).toISOString().slice(0, 4));
      const conn = await db();
      const serial = await nextSerial(conn, year);
      const code = newVerificationCode();
      const content: ExtractContent = {
        type: CONTENT_TYPE,
        kind,
        title: KINDS[kind].title,
        archive,
        serial: serialOf({ year, serial }),
        code,
        issuedAt,
        issuer: ctx.principal.org ?? null,
        purpose: purposeName(ctx.purpose),
        subject: { idNumber: String(person.idNumber ?? idNumber), name: typeof person.name === 'string' ? person.name : null },
        ...KINDS[kind].records(person, issuedAt.slice(0, 10)),
        verifyUrl: `${publicUrl}/verify/${code}`,
      };
      const body = canonicalJson(content);
      const pdf = Buffer.from(await renderExtract(content));
      const pdfSha256 = sha256Hex(pdf);
      await conn
        .insertInto('extract')
        .values({
          code,
          year,
          serial,
          kind,
          subject: idNumber,
          issued_at: issuedAt,
          issuer_sub: ctx.principal.sub,
          issuer_org: ctx.principal.org ?? null,
          purpose: ctx.purpose ?? null,
          content: body,
          pdf,
          pdf_sha256: pdfSha256,
          ...signExtract(signer, body, pdfSha256),
        })
        .execute();
      return { code, serial: content.serial, issuedAt, pdfUrl: publicUrl + pdfPath(code) };
    },

    /** The caller's own extract (or any, for an archivist), with its status; null otherwise. */
    async status(code: string, ctx: AuditedContext) {
      if (!CODE_PATTERN.test(code)) return null;
      const row = await findExtract(await db(), { code });
      if (!row || (row.issuer_sub !== ctx.principal.sub && !mayRevoke(ctx.principal.scopes))) return null;
      return {
        code: row.code,
        serial: serialOf(row),
        kind: row.kind,
        issuedAt: new Date(row.issued_at).toISOString(),
        pdfUrl: publicUrl + pdfPath(row.code),
        status: statusOf(row, trusted),
        revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
        revocationReason: row.reason ?? null,
      };
    },

    async revoke(code: string, reason: string, ctx: AuditedContext) {
      if (!ctx.principal.authenticated) throw codedError(ErrorCode.UNAUTHENTICATED, 'Revoking an extract needs a bearer token.', { http: { status: 401 } });
      if (!mayRevoke(ctx.principal.scopes)) {
        throw codedError(ErrorCode.FORBIDDEN, 'Only an archivist (scopes pii:unmasked and a :write scope) may revoke an extract.', { http: { status: 403 } });
      }
      const why = reason.trim();
      if (why.length === 0 || why.length > MAX_REASON) throw badInput('reason', `reason must be 1 to ${MAX_REASON} characters: say why the extract is revoked.`);
      const conn = await db();
      const row = CODE_PATTERN.test(code) ? await findExtract(conn, { code }) : undefined;
      if (!row) throw badInput('code', `No extract has the code ${code}.`);
      if (row.revoked_at) throw badInput('code', `The extract ${code} was already revoked on ${new Date(row.revoked_at).toISOString()}.`);
      await conn
        .insertInto('extract_revocation')
        .values({ code, revoked_at: new Date().toISOString(), reason: why, revoked_by: ctx.principal.sub, revoked_by_org: ctx.principal.org ?? null })
        .execute();
      return this.status(code, ctx);
    },
  };
}

export type ExtractService = ReturnType<typeof extractService>;

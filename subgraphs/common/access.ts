/**
 * What every subgraph enforces itself, with the claims from the gateway's internal token:
 * - row level: a citizen sees only records whose subjects include their own `sub`, a request under
 *   an approval only records about the persons it names (lib/access-policy `permittedSubjects`),
 *   however the record was reached (root field, spouse, co-owner); a citizen corrects nothing;
 * - masking: `@sensitive(as: …)` fields are masked unless the caller holds `pii:unmasked`;
 * - subjects: every Person whose records were returned is noted for the audit log and the
 *   gateway's cache tags, including the other persons a record is about (a spouse, co-holders);
 * - scopes: the internal token must cover every field served (requirements.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultFieldResolver, getDirectiveValues, isObjectType, GraphQLDirective, parse, type GraphQLSchema, type GraphQLFieldResolver, buildASTSchema } from 'graphql';
import { codedError, ErrorCode } from '../../lib/errors';
import { mask, SENSITIVE_KINDS, type SensitiveKind } from '../../lib/mask';
import type { InternalClaims } from '../../lib/tokens';
import { isCitizen, permittedSubjects } from '../../lib/access-policy';
import type { AccessPolicy } from '../../lib/legal-basis';
import { assertCovered, fieldRequirements } from './requirements';

export const accessTypeDefs = readFileSync(path.join(__dirname, 'access.graphql'), 'utf8');

const sensitiveDirective: GraphQLDirective = buildASTSchema(parse(accessTypeDefs), { assumeValid: true }).getDirective('sensitive')!;

/** What resolvers need to know of the caller; set on the context from the internal token. */
export interface AccessContext {
  claims: InternalClaims;
  /** ID numbers whose records this request returned (reported to the gateway for the audit log and cache tags). */
  subjects: Set<string>;
  /** Records already judged by the row-level rule in this request, so each is judged once. */
  records: WeakMap<object, Promise<void>>;
}

/**
 * The persons a record type's rows are about, by type name: e.g. a property right's holders, a
 * marriage registration's two parties. Every field served from such a record first checks the
 * row-level rule against them and reports them as subjects, however the record was reached.
 */
export type RecordSubjects<C extends AccessContext = any> = Record<string, (record: any, ctx: C) => readonly string[] | Promise<readonly string[]>>;

export const isSelfCaller = (claims: InternalClaims) => isCitizen(claims.principal);
export const canSeeUnmasked = (claims: InternalClaims) => claims.principal.scopes.includes('pii:unmasked');

const NOT_YOURS = 'This record is about no person you may read (a citizen reads only their own records, an approval only the persons it names), or it does not exist.';

/** The persons the caller is limited to, per request (undefined = not limited). */
const permitted = new WeakMap<InternalClaims, ReadonlySet<string> | undefined>();
function permittedOf(claims: InternalClaims): ReadonlySet<string> | undefined {
  if (!permitted.has(claims)) permitted.set(claims, permittedSubjects(claims));
  return permitted.get(claims);
}

/** The FORBIDDEN a `self` caller gets for anyone else's records (and for records that do not exist). */
export const notYours = () => codedError(ErrorCode.FORBIDDEN, NOT_YOURS);

/** Whether the row-level rule lets the caller see records about `idNumber`. */
export const subjectAllowed = (ctx: AccessContext, idNumber: string) => permittedOf(ctx.claims)?.has(idNumber) ?? true;

/** Throws FORBIDDEN when a `self` caller asks for someone else's records. */
export function assertSubjectAllowed(ctx: AccessContext, idNumber: string): void {
  if (!subjectAllowed(ctx, idNumber)) throw notYours();
}

/**
 * The row-level rule on a record about `subjects`: a `self` caller must be one of them (FORBIDDEN
 * otherwise, also for a record that does not exist: `subjects` empty, so "no such record" and "not
 * yours" answer alike). The subjects are reported for the audit log and the cache's tags.
 */
export function admitRecord(ctx: AccessContext, subjects: readonly string[]): void {
  const allowed = permittedOf(ctx.claims);
  if (allowed && !subjects.some((s) => allowed.has(s))) throw notYours();
  for (const s of subjects) ctx.subjects.add(s);
}

const hasContent = (v: unknown) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0);

/** Judges `record` (of a type in RecordSubjects) once per request. */
function judgeRecord(ctx: AccessContext, record: object, subjectsOf: RecordSubjects[string]): Promise<void> {
  let judged = ctx.records.get(record);
  if (!judged) ctx.records.set(record, (judged = Promise.resolve(subjectsOf(record, ctx)).then((ids) => admitRecord(ctx, ids))));
  return judged;
}

/**
 * Wraps the schema's resolvers in place: every field checks that the internal token covers it
 * (requirements.ts); Person fields (other than the key) check the row-level rule and note the
 * subject; fields of a record type in `recordSubjects` check the rule against the record's
 * subjects and note them; mutation fields refuse `self` callers; `@sensitive` fields are masked.
 */
export function applyAccessRules(schema: GraphQLSchema, policy: AccessPolicy, recordSubjects: RecordSubjects = {}): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const subjectsOf = recordSubjects[type.name];
    // Corrections change archived records of whoever they name: never a citizen's to make, whatever
    // scopes their token carries (the row-level rule on the mutation root).
    const correction = type === schema.getMutationType();
    for (const field of Object.values(type.getFields())) {
      const resolve: GraphQLFieldResolver<any, any> = field.resolve ?? defaultFieldResolver;
      const kind = field.astNode ? (getDirectiveValues(sensitiveDirective, field.astNode)?.as as SensitiveKind | undefined) : undefined;
      if (kind && !SENSITIVE_KINDS.includes(kind)) throw new Error(`${type.name}.${field.name}: @sensitive(as: "${kind}") must be one of ${SENSITIVE_KINDS.join(', ')}`);
      const requirements = fieldRequirements(schema, type, field);
      const coordinate = `${type.name}.${field.name}`;
      const guarded = type.name === 'Person' && field.name !== 'idNumber';
      if (!guarded && !kind && !subjectsOf && !correction && requirements.length === 0) continue;
      if (!guarded && !kind && !subjectsOf) {
        // Most fields need only the scope check: kept synchronous, so a leaf stays a plain value.
        field.resolve = (source, args, ctx: AccessContext, info) => {
          assertCovered(ctx.claims, requirements, coordinate, policy);
          if (correction && isSelfCaller(ctx.claims)) throw codedError(ErrorCode.FORBIDDEN, 'A citizen (scope self) cannot correct archived records; ask the department that keeps them.');
          return resolve(source, args, ctx, info);
        };
        continue;
      }
      field.resolve = async (source, args, ctx: AccessContext, info) => {
        assertCovered(ctx.claims, requirements, coordinate, policy);
        if (guarded) assertSubjectAllowed(ctx, source.idNumber);
        if (subjectsOf) await judgeRecord(ctx, source, subjectsOf);
        const value = await resolve(source, args, ctx, info);
        if (guarded && hasContent(value)) ctx.subjects.add(source.idNumber);
        // A citizen sees their own register entry (and a reference to their own record) unmasked; everyone else's stays masked.
        const own = (guarded || subjectsOf !== undefined) && isSelfCaller(ctx.claims) && source.idNumber === ctx.claims.principal.sub;
        return kind && typeof value === 'string' && !canSeeUnmasked(ctx.claims) && !own ? mask[kind](value) : value;
      };
    }
  }
  return schema;
}

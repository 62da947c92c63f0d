/**
 * What every subgraph enforces itself, with the claims from the gateway's internal token:
 * - row level: a `self` caller (a citizen) sees only records whose subject is their own `sub`,
 *   however the Person was reached (root field, spouse, co-owner);
 * - masking: `@sensitive(as: …)` fields are masked unless the caller holds `pii:unmasked`;
 * - subjects: every Person whose records were returned is noted for the audit log.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultFieldResolver, getDirectiveValues, isObjectType, GraphQLDirective, parse, type GraphQLSchema, type GraphQLFieldResolver, buildASTSchema } from 'graphql';
import { codedError, ErrorCode } from '../../lib/errors';
import { mask, SENSITIVE_KINDS, type SensitiveKind } from '../../lib/mask';
import type { InternalClaims } from '../../lib/tokens';

export const accessTypeDefs = readFileSync(path.join(__dirname, 'access.graphql'), 'utf8');

const sensitiveDirective: GraphQLDirective = buildASTSchema(parse(accessTypeDefs), { assumeValid: true }).getDirective('sensitive')!;

/** What resolvers need to know of the caller; set on the context from the internal token. */
export interface AccessContext {
  claims: InternalClaims;
  /** ID numbers whose records this request returned (reported to the gateway for the audit log). */
  subjects: Set<string>;
}

export const isSelfCaller = (claims: InternalClaims) => claims.principal.scopes.includes('self');
export const canSeeUnmasked = (claims: InternalClaims) => claims.principal.scopes.includes('pii:unmasked');

/** Throws FORBIDDEN when a `self` caller asks for someone else's records. */
export function assertSubjectAllowed(ctx: AccessContext, idNumber: string): void {
  if (isSelfCaller(ctx.claims) && idNumber !== ctx.claims.principal.sub) {
    throw codedError(ErrorCode.FORBIDDEN, 'A citizen (scope self) may read only their own records; this record belongs to someone else.');
  }
}

const hasContent = (v: unknown) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0);

/**
 * Wraps the schema's resolvers in place: Person fields (other than the key) check the row-level
 * rule and note the subject; `@sensitive` fields are masked.
 */
export function applyAccessRules(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve: GraphQLFieldResolver<any, any> = field.resolve ?? defaultFieldResolver;
      const kind = field.astNode ? (getDirectiveValues(sensitiveDirective, field.astNode)?.as as SensitiveKind | undefined) : undefined;
      if (kind && !SENSITIVE_KINDS.includes(kind)) throw new Error(`${type.name}.${field.name}: @sensitive(as: "${kind}") must be one of ${SENSITIVE_KINDS.join(', ')}`);
      const guarded = type.name === 'Person' && field.name !== 'idNumber';
      if (!guarded && !kind) continue;
      field.resolve = async (source, args, ctx: AccessContext, info) => {
        if (guarded) assertSubjectAllowed(ctx, source.idNumber);
        const value = await resolve(source, args, ctx, info);
        if (guarded && hasContent(value)) ctx.subjects.add(source.idNumber);
        // A citizen sees their own register entry unmasked; everyone else's stays masked.
        const own = guarded && isSelfCaller(ctx.claims) && source.idNumber === ctx.claims.principal.sub;
        return kind && typeof value === 'string' && !canSeeUnmasked(ctx.claims) && !own ? mask[kind](value) : value;
      };
    }
  }
  return schema;
}


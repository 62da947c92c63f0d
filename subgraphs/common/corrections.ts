/**
 * Record corrections, defined once per department (`subgraphs/<department>/correction.ts`) and
 * used by both the department's correction mutation and `npm run import`. A correction changes
 * archived records, so the mutation (1) re-checks its write scope here, although the gateway
 * enforces `@requiresScopes` already, because a write must not rest on one check; and (2) reports
 * the persons whose records changed as subjects: the gateway drops every cached answer tagged with
 * them, and the audit record of the correction names them.
 */
import type { Store } from '../../lib/db';
import { badInput, codedError, ErrorCode } from '../../lib/errors';
import type { AccessContext } from './access';

/** One department's correction: its mutation, its scope, and the checked change itself. */
export interface Correction<DB = any> {
  /** The Mutation field that applies it, e.g. `correctPersonName`. */
  mutation: string;
  /** The scope a caller needs, e.g. `social-security:write`. */
  scope: string;
  /** Whether the mutation answers the changed persons as a list (else the one person changed). */
  returnsList: boolean;
  /**
   * Checks `args` (the mutation's arguments, or one row of an import file) and applies the
   * change; returns the persons whose records changed. Malformed arguments and a record that does
   * not exist are BAD_USER_INPUT with a message saying what was expected.
   */
  apply(store: Store<DB>, args: Record<string, unknown>): Promise<string[]>;
}

/** The mutation resolver of `correction`: scope check, change, changed persons as subjects. */
export function correctionResolver(correction: Correction) {
  return async (_root: unknown, args: Record<string, unknown>, ctx: AccessContext & { store: Store<any> }) => {
    requireWriteScope(ctx, correction.scope);
    const persons = changedPersons(ctx, await correction.apply(ctx.store, args));
    return correction.returnsList ? persons : persons[0];
  };
}

/** Throws FORBIDDEN unless the caller's token carries `scope`. */
export function requireWriteScope(ctx: AccessContext, scope: string): void {
  if (!ctx.claims.principal.scopes.includes(scope)) {
    throw codedError(ErrorCode.FORBIDDEN, `Correcting records needs the scope ${scope}; ask for a token that has it.`);
  }
}

/** A corrected free-text value: trimmed, 1..`max` characters; otherwise BAD_USER_INPUT. */
export function requireText(value: unknown, argumentName: string, max: number): string {
  const text = String(value ?? '').trim();
  if (text.length === 0 || text.length > max) throw badInput(argumentName, `${argumentName} must be 1 to ${max} characters (not blank); got ${text.length}.`);
  return text;
}

/** Reports `ids` as the changed subjects and returns them as Person references. */
function changedPersons(ctx: AccessContext, ids: readonly string[]): Array<{ idNumber: string }> {
  for (const id of ids) ctx.subjects.add(id);
  return ids.map((idNumber) => ({ idNumber }));
}

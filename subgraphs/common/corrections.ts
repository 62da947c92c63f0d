/**
 * What every department's correction mutation shares. A correction changes archived records, so
 * it (1) re-checks its write scope here, although the gateway enforces `@requiresScopes` already,
 * because a write must not rest on one check; and (2) reports the persons whose records changed
 * as subjects: the gateway drops every cached answer tagged with them, and the audit record of
 * the correction names them.
 */
import { badInput, codedError, ErrorCode } from '../../lib/errors';
import type { AccessContext } from './access';

/** Throws FORBIDDEN unless the caller's token carries `scope`. */
export function requireWriteScope(ctx: AccessContext, scope: string): void {
  if (!ctx.claims.principal.scopes.includes(scope)) {
    throw codedError(ErrorCode.FORBIDDEN, `Correcting records needs the scope ${scope}; ask for a token that has it.`);
  }
}

/** A corrected free-text value: trimmed, 1..`max` characters; otherwise BAD_USER_INPUT. */
export function requireText(value: string, argumentName: string, max: number): string {
  const text = value.trim();
  if (text.length === 0 || text.length > max) throw badInput(argumentName, `${argumentName} must be 1 to ${max} characters (not blank); got ${text.length}.`);
  return text;
}

/** Reports `ids` as the changed subjects and returns them as Person references. */
export function changedPersons(ctx: AccessContext, ids: readonly string[]): Array<{ idNumber: string }> {
  for (const id of ids) ctx.subjects.add(id);
  return ids.map((idNumber) => ({ idNumber }));
}

/**
 * What every department's correction mutation shares. A correction changes archived records, so
 * its write scope is checked twice: by the gateway and again by the subgraph, which checks every
 * field's `@requiresScopes` against the internal token (requirements.ts). It reports the persons
 * whose records changed as subjects: the gateway drops every cached answer tagged with them, and
 * the audit record of the correction names them.
 */
import { badInput } from '../../lib/errors';
import type { AccessContext } from './access';

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

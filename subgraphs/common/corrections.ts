/**
 * Record corrections, defined once per department (`subgraphs/<department>/correction.ts`) and
 * used by both the department's correction mutation and `npm run import`. A correction changes
 * archived records, so its write scope is checked twice: by the gateway and again by the
 * subgraph, which checks every field's `@requiresScopes` against the internal token
 * (requirements.ts). It reports the persons whose records changed as subjects: the gateway drops
 * every cached answer tagged with them, and the audit record of the correction names them.
 */
import type { Store } from '../../lib/db';
import { badInput } from '../../lib/errors';
import type { AccessContext } from './access';

/** One department's correction: its mutation and the checked change itself. */
export interface Correction<DB = any> {
  /** The Mutation field that applies it, e.g. `correctPersonName`. */
  mutation: string;
  /** Whether the mutation answers the changed persons as a list (else the one person changed). */
  returnsList: boolean;
  /**
   * Checks `args` (the mutation's arguments, or one row of an import file) and applies the
   * change; returns the persons whose records changed. Malformed arguments and a record that does
   * not exist are BAD_USER_INPUT with a message saying what was expected.
   */
  apply(store: Store<DB>, args: Record<string, unknown>): Promise<string[]>;
}

/** The mutation resolver of `correction`: the change, and the changed persons as subjects. */
export function correctionResolver(correction: Correction) {
  return async (_root: unknown, args: Record<string, unknown>, ctx: AccessContext & { store: Store<any> }) => {
    const persons = changedPersons(ctx, await correction.apply(ctx.store, args));
    return correction.returnsList ? persons : persons[0];
  };
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

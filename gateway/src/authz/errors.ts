/**
 * Turns `authorizeOperation`'s denials into what the client sees: a `null` at each denied path and
 * one `UNAUTHORIZED_FIELD_OR_TYPE` error per path, the rest of the data untouched (Router's shape).
 */
import { GraphQLError, Kind, parseType, type TypeNode } from 'graphql';
import { ErrorCode } from '../../../lib/errors';
import type { Denial } from './authorize';

/** The message Apollo Router uses, so clients written against Router read the same thing. */
export const UNAUTHORIZED_MESSAGE = 'Unauthorized field or type';

/**
 * One `{ message: 'Unauthorized field or type', path, extensions: { code:
 * 'UNAUTHORIZED_FIELD_OR_TYPE' } }` error per distinct denied path; when the access rules withheld
 * it, `extensions` also say why (`reason`: PURPOSE_NOT_COVERED, EVIDENCE_REQUIRED, GRANT_REQUIRED…),
 * which `purposes` would release it, which `evidence` kinds are missing and the refusing `rules`. Paths carry no list indices
 * (a denial under a list covers every item), as Router reports them too.
 */
export function deniedErrors(denied: readonly Denial[]): GraphQLError[] {
  const seen = new Set<string>();
  return denied.flatMap((d) => {
    const key = JSON.stringify(d.path);
    if (seen.has(key)) return [];
    seen.add(key);
    const why = d.why && {
      reason: d.why.reason,
      ...(d.why.purposes?.length ? { purposes: d.why.purposes } : {}),
      ...(d.why.missingEvidence?.length ? { evidence: d.why.missingEvidence } : {}),
      ...(d.why.rules.length ? { rules: d.why.rules } : {}),
    };
    return [new GraphQLError(UNAUTHORIZED_MESSAGE, { path: d.path, extensions: { code: ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE, ...why } })];
  });
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const nullable = (t: TypeNode) => t.kind !== Kind.NON_NULL_TYPE;

/**
 * Walks one value at the position typed `type` (lists descended item by item); returns true when
 * the value must become null because a non-null field below it was denied.
 */
function descend(value: unknown, type: TypeNode, d: Denial, i: number): boolean {
  const inner = type.kind === Kind.NON_NULL_TYPE ? type.type : type;
  if (inner.kind === Kind.LIST_TYPE) {
    if (!Array.isArray(value)) return false;
    let invalid = false;
    value.forEach((item, idx) => {
      if (item == null || !descend(item, inner.type, d, i)) return;
      if (nullable(inner.type)) value[idx] = null;
      else invalid = true; // a non-null item cannot be null: the whole list goes, as in GraphQL execution
    });
    return invalid;
  }
  return isObject(value) && visitObject(value, d, i + 1);
}

/** Applies denial `d` from key `i` of its path within `obj`; true = `obj` must become null. */
function visitObject(obj: Json, d: Denial, i: number): boolean {
  const key = d.path[i];
  const type = parseType(d.types[i]);
  if (i === d.path.length - 1) {
    const typename = obj.__typename;
    if (d.onTypes && typeof typename === 'string' && !d.onTypes.includes(typename)) return false;
    // A value already there was resolved through another, authorized selection of the same key.
    if (obj[key] !== undefined) return false;
    obj[key] = null;
    // Under a type condition without `__typename` we cannot tell the object's type: never null it.
    return !nullable(type) && !(d.onTypes && typeof typename !== 'string');
  }
  const value = obj[key];
  if (value == null || !descend(value, type, d, i)) return false;
  if (nullable(type)) {
    obj[key] = null;
    return false;
  }
  return true;
}

/**
 * Puts `null` at every denied path of `data` (mutating it) and returns it, or `null` when a
 * denied non-null field propagates up to the root, exactly as GraphQL null propagation would.
 *
 * Paths have no list indices: a path through a list applies to every item. A key that already has
 * a value is left alone (it came from another selection of the same response key that was allowed,
 * e.g. in a sibling fragment on another type). For the whole-operation case pass `{}`.
 */
export function fillDenied<T extends Json | null | undefined>(data: T, denied: readonly Denial[]): T | null {
  if (!isObject(data)) return data;
  for (const d of denied) {
    if (d.path.length > 0 && visitObject(data, d, 0)) return null;
  }
  return data;
}

/**
 * Argument validation for `MedicalInsurance.settlements`: every check throws BAD_USER_INPUT
 * before any store call.
 */
import { getArgumentValues, getNamedType, isObjectType, type GraphQLResolveInfo } from 'graphql';
import { badInput } from '../../lib/errors';
import { SKIP, walkSelections } from '../../lib/graphql/walk';
import { pageArgs } from '../common/inputs';
import type { PageWindow } from './store';

/** Widest settlement-date range one request may ask for. */
export const MAX_RANGE_YEARS = 10;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Returns `value` when it is a real calendar date written YYYY-MM-DD; otherwise throws BAD_USER_INPUT. */
function requireDay(value: string, argumentName: string): string {
  const m = DAY.exec(value);
  const d = m && new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (!m || !d || d.getUTCFullYear() !== Number(m[1]) || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) {
    throw badInput(argumentName, `${argumentName} must be a date written YYYY-MM-DD, e.g. 2024-01-31; got "${value.slice(0, 24)}".`);
  }
  return value;
}

export interface SettlementArgs {
  from?: string | null;
  to?: string | null;
  first?: number | null;
  offset?: number | null;
}

/** Validates the `settlements` arguments and returns the page they select. */
export function settlementWindow(args: SettlementArgs): PageWindow {
  const from = args.from == null ? null : requireDay(args.from, 'from');
  const to = args.to == null ? null : requireDay(args.to, 'to');
  if (from && to) {
    if (from > to) throw badInput('from', `from (${from}) must not be after to (${to}).`);
    const limit = `${Number(from.slice(0, 4)) + MAX_RANGE_YEARS}${from.slice(4)}`;
    if (to > limit) throw badInput('to', `from and to may be at most ${MAX_RANGE_YEARS} years apart; narrow the range (to at most ${limit}).`);
  }
  return { from, to, ...pageArgs(args.first, args.offset) };
}

/**
 * Arguments of every `fieldName` selected directly under the field being resolved (through
 * fragments too, skipping @skip/@include-excluded ones). Lets a parent validate a child's
 * arguments before it reads anything.
 */
export function childFieldArgs(info: GraphQLResolveInfo, fieldName: string): Record<string, unknown>[] {
  const type = getNamedType(info.returnType);
  if (!isObjectType(type)) return [];
  const found: Record<string, unknown>[] = [];
  const options = { schema: info.schema, fragments: new Map(Object.entries(info.fragments)), variables: info.variableValues };
  for (const node of info.fieldNodes) {
    if (!node.selectionSet) continue;
    walkSelections(options, node.selectionSet, type, (child) => {
      if (child.node.name.value === fieldName) found.push(getArgumentValues(child.fieldDef, child.node, info.variableValues));
      return SKIP; // directly under the field only
    });
  }
  return found;
}

/** Argument validation shared by the subgraphs: every check throws BAD_USER_INPUT before any store call. */
import { badInput } from '../../lib/errors';
import { idNumberProblem, normaliseIdNumber } from '../../lib/id-number';

/**
 * The 18-character form of `value` when it is a valid resident ID number (a 15-digit legacy ID
 * and a lower-case `x` are accepted, see `normaliseIdNumber`); otherwise throws BAD_USER_INPUT.
 */
export function requireIdNumber(value: string, argumentName = 'idNumber'): string {
  const id = normaliseIdNumber(value);
  const problem = idNumberProblem(id);
  if (problem) throw badInput(argumentName, `${argumentName} "${value.slice(0, 24)}" is not a valid resident ID number: it ${problem}.`);
  return id;
}

/** Default and maximum page sizes for paginated lists. */
export const PAGE = { default: 20, max: 100 } as const;

/** Validates `first` (1..PAGE.max, default PAGE.default) and `offset` (>= 0). */
export function pageArgs(first: number | null | undefined, offset: number | null | undefined): { limit: number; offset: number } {
  const limit = first ?? PAGE.default;
  if (!Number.isInteger(limit) || limit < 1 || limit > PAGE.max) throw badInput('first', `first must be between 1 and ${PAGE.max}; got ${limit}.`);
  const off = offset ?? 0;
  if (!Number.isInteger(off) || off < 0) throw badInput('offset', `offset must be 0 or more; got ${off}.`);
  return { limit, offset: off };
}

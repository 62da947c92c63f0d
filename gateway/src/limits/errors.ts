/** The one error every limit answers with: which limit, its value, and what the request asked for. */
import type { GraphQLError } from 'graphql';
import { codedError, ErrorCode } from '../../../lib/errors';

/** The limits, as named in `extensions.limit`. */
export type LimitName = 'depth' | 'aliases' | 'rootFields' | 'directives' | 'tokens' | 'variableDepth' | 'bodyBytes' | 'batch';

const WHAT: Record<LimitName, (max: number, actual?: number) => string> = {
  depth: (max, actual) => `The operation nests fields ${actual} levels deep; at most ${max} are allowed. Ask for fewer nested levels, or split it into several operations.`,
  aliases: (max, actual) => `The operation uses ${actual} aliases; at most ${max} are allowed. Use a list field (e.g. persons(idNumbers: [...])) instead of many aliased ones.`,
  rootFields: (max, actual) => `The operation selects ${actual} root fields; at most ${max} are allowed. Split it into several operations.`,
  directives: (max, actual) => `The operation uses ${actual} directives; at most ${max} are allowed.`,
  tokens: (max) => `The document has more than ${max} tokens; at most ${max} are allowed. Send a smaller document.`,
  variableDepth: (max) => `The variables nest arrays or objects more than ${max} levels deep; at most ${max} are allowed. Send flatter variables.`,
  bodyBytes: (max) => `The request body is larger than ${max} bytes; at most ${max} are allowed.`,
  batch: (max, actual) => (max === 0 ? 'Batched requests (a JSON array of operations) are not accepted; send one operation per request.' : `The batch holds ${actual} operations; at most ${max} are allowed.`),
};

/** The largest `actual` reported: fragment bombs can measure past what JSON numbers carry. */
const REPORTABLE = Number.MAX_SAFE_INTEGER;

/** `OPERATION_LIMIT_EXCEEDED` with `extensions { limit, max, actual? }`, HTTP 400 (413 for the body size). */
export function limitExceeded(limit: LimitName, max: number, actual?: number): GraphQLError {
  const reported = actual === undefined ? undefined : Math.min(Math.round(actual), REPORTABLE);
  return codedError(ErrorCode.OPERATION_LIMIT_EXCEEDED, WHAT[limit](max, reported), {
    limit,
    max,
    ...(reported === undefined ? {} : { actual: reported }),
    http: { status: limit === 'bodyBytes' ? 413 : 400 },
  });
}

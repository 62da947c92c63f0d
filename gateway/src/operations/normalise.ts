/**
 * Documents are matched after normalisation: parsed and printed again, so whitespace, commas and
 * comments do not matter (Apollo Router's safelist ignores the same), and hashed.
 */
import { parse, print, type DocumentNode } from 'graphql';
import { sha256Hex } from '../../../lib/hash';

/** SHA-256 (hex) of the printed document. */
export function documentHash(document: DocumentNode): string {
  return sha256Hex(print(document));
}

/** SHA-256 (hex) of `text` parsed and printed; throws a GraphQLError for a document that does not parse. */
export function normalisedHash(text: string): string {
  return documentHash(parse(text, { noLocation: true }));
}

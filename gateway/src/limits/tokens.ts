/** Token counting with graphql-js's own lexer, so the count matches what the parser would see. */
import { Lexer, Source, TokenKind } from 'graphql';

/**
 * The number of lexical tokens in `source` (comments excluded, as the parser's `maxTokens` counts
 * them), stopping as soon as `cap` is passed: a token bomb is refused after `cap + 1` tokens of
 * lexing, never parsed into an AST or validated.
 */
export function countTokens(source: string, cap: number): number {
  const lexer = new Lexer(new Source(source));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      count += 1;
      if (count > cap) break;
    }
  } catch {
    // A lexical error: the parser reports it with its location; the tokens so far are the count.
  }
  return count;
}

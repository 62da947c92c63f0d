/**
 * Counting before parsing: tokens with graphql-js's own lexer, so the count matches what the
 * parser would see, and the nesting depth of JSON variables without recursion.
 */
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

/**
 * The nesting depth of JSON variables: a parsed value (an array or object is one level more than its
 * deepest member; scalars are 0) or, as a GET request sends them, JSON text (brackets outside
 * strings counted). Iterative and stops once `cap` is passed, so any depth costs little.
 */
export function jsonDepth(value: unknown, cap: number): number {
  if (typeof value === 'string') return textDepth(value, cap);
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max && (max = depth) > cap) break;
    for (const member of Array.isArray(v) ? v : Object.values(v)) if (member !== null && typeof member === 'object') stack.push([member, depth + 1]);
  }
  return max;
}

function textDepth(text: string, cap: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length && max <= cap; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ']' || c === '}') depth--;
  }
  return max;
}

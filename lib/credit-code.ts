/**
 * Unified social credit codes (GB 32100-2015): 17 characters over a 31-symbol alphabet and a
 * check character with weights 3^i mod 31. Validate input with it; stored legacy rows may fail.
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const SHAPE = /^[0-9ABCDEFGHJKLMNPQRTUWXY]{18}$/;

export function creditCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(first17[i]) * WEIGHTS[i];
  return ALPHABET[(31 - (sum % 31)) % 31];
}

export function isValidCreditCode(value: string): boolean {
  return SHAPE.test(value) && creditCheckChar(value) === value[17];
}

/** Builds a valid code from its first 17 characters. */
export function makeCreditCode(first17: string): string {
  return first17 + creditCheckChar(first17);
}

/**
 * Organisation codes (GB 11714-1997), the 9 characters at positions 9-17 of a credit code: 8
 * digits or capital letters (A = 10 … Z = 35) and a check character, weights 3 7 9 10 5 8 4 2,
 * C = 11 − (Σ mod 11), where 10 is written X and 11 is written 0.
 */
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];
const ORG_SHAPE = /^[0-9A-Z]{8}[0-9X]$/;
const orgValue = (c: string) => (c <= '9' ? c.charCodeAt(0) - 48 : c.charCodeAt(0) - 55);

export function organisationCheckChar(first8: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += orgValue(first8[i]) * ORG_WEIGHTS[i];
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

export function isValidOrganisationCode(value: string): boolean {
  return ORG_SHAPE.test(value) && organisationCheckChar(value) === value[8];
}

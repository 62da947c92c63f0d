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

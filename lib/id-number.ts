/**
 * Resident ID numbers (GB 11643-1999): 6-digit address code, 8-digit birth date, 3-digit
 * sequence (odd = male, even = female) and an ISO 7064 MOD 11-2 check character.
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';
const SHAPE = /^\d{17}[\dX]$/;

/** The check character for the first 17 digits of an ID number. */
export function idCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

const LEGACY = /^\d{15}$/;

/**
 * The 18-character form of an ID number as it was typed: a 15-digit ID (issued before 1999) gets
 * `19` after its 6-digit area code and a check character appended; a lower-case `x` becomes `X`.
 * Anything else comes back unchanged, for `idNumberProblem` to say what is wrong with it.
 */
export function normaliseIdNumber(value: string): string {
  if (LEGACY.test(value)) {
    const first17 = `${value.slice(0, 6)}19${value.slice(6)}`;
    return first17 + idCheckChar(first17);
  }
  return value.length === 18 && value.endsWith('x') ? `${value.slice(0, 17)}X` : value;
}

/**
 * Why `value` is not a valid resident ID number, or `null` when it is valid.
 * Checks shape, a real calendar birth date not in the future, and the check character.
 * Give it the normalised form (`normaliseIdNumber`) to accept legacy input.
 */
export function idNumberProblem(value: string): string | null {
  if (!SHAPE.test(value)) return 'must be 18 characters (17 digits and a digit or X) or a 15-digit ID from before 1999';
  const y = Number(value.slice(6, 10));
  const m = Number(value.slice(10, 12));
  const d = Number(value.slice(12, 14));
  const birth = new Date(Date.UTC(y, m - 1, d));
  if (y < 1850 || birth.getUTCMonth() !== m - 1 || birth.getUTCDate() !== d || birth.getTime() > Date.now()) {
    return `has an impossible birth date ${value.slice(6, 14)}`;
  }
  if (idCheckChar(value) !== value[17]) return `has a wrong check character (expected ${idCheckChar(value)})`;
  return null;
}

export function isValidIdNumber(value: string): boolean {
  return idNumberProblem(value) === null;
}

/** Birth date (YYYY-MM-DD) and sex encoded in a valid ID number. */
export function describeIdNumber(id: string): { birthDate: string; sex: 'MALE' | 'FEMALE'; region: string } {
  return {
    region: id.slice(0, 6),
    birthDate: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
    sex: Number(id[16]) % 2 === 1 ? 'MALE' : 'FEMALE',
  };
}

/** Builds a valid ID number from region code, birth date (YYYY-MM-DD) and 3-digit sequence. */
export function makeIdNumber(region: string, birthDate: string, sequence: number): string {
  const first17 = region + birthDate.replace(/-/g, '') + String(sequence).padStart(3, '0');
  return first17 + idCheckChar(first17);
}

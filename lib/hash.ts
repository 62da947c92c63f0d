/**
 * The project's one canonical JSON and one SHA-256. The audit chain hashes `canonicalJson` of each
 * record and extracts sign it, so its output must never change: records already written would no
 * longer verify.
 */
import { createHash } from 'node:crypto';

/**
 * Canonical JSON (RFC 8785 for the values a record holds): object keys sorted by code unit, no
 * whitespace, `undefined` members dropped, numbers and strings as `JSON.stringify` writes them.
 * Any tool can rebuild it from the parsed value, so a hash over it does not depend on how a
 * database, an export file or a client happened to order keys.
 *
 * @throws TypeError on a non-finite number, which JSON cannot carry.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const keys = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** SHA-256 of `data` (text as UTF-8) as 64 lower-case hex characters. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

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
  // Written as loops (every audit record and cache key goes through here); the output is what
  // `[...].map(...).join(',')` over sorted, defined members gave, array holes included.
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item = value[i];
      if (item !== undefined) out += canonicalJson(item);
      else if (i in value) out += 'null'; // a hole stays empty, as join wrote it
    }
    return `${out}]`;
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  for (const key of keys) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${out}}`;
}

/** SHA-256 of `data` (text as UTF-8) as 64 lower-case hex characters. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

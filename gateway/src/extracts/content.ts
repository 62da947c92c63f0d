/**
 * An extract's content (what it shows, as canonical JSON), the statement its signature covers, and
 * the masked summary the public verification page may show. The PDF is drawn from the content
 * alone (template.ts), so what is signed is what is printed.
 */
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { mask } from '../../../lib/mask';
import { canonicalJson, sha256Hex } from '../../../lib/hash';
import { keyIdOf, type CheckpointSigner } from '../audit/signing';
import { KINDS, type ExtractItem, type ExtractKind } from './kinds';
import type { ExtractRow } from './store';

export const CONTENT_TYPE = 'archive-federation/extract/v1';
const STATEMENT_TYPE = 'archive-federation/extract-signature/v1';

export interface ExtractContent {
  type: typeof CONTENT_TYPE;
  kind: ExtractKind;
  title: string;
  /** The archive that issues it (ARCHIVE_NAME). */
  archive: string;
  /** `2026-000123`: the year and the serial within it. */
  serial: string;
  code: string;
  /** ISO-8601, UTC. */
  issuedAt: string;
  /** The issuing clerk's organisation (their token's `org`), never the clerk. */
  issuer: string | null;
  purpose: string | null;
  /** As the records query returned them: masked where the caller may not see them in clear. */
  subject: { idNumber: string; name: string | null };
  statement: string;
  items: ExtractItem[];
  noRecord: boolean;
  verifyUrl: string;
}

/** What /verify answers, as JSON or as the page. Never more than the extract's own masked summary. */
export interface Verification {
  status: 'valid' | 'revoked' | 'unknown' | 'altered';
  kind: string | null;
  issuedAt: string | null;
  summary: string | null;
}

/** 16 characters of Crockford base32 in groups of four (80 random bits): unguessable, easy to type. */
export function newVerificationCode(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const bytes = randomBytes(16);
  const chars = [...bytes].map((b) => alphabet[b % 32]).join('');
  return chars.match(/.{4}/g)!.join('-');
}

/** The shape a verification code has; anything else is `unknown` without a database look-up. */
export const CODE_PATTERN = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;

/** What the signature covers: the content and the exact PDF bytes. */
export function signedStatement(content: string, pdfSha256: string): string {
  return canonicalJson({ type: STATEMENT_TYPE, content: JSON.parse(content), pdfSha256 });
}

export function signExtract(signer: CheckpointSigner, content: string, pdfSha256: string) {
  return { key_id: signer.keyId, public_key: signer.publicKeyPem, signature: signer.signStatement(signedStatement(content, pdfSha256)) };
}

/**
 * Why a stored extract does not verify, or null: its PDF must hash to what was signed, the
 * signature must hold, and the key must be one the archive trusts (`trustedKeyIds`) — a row
 * re-signed with another key, by someone who could write to the database, is not genuine.
 */
export function extractProblem(row: Pick<ExtractRow, 'content' | 'pdf_sha256' | 'key_id' | 'public_key' | 'signature'> & { pdf: Uint8Array }, trustedKeyIds: ReadonlySet<string>): string | null {
  if (sha256Hex(row.pdf) !== row.pdf_sha256) return 'the stored PDF does not match its signed hash';
  let key;
  try {
    key = createPublicKey(row.public_key);
  } catch {
    return 'the public key is unreadable';
  }
  if (keyIdOf(key) !== row.key_id) return 'the key id does not match the public key';
  if (!trustedKeyIds.has(row.key_id)) return `signed by key ${row.key_id}, which the archive does not trust`;
  const ok = verify(null, Buffer.from(signedStatement(row.content, row.pdf_sha256)), key, Buffer.from(row.signature, 'base64'));
  return ok ? null : 'the signature does not match the content';
}

/**
 * The one line the public verification page shows: the kind, the masked name and ID number, how
 * many records. Always masked, whoever asks, so it is never more than the extract itself shows.
 */
export function maskedSummary(content: ExtractContent): string {
  const { name: shown } = content.subject;
  // A name the records query already masked (`张**`) stays as it is.
  const name = !shown ? '—' : shown.includes('*') ? shown : mask.name(shown);
  const id = mask.idNumber(content.subject.idNumber);
  const records = content.noRecord ? '无记录' : `${content.items.length} 项记录`;
  return `${KINDS[content.kind].title} · ${name} · ${id} · ${records} · ${content.archive} ${content.serial}`;
}

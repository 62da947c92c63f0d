/**
 * Signed checkpoints: an Ed25519 signature over (last seq, last hash, time), as X-Road's signed
 * message-log batches and CloudTrail's digest files. A checkpoint pins everything before it: to
 * rewrite history unnoticed one would need the private key, not just database access.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../../lib/logger';
import { canonicalJson, sha256Hex } from '../../../lib/hash';
import type { AuditCheckpointRow } from './store';

/** The checkpoint signer: the private key stays here; checkpoints carry the public key. */
export interface CheckpointSigner {
  keyId: string;
  publicKeyPem: string;
  sign(seq: number, hash: string, time: string): AuditCheckpointRow;
  /**
   * Base64 Ed25519 signature over any other statement made with the same key (a certified
   * extract's content). The statement must carry its own `type`, as checkpoint statements do, so
   * a signature never means two things.
   */
  signStatement(statement: string): string;
}

/** What is signed. The `type` member keeps a checkpoint signature from meaning anything else. */
export function checkpointStatement(seq: number, hash: string, time: string): string {
  return canonicalJson({ type: 'archive-federation/audit-checkpoint/v1', seq, hash, time });
}

/** Short fingerprint of a public key: the first 16 hex characters of SHA-256 over its SPKI DER. */
export function keyIdOf(publicKey: KeyObject): string {
  return sha256Hex(publicKey.export({ type: 'spki', format: 'der' })).slice(0, 16);
}

export function signerFromKey(privateKey: KeyObject): CheckpointSigner {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`The audit signing key must be Ed25519, not ${privateKey.asymmetricKeyType}`);
  const publicKey = createPublicKey(privateKey);
  const keyId = keyIdOf(publicKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    keyId,
    publicKeyPem,
    sign: (seq, hash, time) => ({
      seq,
      hash,
      time,
      key_id: keyId,
      public_key: publicKeyPem,
      signature: sign(null, Buffer.from(checkpointStatement(seq, hash, time)), privateKey).toString('base64'),
    }),
    signStatement: (statement) => sign(null, Buffer.from(statement), privateKey).toString('base64'),
  };
}

export interface SigningKeyOptions {
  /** PEM (PKCS#8) Ed25519 private key file (`AUDIT_SIGNING_KEY_FILE`). */
  keyFile?: string;
  /** Where a development key is generated and kept when no key file is set; `memory` = not kept. */
  dataDir: string;
  /**
   * Production: a key file is required. A key generated at start would sign checkpoints with a key
   * nobody has pinned, and a new one after every redeploy of a container without a volume.
   * @default false
   */
  production?: boolean;
  logger: Logger;
}

/**
 * Loads the signing key from `keyFile`, else from (or, on first run, into) `<dataDir>/audit-signing-key.pem`.
 * A key that cannot be kept is used for this process only, with a warning: its checkpoints still
 * verify (they carry the public key), but nobody can have pinned that key.
 */
export function loadCheckpointSigner(options: SigningKeyOptions): CheckpointSigner {
  const { keyFile, dataDir, logger } = options;
  if (keyFile) return signerFromKey(createPrivateKey(readFileSync(keyFile, 'utf8')));
  if (options.production) {
    throw new Error(
      'Invalid environment for production: AUDIT_SIGNING_KEY_FILE must name the Ed25519 private key that signs audit checkpoints ' +
        '(create one with `openssl genpkey -algorithm ed25519 -out audit-signing-key.pem`, mount it read-only, and publish its public key)',
    );
  }
  const generatedFile = dataDir === 'memory' ? undefined : path.resolve(dataDir, 'audit-signing-key.pem');
  if (generatedFile && existsSync(generatedFile)) return signerFromKey(createPrivateKey(readFileSync(generatedFile, 'utf8')));
  const { privateKey } = generateKeyPairSync('ed25519');
  if (generatedFile) {
    try {
      mkdirSync(path.dirname(generatedFile), { recursive: true });
      // `wx`: a second process generating at the same moment must not overwrite the first's key.
      writeFileSync(generatedFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
      logger.warn({ keyFile: generatedFile }, 'generated an audit signing key; set AUDIT_SIGNING_KEY_FILE in production');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return signerFromKey(createPrivateKey(readFileSync(generatedFile, 'utf8')));
      logger.warn({ err, keyFile: generatedFile }, 'could not save the audit signing key; using a key for this process only');
    }
  }
  return signerFromKey(privateKey);
}

/** Checks a checkpoint's signature against the public key it carries (or `pinned`, when given). Returns why it fails, or null. */
export function checkpointProblem(cp: AuditCheckpointRow, pinned?: KeyObject): string | null {
  let key: KeyObject;
  try {
    key = createPublicKey(cp.public_key);
  } catch {
    return `checkpoint at seq ${cp.seq} carries an unreadable public key`;
  }
  if (keyIdOf(key) !== cp.key_id) return `checkpoint at seq ${cp.seq}: key id ${cp.key_id} does not match its public key`;
  if (pinned && keyIdOf(pinned) !== cp.key_id) return `checkpoint at seq ${cp.seq} is signed by key ${cp.key_id}, not by the pinned key ${keyIdOf(pinned)}`;
  const ok = verify(null, Buffer.from(checkpointStatement(Number(cp.seq), cp.hash, cp.time)), key, Buffer.from(cp.signature, 'base64'));
  return ok ? null : `checkpoint at seq ${cp.seq}: the signature does not match (seq, hash, time)`;
}

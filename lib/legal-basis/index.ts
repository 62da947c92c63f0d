/**
 * Access by legal basis: who asks (requester category), for what purpose, with what evidence and
 * approval. The catalogue and rules live in policies/ (purposes.yaml, rules.cedar); this module
 * reads them (catalogue.ts), checks evidence (evidence.ts) and decides fields (engine.ts).
 */
import type { Category } from './catalogue';
import type { Evidence } from './evidence';

export * from './catalogue';
export * from './evidence';
export * from './engine';

/** An approval of a request for access (查档审批), as the gateway honours it. */
export interface Grant {
  /** `G-` + 26 characters (ULID-like); what `X-Access-Grant` carries. */
  id: string;
  /** The requester it was granted to (token `sub`) and their organisation. */
  requester: string;
  organisation?: string;
  category: Category;
  purpose: string;
  /** ID numbers (18-character form) whose records it releases. */
  subjects: string[];
  /** Coordinates it releases (a subset of the purpose's field set). */
  fields: string[];
  evidence: Evidence[];
  /** Who approved it (token `sub`) and when it expires (ISO 8601). */
  approvedBy: string;
  expiresAt: string;
  status: 'approved' | 'revoked' | 'expired';
}

/** The legal basis a request declared, as it reaches the rules, the subgraphs and the audit record. */
export interface LegalBasis {
  category?: Category;
  purpose?: string;
  evidence: Evidence[];
  /** A grant named by X-Access-Grant that is valid for this requester and purpose. */
  grant?: Grant;
}

/** `G-` followed by 26 Crockford base-32 characters. */
export const GRANT_ID = /^G-[0-9A-HJKMNP-TV-Z]{26}$/;

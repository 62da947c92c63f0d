/**
 * The stored form of an audit entry. Whatever a request carried — a NUL byte in a header, a lone
 * surrogate in an operation name, a 60,000-deep array in an unused variable, a 200 KB document —
 * its record must still be written, and must not make the batch it shares with other requests
 * fail. So every string is made storable (PostgreSQL refuses NUL in text; a lone surrogate cannot
 * be encoded as UTF-8 and would reach the column as U+FFFD while the hashed JSON kept `\ud800`),
 * and the variables and document are bounded in depth and size. The record says which fields were
 * changed (`normalised`) or shortened (`truncated`), and what is hashed is exactly what is stored.
 */
import type { AuditEntry } from './record';

/** What one record stores at most. Fixed, not configurable: they bound the audit store's rows. */
export const STORED_LIMITS = {
  /** Characters of a one-line field (purpose, case number, operation name, principal, codes). */
  line: 256,
  /** Characters of the document. */
  document: 65_536,
  /** Characters of one string inside the variables. */
  variableString: 4_096,
  /** Nesting of arrays and objects inside the variables (the variables object is level 1). */
  variableDepth: 16,
  /** Approximate characters of the variables' JSON. */
  variableChars: 65_536,
} as const;

/**
 * Characters replaced by U+FFFD: C0 controls but tab, line feed and carriage return (which are
 * replaced too in one-line fields), DEL, C1 controls, and unpaired surrogates.
 */
const UNSTORABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const LINE_BREAKS = /[\t\n\r]/g;
const REPLACEMENT = '\uFFFD';

/** Notes which fields were changed on the way to the store. */
class Changes {
  readonly normalised = new Set<string>();
  readonly truncated = new Set<string>();

  /** A storable copy of `value` for `field`: unstorable characters replaced, at most `max` characters. */
  text(field: string, value: string, max: number, oneLine = true): string {
    let out = value.replace(UNSTORABLE, REPLACEMENT);
    if (oneLine) out = out.replace(LINE_BREAKS, REPLACEMENT);
    if (out !== value) this.normalised.add(field);
    if (out.length <= max) return out;
    this.truncated.add(field);
    // Never cut a surrogate pair in two: that would make a lone surrogate again.
    const end = /[\uD800-\uDBFF]/.test(out[max - 1]) ? max - 1 : max;
    return `${out.slice(0, end)}…[${out.length - end} more characters not stored]`;
  }

  line(field: string, value: string): string;
  line(field: string, value: string | null): string | null;
  line(field: string, value: string | null): string | null {
    return value === null ? null : this.text(field, value, STORED_LIMITS.line);
  }

  lines(field: string, values: readonly string[]): string[] {
    return values.map((v) => this.line(field, v));
  }
}

/**
 * The variables as stored: strings normalised and cut at `variableString`, nesting below
 * `variableDepth` and everything past `variableChars` replaced by a string saying what was left
 * out. Recursion stops at `variableDepth`, so no input can exhaust the stack.
 */
function boundVariables(changes: Changes, variables: Record<string, unknown>): Record<string, unknown> {
  let left: number = STORED_LIMITS.variableChars;
  const cut = (what: string) => {
    changes.truncated.add('variables');
    return `[not stored: ${what}]`;
  };
  const bound = (value: unknown, depth: number): unknown => {
    if (value === null || typeof value === 'boolean') return (left -= 5), value;
    if (typeof value === 'number') return (left -= 24), Number.isFinite(value) ? value : null;
    if (typeof value === 'string') {
      const text = changes.text('variables', value, Math.max(0, Math.min(STORED_LIMITS.variableString, left)), false);
      left -= text.length + 2;
      return text;
    }
    if (typeof value !== 'object') return (left -= 5), null; // not JSON; cannot come from a parsed body
    if (depth >= STORED_LIMITS.variableDepth) return cut(`nested deeper than ${STORED_LIMITS.variableDepth} levels`);
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (let i = 0; i < value.length; i++) {
        if (left <= 0) {
          out.push(cut(`${value.length - i} more items`));
          break;
        }
        left -= 1; // the comma
        out.push(bound(value[i], depth + 1));
      }
      return out;
    }
    // No prototype: a variable named `__proto__` stays a member.
    const out: Record<string, unknown> = Object.create(null);
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      if (left <= 0) {
        out[REPLACEMENT] = cut(`${keys.length - i} more members`);
        break;
      }
      const key = changes.text('variables', keys[i], STORED_LIMITS.line);
      left -= key.length + 4; // quotes, colon, comma
      out[key] = bound((value as Record<string, unknown>)[keys[i]], depth + 1);
    }
    return out;
  };
  return bound(variables, 1) as Record<string, unknown>;
}

/**
 * The entry as it is stored and hashed: every string storable, variables and document bounded,
 * `normalised` and `truncated` naming the fields that were changed (absent when none were, so
 * ordinary records keep their shape).
 */
export function storedEntry(entry: AuditEntry): AuditEntry {
  const c = new Changes();
  const { principal } = entry;
  const stored: AuditEntry = {
    ...entry,
    requestId: c.line('requestId', entry.requestId),
    principal: {
      authenticated: principal.authenticated,
      sub: c.line('principal.sub', principal.sub),
      name: c.line('principal.name', principal.name),
      org: c.line('principal.org', principal.org),
      scopes: c.lines('principal.scopes', principal.scopes),
      // Absent stays absent, so records without a category keep the shape (and hash) they had.
      ...(principal.category === undefined ? {} : { category: c.line('principal.category', principal.category) }),
    },
    clientAddress: c.line('clientAddress', entry.clientAddress),
    purpose: c.line('purpose', entry.purpose),
    caseNumber: c.line('caseNumber', entry.caseNumber),
    operationName: c.line('operationName', entry.operationName),
    operationType: c.line('operationType', entry.operationType),
    documentHash: c.line('documentHash', entry.documentHash),
    document: entry.document === null ? null : c.text('document', entry.document, STORED_LIMITS.document, false),
    variables: entry.variables === null ? null : boundVariables(c, entry.variables),
    subjects: c.lines('subjects', entry.subjects),
    fieldsReturned: c.lines('fieldsReturned', entry.fieldsReturned),
    fieldsDenied: c.lines('fieldsDenied', entry.fieldsDenied),
    errorCodes: c.lines('errorCodes', entry.errorCodes),
    durationMs: Number.isFinite(entry.durationMs) ? entry.durationMs : 0,
  };
  if (entry.client !== undefined) stored.client = c.line('client', entry.client);
  if (entry.operationId !== undefined) stored.operationId = c.line('operationId', entry.operationId);
  if (entry.basis !== undefined) {
    const { category, purpose, evidence, grant } = entry.basis;
    stored.basis = {
      ...(category === undefined ? {} : { category: c.line('basis.category', category) }),
      ...(purpose === undefined ? {} : { purpose: c.line('basis.purpose', purpose) }),
      evidence: evidence.map((e) => ({ kind: c.line('basis.evidence', e.kind), reference: c.line('basis.evidence', e.reference) })),
      ...(grant === undefined ? {} : { grant: { id: c.line('basis.grant', grant.id), approvedBy: c.line('basis.grant', grant.approvedBy) } }),
    };
  }
  delete stored.normalised;
  delete stored.truncated;
  if (c.normalised.size > 0) stored.normalised = [...c.normalised].sort();
  if (c.truncated.size > 0) stored.truncated = [...c.truncated].sort();
  return stored;
}

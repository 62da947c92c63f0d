/**
 * Evidence a request presents: `X-Evidence: <kind>=<reference>[; …]` and `X-Case-Number`, each
 * reference checked against its kind's form in the catalogue. A wrongly formed or unknown piece is
 * BAD_USER_INPUT naming the expected form, never silently ignored.
 */
import { codedError, ErrorCode } from '../errors';
import type { Catalogue } from './catalogue';

export interface Evidence {
  kind: string;
  reference: string;
}

const MAX_PIECES = 16;

const badEvidence = (message: string) => codedError(ErrorCode.BAD_USER_INPUT, message, { http: { status: 400 } });

/** Checks one reference against its kind's form; returns it normalised (ASCII brackets kept as sent). */
export function checkEvidence(catalogue: Catalogue, kind: string, reference: string): Evidence {
  const spec = catalogue.evidence.get(kind);
  if (!spec) throw badEvidence(`Unknown evidence kind "${kind}"; one of: ${[...catalogue.evidence.keys()].join(', ')}.`);
  const value = reference.trim();
  if (!spec.form.test(value)) {
    throw badEvidence(`Evidence ${kind} (${spec.nameZh}) "${value}" is not in the expected form, e.g. ${spec.example}.`);
  }
  return { kind, reference: value };
}

/** Parses an `X-Evidence` value (already decoded); the case number of `X-Case-Number` joins it. */
export function parseEvidence(catalogue: Catalogue, header: string | undefined, caseNumber?: string): Evidence[] {
  const pieces = (header ?? '').split(';').map((p) => p.trim()).filter(Boolean);
  if (pieces.length > MAX_PIECES) throw badEvidence(`X-Evidence holds ${pieces.length} pieces; at most ${MAX_PIECES}.`);
  const evidence = pieces.map((piece) => {
    const eq = piece.indexOf('=');
    if (eq <= 0) throw badEvidence(`X-Evidence "${piece}" is not <kind>=<reference>, e.g. case-number=${catalogue.evidence.get('case-number')?.example ?? '…'}.`);
    return checkEvidence(catalogue, piece.slice(0, eq).trim(), piece.slice(eq + 1));
  });
  if (caseNumber) evidence.push(checkEvidence(catalogue, 'case-number', caseNumber));
  return evidence;
}

/** The kinds presented, sorted and unique: what the rules decide on. */
export const evidenceKinds = (evidence: readonly Evidence[]): string[] => [...new Set(evidence.map((e) => e.kind))].sort();

/**
 * Synthetic audit traffic for the rules' tests: a working week of ordinary record reads by clerks
 * of three organisations, with planted misuse — a bulk lookup, a case number reused across many
 * subjects, a read at 3 a.m., a clerk reading a neighbour's records, a clerk's sudden burst — at
 * chosen times.
 */
import { randomUUID } from 'node:crypto';
import type { AuditEntry, AuditOutcome } from '../gateway/src/audit/record';
import { makeIdNumber } from '../lib/id-number';

/** Asia/Shanghai local time → UTC instant (the zone is UTC+8 all year). */
export const shanghai = (local: string) => new Date(`${local}+08:00`);

const ORGS = ['常德市档案馆', '武陵区民政局', '鼎城区不动产登记中心'];
const PURPOSES = ['婚姻登记核查', '不动产继承公证', '医保待遇审核'];
const FIELDS = [['Query.person', 'Person.name', 'Person.marriages'], ['Query.person', 'Person.realEstate'], ['Query.person', 'Person.medicalInsurance']];

/** Subjects of the ordinary traffic: registered in Beijing's Dongcheng (110101), far from the clerks. */
export const ordinarySubject = (i: number) => makeIdNumber('110101', `19${60 + (i % 40)}-0${1 + (i % 9)}-1${i % 10}`, i % 1000);
/** The clerk whose token subject is their own ID number, registered in Wuling (430702). */
export const NEIGHBOUR_CLERK = makeIdNumber('430702', '1980-05-05', 17);
export const NEIGHBOUR = makeIdNumber('430702', '1975-03-21', 88);
export const REUSED_CASE = '(2026)湘0702民初4242号';

export interface TrafficOptions {
  at: Date;
  sub: string;
  org?: string;
  purpose?: string;
  caseNumber?: string | null;
  subjects?: string[];
  outcome?: AuditOutcome;
  fieldsReturned?: string[];
  endpoint?: AuditEntry['endpoint'];
  category?: string;
  cacheHit?: boolean;
}

/** One record read as the gateway would have recorded it. */
export function entry(o: TrafficOptions): AuditEntry {
  const principal = { authenticated: true, sub: o.sub, name: null, org: o.org ?? ORGS[0], scopes: ['marriage:read'], ...(o.category ? { category: o.category } : {}) };
  return {
    id: randomUUID(),
    time: o.at.toISOString(),
    requestId: randomUUID(),
    endpoint: o.endpoint ?? 'graphql',
    principal,
    clientAddress: '10.0.0.8',
    purpose: o.purpose ?? PURPOSES[0],
    caseNumber: o.caseNumber ?? null,
    operationName: 'Dossier',
    operationType: 'query',
    documentHash: null,
    document: 'query Dossier($id: ID!) { person(idNumber: $id) { name } }',
    variables: null,
    subjects: o.subjects ?? [],
    fieldsReturned: o.fieldsReturned ?? FIELDS[0],
    fieldsDenied: [],
    outcome: o.outcome ?? 'OK',
    errorCodes: o.outcome === 'DENIED' ? ['FORBIDDEN'] : [],
    cacheHit: o.cacheHit ?? false,
    durationMs: 12,
    httpStatus: 200,
  };
}

/**
 * Monday 2026-11-23 to Friday 2026-11-27: 12 clerks reading 25 records a day each between 09:00
 * and 17:00, one subject a request, a case number per two requests; some denied; auditors reading
 * the log. Then the planted misuse. Sorted by time, as the gateway writes them.
 */
export function weekOfTraffic(): { ordinary: AuditEntry[]; planted: Record<'bulk' | 'caseReuse' | 'offHours' | 'neighbour' | 'spike', AuditEntry[]> } {
  const ordinary: AuditEntry[] = [];
  let n = 0;
  for (let day = 23; day <= 27; day++) {
    for (let clerk = 0; clerk < 12; clerk++) {
      const sub = clerk === 11 ? NEIGHBOUR_CLERK : `clerk-${clerk}`;
      for (let k = 0; k < 25; k++) {
        const minute = 9 * 60 + Math.floor((k * 8 * 60) / 25) + clerk;
        const at = shanghai(`2026-11-${day}T${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:00`);
        const kind = (clerk + k) % 3;
        ordinary.push(
          entry({
            at,
            sub,
            org: ORGS[clerk % 3],
            purpose: PURPOSES[kind],
            caseNumber: `(2026)湘07民初${day}${clerk}${Math.floor(k / 2)}号`,
            subjects: [ordinarySubject(n++)],
            fieldsReturned: FIELDS[kind],
            outcome: k === 24 ? 'DENIED' : 'OK',
            category: clerk < 4 ? 'government' : undefined,
            cacheHit: k % 5 === 0,
          }),
        );
      }
    }
    ordinary.push(entry({ at: shanghai(`2026-11-${day}T10:30:00`), sub: 'auditor-1', endpoint: 'audit', fieldsReturned: [] }));
  }
  const bulk = Array.from({ length: 60 }, (_, i) =>
    entry({ at: shanghai(`2026-11-25T14:${String(i % 60).padStart(2, '0')}:30`), sub: 'clerk-bulk', subjects: [makeIdNumber('110105', '1990-01-01', i)] }),
  );
  // Five subjects a day over Monday to Friday: never many in one day, too many for one case.
  const caseReuse = Array.from({ length: 25 }, (_, i) =>
    entry({ at: shanghai(`2026-11-${23 + Math.floor(i / 5)}T11:${String(10 + i).padStart(2, '0')}:00`), sub: `clerk-case-${i % 2}`, org: ORGS[1], caseNumber: REUSED_CASE, subjects: [makeIdNumber('110108', '1985-06-06', i)] }),
  );
  const offHours = [entry({ at: shanghai('2026-11-26T03:10:00'), sub: 'clerk-night', subjects: [ordinarySubject(9999)] })];
  const neighbour = [entry({ at: shanghai('2026-11-24T15:00:00'), sub: NEIGHBOUR_CLERK, org: ORGS[2], subjects: [NEIGHBOUR] })];
  // Five requests a day Monday to Thursday, forty on Friday: fewer subjects than a bulk lookup, but eight times the usual.
  const quiet = [23, 24, 25, 26].flatMap((day) => Array.from({ length: 5 }, (_, i) => entry({ at: shanghai(`2026-11-${day}T10:0${i}:00`), sub: 'clerk-spike', subjects: [makeIdNumber('110102', '1970-02-02', day * 10 + i)] })));
  const burst = Array.from({ length: 40 }, (_, i) => entry({ at: shanghai(`2026-11-27T13:${String(i + 10).padStart(2, '0')}:00`), sub: 'clerk-spike', subjects: [makeIdNumber('110102', '1971-03-03', i)] }));
  ordinary.push(...quiet);
  ordinary.sort((a, b) => a.time.localeCompare(b.time));
  return { ordinary, planted: { bulk, caseReuse, offHours, neighbour, spike: burst } };
}

/**
 * Rules that flag suspicious access. Each looks at a set of record reads and returns the windows
 * (a requester's day, a case number) that break it. They are pure: the evaluator decides which
 * records to give them (evaluator.ts) and stores what they return.
 */
import { isValidIdNumber } from '../../../lib/id-number';

export type Severity = 'LOW' | 'MEDIUM' | 'HIGH';

/** What the rules read of a record (only `/graphql` reads by an authenticated caller are given). */
export interface RuleRecord {
  seq: number;
  time: Date;
  sub: string;
  org: string | null;
  /** The declared purpose code. */
  purpose: string | null;
  caseNumber: string | null;
  subjects: readonly string[];
}

/** Thresholds and calendar, from configuration (AUDIT_RULE_*). */
export interface RuleSettings {
  bulkSubjects: number;
  caseSubjects: number;
  /** Working hours as minutes after local midnight, end exclusive. */
  workHours: { startMinute: number; endMinute: number };
  /** ISO weekdays, 1 = Monday. */
  workDays: readonly number[];
  timeZone: string;
  spikeFactor: number;
  spikeMin: number;
  baselineDays: number;
  /** The purposes each organisation may declare; organisations not listed are not judged. */
  orgPurposes: Readonly<Record<string, readonly string[]>>;
}

/** A window that broke a rule; stored as a finding, unique per (rule, windowKey). */
export interface Candidate {
  rule: string;
  severity: Severity;
  windowKey: string;
  time: Date;
  sub: string;
  org: string | null;
  subjects: string[];
  recordSeqs: number[];
  detail: string;
}

/** How a rule groups records: per requester and local day, per case number, or per requester day with the days before it. */
export type RuleScope = 'requester-day' | 'case' | 'requester-history';

export interface Rule {
  id: string;
  severity: Severity;
  scope: RuleScope;
  description(settings: RuleSettings): string;
  /** `records` are whole windows of the rule's scope. */
  evaluate(records: readonly RuleRecord[], settings: RuleSettings): Candidate[];
}

/** A finding lists at most this many subjects and records; `detail` gives the full counts. */
export const FINDING_LIST_MAX = 1000;

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Local date (`YYYY-MM-DD`), ISO weekday and minute of the day of `time` in `timeZone`. */
export function localTime(time: Date, timeZone: string): { day: string; weekday: number; minute: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short', hour: '2-digit', minute: '2-digit' });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(time).map((x) => [x.type, x.value]));
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday) + 1;
  return { day: `${p.year}-${p.month}-${p.day}`, weekday, minute: Number(p.hour) * 60 + Number(p.minute) };
}

const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

function groupBy<K>(records: readonly RuleRecord[], key: (r: RuleRecord) => K | undefined): Map<K, RuleRecord[]> {
  const groups = new Map<K, RuleRecord[]>();
  for (const r of records) {
    const k = key(r);
    if (k === undefined) continue;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return groups;
}

/** The candidate for `records` (sorted by seq), naming `subjects`. */
function candidate(rule: Rule, windowKey: string, records: RuleRecord[], subjects: Iterable<string>, detail: string): Candidate {
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  return {
    rule: rule.id,
    severity: rule.severity,
    windowKey,
    time: sorted[0].time,
    sub: sorted[0].sub,
    org: sorted[0].org,
    subjects: [...new Set(subjects)].sort().slice(0, FINDING_LIST_MAX),
    recordSeqs: sorted.map((r) => r.seq).slice(0, FINDING_LIST_MAX),
    detail,
  };
}

/** `sub/YYYY-MM-DD`: a requester's local day. */
export const requesterDay = (r: Pick<RuleRecord, 'sub' | 'time'>, s: RuleSettings) => `${r.sub}/${localTime(r.time, s.timeZone).day}`;

const bulkSubjects: Rule = {
  id: 'bulk-subjects',
  severity: 'HIGH',
  scope: 'requester-day',
  description: (s) => `One requester read records about more than ${s.bulkSubjects} distinct subjects in one day (${s.timeZone}).`,
  evaluate(records, s) {
    const out: Candidate[] = [];
    for (const [key, group] of groupBy(records, (r) => requesterDay(r, s))) {
      const subjects = new Set(group.flatMap((r) => r.subjects));
      if (subjects.size > s.bulkSubjects) out.push(candidate(this, key, group.filter((r) => r.subjects.length > 0), subjects, `${subjects.size} distinct subjects in ${group.length} requests (threshold ${s.bulkSubjects})`));
    }
    return out;
  },
};

const caseReuse: Rule = {
  id: 'case-reuse',
  severity: 'MEDIUM',
  scope: 'case',
  description: (s) => `One case number was declared for more than ${s.caseSubjects} distinct subjects.`,
  evaluate(records, s) {
    const out: Candidate[] = [];
    for (const [caseNumber, group] of groupBy(records, (r) => r.caseNumber ?? undefined)) {
      const subjects = new Set(group.flatMap((r) => r.subjects));
      const requesters = new Set(group.map((r) => r.sub));
      if (subjects.size > s.caseSubjects) out.push(candidate(this, `case:${caseNumber}`, group.filter((r) => r.subjects.length > 0), subjects, `case ${caseNumber}: ${subjects.size} distinct subjects by ${requesters.size} requester(s) (threshold ${s.caseSubjects})`));
    }
    return out;
  },
};

const offHours: Rule = {
  id: 'off-hours',
  severity: 'MEDIUM',
  scope: 'requester-day',
  description: (s) => `Records read outside working hours (${hhmm(s.workHours.startMinute)}-${hhmm(s.workHours.endMinute)} on ISO weekdays ${s.workDays.join(',')}, ${s.timeZone}).`,
  evaluate(records, s) {
    const outside = records.filter((r) => {
      if (r.subjects.length === 0) return false;
      const t = localTime(r.time, s.timeZone);
      return !s.workDays.includes(t.weekday) || t.minute < s.workHours.startMinute || t.minute >= s.workHours.endMinute;
    });
    return [...groupBy(outside, (r) => requesterDay(r, s))].map(([key, group]) => {
      const subjects = group.flatMap((r) => r.subjects);
      return candidate(this, key, group, subjects, `${group.length} request(s) outside working hours, first at ${localTime(group[0].time, s.timeZone).day} ${hhmm(localTime(group[0].time, s.timeZone).minute)}`);
    });
  },
};

/** Resident ID numbers start with the 6-digit code of the county where they were issued. */
const county = (idNumber: string) => idNumber.slice(0, 6);

const sameCounty: Rule = {
  id: 'same-county',
  severity: 'LOW',
  scope: 'requester-day',
  description: () =>
    'A requester whose token subject is a resident ID number read records about a subject from the same county (first 6 digits), or about themselves. The log holds no subject names, so surnames are compared by the auditor on the listed records.',
  evaluate(records, s) {
    const hits = records.filter((r) => isValidIdNumber(r.sub) && r.subjects.some((x) => county(x) === county(r.sub)));
    return [...groupBy(hits, (r) => requesterDay(r, s))].map(([key, group]) => {
      const subjects = group.flatMap((r) => r.subjects.filter((x) => county(x) === county(r.sub)));
      return candidate(this, key, group, subjects, `${new Set(subjects).size} subject(s) from the requester's county ${county(group[0].sub)}`);
    });
  },
};

/** Fewest days with requests a baseline needs: a new requester has none to compare with. */
const BASELINE_ACTIVE_DAYS = 3;
const dayNumber = (day: string) => Date.parse(`${day}T00:00:00Z`) / 86_400_000;

const volumeSpike: Rule = {
  id: 'volume-spike',
  severity: 'MEDIUM',
  scope: 'requester-history',
  description: (s) =>
    `A requester's requests in one day were more than ${s.spikeFactor} times their mean over the days they made requests in the previous ${s.baselineDays} days (at least ${BASELINE_ACTIVE_DAYS} such days), and at least ${s.spikeMin}.`,
  evaluate(records, s) {
    const out: Candidate[] = [];
    for (const [sub, mine] of groupBy(records, (r) => r.sub)) {
      const days = groupBy(mine, (r) => localTime(r.time, s.timeZone).day);
      for (const [day, group] of days) {
        if (group.length < s.spikeMin) continue;
        const n = dayNumber(day);
        const before = [...days].filter(([d]) => dayNumber(d) < n && dayNumber(d) >= n - s.baselineDays).map(([, g]) => g.length);
        if (before.length < BASELINE_ACTIVE_DAYS) continue;
        const mean = before.reduce((a, b) => a + b, 0) / before.length;
        if (group.length > s.spikeFactor * mean) {
          out.push(candidate(this, `${sub}/${day}`, group, group.flatMap((r) => r.subjects), `${group.length} requests against a mean of ${mean.toFixed(1)} over ${before.length} active day(s) of the previous ${s.baselineDays}`));
        }
      }
    }
    return out;
  },
};

const purposeNotAllowed: Rule = {
  id: 'purpose-not-allowed',
  severity: 'HIGH',
  scope: 'requester-day',
  description: (s) => `A requester declared a purpose outside their organisation's allowed set (${Object.keys(s.orgPurposes).length} organisation(s) configured in AUDIT_RULE_ORG_PURPOSES).`,
  evaluate(records, s) {
    const outside = records.filter((r) => {
      const allowed = r.org ? s.orgPurposes[r.org] : undefined;
      return allowed !== undefined && r.subjects.length > 0 && !allowed.includes(r.purpose ?? '');
    });
    return [...groupBy(outside, (r) => requesterDay(r, s))].map(([key, group]) => {
      const purposes = [...new Set(group.map((r) => r.purpose ?? 'none'))].sort();
      return candidate(this, key, group, group.flatMap((r) => r.subjects), `${group.length} request(s) declaring ${purposes.join(', ')}, outside ${group[0].org}'s allowed ${s.orgPurposes[group[0].org!].join(', ')}`);
    });
  },
};

/** Every rule, in the order findings are listed in the documentation. */
export const RULES: readonly Rule[] = [bulkSubjects, caseReuse, offHours, sameCounty, volumeSpike, purposeNotAllowed];

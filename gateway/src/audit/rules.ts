/**
 * Rules that flag suspicious access. Each says which window (a requester's day, a case number) a
 * record joins and when a window's counts break it. Windows are sums of their records, so the
 * evaluator (evaluator.ts) keeps them record by record beside the log, and `evaluate` counts them
 * from a set of records (on-demand periods); both judge them with the same `breaks`.
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

/** How a rule groups records: per requester and local day, per case number, or per requester day judged against the days before it. */
export type RuleScope = 'requester-day' | 'case' | 'requester-history';

/** A record's part in one window of a rule: the window's key, the subjects it adds, and a label (a case's requester, a declared purpose). */
export interface Membership {
  key: string;
  subjects: readonly string[];
  label?: string;
}

/**
 * What a rule knows of one window: the sum of its members' memberships. The evaluator keeps it
 * record by record (audit_rule_window); `evaluate` counts it from a set of records.
 */
export interface RuleWindow {
  key: string;
  /** The member with the lowest seq. */
  first: Pick<RuleRecord, 'seq' | 'time' | 'sub' | 'org'>;
  /** Member records. */
  requests: number;
  /** Distinct subjects of the members; kept only for rules that `countSubjects` (0 otherwise). */
  subjectCount: number;
  /** The first FINDING_LIST_MAX distinct subjects, sorted. */
  subjects: string[];
  /** The first FINDING_LIST_MAX members' seqs, ascending. */
  seqs: number[];
  /** Distinct labels, sorted. */
  labels: string[];
}

export interface RuleDefinition {
  id: string;
  severity: Severity;
  scope: RuleScope;
  /** Whether `breaks` reads the window's count of distinct subjects (the evaluator then keeps each window's subjects as a set). */
  countsSubjects: boolean;
  description(settings: RuleSettings): string;
  /** The window a record (one naming subjects) joins, or undefined. */
  member(record: RuleRecord, settings: RuleSettings): Membership | undefined;
  /** The other windows of this rule whose request counts `breaks` reads (volume-spike's baseline days). */
  baseline?(key: string, settings: RuleSettings): string[];
  /** Why the window breaks the rule (the finding's detail), or undefined. `requestsIn` counts a `baseline` window's requests. */
  breaks(window: RuleWindow, settings: RuleSettings, requestsIn: (key: string) => number): string | undefined;
}

export interface Rule extends RuleDefinition {
  /** The findings among `records` (whole windows of the rule's scope). */
  evaluate(records: readonly RuleRecord[], settings: RuleSettings): Candidate[];
}

/** A finding lists at most this many subjects and records; `detail` gives the full counts. */
export const FINDING_LIST_MAX = 1000;

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Local times already worked out, by time zone and UTC minute: a batch's records share few minutes. */
const localMinutes = new Map<string, { day: string; weekday: number; minute: number }>();
const LOCAL_MINUTES_MAX = 100_000;

/** Local date (`YYYY-MM-DD`), ISO weekday and minute of the day of `time` in `timeZone`. */
export function localTime(time: Date, timeZone: string): { day: string; weekday: number; minute: number } {
  const id = `${timeZone}|${Math.floor(time.getTime() / 60_000)}`;
  const known = localMinutes.get(id);
  if (known) return known;
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short', hour: '2-digit', minute: '2-digit' });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(time).map((x) => [x.type, x.value]));
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday) + 1;
  const local = { day: `${p.year}-${p.month}-${p.day}`, weekday, minute: Number(p.hour) * 60 + Number(p.minute) };
  if (localMinutes.size >= LOCAL_MINUTES_MAX) localMinutes.clear();
  localMinutes.set(id, local);
  return local;
}

const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** The candidate a window that breaks `rule` becomes. */
export function candidateOf(rule: RuleDefinition, window: RuleWindow, detail: string): Candidate {
  const { first } = window;
  return { rule: rule.id, severity: rule.severity, windowKey: window.key, time: first.time, sub: first.sub, org: first.org, subjects: window.subjects, recordSeqs: window.seqs, detail };
}

/** Gives a rule `evaluate`: its windows counted from the records, then judged. */
function defineRule(definition: RuleDefinition): Rule {
  return {
    ...definition,
    evaluate(records, settings) {
      const windows = new Map<string, RuleWindow & { subjectSet: Set<string>; labelSet: Set<string>; allSeqs: number[] }>();
      for (const r of [...records].sort((a, b) => a.seq - b.seq)) {
        const m = r.subjects.length > 0 ? definition.member(r, settings) : undefined;
        if (!m) continue;
        let w = windows.get(m.key);
        if (!w) {
          w = { key: m.key, first: r, requests: 0, subjectCount: 0, subjects: [], seqs: [], labels: [], subjectSet: new Set(), labelSet: new Set(), allSeqs: [] };
          windows.set(m.key, w);
        }
        w.requests += 1;
        w.allSeqs.push(r.seq);
        for (const s of m.subjects) w.subjectSet.add(s);
        if (m.label !== undefined) w.labelSet.add(m.label);
      }
      const out: Candidate[] = [];
      for (const w of windows.values()) {
        const window: RuleWindow = {
          key: w.key,
          first: w.first,
          requests: w.requests,
          subjectCount: definition.countsSubjects ? w.subjectSet.size : 0,
          subjects: [...w.subjectSet].sort().slice(0, FINDING_LIST_MAX),
          seqs: w.allSeqs.slice(0, FINDING_LIST_MAX),
          labels: [...w.labelSet].sort(),
        };
        const detail = definition.breaks(window, settings, (key) => windows.get(key)?.requests ?? 0);
        if (detail !== undefined) out.push(candidateOf(definition, window, detail));
      }
      return out;
    },
  };
}

/** `sub/YYYY-MM-DD`: a requester's local day. */
export const requesterDay = (r: Pick<RuleRecord, 'sub' | 'time'>, s: RuleSettings) => `${r.sub}/${localTime(r.time, s.timeZone).day}`;

const bulkSubjects = defineRule({
  id: 'bulk-subjects',
  severity: 'HIGH',
  scope: 'requester-day',
  countsSubjects: true,
  description: (s) => `One requester read records about more than ${s.bulkSubjects} distinct subjects in one day (${s.timeZone}).`,
  member: (r, s) => ({ key: requesterDay(r, s), subjects: r.subjects }),
  breaks: (w, s) => (w.subjectCount > s.bulkSubjects ? `${w.subjectCount} distinct subjects in ${w.requests} requests (threshold ${s.bulkSubjects})` : undefined),
});

const caseReuse = defineRule({
  id: 'case-reuse',
  severity: 'MEDIUM',
  scope: 'case',
  countsSubjects: true,
  description: (s) => `One case number was declared for more than ${s.caseSubjects} distinct subjects.`,
  member: (r) => (r.caseNumber ? { key: `case:${r.caseNumber}`, subjects: r.subjects, label: r.sub } : undefined),
  breaks: (w, s) =>
    w.subjectCount > s.caseSubjects ? `case ${w.key.slice('case:'.length)}: ${w.subjectCount} distinct subjects by ${w.labels.length} requester(s) (threshold ${s.caseSubjects})` : undefined,
});

const offHours = defineRule({
  id: 'off-hours',
  severity: 'MEDIUM',
  scope: 'requester-day',
  countsSubjects: false,
  description: (s) => `Records read outside working hours (${hhmm(s.workHours.startMinute)}-${hhmm(s.workHours.endMinute)} on ISO weekdays ${s.workDays.join(',')}, ${s.timeZone}).`,
  member(r, s) {
    const t = localTime(r.time, s.timeZone);
    const outside = !s.workDays.includes(t.weekday) || t.minute < s.workHours.startMinute || t.minute >= s.workHours.endMinute;
    return outside ? { key: `${r.sub}/${t.day}`, subjects: r.subjects } : undefined;
  },
  breaks(w, s) {
    const first = localTime(w.first.time, s.timeZone);
    return `${w.requests} request(s) outside working hours, first at ${first.day} ${hhmm(first.minute)}`;
  },
});

/** Resident ID numbers start with the 6-digit code of the county where they were issued. */
const county = (idNumber: string) => idNumber.slice(0, 6);

const sameCounty = defineRule({
  id: 'same-county',
  severity: 'LOW',
  scope: 'requester-day',
  countsSubjects: true,
  description: () =>
    'A requester whose token subject is a resident ID number read records about a subject from the same county (first 6 digits), or about themselves. The log holds no subject names, so surnames are compared by the auditor on the listed records.',
  member(r, s) {
    if (!isValidIdNumber(r.sub)) return undefined;
    const subjects = r.subjects.filter((x) => county(x) === county(r.sub));
    return subjects.length > 0 ? { key: requesterDay(r, s), subjects } : undefined;
  },
  breaks: (w) => `${w.subjectCount} subject(s) from the requester's county ${county(w.first.sub)}`,
});

/** Fewest days with requests a baseline needs: a new requester has none to compare with. */
const BASELINE_ACTIVE_DAYS = 3;
const DAY_MS = 86_400_000;

/** The `sub/day` keys of the `days` local days before the one `key` names. */
function daysBefore(key: string, days: number): string[] {
  const at = key.lastIndexOf('/');
  const day = Date.parse(`${key.slice(at + 1)}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) => `${key.slice(0, at)}/${new Date(day - (i + 1) * DAY_MS).toISOString().slice(0, 10)}`);
}

const volumeSpike = defineRule({
  id: 'volume-spike',
  severity: 'MEDIUM',
  scope: 'requester-history',
  countsSubjects: false,
  description: (s) =>
    `A requester's requests in one day were more than ${s.spikeFactor} times their mean over the days they made requests in the previous ${s.baselineDays} days (at least ${BASELINE_ACTIVE_DAYS} such days), and at least ${s.spikeMin}.`,
  member: (r, s) => ({ key: requesterDay(r, s), subjects: r.subjects }),
  baseline: (key, s) => daysBefore(key, s.baselineDays),
  breaks(w, s, requestsIn) {
    if (w.requests < s.spikeMin) return undefined;
    const before = daysBefore(w.key, s.baselineDays).map(requestsIn).filter((n) => n > 0);
    if (before.length < BASELINE_ACTIVE_DAYS) return undefined;
    const mean = before.reduce((a, b) => a + b, 0) / before.length;
    return w.requests > s.spikeFactor * mean ? `${w.requests} requests against a mean of ${mean.toFixed(1)} over ${before.length} active day(s) of the previous ${s.baselineDays}` : undefined;
  },
});

const purposeNotAllowed = defineRule({
  id: 'purpose-not-allowed',
  severity: 'HIGH',
  scope: 'requester-day',
  countsSubjects: false,
  description: (s) => `A requester declared a purpose outside their organisation's allowed set (${Object.keys(s.orgPurposes).length} organisation(s) configured in AUDIT_RULE_ORG_PURPOSES).`,
  member(r, s) {
    const allowed = r.org ? s.orgPurposes[r.org] : undefined;
    return allowed !== undefined && !allowed.includes(r.purpose ?? '') ? { key: requesterDay(r, s), subjects: r.subjects, label: r.purpose ?? 'none' } : undefined;
  },
  breaks: (w, s) => `${w.requests} request(s) declaring ${w.labels.join(', ')}, outside ${w.first.org}'s allowed ${s.orgPurposes[w.first.org!].join(', ')}`,
});

/** Every rule, in the order findings are listed in the documentation. */
export const RULES: readonly Rule[] = [bulkSubjects, caseReuse, offHours, sameCounty, volumeSpike, purposeNotAllowed];

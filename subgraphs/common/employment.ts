/**
 * One employment history per person, from which social security (enrolments, employer,
 * contributions) and medical insurance (310/320/330 or 390/392) are both derived, so the two
 * departments never contradict each other. Each person's history comes from their own PRNG
 * stream, so it does not depend on who else is in the population or on chunking.
 */
import { DEMO, type Person } from './population';
import { addDays, between, prng } from './random';

/** Where a person's insured employment stands at the end of the history. */
export type WorkStatus = 'EMPLOYED' | 'LEFT' | 'RETIRED';

export interface WorkHistory {
  /** First day of insured employment (YYYY-MM-DD). */
  began: string;
  /** First day in employees' medical insurance: `began`, or the scheme's start for earlier workers. */
  medicalFrom: string;
  status: WorkStatus;
  /** A civil servant of a state organ: employer is an organ, and 公务员医疗补助 (320) applies. */
  civilServant: boolean;
  /** First month (YYYYMM) without contributions when `status` is LEFT; null otherwise. */
  leftIn: string | null;
  /** Statutory retirement month (YYYYMM): 60 for men, 55 for women. */
  retirement: string;
  /** A draw in [0, 1) that picks the employer from the pool of the right kind. */
  employerDraw: number;
}

/** The months that carry contribution records. */
export const FIRST_PERIOD = '202301';
export const LAST_PERIOD = '202512';
/** Employees' basic medical insurance reached Changde after 国发〔1998〕44号. */
export const EMPLOYEE_MEDICAL_FROM = '2000-01-01';

const SEED = 310031;
const INSURED_SHARE = 0.85;
const EMPLOYED_SHARE = 0.9;
const CIVIL_SERVANT_SHARE = 0.07;
const ADULT_BORN_BY = '2007-12-31';
const DEMO_IDS = new Set<string>([DEMO.husband, DEMO.wife]);

export const periodOf = (date: string) => date.slice(0, 4) + date.slice(5, 7);
export function shiftPeriod(period: string, months: number): string {
  const m = Number(period.slice(0, 4)) * 12 + Number(period.slice(4, 6)) - 1 + months;
  return `${Math.floor(m / 12)}${String((m % 12) + 1).padStart(2, '0')}`;
}
/** The first day of a YYYYMM period. */
export const periodStart = (period: string) => `${period.slice(0, 4)}-${period.slice(4, 6)}-01`;

/**
 * The employment history of the person at `index`, or null when they never held insured
 * employment (children, about 15% of adults, and adults who have not started work).
 */
export function workHistory(person: Person, index: number): WorkHistory | null {
  const rnd = prng((SEED ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const demo = DEMO_IDS.has(person.idNumber);
  if (!demo && (person.birthDate > ADULT_BORN_BY || rnd() >= INSURED_SHARE)) return null;
  const began = addDays(person.birthDate, between(rnd, 18 * 365, 26 * 365));
  if (!demo && began >= '2025-12-01') return null; // not working yet
  const retirement = shiftPeriod(periodOf(person.birthDate), (person.sex === 'MALE' ? 60 : 55) * 12);
  const status: WorkStatus = retirement <= LAST_PERIOD ? 'RETIRED' : demo || rnd() < EMPLOYED_SHARE ? 'EMPLOYED' : 'LEFT';
  const medicalFrom = began >= EMPLOYEE_MEDICAL_FROM ? began : addDays(EMPLOYEE_MEDICAL_FROM, between(rnd, 0, 90));
  let leftIn: string | null = null;
  if (status === 'LEFT') {
    // Left in some month from 202302 to 202511, after joining; paid up to the month before.
    const joined = periodOf(medicalFrom > began ? medicalFrom : began);
    const earliest = shiftPeriod(joined > FIRST_PERIOD ? joined : FIRST_PERIOD, 1);
    const from = earliest > '202302' ? earliest : '202302';
    leftIn = from >= '202511' ? from : shiftPeriod(from, between(rnd, 0, monthsBetween(from, '202511') - 1));
  }
  const civilServant = !demo && rnd() < CIVIL_SERVANT_SHARE;
  return { began, medicalFrom, status, civilServant, leftIn, retirement, employerDraw: rnd() };
}

/** Months from `from` to `to`, inclusive (0 when from > to). */
export function monthsBetween(from: string, to: string): number {
  const index = (p: string) => Number(p.slice(0, 4)) * 12 + Number(p.slice(4, 6));
  return Math.max(0, index(to) - index(from) + 1);
}

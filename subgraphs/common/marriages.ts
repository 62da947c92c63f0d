/**
 * The marriage history of the synthetic population: who marries whom and when, divorces,
 * remarriages of both sexes, reissued certificates and (before 2021) office annulments.
 *
 * Spouses are paired by age: each marrying man looks for the free woman born nearest to a drawn
 * target (he is usually 0-5 years older, sometimes younger or much older). Legal minimum ages
 * count by birthday: men 22, women 20 (婚姻法 1980 Art. 6; 民法典 Art. 1047). A marriage that
 * would fall after `LATEST_DATE` has not happened yet, so no date piles up on the cap.
 */
import type { MarriageEvent, Person } from './persons';
import { between, LATEST_DATE, type Random } from './random';

const DAY = 86_400_000;
const YEAR = 365.25;
const toDay = (date: string) => Math.round(Date.parse(`${date}T00:00:00Z`) / DAY);
const fromDay = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);
const LATEST = toDay(LATEST_DATE);
/** 民法典 (2021) Art. 1052: since then only a court annuls a marriage, so the office registers none. */
const COURT_ONLY_ANNULMENT = toDay('2021-01-01');

/** The day a person born on `birthDate` turns `years` (a 29 February birthday counts from 1 March). */
export function birthday(birthDate: string, years: number): string {
  const mmdd = birthDate.slice(5);
  const year = Number(birthDate.slice(0, 4)) + years;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return `${year}-${mmdd === '02-29' && !leap ? '03-01' : mmdd}`;
}

/** Legal minimum marriage age. */
export const MINIMUM_AGE = { MALE: 22, FEMALE: 20 } as const;

/** Share of men who ever marry, divorce rate, annulment rate, remarriage rate of the divorced. */
const MARRYING = 0.85;
const DIVORCING = 0.13;
const ANNULLED = 0.004;
const REMARRYING = 0.5;

/**
 * Free persons of one sex, sorted by birth day, answering "who is born nearest to day D" in
 * near-constant time: two union-find arrays skip taken members to the right and to the left.
 */
class Pool {
  private readonly members: number[];
  private readonly births: number[];
  private readonly slot = new Map<number, number>();
  private readonly right: Int32Array;
  private readonly left: Int32Array;

  constructor(members: number[], birthDay: (i: number) => number) {
    this.members = [...members].sort((a, b) => birthDay(a) - birthDay(b) || a - b);
    this.births = this.members.map(birthDay);
    this.members.forEach((m, k) => this.slot.set(m, k));
    const n = this.members.length;
    this.right = Int32Array.from({ length: n + 1 }, (_, k) => k); // n = none to the right
    this.left = Int32Array.from({ length: n + 1 }, (_, k) => k); // slot k lives at k+1; 0 = none
  }

  has(person: number): boolean {
    const k = this.slot.get(person);
    return k !== undefined && this.findRight(k) === k;
  }

  take(person: number): void {
    const k = this.slot.get(person);
    if (k === undefined) return;
    this.right[k] = k + 1;
    this.left[k + 1] = k;
  }

  /** The free member born nearest to `day`, or -1 when none is free. */
  nearest(day: number): number {
    let lo = 0;
    let hi = this.births.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.births[mid] < day) lo = mid + 1;
      else hi = mid;
    }
    const r = this.findRight(lo);
    const l = this.findLeft(lo) - 1; // slot of the nearest free member below `lo`
    if (r >= this.members.length && l < 0) return -1;
    if (r >= this.members.length) return this.members[l];
    if (l < 0) return this.members[r];
    return day - this.births[l] <= this.births[r] - day ? this.members[l] : this.members[r];
  }

  private findRight(k: number): number {
    while (this.right[k] !== k) k = this.right[k] = this.right[this.right[k]];
    return k;
  }

  private findLeft(k: number): number {
    while (this.left[k] !== k) k = this.left[k] = this.left[this.left[k]];
    return k;
  }
}

/** Age gap in days (husband's birth minus wife's birth is negative when he is older). */
function drawGap(rnd: Random): number {
  const r = rnd();
  const years = r < 0.72 ? rnd() * 5 : r < 0.9 ? -rnd() * 3 : 5 + rnd() * 7;
  return Math.round(years * YEAR);
}

export interface MarriageHistory {
  marriages: Omit<MarriageEvent, 'seq'>[];
  couples: Array<{ husband: number; wife: number; since: string }>;
}

/** Marriage events for `persons[first..]` (earlier persons are fixed by the caller). */
export function marriageHistory(persons: Person[], rnd: Random, first: number): MarriageHistory {
  const births = persons.map((p) => toDay(p.birthDate));
  const legalDay = persons.map((p) => toDay(birthday(p.birthDate, MINIMUM_AGE[p.sex])));
  const marriages: MarriageHistory['marriages'] = [];
  const couples: MarriageHistory['couples'] = [];
  const divorced: Array<{ person: number; from: number }> = [];
  const everMarried = new Set<number>();
  const men: number[] = [];
  const women: number[] = [];
  for (let i = first; i < persons.length; i++) if (legalDay[i] <= LATEST) (persons[i].sex === 'MALE' ? men : women).push(i);

  /** Registers a marriage and what becomes of it: kept, reissued, divorced or annulled. */
  const marry = (husband: number, wife: number, day: number, allowDivorce: boolean) => {
    const region = persons[husband].idNumber.slice(0, 6);
    const at = (d: number) => fromDay(d);
    marriages.push({ kind: 'MARRIAGE', date: at(day), husband, wife, region });
    everMarried.add(husband).add(wife);
    const r = rnd();
    const annulOn = day + between(rnd, 30, 300);
    if (r < ANNULLED && annulOn < COURT_ONLY_ANNULMENT) {
      // Before 2021 the office could annul a coerced marriage on a request within a year.
      marriages.push({ kind: 'ANNULMENT', date: at(annulOn), husband, wife, region });
      return;
    }
    const divorceOn = day + between(rnd, 365, 15 * 365);
    if (allowDivorce && r < ANNULLED + DIVORCING && divorceOn <= LATEST) {
      marriages.push({ kind: 'DIVORCE', date: at(divorceOn), husband, wife, region });
      for (const person of [husband, wife]) if (rnd() < REMARRYING) divorced.push({ person, from: divorceOn + between(rnd, 200, 2000) });
      return;
    }
    const reissueOn = day + between(rnd, 365, 5000);
    if (rnd() < 0.05 && reissueOn <= LATEST) marriages.push({ kind: 'REISSUE', date: at(reissueOn), husband, wife, region });
    couples.push({ husband, wife, since: at(day) });
  };

  // First marriages: each marrying man, in person order, takes the free woman nearest his target.
  const brides = new Pool(women, (i) => births[i]);
  for (const husband of men) {
    if (rnd() >= MARRYING) continue;
    // Age at marriage: the legal minimum plus a skewed delay (median about 3.5 years).
    const delay = Math.round((-Math.log(1 - rnd()) * 3.5 + rnd() * 1.5) * YEAR);
    const wife = brides.nearest(births[husband] + drawGap(rnd));
    if (wife < 0 || Math.abs(births[wife] - births[husband]) > 15 * YEAR) continue;
    const day = Math.max(legalDay[husband] + delay, legalDay[wife] + between(rnd, 0, 365));
    if (day > LATEST) continue; // not married (yet)
    brides.take(wife);
    marry(husband, wife, day, true);
  }

  // Remarriages: about half of the divorced, men and women alike, marry a free person of a
  // plausible age once some time has passed; the never-married are free partners too.
  const freeFrom = new Map<number, number>(divorced.map((d) => [d.person, d.from]));
  const single = (pool: number[]) => pool.filter((i) => !everMarried.has(i) || freeFrom.has(i));
  const free = { MALE: new Pool(single(men), (i) => births[i]), FEMALE: new Pool(single(women), (i) => births[i]) };
  const ready = (i: number) => Math.max(legalDay[i], freeFrom.get(i) ?? -Infinity);
  for (const { person, from } of divorced.sort((a, b) => a.from - b.from || a.person - b.person)) {
    const sex = persons[person].sex;
    if (from > LATEST || !free[sex].has(person)) continue;
    const other = sex === 'MALE' ? 'FEMALE' : 'MALE';
    const gap = drawGap(rnd);
    const partner = free[other].nearest(births[person] + (sex === 'MALE' ? gap : -gap));
    if (partner < 0 || Math.abs(births[partner] - births[person]) > 15 * YEAR) continue;
    const day = Math.max(from, ready(partner));
    if (day > LATEST) continue;
    free[sex].take(person);
    free[other].take(partner);
    const [husband, wife] = sex === 'MALE' ? [person, partner] : [partner, person];
    marry(husband, wife, day, false);
  }
  return { marriages, couples };
}

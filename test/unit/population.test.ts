import { FIRST_SEEDED_IDS } from '../../lib/demo';
import { isValidIdNumber, describeIdNumber } from '../../lib/id-number';
import { birthday, MINIMUM_AGE } from '../../subgraphs/common/marriages';
import { COUNTY_PLACES, DEMO, generatePopulation, LATEST_DATE, MOBILE_PREFIXES } from '../../subgraphs/common/population';

const years = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 86_400_000 / 365.25;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

describe('synthetic population', () => {
  const population = generatePopulation(5000);

  it('starts with the IDs lib/demo.ts names (the explorer and dev tokens use them without seeding)', () => {
    expect(population.persons.slice(0, FIRST_SEEDED_IDS.length).map((p) => p.idNumber)).toEqual(FIRST_SEEDED_IDS);
    expect(population.persons.slice(0, 3).map((p) => p.idNumber)).toEqual([DEMO.husband, DEMO.wife, DEMO.exWife]);
  });

  it('is deterministic', () => {
    const again = generatePopulation(5000);
    expect(again.persons.map((p) => p.idNumber)).toEqual(population.persons.map((p) => p.idNumber));
    expect(again.marriages).toEqual(population.marriages);
    expect(generatePopulation(5000, 7).persons[10].idNumber).not.toBe(population.persons[10].idNumber);
  });

  it('has valid, unique Changde ID numbers whose sex and birth date agree with the person', () => {
    const ids = new Set<string>();
    for (const p of population.persons) {
      expect(isValidIdNumber(p.idNumber)).toBe(true);
      expect(p.idNumber.startsWith('4307')).toBe(true);
      const decoded = describeIdNumber(p.idNumber);
      expect(decoded.sex).toBe(p.sex);
      expect(decoded.birthDate).toBe(p.birthDate);
      ids.add(p.idNumber);
    }
    expect(ids.size).toBe(population.persons.length);
  });

  it('contains the demo family: married couple plus his earlier divorce', () => {
    const index = (id: string) => population.persons.findIndex((p) => p.idNumber === id);
    const him = index(DEMO.husband);
    const history = population.marriages.filter((m) => m.husband === him).map((m) => [m.kind, population.persons[m.wife].idNumber]);
    expect(history).toEqual([
      ['MARRIAGE', DEMO.exWife],
      ['DIVORCE', DEMO.exWife],
      ['MARRIAGE', DEMO.wife],
    ]);
    expect(population.couples).toContainEqual({ husband: him, wife: index(DEMO.wife), since: '2016-01-08' });
  });

  it('marries adults of opposite sex, in date order, and never twice at once', () => {
    let last = '';
    const married = new Map<number, number>();
    for (const m of population.marriages) {
      const [h, w] = [population.persons[m.husband], population.persons[m.wife]];
      expect(h.sex).toBe('MALE');
      expect(w.sex).toBe('FEMALE');
      expect(m.date >= last).toBe(true);
      last = m.date;
      const age = (birth: string) => Number(m.date.slice(0, 4)) - Number(birth.slice(0, 4));
      expect(age(h.birthDate)).toBeGreaterThanOrEqual(18);
      expect(age(w.birthDate)).toBeGreaterThanOrEqual(18);
      if (m.kind === 'MARRIAGE') {
        expect(married.has(m.husband) || married.has(m.wife)).toBe(false);
        married.set(m.husband, m.wife).set(m.wife, m.husband);
      } else if (m.kind === 'DIVORCE' || m.kind === 'ANNULMENT') {
        expect(married.get(m.husband)).toBe(m.wife);
        married.delete(m.husband);
        married.delete(m.wife);
      }
    }
    for (const c of population.couples) expect(married.get(c.husband)).toBe(c.wife);
  });

  describe('marriages a registrar would accept', () => {
    const weddings = population.marriages.filter((m) => m.kind === 'MARRIAGE');
    const ageGap = weddings.map((m) => years(population.persons[m.husband].birthDate, population.persons[m.wife].birthDate));

    it('pairs spouses of plausible ages: median gap a few years, husband usually older, rarely far apart', () => {
      expect(weddings.length).toBeGreaterThan(1000);
      expect(median(ageGap.map(Math.abs))).toBeLessThanOrEqual(4);
      expect(median(ageGap)).toBeGreaterThan(0);
      const share = (test: (gap: number) => boolean) => ageGap.filter(test).length / ageGap.length;
      expect(share((gap) => gap >= 0 && gap <= 5)).toBeGreaterThan(0.6);
      expect(share((gap) => gap < 0)).toBeGreaterThan(0.05); // not always him
      expect(share((gap) => gap <= -10)).toBeLessThan(0.01);
      const over50 = weddings.filter((m) => years(population.persons[m.husband].birthDate, m.date) > 50 || years(population.persons[m.wife].birthDate, m.date) > 50);
      expect(over50.length / weddings.length).toBeLessThan(0.05);
    });

    it('never marries a man before his 22nd or a woman before her 20th birthday', () => {
      const under = weddings.filter((m) => m.date < birthday(population.persons[m.husband].birthDate, MINIMUM_AGE.MALE) || m.date < birthday(population.persons[m.wife].birthDate, MINIMUM_AGE.FEMALE));
      expect(under).toEqual([]);
      expect(birthday('2000-02-29', 22)).toBe('2022-03-01');
      expect(birthday('2000-02-29', 20)).toBe('2020-02-29');
    });

    it('piles no registrations up on the date cap', () => {
      expect(population.marriages.filter((m) => m.date >= LATEST_DATE).length / population.marriages.length).toBeLessThan(0.005);
    });

    it('lets divorced women remarry as well as men', () => {
      const weddingsOf = new Map<number, number>();
      for (const m of weddings) for (const i of [m.husband, m.wife]) weddingsOf.set(i, (weddingsOf.get(i) ?? 0) + 1);
      const remarried = [...weddingsOf].filter(([, n]) => n > 1).map(([i]) => population.persons[i].sex);
      expect(remarried.filter((s) => s === 'FEMALE').length).toBeGreaterThan(10);
      expect(remarried.filter((s) => s === 'MALE').length).toBeGreaterThan(10);
    });

    it('annuls rarely, only at the office before 2021, within a year of the wedding', () => {
      const annulments = population.marriages.filter((m) => m.kind === 'ANNULMENT');
      const divorces = population.marriages.filter((m) => m.kind === 'DIVORCE');
      expect(annulments.length).toBeLessThan(divorces.length / 10);
      const weddingOf = new Map(weddings.map((m) => [`${m.husband}/${m.wife}`, m.date]));
      for (const a of annulments) {
        expect(a.date < '2021-01-01').toBe(true);
        const wed = weddingOf.get(`${a.husband}/${a.wife}`)!;
        expect(a.date > wed && years(wed, a.date) <= 1).toBe(true);
      }
      expect(divorces.length / weddings.length).toBeGreaterThan(0.05);
    });
  });

  it('registers minors as well as adults', () => {
    const minors = population.persons.filter((p) => p.birthDate > '2007-12-31').length / population.persons.length;
    expect(minors).toBeGreaterThan(0.1);
    expect(minors).toBeLessThan(0.3);
  });

  it('gives allocated mobile prefixes and addresses in each person\'s own county', () => {
    expect(MOBILE_PREFIXES).not.toContain('140');
    expect(MOBILE_PREFIXES).not.toContain('160');
    for (const p of population.persons) {
      expect(MOBILE_PREFIXES).toContain(p.phone.slice(0, 3));
      expect(p.phone).toMatch(/^1\d{10}$/);
      const places = COUNTY_PLACES[p.idNumber.slice(0, 6)];
      if (p.idNumber !== DEMO.husband && p.idNumber !== DEMO.wife && p.idNumber !== DEMO.exWife) expect(places.some((place) => p.address.includes(place))).toBe(true);
    }
  });
});

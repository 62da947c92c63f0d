import { isValidIdNumber, describeIdNumber } from '../../lib/id-number';
import { DEMO, generatePopulation } from '../../subgraphs/common/population';

describe('synthetic population', () => {
  const population = generatePopulation(5000);

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
});

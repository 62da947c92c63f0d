import { COUNTY_PLACES, DEMO, generatePopulation, LATEST_DATE } from '../../subgraphs/common/population';
import { ARCHIVAL_CODE } from '../../subgraphs/common/archival';
import { UNIT_NUMBER } from '../../subgraphs/real-estate/inputs';
import { realEstateRows, UNIFIED_REGISTRATION_FROM } from '../../subgraphs/real-estate/seed';
import type { RightHolderRow } from '../../subgraphs/real-estate/store';

const RIGHT_CERTIFICATE = /^湘\(\d{4}\)\S+?不动产权第\d{7}号$/;
const MORTGAGE_CERTIFICATE = /^湘\(\d{4}\)\S+?不动产证明第\d{7}号$/;
const CASE_NUMBER = /^（\d{4}）湘07\d{2}执\d+号$/;
/** Before unified registration: 房屋所有权证, 国有土地使用证, 他项权证, and the older 案号 form. */
const OLD_HOUSE_CERTIFICATE = /^\S房权证\S+?字第\d{8}号$/;
const OLD_LAND_CERTIFICATE = /^\S国用\(\d{4}\)第\d{5}号$/;
const OLD_MORTGAGE_CERTIFICATE = /^\S房他证\S+?字第\d{8}号$/;
const OLD_CASE_NUMBER = /^（\d{4}）\S{3}执字第\d{5}号$/;

describe('real-estate seed rows', () => {
  const population = generatePopulation(3000);
  const rows = realEstateRows(population);
  const rightById = new Map(rows.rights.map((r) => [r.id, r]));
  const holdersOf = new Map<number, RightHolderRow[]>();
  for (const h of rows.holders) holdersOf.set(h.right_id, [...(holdersOf.get(h.right_id) ?? []), h]);
  const ids = new Set(population.persons.map((p) => p.idNumber));

  it('is deterministic', () => {
    expect(realEstateRows(population)).toEqual(rows);
  });

  it('links every holder, mortgage and seizure to an existing right, and every holder to a person', () => {
    for (const h of rows.holders) {
      expect(rightById.has(h.right_id)).toBe(true);
      expect(ids.has(h.id_number)).toBe(true);
    }
    for (const m of [...rows.mortgages, ...rows.seizures]) expect(rightById.has(m.right_id)).toBe(true);
    for (const r of rows.rights) expect(holdersOf.get(r.id)?.length).toBeGreaterThan(0);
  });

  it('gives each holding the holders and shares it means', () => {
    for (const r of rows.rights) {
      const holders = holdersOf.get(r.id)!;
      expect(new Set(holders.map((h) => h.id_number)).size).toBe(holders.length);
      if (r.holding === 'SOLE') expect(holders.map((h) => h.share)).toEqual([100]);
      if (r.holding === 'JOINT') {
        expect(holders.length).toBeGreaterThanOrEqual(2);
        for (const h of holders) expect(h.share).toBeNull();
      }
      if (r.holding === 'SHARES') {
        expect(holders.length).toBeGreaterThanOrEqual(2);
        expect(holders.reduce((sum, h) => sum + h.share!, 0)).toBeCloseTo(100, 6);
      }
    }
    expect(rows.rights.some((r) => r.holding === 'SHARES')).toBe(true);
  });

  it('gives every current couple a joint home registered on or after the wedding', () => {
    for (const c of population.couples) {
      const pair = [population.persons[c.husband].idNumber, population.persons[c.wife].idNumber].sort();
      const home = rows.rights.find(
        (r) => r.holding === 'JOINT' && r.registered_on >= c.since && JSON.stringify(holdersOf.get(r.id)!.map((h) => h.id_number).sort()) === JSON.stringify(pair),
      );
      expect(home).toBeDefined();
    }
  });

  it('has the demo couple co-owning a mortgaged home and his earlier flat of his own', () => {
    const heldBy = (id: string) => rows.holders.filter((h) => h.id_number === id).map((h) => rightById.get(h.right_id)!);
    const his = heldBy(DEMO.husband);
    expect(his).toHaveLength(2); // nothing random lands on the demo couple
    expect(heldBy(DEMO.wife)).toHaveLength(1);
    const joint = his.find((r) => r.holding === 'JOINT')!;
    expect(heldBy(DEMO.wife).map((r) => r.id)).toContain(joint.id);
    expect(joint.registered_on >= '2016-01-08').toBe(true);
    expect(rows.mortgages.filter((m) => m.right_id === joint.id && !m.cancelled)).toHaveLength(1);
    const sole = his.find((r) => r.holding === 'SOLE')!;
    expect(sole.registered_on.slice(0, 4)).toBe('2012');
    expect(rows.seizures.filter((s) => s.right_id === sole.id)).toHaveLength(1);
  });

  it('issues well-formed, unique numbers', () => {
    const current = rows.rights.filter((r) => r.status === 'CURRENT');
    expect(new Set(current.map((r) => r.unit_number)).size).toBe(current.length);
    expect(new Set(rows.rights.map((r) => r.certificate_number)).size).toBe(rows.rights.length);
    expect(new Set(rows.rights.map((r) => r.archival_code)).size).toBe(rows.rights.length);
    for (const r of rows.rights) {
      expect(r.unit_number).toHaveLength(28);
      expect(r.unit_number).toMatch(UNIT_NUMBER);
      expect(r.unit_number.startsWith('4307')).toBe(true);
      expect(r.unit_number[19]).toBe(r.right_type === 'STATE_LAND_USE' ? 'W' : 'F');
      if (r.registered_on >= UNIFIED_REGISTRATION_FROM) {
        expect(r.certificate_number).toMatch(RIGHT_CERTIFICATE);
        expect(r.certificate_number).toContain(`(${r.registered_on.slice(0, 4)})`);
      } else expect(r.certificate_number).toMatch(r.right_type === 'STATE_LAND_USE' ? OLD_LAND_CERTIFICATE : OLD_HOUSE_CERTIFICATE);
      expect(r.archival_code).toMatch(ARCHIVAL_CODE);
      expect(r.fonds).toBe('J027');
    }
    for (const m of rows.mortgages) expect(m.certificate_number).toMatch(m.term_start >= UNIFIED_REGISTRATION_FROM ? MORTGAGE_CERTIFICATE : OLD_MORTGAGE_CERTIFICATE);
    for (const s of rows.seizures) expect(s.case_number).toMatch(s.start_date >= UNIFIED_REGISTRATION_FROM ? CASE_NUMBER : OLD_CASE_NUMBER);
    expect(new Set(rows.mortgages.map((m) => m.certificate_number)).size).toBe(rows.mortgages.length);
  });

  it('issues no unified-registration certificate dated before unified registration began, and old ones only before', () => {
    const early = rows.rights.filter((r) => r.registered_on < UNIFIED_REGISTRATION_FROM);
    expect(early.length).toBeGreaterThan(100);
    expect(early.filter((r) => r.certificate_number.includes('不动产'))).toEqual([]);
    expect(rows.rights.filter((r) => r.registered_on >= UNIFIED_REGISTRATION_FROM && !r.certificate_number.includes('不动产权'))).toEqual([]);
    expect(rows.mortgages.filter((m) => m.term_start < UNIFIED_REGISTRATION_FROM && m.certificate_number.includes('不动产'))).toEqual([]);
    expect(rows.mortgages.some((m) => m.term_start < UNIFIED_REGISTRATION_FROM)).toBe(true);
    // The demo flat of 2012 holds an old 房屋所有权证 and its mortgage a 他项权证.
    const flat = rows.rights.find((r) => r.registered_on === '2012-04-16' && holdersOf.get(r.id)!.some((h) => h.id_number === DEMO.husband))!;
    expect(flat.certificate_number).toMatch(OLD_HOUSE_CERTIFICATE);
    expect(rows.mortgages.find((m) => m.right_id === flat.id)!.certificate_number).toMatch(OLD_MORTGAGE_CERTIFICATE);
  });

  it('leaves a property-division trail for divorced couples: a joint home transferred after the divorce', () => {
    const idOf = (i: number) => population.persons[i].idNumber;
    // Since the housing reform, and early enough for the division to be registered by the end of 2025.
    const divorces = population.marriages.filter((m) => m.kind === 'DIVORCE' && idOf(m.husband) !== DEMO.husband && m.date >= '2000-01-01' && m.date < '2025-01-01');
    const divided = divorces.filter((d) => {
      const pair = [idOf(d.husband), idOf(d.wife)].sort().join();
      return rows.rights.some(
        (r) => r.holding === 'JOINT' && r.status === 'TRANSFERRED' && r.registered_on < d.date && r.ended_on! > d.date && holdersOf.get(r.id)!.map((h) => h.id_number).sort().join() === pair,
      );
    });
    expect(divorces.length).toBeGreaterThan(40);
    expect(divided.length / divorces.length).toBeGreaterThan(0.6);
  });

  it('locates units in places of their own county', () => {
    for (const r of rows.rights) expect(COUNTY_PLACES[r.unit_number.slice(0, 6)].some((place) => r.location.includes(place))).toBe(true);
  });

  it('keeps dates consistent', () => {
    for (const r of rows.rights) {
      expect(r.registered_on <= LATEST_DATE).toBe(true);
      expect(r.status === 'CURRENT').toBe(r.ended_on === null);
      if (r.ended_on) expect(r.ended_on > r.registered_on).toBe(true);
    }
    // A transfer leaves the old right and the new one on the same unit, the new one dated on the transfer.
    for (const old of rows.rights.filter((r) => r.status === 'TRANSFERRED')) {
      const successor = rows.rights.find((r) => r.unit_number === old.unit_number && r.status === 'CURRENT')!;
      expect(successor.registered_on).toBe(old.ended_on);
    }
    for (const m of rows.mortgages) {
      expect(m.term_end > m.term_start).toBe(true);
      expect(m.term_start >= rightById.get(m.right_id)!.registered_on).toBe(true);
      if (rightById.get(m.right_id)!.status !== 'CURRENT') expect(m.cancelled).toBe(true);
    }
    for (const s of rows.seizures) expect(rightById.get(s.right_id)!.status).toBe('CURRENT');
  });

  it('piles no registrations up on the last day of the history', () => {
    expect(rows.rights.filter((r) => r.registered_on === LATEST_DATE).length / rows.rights.length).toBeLessThan(0.005);
  });

  it('has roughly the intended proportions', () => {
    const current = rows.rights.filter((r) => r.status === 'CURRENT').length;
    const mortgaged = new Set(rows.mortgages.map((m) => m.right_id)).size / rows.rights.length;
    expect(mortgaged).toBeGreaterThan(0.3);
    expect(mortgaged).toBeLessThan(0.5);
    expect(rows.seizures.length / current).toBeGreaterThan(0.005);
    expect(rows.seizures.length / current).toBeLessThan(0.05);
    const married = new Set(population.couples.flatMap((c) => [c.husband, c.wife]).map((i) => population.persons[i].idNumber));
    const soleOwners = new Set(rows.rights.filter((r) => r.holding === 'SOLE' && r.status === 'CURRENT').flatMap((r) => holdersOf.get(r.id)!.map((h) => h.id_number)));
    const others = population.persons.filter((p) => p.birthDate <= '2003-12-31' && !married.has(p.idNumber));
    const share = others.filter((p) => soleOwners.has(p.idNumber)).length / others.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.4);
  });
});

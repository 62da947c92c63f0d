import { ARCHIVAL_CODE } from '../../subgraphs/common/archival';
import { DEMO, generatePopulation } from '../../subgraphs/common/population';
import { MARRIAGE_FONDS, marriageRows } from '../../subgraphs/marriage/seed';

const population = generatePopulation(3000);
const { registrations } = marriageRows(population);
const CERTIFICATE = /^(J|L|BJ|BL)(4307\d{2})-(\d{4})-(\d{6})$/;

describe('marriage seed rows', () => {
  it('number certificates J/L/BJ + office code + year + a serial restarting each year per office', () => {
    const bad = registrations.filter((r) => {
      const m = CERTIFICATE.exec(r.certificate_number);
      return !m || (r.kind !== 'ANNULMENT' && m[3] !== r.registered_on.slice(0, 4));
    });
    expect(bad).toEqual([]);
    const issued = registrations.filter((r) => r.kind !== 'ANNULMENT').map((r) => r.certificate_number);
    expect(new Set(issued).size).toBe(issued.length);
    // Each office and year starts at 000001 and has no gaps.
    const serials = new Map<string, number[]>();
    for (const c of issued) serials.set(c.slice(0, -7), [...(serials.get(c.slice(0, -7)) ?? []), Number(c.slice(-6))]);
    for (const list of serials.values()) expect(list).toEqual(list.map((_, k) => k + 1));
    expect(registrations.filter((r) => /^CX/.test(r.certificate_number))).toEqual([]);
  });

  it('has an annulment name the certificate of the marriage it voids', () => {
    for (const a of registrations.filter((r) => r.kind === 'ANNULMENT')) {
      const wedding = registrations.find((r) => r.kind === 'MARRIAGE' && r.husband_id === a.husband_id && r.wife_id === a.wife_id)!;
      expect(a.certificate_number).toBe(wedding.certificate_number);
    }
  });

  it('files each county in its own fonds, kept 100 years, numbered per year and registration class', () => {
    expect(new Set(Object.values(MARRIAGE_FONDS)).size).toBe(Object.keys(MARRIAGE_FONDS).length);
    expect(new Set(registrations.map((r) => r.archival_code)).size).toBe(registrations.length);
    const CLASS = { MARRIAGE: 'JH', DIVORCE: 'LH', REISSUE: 'BF', ANNULMENT: 'CX' };
    for (const r of registrations) {
      const region = r.certificate_number.match(/4307\d{2}/)![0];
      expect(r.fonds).toBe(MARRIAGE_FONDS[region]);
      expect(r.retention).toBe('Y100');
      expect(r.archival_code).toMatch(ARCHIVAL_CODE);
      expect(r.archival_code.startsWith(`${r.fonds}-ZY·HY·${CLASS[r.kind]}·${r.registered_on.slice(0, 4)}·D100-`)).toBe(true);
    }
    expect(new Set(registrations.map((r) => r.fonds)).size).toBeGreaterThan(5);
  });

  it('opens files by the 25-year rule: younger ones controlled, older ones due but held back as personal', () => {
    for (const r of registrations) expect(r.open_status).toBe(r.registered_on < '2001-01-01' ? 'DELAYED' : 'CONTROLLED');
    expect(registrations.some((r) => r.open_status === 'DELAYED')).toBe(true);
  });

  it('keeps the demo couple in Wuling (J019) with his 2013 divorce', () => {
    const his = registrations.filter((r) => r.husband_id === DEMO.husband);
    expect(his.map((r) => [r.kind, r.registered_on, r.fonds])).toEqual([
      ['MARRIAGE', '2009-10-01', 'J019'],
      ['DIVORCE', '2013-05-20', 'J019'],
      ['MARRIAGE', '2016-01-08', 'J019'],
    ]);
    expect(his[2].wife_id).toBe(DEMO.wife);
    expect(his[2].office).toBe('常德市武陵区民政局婚姻登记处');
  });
});

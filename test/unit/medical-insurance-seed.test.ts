import { ARCHIVAL_CODE } from '../../subgraphs/common/archival';
import { DEMO, generatePopulation } from '../../subgraphs/common/population';
import { settlementWindow } from '../../subgraphs/medical-insurance/inputs';
import { medicalInsuranceRows } from '../../subgraphs/medical-insurance/seed';
import { INSURANCE_TYPES } from '../../subgraphs/medical-insurance/store';

const population = generatePopulation(3000);
const rows = medicalInsuranceRows(population);
const fen = (yuan: number) => Math.round(yuan * 100);

describe('medical insurance seed rows', () => {
  it('are deterministic', () => {
    expect(JSON.stringify(medicalInsuranceRows(population))).toBe(JSON.stringify(rows));
  });

  it('enrol about 95% of persons, the demo couple always, with at least two settlements each', () => {
    const share = rows.enrolees.length / population.persons.length;
    expect(share).toBeGreaterThan(0.93);
    expect(share).toBeLessThan(0.97);
    for (const id of [DEMO.husband, DEMO.wife]) {
      expect(rows.enrolees.some((e) => e.id_number === id)).toBe(true);
      expect(rows.settlements.filter((s) => s.id_number === id).length).toBeGreaterThanOrEqual(2);
    }
  });

  it('give every enrolee a main insurance type matching the person type, and only known codes', () => {
    const byPerson = new Map<string, string[]>();
    for (const e of rows.enrolments) byPerson.set(e.id_number, [...(byPerson.get(e.id_number) ?? []), e.insutype]);
    expect(new Set(rows.enrolees.map((e) => e.id_number)).size).toBe(rows.enrolees.length);
    const main = (type: string) => (type === 'EMPLOYED' || type === 'RETIRED' ? '310' : '390');
    expect(rows.enrolees.filter((e) => !byPerson.get(e.id_number)?.includes(main(e.person_type)))).toEqual([]);
    expect(rows.enrolments.filter((e) => !(e.insutype in INSURANCE_TYPES))).toEqual([]);
    expect(byPerson.size).toBe(rows.enrolees.length);
  });

  it('settle only existing visits of the same person, with amounts that add up', () => {
    const visits = new Map(rows.visits.map((v) => [v.mdtrt_id, v]));
    const enrolled = new Set(rows.enrolees.map((e) => e.id_number));
    expect(visits.size).toBe(rows.visits.length);
    // Collect what is wrong rather than asserting per row: thousands of rows, one readable failure.
    const problems: string[] = [];
    const check = (ok: boolean, what: string, s: { setl_id: string }) => ok || problems.push(`${s.setl_id}: ${what}`);
    for (const s of rows.settlements) {
      const visit = visits.get(s.mdtrt_id);
      if (!visit) {
        problems.push(`${s.setl_id}: visit ${s.mdtrt_id} missing`);
        continue;
      }
      check(visit.id_number === s.id_number, 'visit belongs to another person', s);
      check(visit.hospital_code === s.hospital_code && visit.med_type === s.med_type, 'hospital or medical type differs from the visit', s);
      check(enrolled.has(s.id_number), 'person not enrolled', s);
      check(visit.begin_date <= visit.end_date && visit.end_date <= s.settled_at.slice(0, 10), 'settled before the visit ended', s);
      check(/^202[345]-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(s.settled_at), `settled_at ${s.settled_at}`, s);
      check(fen(s.medfee_sumamt) === fen(s.fund_pay_sumamt) + fen(s.acct_pay) + fen(s.cash_payamt), 'total != fund + account + cash', s);
      check(fen(s.hifp_pay) <= fen(s.fund_pay_sumamt), 'basic fund > fund', s);
      const amounts = [s.medfee_sumamt, s.fund_pay_sumamt, s.hifp_pay, s.acct_pay, s.cash_payamt];
      check(amounts.every((a) => a >= 0 && Math.abs(fen(a) - a * 100) < 1e-6), `amounts ${amounts} negative or not whole fen`, s);
      check((visit.diagnosis_code === null) === (s.med_type === 'PHARMACY'), 'diagnosis present iff not a pharmacy purchase', s);
    }
    expect(problems.slice(0, 10)).toEqual([]);
    // Every visit is settled at least once; refunded visits may be settled again.
    const settled = new Set(rows.settlements.map((s) => s.mdtrt_id));
    expect(settled.size).toBe(rows.visits.length);
    expect(rows.settlements.length).toBeGreaterThan(rows.visits.length);
    expect(rows.settlements.some((s) => s.refunded)).toBe(true);
  });

  it('have at most 8 settlements per person and unique ids and 档号 in time order', () => {
    const perPerson = new Map<string, number>();
    for (const s of rows.settlements) perPerson.set(s.id_number, (perPerson.get(s.id_number) ?? 0) + 1);
    expect(Math.max(...perPerson.values())).toBeLessThanOrEqual(8);
    expect(new Set(rows.settlements.map((s) => s.setl_id)).size).toBe(rows.settlements.length);
    expect(new Set(rows.settlements.map((s) => s.archival_code)).size).toBe(rows.settlements.length);
    const misfiled = rows.settlements.filter((s) => !ARCHIVAL_CODE.test(s.archival_code) || !s.archival_code.startsWith(`J035-ZY·YB·${s.settled_at.slice(0, 4)}·D30-`));
    expect(misfiled).toEqual([]);
    const times = rows.settlements.map((s) => s.settled_at);
    expect(times).toEqual([...times].sort());
  });
});

describe('settlementWindow', () => {
  it('defaults and passes valid arguments through', () => {
    expect(settlementWindow({})).toEqual({ from: null, to: null, limit: 20, offset: 0 });
    expect(settlementWindow({ from: '2016-02-29', to: '2026-02-28', first: 5, offset: 10 })).toEqual({ from: '2016-02-29', to: '2026-02-28', limit: 5, offset: 10 });
  });

  it.each([
    [{ from: '2024-02-30' }, 'from'],
    [{ to: '24-01-01' }, 'to'],
    [{ from: '2024-01-02', to: '2024-01-01' }, 'from'],
    [{ from: '2014-01-01', to: '2024-01-02' }, 'to'],
    [{ first: 0 }, 'first'],
    [{ offset: 1.5 }, 'offset'],
  ])('refuses %j naming %s', (args, argumentName) => {
    expect(() => settlementWindow(args)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', argumentName }) }));
  });
});

import { ARCHIVAL_CODE } from '../../subgraphs/common/archival';
import { DEMO, generatePopulation } from '../../subgraphs/common/population';
import { settlementWindow } from '../../subgraphs/medical-insurance/inputs';
import { medicalInsuranceRows } from '../../subgraphs/medical-insurance/seed';
import { INSURANCE_TYPES } from '../../subgraphs/medical-insurance/store';
import { isStateOrgan, socialSecurityRows } from '../../subgraphs/social-security/seed';

const population = generatePopulation(3000);
const rows = medicalInsuranceRows(population);
const fen = (yuan: number) => Math.round(yuan * 100);

describe('medical insurance seed rows', () => {
  it('are deterministic', () => {
    expect(JSON.stringify(medicalInsuranceRows(population))).toBe(JSON.stringify(rows));
  });

  it('enrol every insured worker and about 95% of the others, the demo couple always, with at least two settlements each', () => {
    const share = rows.enrolees.length / population.persons.length;
    expect(share).toBeGreaterThan(0.95);
    expect(share).toBeLessThan(0.99);
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

describe('medical insurance agrees with social security', () => {
  const social = socialSecurityRows(population);
  const organs = new Set(social.employers.filter(isStateOrgan).map((e) => e.unit_number));
  const file = new Map(social.files.map((f) => [f.id_number, f]));
  const ssMedical = new Map(social.enrolments.filter((e) => e.insurance_type === 'MEDICAL').map((e) => [e.id_number, e]));
  const typesOf = new Map<string, Map<string, (typeof rows.enrolments)[number]>>();
  for (const e of rows.enrolments) typesOf.set(e.id_number, (typesOf.get(e.id_number) ?? new Map()).set(e.insutype, e));
  const personType = new Map(rows.enrolees.map((e) => [e.id_number, e.person_type]));

  it('puts exactly the persons social security enrols in medical insurance in 310, from the same day', () => {
    expect(ssMedical.size).toBeGreaterThan(1000);
    const problems: string[] = [];
    for (const [id, ss] of ssMedical) {
      const e310 = typesOf.get(id)?.get('310');
      if (!e310) problems.push(`${id}: no 310`);
      else if (e310.start_date !== ss.first_enrolled_on) problems.push(`${id}: 310 from ${e310.start_date}, social security says ${ss.first_enrolled_on}`);
    }
    for (const [id, types] of typesOf) if (types.has('310') && !ssMedical.has(id)) problems.push(`${id}: 310 without social security`);
    expect(problems.slice(0, 10)).toEqual([]);
  });

  it('matches statuses: payers active employees, pensioners active retirees (离退休), leavers suspended with an end date', () => {
    const expected = { PAYING: ['ACTIVE', 'EMPLOYED'], RETIRED: ['ACTIVE', 'RETIRED'], SUSPENDED: ['SUSPENDED'] } as Record<string, string[]>;
    const problems: string[] = [];
    for (const [id, ss] of ssMedical) {
      const e310 = typesOf.get(id)!.get('310')!;
      const [status, type] = expected[ss.status] ?? ['?'];
      if (e310.status !== status || (type && personType.get(id) !== type)) problems.push(`${id}: social ${ss.status}, medical ${e310.status}/${personType.get(id)}`);
    }
    expect(problems.slice(0, 10)).toEqual([]);
    const pensions = social.enrolments.filter((e) => e.insurance_type === 'PENSION');
    expect(pensions.filter((e) => e.status === 'TERMINATED')).toEqual([]);
    expect(pensions.some((e) => e.status === 'RETIRED')).toBe(true);
  });

  it('gives 320 to civil servants of state organs only, 392 to every 390 enrolee, and 330/320 only with 310', () => {
    const problems: string[] = [];
    for (const [id, types] of typesOf) {
      const employer = file.get(id)?.employer_unit;
      const employedByOrgan = Boolean(employer && organs.has(employer));
      if (employer && types.has('320') !== employedByOrgan) problems.push(`${id}: 320 ${types.has('320')} but organ employer ${employedByOrgan}`);
      if (types.has('390') !== types.has('392')) problems.push(`${id}: 390 without 392 or the reverse`);
      if ((types.has('330') || types.has('320')) && !types.has('310')) problems.push(`${id}: supplement without its base scheme 310`);
      for (const extra of ['320', '330'] as const) {
        const e = types.get(extra);
        const base = types.get('310');
        if (e && base && (e.start_date !== base.start_date || e.end_date !== base.end_date)) problems.push(`${id}: ${extra} dates differ from 310`);
      }
      if (types.has('510')) problems.push(`${id}: 510 (merged into 310 in 2019)`);
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect([...typesOf.values()].filter((t) => t.has('320')).length).toBeGreaterThan(10);
  });

  it('dates enrolments: an end date exactly when not active, and no claim settles outside cover', () => {
    expect(rows.enrolments.filter((e) => (e.status === 'ACTIVE') !== (e.end_date === null) || (e.end_date && e.end_date < e.start_date))).toEqual([]);
    expect(rows.enrolments.some((e) => e.end_date !== null)).toBe(true);
    const outside = rows.settlements.filter((s) => {
      const day = s.settled_at.slice(0, 10);
      return ![...typesOf.get(s.id_number)!.values()].some((e) => e.start_date <= day && (e.end_date === null || day <= e.end_date));
    });
    expect(outside.map((s) => s.setl_id).slice(0, 10)).toEqual([]);
    const visits = new Map(rows.visits.map((v) => [v.mdtrt_id, v]));
    const early = rows.settlements.filter((s) => ![...typesOf.get(s.id_number)!.values()].some((e) => e.start_date <= visits.get(s.mdtrt_id)!.begin_date));
    expect(early.map((s) => s.setl_id).slice(0, 10)).toEqual([]);
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

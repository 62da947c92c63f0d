import { createHash } from 'node:crypto';
import { isValidCreditCode, isValidOrganisationCode, organisationCheckChar } from '../../lib/credit-code';
import { ARCHIVAL_CODE } from '../../subgraphs/common/archival';
import { DEMO, generatePopulation } from '../../subgraphs/common/population';
import { periodRange } from '../../subgraphs/social-security/resolvers';
import { contributionRows, employerRows, isStateOrgan, FIRST_PERIOD, LAST_PERIOD, socialSecurityChunks, socialSecurityRows } from '../../subgraphs/social-security/seed';

const population = generatePopulation(3000);
const rows = socialSecurityRows(population);
const birthOf = new Map(population.persons.map((p) => [p.idNumber, p.birthDate]));
const files = new Map(rows.files.map((f) => [f.id_number, f]));
const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');
const statusOf = new Map(rows.enrolments.filter((e) => e.insurance_type === 'PENSION').map((e) => [e.id_number, e.status]));

describe('social-security seed rows', () => {
  it('registers every person once', () => {
    expect(rows.residents.map((r) => r.id_number)).toEqual(population.persons.map((p) => p.idNumber));
  });

  it('insures about 85% of adults, the demo couple included', () => {
    const adults = population.persons.filter((p) => p.birthDate <= '2007-12-31').length;
    expect(rows.files.length / adults).toBeGreaterThan(0.8);
    expect(rows.files.length / adults).toBeLessThan(0.9);
    for (const id of [DEMO.husband, DEMO.wife]) {
      expect(files.get(id)?.employer_unit).toBeTruthy();
      expect(rows.contributions.filter((c) => c.id_number === id)).toHaveLength(36);
    }
  });

  it('links files, enrolments and contributions to registered, insured persons', () => {
    const units = new Set(rows.employers.map((e) => e.unit_number));
    expect(rows.files.filter((f) => !birthOf.has(f.id_number) || (f.employer_unit && !units.has(f.employer_unit)))).toEqual([]);
    expect(rows.files.filter((f) => !statusOf.has(f.id_number))).toEqual([]); // every file has a pension enrolment
    expect(rows.enrolments.filter((e) => !files.has(e.id_number))).toEqual([]);
    expect(rows.contributions.filter((c) => !files.has(c.id_number))).toEqual([]);
    // Only the employed have an employer.
    expect(rows.files.filter((f) => Boolean(f.employer_unit) !== (statusOf.get(f.id_number) === 'PAYING'))).toEqual([]);
  });

  it('keeps enrolments unique per type, dated between birth and the end of 2025', () => {
    const keys = rows.enrolments.map((e) => `${e.id_number}/${e.insurance_type}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(rows.enrolments.filter((e) => e.first_enrolled_on <= birthOf.get(e.id_number)! || e.first_enrolled_on > '2025-12-31')).toEqual([]);
    expect(rows.enrolments.filter((e) => e.retention !== (e.insurance_type === 'PENSION' ? 'PERMANENT' : 'Y30'))).toEqual([]);
  });

  it('issues unique, well-formed 档号 in fonds J031', () => {
    const records = [...rows.files, ...rows.enrolments];
    expect(new Set(records.map((r) => r.archival_code)).size).toBe(records.length);
    expect(records.filter((r) => !ARCHIVAL_CODE.test(r.archival_code) || r.fonds !== 'J031')).toEqual([]);
  });

  it('writes positive contributions, one per person and month, in 202301-202512', () => {
    const keys = rows.contributions.map((c) => `${c.id_number}/${c.period}`);
    expect(new Set(keys).size).toBe(keys.length);
    const bad = rows.contributions.filter(
      (c) => !/^\d{4}(0[1-9]|1[0-2])$/.test(c.period) || c.period < FIRST_PERIOD || c.period > LAST_PERIOD || !(c.base > 0) || !(c.personal_amount > 0) || !(c.employer_amount > c.personal_amount),
    );
    expect(bad).toEqual([]);
    const unpaid = rows.contributions.filter((c) => !c.paid).length / rows.contributions.length;
    expect(unpaid).toBeGreaterThan(0.005);
    expect(unpaid).toBeLessThan(0.06);
  });

  it('runs contributions to 202512 for payers and stops them for the suspended and retired', () => {
    const last = new Map<string, string>();
    for (const c of rows.contributions) if (c.period > (last.get(c.id_number) ?? '')) last.set(c.id_number, c.period);
    const payers = [...statusOf].filter(([, s]) => s === 'PAYING').map(([id]) => id);
    expect(payers.filter((id) => last.get(id) !== LAST_PERIOD)).toEqual([]);
    const others = [...statusOf].filter(([id, s]) => s !== 'PAYING' && last.has(id)).map(([id]) => id);
    expect(others.length).toBeGreaterThan(0);
    expect(others.filter((id) => last.get(id)! >= LAST_PERIOD)).toEqual([]);
  });

  it('builds employers with valid Changde credit codes, unique names and codes', () => {
    const employers = employerRows();
    expect(employers).toHaveLength(300);
    expect(new Set(employers.map((e) => e.credit_code)).size).toBe(300);
    expect(new Set(employers.map((e) => e.name)).size).toBe(300);
    expect(employers.filter(isStateOrgan).length).toBeGreaterThan(15);
    for (const e of employers) {
      expect(isValidCreditCode(e.credit_code)).toBe(true);
      // The organisation code inside (characters 9-17) passes its own GB 11714 check.
      expect(isValidOrganisationCode(e.credit_code.slice(8, 17))).toBe(true);
      expect(e.credit_code.slice(2, 8)).toBe(e.region);
      expect(e.region).toMatch(/^4307\d{2}$/);
    }
  });

  it('is deterministic and independent of the chunk size', () => {
    // Compared as digests: toEqual over ~100k rows is slow.
    expect(digest(socialSecurityRows(generatePopulation(3000)))).toBe(digest(rows));
    const small = [...socialSecurityChunks(population, rows.employers, 7)];
    expect(digest(small.flatMap((c) => c.files))).toBe(digest(rows.files));
    expect(digest(small.flatMap((c) => c.enrolments))).toBe(digest(rows.enrolments));
    expect(digest(small.flatMap((c) => c.contributions.flatMap(contributionRows)))).toBe(digest(rows.contributions));
  });
});

describe('contribution period filter', () => {
  it('accepts YYYYMM bounds up to 10 years apart, or none', () => {
    expect(periodRange(undefined, null)).toEqual({ from: null, to: null });
    expect(periodRange('201601', '202512')).toEqual({ from: '201601', to: '202512' });
    expect(periodRange('202401', '202401')).toEqual({ from: '202401', to: '202401' });
  });

  it.each([
    ['202413', null],
    ['20240', null],
    [null, '2024-01'],
    ['202402', '202401'],
    ['201512', '202512'],
  ])('rejects from=%s to=%s', (from, to) => {
    expect(() => periodRange(from, to)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
  });
});

describe('organisation codes (GB 11714)', () => {
  it('checks with weights 3 7 9 10 5 8 4 2 mod 11, 10 written X and 11 written 0', () => {
    expect(organisationCheckChar('D2143569')).toBe('X'); // the standard's example D2143569-X
    expect(isValidOrganisationCode('D2143569X')).toBe(true);
    expect(isValidOrganisationCode('D21435691')).toBe(false);
    expect(organisationCheckChar('00000000')).toBe('0');
  });
});

describe('pensioners', () => {
  it('are 离退休 (drawing their pension), never terminated, and stop paying at retirement', () => {
    const retired = rows.enrolments.filter((e) => e.insurance_type === 'PENSION' && e.status === 'RETIRED');
    expect(retired.length).toBeGreaterThan(100);
    expect(rows.enrolments.filter((e) => e.insurance_type === 'PENSION' && e.status === 'TERMINATED')).toEqual([]);
    const sexOf = new Map(population.persons.map((p) => [p.idNumber, p.sex]));
    for (const e of retired) {
      const retiresIn = Number(birthOf.get(e.id_number)!.slice(0, 4)) + (sexOf.get(e.id_number) === 'MALE' ? 60 : 55);
      expect(retiresIn).toBeLessThanOrEqual(2025);
      expect(files.get(e.id_number)!.employer_unit).toBeNull();
    }
  });
});

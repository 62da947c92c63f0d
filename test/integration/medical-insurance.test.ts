import { subgraph } from '../../subgraphs/medical-insurance';
import { medicalInsuranceRows } from '../../subgraphs/medical-insurance/seed';
import { DEMO } from '../../subgraphs/common/population';
import { ARCHIVAL_CODE } from '../../subgraphs/common/archival';
import { entitiesQuery, personRefs, startTestSubgraph, testPopulation, type Engine, type TestSubgraph } from '../helpers';

const population = testPopulation(400);
const rows = medicalInsuranceRows(population);
const settlementsOf = (id: string) => rows.settlements.filter((s) => s.id_number === id).sort((a, b) => (a.settled_at < b.settled_at ? 1 : a.settled_at > b.settled_at ? -1 : a.setl_id < b.setl_id ? 1 : -1));
const enrolled = new Set(rows.enrolees.map((e) => e.id_number));
const notEnrolled = population.persons.find((p) => !enrolled.has(p.idNumber))!.idNumber;
/** The enrolee with the most settlements: the paging tests need several pages. */
const busiest = [...enrolled].sort((a, b) => settlementsOf(b).length - settlementsOf(a).length)[0];
const fen = (yuan: number) => Math.round(yuan * 100);

const SETTLEMENT_FIELDS = `settlementId visitId hospitalCode hospitalName settledAt medicalType totalCost fundPaid basicFundPaid accountPaid cashPaid refunded
  diagnosis { code name } archivalCode fonds retention classification openStatus`;
const page = (args: string, fields = 'settlementId settledAt') => entitiesQuery(`medicalInsurance { settlements${args} { totalCount hasNextPage items { ${fields} } } }`);

describe.each<Engine>(['mysql', 'pglite'])('medical-insurance subgraph on %s', (engine) => {
  let sub: TestSubgraph<any>;
  beforeAll(async () => {
    sub = await startTestSubgraph(subgraph, engine, population);
  });
  afterAll(() => sub?.stop());

  it('resolves the demo couple: both enrolled, each with at least two settlements', async () => {
    const res = await sub.gql(entitiesQuery('medicalInsurance { insuredRegion insuredRegionName personType enrolments { insuranceType insuranceTypeName startDate status } settlements { totalCount items { settlementId } } }'),
      personRefs([DEMO.husband, DEMO.wife]),
    );
    expect(res.errors).toBeUndefined();
    const [him, her] = res.data._entities.map((e: any) => e.medicalInsurance);
    expect(him.insuredRegion).toBe('430702');
    expect(him.insuredRegionName).toBe('常德市武陵区');
    expect(him.personType).toBe('EMPLOYED');
    expect(him.enrolments).toContainEqual(expect.objectContaining({ insuranceType: '310', insuranceTypeName: '职工基本医疗保险', status: 'ACTIVE' }));
    for (const e of him.enrolments) expect(e.startDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(her.enrolments.length).toBeGreaterThan(0);
    for (const [person, id] of [[him, DEMO.husband], [her, DEMO.wife]] as const) {
      expect(person.settlements.totalCount).toBe(settlementsOf(id).length);
      expect(person.settlements.totalCount).toBeGreaterThanOrEqual(2);
      expect(person.settlements.items.map((s: any) => s.settlementId)).toEqual(settlementsOf(id).slice(0, 20).map((s) => s.setl_id));
    }
  });

  it('pages settlements newest first without gaps or overlaps', async () => {
    const all = settlementsOf(busiest);
    expect(all.length).toBeGreaterThanOrEqual(5);
    const seen: string[] = [];
    for (let offset = 0; offset < all.length; offset += 2) {
      const res = await sub.gql(page(`(first: 2, offset: ${offset})`), personRefs([busiest]));
      expect(res.errors).toBeUndefined();
      const p = res.data._entities[0].medicalInsurance.settlements;
      expect(p.totalCount).toBe(all.length);
      expect(p.hasNextPage).toBe(offset + 2 < all.length);
      seen.push(...p.items.map((s: any) => s.settlementId));
    }
    expect(seen).toEqual(all.map((s) => s.setl_id));
    const beyond = await sub.gql(page(`(first: 2, offset: ${all.length})`), personRefs([busiest]));
    expect(beyond.data._entities[0].medicalInsurance.settlements).toEqual({ totalCount: all.length, hasNextPage: false, items: [] });
  });

  it('filters by settlement date, both ends inclusive', async () => {
    const all = settlementsOf(busiest);
    const to = all[0].settled_at.slice(0, 10); // the newest day: inclusive up to 23:59:59
    const from = all[all.length - 1].settled_at.slice(0, 10);
    const res = await sub.gql(page(`(from: "${from}", to: "${to}", first: 100)`), personRefs([busiest]));
    expect(res.data._entities[0].medicalInsurance.settlements.totalCount).toBe(all.length);

    const in2024 = all.filter((s) => s.settled_at.startsWith('2024'));
    const year = await sub.gql(page('(from: "2024-01-01", to: "2024-12-31", first: 100)'), personRefs([busiest]));
    const p = year.data._entities[0].medicalInsurance.settlements;
    expect(p.totalCount).toBe(in2024.length);
    expect(p.items.map((s: any) => s.settlementId)).toEqual(in2024.map((s) => s.setl_id));
    for (const s of p.items) expect(s.settledAt).toMatch(/^2024-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    const none = await sub.gql(page('(from: "2019-01-01", to: "2019-12-31")'), personRefs([busiest]));
    expect(none.data._entities[0].medicalInsurance.settlements).toEqual({ totalCount: 0, hasNextPage: false, items: [] });
  });

  it.each([
    ['(from: "2024-13-01")', 'from'],
    ['(from: "2024/01/01")', 'from'],
    ['(to: "2023-02-30")', 'to'],
    ['(from: "2025-01-01", to: "2024-01-01")', 'from'],
    ['(from: "2010-01-01", to: "2020-01-02")', 'to'],
    ['(first: 0)', 'first'],
    ['(first: 101)', 'first'],
    ['(offset: -1)', 'offset'],
  ])('refuses settlements%s with BAD_USER_INPUT before reading anything', async (args, argumentName) => {
    const before = sub.store.statements;
    const res = await sub.gql(entitiesQuery(`medicalInsurance { insuredRegion ... on MedicalInsurance { settlements${args} { totalCount } } }`), personRefs([DEMO.husband, DEMO.wife]));
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].extensions?.argumentName).toBe(argumentName);
    expect(res.data._entities[0].medicalInsurance).toBeNull();
    expect(sub.store.statements).toBe(before);
  });

  it('accepts a range of exactly ten years', async () => {
    const res = await sub.gql(page('(from: "2015-06-01", to: "2025-06-01")'), personRefs([DEMO.husband]));
    expect(res.errors).toBeUndefined();
  });

  it('returns consistent amounts, the visit diagnosis and archival metadata', async () => {
    const ids = [...enrolled].slice(0, 60);
    const res = await sub.gql(entitiesQuery(`medicalInsurance { settlements(first: 100) { items { ${SETTLEMENT_FIELDS} } } }`), personRefs(ids));
    expect(res.errors).toBeUndefined();
    const visits = new Map(rows.visits.map((v) => [v.mdtrt_id, v]));
    const items = res.data._entities.flatMap((e: any) => e.medicalInsurance.settlements.items);
    expect(items.length).toBe(rows.settlements.filter((s) => ids.includes(s.id_number)).length);
    let refunds = 0;
    for (const s of items) {
      expect(fen(s.totalCost)).toBe(fen(s.fundPaid) + fen(s.accountPaid) + fen(s.cashPaid));
      expect(fen(s.basicFundPaid)).toBeLessThanOrEqual(fen(s.fundPaid));
      expect(typeof s.refunded).toBe('boolean');
      if (s.refunded) refunds++;
      const visit = visits.get(s.visitId)!;
      expect(s.diagnosis).toEqual(visit.diagnosis_code ? { code: visit.diagnosis_code, name: visit.diagnosis_name } : null);
      expect(s.diagnosis === null).toBe(s.medicalType === 'PHARMACY');
      expect(s.hospitalCode).toMatch(/^[HP]4307\d{7}$/);
      expect(s.archivalCode).toMatch(ARCHIVAL_CODE);
      expect(s.archivalCode).toMatch(new RegExp(`^J035-ZY·YB·${s.settledAt.slice(0, 4)}·D30-\\d{4,}$`));
      expect([s.fonds, s.retention, s.classification, s.openStatus]).toEqual(['J035', 'Y30', null, 'CONTROLLED']);
    }
    expect(items.some((s: any) => s.diagnosis?.code)).toBe(true);
    expect(refunds).toBeGreaterThan(0);
    expect(refunds).toBe(rows.settlements.filter((s) => ids.includes(s.id_number) && s.refunded).length);
  });

  it('returns null for a person never enrolled, and for an unknown person', async () => {
    const res = await sub.gql(entitiesQuery('medicalInsurance { personType }'), personRefs([notEnrolled, '34052419800101001X', DEMO.wife]));
    expect(res.errors).toBeUndefined();
    expect(res.data._entities).toEqual([
      { idNumber: notEnrolled, medicalInsurance: null },
      { idNumber: '34052419800101001X', medicalInsurance: null },
      { idNumber: DEMO.wife, medicalInsurance: { personType: rows.enrolees.find((e) => e.id_number === DEMO.wife)!.person_type } },
    ]);
  });

  it('costs a constant number of statements for 5 or 50 persons', async () => {
    const count = async (n: number) => {
      const before = sub.store.statements;
      const query = entitiesQuery(`medicalInsurance { insuredRegion insuredRegionName personType enrolments { insuranceType insuranceTypeName startDate status }
        settlements(from: "2023-01-01", to: "2025-12-31", first: 3) { totalCount hasNextPage items { ${SETTLEMENT_FIELDS} } } }`);
      const res = await sub.gql(query, personRefs(population.persons.slice(0, n).map((p) => p.idNumber)));
      expect(res.errors).toBeUndefined();
      return sub.store.statements - before;
    };
    const five = await count(5);
    const fifty = await count(50);
    expect(fifty).toBe(five);
    // enrolees with their enrolments, settlement pages, settlement counts, visits
    expect(fifty).toBe(4);
  });
});

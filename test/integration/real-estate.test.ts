import { subgraph } from '../../subgraphs/real-estate';
import { realEstateRows, UNIFIED_REGISTRATION_FROM } from '../../subgraphs/real-estate/seed';
import { DEMO } from '../../subgraphs/common/population';
import { ARCHIVAL_CODE } from '../../subgraphs/common/archival';
import { entitiesQuery, personRefs, startTestSubgraph, testPopulation, type Engine, type TestSubgraph } from '../helpers';

const population = testPopulation(400);
const rows = realEstateRows(population);
const UNIT_NUMBER = /^4307\d{2}\d{3}\d{3}G[A-Z]\d{5}[FW]\d{8}$/;
const RIGHT_CERTIFICATE = /^湘\(\d{4}\)\S+?不动产权第\d{7}号$/;
const MORTGAGE_CERTIFICATE = /^湘\(\d{4}\)\S+?不动产证明第\d{7}号$/;
const RIGHT_FIELDS = `unitNumber certificateNumber location area use rightType registrationType registeredOn status endedOn holding
  owners { idNumber } coOwners { idNumber } holders { person { idNumber } name share }
  mortgages { mortgagee amount termStart termEnd certificateNumber cancelled }
  seizures { court caseNumber startDate endDate released }
  archivalCode fonds retention classification openStatus`;
const holderOf = (rightId: number) => rows.holders.find((h) => h.right_id === rightId)!.id_number;

describe.each<Engine>(['mysql', 'pglite'])('real-estate subgraph on %s', (engine) => {
  let sub: TestSubgraph<any>;
  beforeAll(async () => {
    sub = await startTestSubgraph(subgraph, engine, population);
  });
  afterAll(() => sub?.stop());

  it('shows the demo couple co-owning their home, and his earlier flat', async () => {
    const res = await sub.gql(entitiesQuery(`realEstate { ${RIGHT_FIELDS} }`), personRefs([DEMO.husband, DEMO.wife]));
    expect(res.errors).toBeUndefined();
    const [him, her] = res.data._entities;
    expect(him.realEstate.map((r: any) => [r.holding, r.registeredOn])).toEqual([
      ['SOLE', '2012-04-16'],
      ['JOINT', '2017-03-18'],
    ]);
    const [flat, home] = him.realEstate;
    expect(home.owners.map((p: any) => p.idNumber).sort()).toEqual([DEMO.husband, DEMO.wife].sort());
    expect(home.coOwners).toEqual([{ idNumber: DEMO.wife }]);
    expect(home.holders.map((h: any) => h.share)).toEqual([null, null]);
    expect(home.holders.map((h: any) => h.name)).toEqual(['张建国', '李秀英']);
    expect(home.mortgages).toEqual([expect.objectContaining({ mortgagee: '中国建设银行常德分行', amount: 820000, termEnd: '2047-03-18', cancelled: false })]);
    expect(home.seizures).toEqual([]);
    expect(flat.owners).toEqual([{ idNumber: DEMO.husband }]);
    expect(flat.coOwners).toEqual([]);
    expect(flat.holders).toEqual([{ person: { idNumber: DEMO.husband }, name: '张建国', share: 100 }]);
    expect(flat.mortgages).toEqual([expect.objectContaining({ cancelled: true })]);
    expect(flat.seizures).toEqual([{ court: '常德市武陵区人民法院', caseNumber: expect.stringMatching(/^（2014）常武陵执字第\d{5}号$/), startDate: '2014-09-03', endDate: '2017-09-02', released: true }]);
    // From her side, the same home's co-owner is him.
    expect(her.realEstate).toHaveLength(1);
    expect(her.realEstate[0].certificateNumber).toBe(home.certificateNumber);
    expect(her.realEstate[0].coOwners).toEqual([{ idNumber: DEMO.husband }]);
    for (const r of [flat, home]) {
      expect(typeof r.area).toBe('number');
      expect(r).toMatchObject({ use: 'RESIDENTIAL', rightType: 'HOUSE_OWNERSHIP', status: 'CURRENT', endedOn: null, fonds: 'J027', retention: 'PERMANENT', openStatus: 'CONTROLLED' });
    }
  });

  it('issues well-formed unit, certificate and archival numbers', async () => {
    const ids = [...new Set(rows.holders.slice(0, 60).map((h) => h.id_number))];
    const res = await sub.gql(entitiesQuery('realEstate(includeHistory: true) { unitNumber certificateNumber registeredOn archivalCode mortgages { certificateNumber } }'), personRefs(ids));
    expect(res.errors).toBeUndefined();
    const rights = res.data._entities.flatMap((p: any) => p.realEstate);
    expect(rights.length).toBeGreaterThan(20);
    for (const r of rights) {
      expect(r.unitNumber).toHaveLength(28);
      expect(r.unitNumber).toMatch(UNIT_NUMBER);
      // 不动产权证书 only since unified registration; older rights keep their old certificates.
      if (r.registeredOn >= UNIFIED_REGISTRATION_FROM) {
        expect(r.certificateNumber).toMatch(RIGHT_CERTIFICATE);
        expect(r.certificateNumber.slice(2, 6)).toBe(r.registeredOn.slice(0, 4));
      } else expect(r.certificateNumber).toMatch(/^\S(房权证|国用)/);
      expect(r.archivalCode).toMatch(ARCHIVAL_CODE);
      expect(r.archivalCode.startsWith(`J027-ZY·BD·${r.registeredOn.slice(0, 4)}·Y-`)).toBe(true);
      for (const m of r.mortgages) expect(m.certificateNumber).toMatch(new RegExp(`${MORTGAGE_CERTIFICATE.source}|^\\S房他证`));
    }
  });

  it('returns the seeded mortgages, seizures and shares', async () => {
    const seized = rows.seizures.filter((s) => s.right_id !== rows.seizures[0].right_id)[0];
    const mortgaged = rows.mortgages.find((m) => !m.cancelled && m.right_id !== seized.right_id)!;
    const shared = rows.rights.find((r) => r.holding === 'SHARES')!;
    const expected = [seized.right_id, mortgaged.right_id, shared.id].map((id) => rows.rights.find((r) => r.id === id)!);
    const res = await sub.gql(entitiesQuery(`realEstate { ${RIGHT_FIELDS} }`), personRefs(expected.map((r) => holderOf(r.id))));
    expect(res.errors).toBeUndefined();
    const [a, b, c] = res.data._entities.map((p: any, i: number) => p.realEstate.find((r: any) => r.unitNumber === expected[i].unit_number));
    expect(a.seizures).toEqual([{ court: seized.court, caseNumber: seized.case_number, startDate: seized.start_date, endDate: seized.end_date, released: seized.released }]);
    expect(b.mortgages).toContainEqual({
      mortgagee: mortgaged.mortgagee,
      amount: mortgaged.amount,
      termStart: mortgaged.term_start,
      termEnd: mortgaged.term_end,
      certificateNumber: mortgaged.certificate_number,
      cancelled: false,
    });
    expect(c.holding).toBe('SHARES');
    const expectedShares = rows.holders.filter((h) => h.right_id === shared.id).map((h) => h.share);
    expect(c.holders.map((h: any) => h.share)).toEqual(expectedShares);
    expect(c.coOwners).toHaveLength(1);
    expect(c.owners).toHaveLength(2);
  });

  it('lists transferred rights only when history is asked for', async () => {
    const old = rows.rights.find((r) => r.status === 'TRANSFERRED')!;
    const res = await sub.gql(entitiesQuery('now: realEstate { unitNumber } all: realEstate(includeHistory: true) { unitNumber status endedOn }'), personRefs([holderOf(old.id)]));
    expect(res.errors).toBeUndefined();
    const [seller] = res.data._entities;
    expect(seller.now.map((r: any) => r.unitNumber)).not.toContain(old.unit_number);
    expect(seller.all).toContainEqual({ unitNumber: old.unit_number, status: 'TRANSFERRED', endedOn: old.ended_on });
  });

  it('looks a right up by unit number: the current one, reached by nobody', async () => {
    const old = rows.rights.find((r) => r.status === 'TRANSFERRED')!;
    const current = rows.rights.find((r) => r.unit_number === old.unit_number && r.status === 'CURRENT')!;
    const res = await sub.gql('query($u: String!) { propertyRight(unitNumber: $u) { certificateNumber status owners { idNumber } coOwners { idNumber } } }', { u: old.unit_number });
    expect(res.errors).toBeUndefined();
    expect(res.data.propertyRight).toEqual({ certificateNumber: current.certificate_number, status: 'CURRENT', owners: [{ idNumber: holderOf(current.id) }], coOwners: [{ idNumber: holderOf(current.id) }] });
    const unknown = await sub.gql('query { propertyRight(unitNumber: "430702001001GB00001F99999999") { id } }');
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data.propertyRight).toBeNull();
  });

  it('rejects a malformed unit number with BAD_USER_INPUT before any statement', async () => {
    for (const bad of ['430702', '430702001001GB00001X00010002', '430702001001gb00001F00010002', '430702001001GB00001F000100021']) {
      const before = sub.store.statements;
      const res = await sub.gql('query($u: String!) { propertyRight(unitNumber: $u) { id } }', { u: bad });
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].extensions?.argumentName).toBe('unitNumber');
      expect(res.data?.propertyRight).toBeNull();
      expect(sub.store.statements).toBe(before);
    }
  });

  it('returns an empty list for an unknown person', async () => {
    const res = await sub.gql(entitiesQuery('realEstate(includeHistory: true) { id }'), personRefs(['34052419800101001X']));
    expect(res.errors).toBeUndefined();
    expect(res.data._entities[0]).toEqual({ idNumber: '34052419800101001X', realEstate: [] });
  });

  it('resolves Person entities in the order asked', async () => {
    const ids = [DEMO.wife, '34052419800101001X', DEMO.husband];
    const res = await sub.gql(entitiesQuery('realEstate { holding }'), personRefs(ids));
    expect(res.errors).toBeUndefined();
    expect(res.data._entities.map((p: any) => [p.idNumber, p.realEstate.length])).toEqual([
      [DEMO.wife, 1],
      ['34052419800101001X', 0],
      [DEMO.husband, 2],
    ]);
  });

  it('costs a constant number of statements for 5 or 50 persons', async () => {
    const count = async (n: number) => {
      const before = sub.store.statements;
      const res = await sub.gql(entitiesQuery(`realEstate(includeHistory: true) { ${RIGHT_FIELDS} }`), personRefs(population.persons.slice(0, n).map((p) => p.idNumber)));
      expect(res.errors).toBeUndefined();
      expect(res.data._entities.flatMap((p: any) => p.realEstate).length).toBeGreaterThanOrEqual(n === 5 ? 2 : 20);
      return sub.store.statements - before;
    };
    const five = await count(5);
    const fifty = await count(50);
    expect(fifty).toBe(five);
    expect(fifty).toBe(1); // rights with their holders, mortgages and seizures
  });
});

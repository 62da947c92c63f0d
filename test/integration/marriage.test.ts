import { subgraph } from '../../subgraphs/marriage';
import { DEMO } from '../../subgraphs/common/population';
import { entitiesQuery, personRefs, startTestSubgraph, testPopulation, type Engine, type TestSubgraph } from '../helpers';
import { ARCHIVAL_CODE } from '../../subgraphs/common/archival';

const population = testPopulation(400);

describe.each<Engine>(['postgres', 'pglite'])('marriage subgraph on %s', (engine) => {
  let sub: TestSubgraph<any>;
  beforeAll(async () => {
    sub = await startTestSubgraph(subgraph, engine, population);
  });
  afterAll(() => sub?.stop());

  it('resolves the demo husband: divorce, remarriage, current spouse', async () => {
    const res = await sub.gql(entitiesQuery('maritalStatus marriages { kind date certificateNumber spouse { idNumber } spouseName archivalCode fonds retention retentionYears openStatus documents { title pages } }'), personRefs([DEMO.husband]));
    expect(res.errors).toBeUndefined();
    const [him] = res.data._entities;
    expect(him.maritalStatus).toBe('MARRIED');
    expect(him.marriages.map((m: any) => [m.kind, m.spouse.idNumber])).toEqual([
      ['MARRIAGE', DEMO.exWife],
      ['DIVORCE', DEMO.exWife],
      ['MARRIAGE', DEMO.wife],
    ]);
    for (const m of him.marriages) {
      expect(m.archivalCode).toMatch(ARCHIVAL_CODE);
      expect(m.fonds).toBe('J019');
      expect(m.retention).toBe('Y100'); // marriage files: 100 years, extendable
      expect(m.retentionYears).toBe(100);
      expect(m.documents.length).toBeGreaterThan(0);
    }
  });

  it('shows the same registration from both sides', async () => {
    const res = await sub.gql(entitiesQuery('marriages { certificateNumber spouse { idNumber } }'), personRefs([DEMO.husband, DEMO.wife]));
    const [him, her] = res.data._entities;
    const hers = her.marriages[0];
    expect(hers.spouse.idNumber).toBe(DEMO.husband);
    expect(him.marriages.map((m: any) => m.certificateNumber)).toContain(hers.certificateNumber);
  });

  it('returns an empty history and UNMARRIED for an unknown person', async () => {
    const res = await sub.gql(entitiesQuery('maritalStatus marriages { id }'), personRefs(['34052419800101001X']));
    expect(res.data._entities[0]).toEqual({ idNumber: '34052419800101001X', maritalStatus: 'UNMARRIED', marriages: [] });
  });

  it('costs a constant number of statements for 5 or 50 persons', async () => {
    const count = async (n: number) => {
      const before = sub.store.statements;
      const res = await sub.gql(entitiesQuery('maritalStatus marriages { documents { title } spouse { idNumber } }'), personRefs(population.persons.slice(0, n).map((p) => p.idNumber)));
      expect(res.errors).toBeUndefined();
      return sub.store.statements - before;
    };
    const five = await count(5);
    const fifty = await count(50);
    expect(fifty).toBe(five);
    expect(fifty).toBe(1); // registrations with their documents
  });
});

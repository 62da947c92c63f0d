/**
 * The four subgraphs on their production engines (PostgreSQL / MariaDB) behind the gateway:
 * the dossier query walks person -> spouse -> spouse's properties across all departments.
 */
import { DEMO } from '../../subgraphs/common/population';
import { gql, roleHeaders } from '../helpers';
import { startFederation, type Federation } from '../federation';

const DOSSIER = `query Dossier($id: ID!) {
  person(idNumber: $id) {
    idNumber name sex birthDate
    maritalStatus
    marriages { kind date certificateNumber archivalCode spouse { idNumber name realEstate { unitNumber certificateNumber } } }
    realEstate { unitNumber certificateNumber holding owners { idNumber } coOwners { idNumber } mortgages { mortgagee amount } }
    socialInsurance { enrolments { type status } }
    medicalInsurance { enrolments { insuranceType } }
  }
}`;

describe('federation through the gateway (PostgreSQL + MariaDB)', () => {
  let fed: Federation;
  let archivist: Record<string, string>;
  beforeAll(async () => {
    archivist = await roleHeaders('archivist');
    fed = await startFederation();
  });
  afterAll(() => fed?.stop());

  it('serves the dossier query across all four departments', async () => {
    const res = await gql(fed.url, DOSSIER, { id: DEMO.husband }, archivist);
    expect(res.errors).toBeUndefined();
    const p = res.data.person;
    expect(p.name).toBe('张建国');
    expect(p.sex).toBe('MALE');
    expect(p.maritalStatus).toBe('MARRIED');
    const current = p.marriages.at(-1);
    expect(current.spouse.idNumber).toBe(DEMO.wife);
    expect(current.spouse.name).toBe('李秀英');
    // The couple's joint home is visible from both sides.
    const joint = p.realEstate.find((r: any) => r.holding === 'JOINT');
    expect(joint.coOwners.map((o: any) => o.idNumber)).toEqual([DEMO.wife]);
    expect(current.spouse.realEstate.map((r: any) => r.unitNumber)).toContain(joint.unitNumber);
    expect(p.socialInsurance.enrolments.length).toBeGreaterThan(0);
    expect(p.medicalInsurance.enrolments.length).toBeGreaterThan(0);
  });

  it('costs one statement per subgraph fetch: the wife\'s dossier, her husband\'s name and properties included, is six', async () => {
    const before = fed.statements();
    const res = await gql(fed.url, DOSSIER, { id: DEMO.wife }, archivist);
    expect(res.errors).toBeUndefined();
    expect(res.data.person.marriages.at(-1).spouse.realEstate.length).toBeGreaterThan(0);
    const after = fed.statements();
    // social-security and real-estate are each asked twice: for her, then for her husband.
    expect(Object.fromEntries(Object.keys(after).map((k) => [k, after[k as keyof typeof after] - before[k as keyof typeof before]]))).toEqual({
      'social-security': 2,
      'real-estate': 2,
      marriage: 1,
      'medical-insurance': 1,
    });
  });

  it('answers null for an unknown person and BAD_USER_INPUT for a malformed ID without a store call', async () => {
    const unknown = await gql(fed.url, '{ person(idNumber: "34052419800101001X") { name } }', undefined, archivist);
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data.person).toBeNull();

    const before = fed.statements();
    const bad = await gql(fed.url, '{ person(idNumber: "430702198503151230") { name marriages { kind } } }', undefined, archivist);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0].message).toMatch(/check character/);
    expect(fed.statements()).toEqual(before);
  });

  it('lists 50 persons with a constant number of statements per subgraph', async () => {
    const query = `query($ids: [ID!]!) { persons(idNumbers: $ids) { idNumber name maritalStatus marriages { spouse { idNumber } } realEstate { owners { idNumber } } socialInsurance { enrolments { type } } medicalInsurance { enrolments { insuranceType } } } }`;
    const cost = async (n: number) => {
      const ids = fed.population.persons.slice(0, n).map((p) => p.idNumber);
      const before = fed.statements();
      const res = await gql(fed.url, query, { ids }, archivist);
      expect(res.errors).toBeUndefined();
      expect(res.data.persons).toHaveLength(n);
      const after = fed.statements();
      return Object.fromEntries(Object.keys(after).map((k) => [k, after[k as keyof typeof after] - before[k as keyof typeof before]]));
    };
    const five = await cost(5);
    const fifty = await cost(50);
    expect(fifty).toEqual(five);
  });
});

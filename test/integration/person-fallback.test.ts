/**
 * The social-security subgraph serves the `person`/`persons` root fields; with its process down
 * the other departments still answer: the gateway answers the root lookups with the references
 * itself, and only social-security's fields are null, with SUBGRAPH_UNAVAILABLE.
 */
import { DEMO } from '../../subgraphs/common/population';
import { gql, roleHeaders } from '../helpers';
import { startFederation, type Federation } from '../federation';

const DOSSIER = `query Dossier($id: ID!) {
  person(idNumber: $id) {
    idNumber name
    socialInsurance { insuredNumber }
    maritalStatus marriages { kind spouse { idNumber name } }
    realEstate { unitNumber }
    medicalInsurance { personType }
  }
}`;
const LIST = 'query List($ids: [ID!]!) { persons(idNumbers: $ids) { idNumber name maritalStatus } }';

const codes = (res: { errors?: Array<{ extensions?: Record<string, any> }> }) =>
  (res.errors ?? []).map(({ extensions: { code, subgraph, reason } = {} }) => ({ code, subgraph, reason }));

describe('the social-security subgraph down (its process, not its store)', () => {
  let fed: Federation;
  let archivist: Record<string, string>;
  let before: any;

  beforeAll(async () => {
    fed = await startFederation();
    archivist = await roleHeaders('archivist');
    // Another document than the one asked below, which the response cache must not answer.
    before = await gql(fed.url, DOSSIER.replace('idNumber name', 'idNumber name sex'), { id: DEMO.husband }, archivist);
    expect(before.errors).toBeUndefined();
    await fed.subgraphs['social-security'].server.stop();
  });
  afterAll(async () => {
    await fed?.stop();
  });

  it('a dossier still carries the other departments; the register fields are null with SUBGRAPH_UNAVAILABLE', async () => {
    const res = await gql(fed.url, DOSSIER, { id: DEMO.husband }, archivist);
    expect(res.status).toBe(200);
    const { person } = res.data;
    expect(person).toMatchObject({ idNumber: DEMO.husband, name: null, socialInsurance: null });
    expect(person.maritalStatus).toBe(before.data.person.maritalStatus);
    expect(person.marriages).toEqual(before.data.person.marriages.map((m: any) => ({ ...m, spouse: { ...m.spouse, name: null } })));
    expect(person.realEstate).toEqual(before.data.person.realEstate);
    expect(person.medicalInsurance).toEqual(before.data.person.medicalInsurance);
    expect(codes(res)).toContainEqual({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'social-security', reason: 'unreachable' });
    expect(codes(res).every((e) => e.code === 'SUBGRAPH_UNAVAILABLE')).toBe(true);
  });

  it('a list answers each valid ID with the other departments\' fields', async () => {
    const ids = [DEMO.husband, DEMO.wife];
    const res = await gql(fed.url, LIST, { ids }, archivist);
    expect(res.data.persons.map((p: any) => p.idNumber)).toEqual(ids);
    expect(res.data.persons.every((p: any) => p.name === null && typeof p.maritalStatus === 'string')).toBe(true);
    expect(codes(res)).toContainEqual({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'social-security', reason: 'unreachable' });
  });

  it('a malformed ID is still BAD_USER_INPUT at its field, and authorization is unchanged', async () => {
    const bad = await gql(fed.url, 'query { person(idNumber: "430702198503151230") { idNumber maritalStatus } }', undefined, archivist);
    expect(bad.data.person).toBeNull();
    expect(codes(bad).map((e) => e.code)).toContain('BAD_USER_INPUT');
    const anonymous = await gql(fed.url, DOSSIER, { id: DEMO.husband });
    expect(anonymous.data?.person ?? null).toBeNull();
    expect(codes(anonymous).map((e) => e.code)).not.toContain('SUBGRAPH_UNAVAILABLE');
  });
});

/** The embedded default: all four stores on PGlite behind the gateway, as `npm start` runs them. */
import { DEMO } from '../../subgraphs/common/population';
import { gql, roleHeaders } from '../helpers';
import { EMBEDDED_ENGINES, startFederation, type Federation } from '../federation';

describe('federation on embedded stores (PGlite)', () => {
  let fed: Federation;
  let archivist: Record<string, string>;
  beforeAll(async () => {
    archivist = await roleHeaders('archivist');
    fed = await startFederation(EMBEDDED_ENGINES);
  }, 120_000);
  afterAll(() => fed?.stop());

  it('walks person -> spouse -> spouse properties', async () => {
    const res = await gql(
      fed.url,
      `query($id: ID!) { person(idNumber: $id) { name maritalStatus marriages { spouse { idNumber name realEstate { holding owners { idNumber } } } } medicalInsurance { enrolments { insuranceType } } socialInsurance { enrolments { type } } } }`,
      { id: DEMO.husband },
      archivist,
    );
    expect(res.errors).toBeUndefined();
    const spouse = res.data.person.marriages.at(-1).spouse;
    expect(spouse).toMatchObject({ idNumber: DEMO.wife, name: '李秀英' });
    const joint = spouse.realEstate.find((r: any) => r.holding === 'JOINT');
    expect(joint.owners.map((o: any) => o.idNumber).sort()).toEqual([DEMO.husband, DEMO.wife].sort());
    expect(fed.statements()['real-estate']).toBeGreaterThan(0);
  });
});

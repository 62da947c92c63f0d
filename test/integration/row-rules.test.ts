/**
 * Row-level rule and subjects on every root field, through the gateway (issue 11, items 2, 7, 8, 9
 * and 11): a citizen reading strangers' property by unit number, register enumeration, stale cached
 * answers after a correction, audit subjects named only inside another person's record, an
 * interface fragment nulling a whole record, and subgraphs trusting the internal token's signature
 * without checking that its scopes cover the fields asked for.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { dropDatabase } from '../../lib/db';
import { signInternalToken } from '../../lib/tokens';
import { DEMO } from '../../subgraphs/common/population';
import { realEstateRows } from '../../subgraphs/real-estate/seed';
import { ARCHIVIST, gql, INTERNAL_SECRET, roleHeaders, testDbUrl } from '../helpers';
import { startFederation, type Federation } from '../federation';

const AUDIT_URL = testDbUrl('postgres', 'audit')!;
const UNKNOWN_ID = '34052419800101001X'; // checksum-valid, in no store
const UNKNOWN_UNIT = '430702001001GB00001F99999999';
const PROPERTY = `query($u: String!) { propertyRight(unitNumber: $u) {
  location area holding holders { name share } mortgages { mortgagee amount } seizures { court } } }`;

type Res = Awaited<ReturnType<typeof gql>>;
const codes = (res: Res) => [...new Set((res.errors ?? []).map((e) => e.extensions?.code))].sort();
/** A response with what may differ between two equal answers (messages aside) removed. */
const shape = (res: Res) => ({ data: res.data, errors: (res.errors ?? []).map((e) => ({ path: e.path, code: e.extensions?.code })) });

describe('row-level rule and subjects on every root field', () => {
  let fed: Federation;
  let audit: pg.Pool;
  let citizen: Record<string, string>;
  let court: Record<string, string>;
  let archivist: Record<string, string>;
  let home: string; // the demo couple's joint home
  let stranger: string; // a unit neither of them holds

  /** Sends a request and returns the response with the subjects its audit record names. */
  async function audited(query: string, variables: Record<string, unknown> | undefined, headers: Record<string, string>) {
    const requestId = `rr-${randomUUID()}`;
    const res = await gql(fed.url, query, variables, { ...headers, 'x-request-id': requestId });
    const { rows } = await audit.query<{ body: string }>(`SELECT body FROM audit_record WHERE body::jsonb->>'requestId' = $1`, [requestId]);
    expect(rows).toHaveLength(1);
    return { res, subjects: (JSON.parse(rows[0].body).subjects as string[]).sort() };
  }

  beforeAll(async () => {
    await dropDatabase(AUDIT_URL);
    fed = await startFederation({ env: { AUDIT_DB_URL: AUDIT_URL } });
    audit = new pg.Pool({ connectionString: AUDIT_URL, max: 2 });
    [citizen, court, archivist] = await Promise.all([
      roleHeaders('citizen', { sub: DEMO.husband, caseNumber: null }),
      roleHeaders('court'),
      roleHeaders('archivist'),
    ]);
    const rows = realEstateRows(fed.population);
    const holders = (rightId: number) => rows.holders.filter((h) => h.right_id === rightId).map((h) => h.id_number);
    const current = rows.rights.filter((r) => r.status === 'CURRENT');
    home = current.find((r) => holders(r.id).includes(DEMO.husband) && holders(r.id).includes(DEMO.wife))!.unit_number;
    stranger = current.find((r) => !holders(r.id).some((id) => Object.values(DEMO).includes(id as never)) && rows.mortgages.some((m) => m.right_id === r.id))!.unit_number;
  });
  afterAll(async () => {
    await audit?.end();
    await fed?.stop();
    await dropDatabase(AUDIT_URL);
  });

  describe('item 2: a citizen reads only the properties they hold', () => {
    it('refuses a stranger\'s property by unit number, exactly as an unknown unit', async () => {
      const theirs = await gql(fed.url, PROPERTY, { u: stranger }, citizen);
      expect(theirs.data).toEqual({ propertyRight: null });
      expect(codes(theirs)).toEqual(['FORBIDDEN']);
      expect(theirs.errors!.map((e) => e.path)).toEqual([['propertyRight']]);
      const unknown = await gql(fed.url, PROPERTY, { u: UNKNOWN_UNIT }, citizen);
      expect(shape(unknown)).toEqual(shape(theirs));
    });

    it('answers their own home, and the audit record names every holder', async () => {
      const { res, subjects } = await audited(PROPERTY, { u: home }, citizen);
      expect(res.errors).toBeUndefined();
      expect(res.data.propertyRight.holders).toHaveLength(2);
      expect(subjects).toEqual([DEMO.husband, DEMO.wife].sort());
    });

    it('a clerk\'s lookup by unit number names the holders as subjects, even when no person field is asked', async () => {
      const { res, subjects } = await audited('query($u: String!) { propertyRight(unitNumber: $u) { location } }', { u: home }, court);
      expect(res.errors).toBeUndefined();
      expect(subjects).toEqual([DEMO.husband, DEMO.wife].sort());
    });
  });

  describe('item 8: a correction drops the cached answers of a lookup by unit number', () => {
    it('serves the corrected location after correctPropertyLocation', async () => {
      const query = 'query($u: String!) { propertyRight(unitNumber: $u) { location } }';
      await gql(fed.url, query, { u: home }, court);
      const before = fed.statements();
      const cached = await gql(fed.url, query, { u: home }, court);
      expect(fed.statements()).toEqual(before); // served from the cache
      const location = `湖南省常德市武陵区朗州路88号(更正${Date.now()})`;
      const fix = await gql(fed.url, 'mutation($u: String!, $l: String!) { correctPropertyLocation(unitNumber: $u, location: $l) { idNumber } }', { u: home, l: location }, archivist);
      expect(fix.errors).toBeUndefined();
      const after = await gql(fed.url, query, { u: home }, court);
      expect(after.data.propertyRight.location).toBe(location);
      expect(cached.data.propertyRight.location).not.toBe(location);
    });
  });

  describe('item 2: every root field applies the row-level rule, mutations too', () => {
    it('a citizen whose token also carries a write scope cannot correct anyone\'s record', async () => {
      const writer = await roleHeaders('citizen', { sub: DEMO.husband, caseNumber: null, scopes: ['self', 'social-security:read', 'social-security:write'] });
      const res = await gql(fed.url, `mutation { correctPersonName(idNumber: "${DEMO.wife}", name: "冒名") { idNumber } }`, undefined, writer);
      expect(codes(res)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']); // no purpose of a citizen's releases a correction
      // Even with a token the gateway would let through (record-correction, as an archive), a subgraph refuses a citizen.
      const token = await signInternalToken({ principal: { authenticated: true, sub: DEMO.husband, category: 'archive', scopes: ['self', 'social-security:read', 'social-security:write'] }, purpose: 'record-correction' }, 'social-security', INTERNAL_SECRET, 60);
      const direct = await gql(fed.subgraphs['social-security'].url, `mutation { correctPersonName(idNumber: "${DEMO.wife}", name: "冒名") { idNumber } }`, undefined, { authorization: `Bearer ${token}` });
      expect(codes(direct)).toEqual(['FORBIDDEN']);
      const check = await gql(fed.url, `{ person(idNumber: "${DEMO.wife}") { name } }`, undefined, archivist);
      expect(check.data.person.name).not.toBe('冒名');
    });
  });

  describe('item 9: the register cannot be enumerated', () => {
    const PERSONS = 'query($ids: [ID!]!) { persons(idNumbers: $ids) { idNumber } }';

    it('an auditor (audit:read only) learns nothing of who exists', async () => {
      const res = await gql(fed.url, PERSONS, { ids: [DEMO.wife, UNKNOWN_ID] }, await roleHeaders('auditor'));
      expect(res.data).toEqual({ persons: null });
      expect(codes(res)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
      const one = await gql(fed.url, '{ person(idNumber: "430702198706222420") { idNumber } }', undefined, await roleHeaders('auditor'));
      expect(one.data).toEqual({ person: null });
    });

    it('a clerk without a declared purpose learns nothing either', async () => {
      const res = await gql(fed.url, PERSONS, { ids: [DEMO.wife, UNKNOWN_ID] }, await roleHeaders('archivist', { purpose: null }));
      expect(res.data).toEqual({ persons: null });
      expect(codes(res)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
    });

    it('a citizen gets the same for someone else\'s ID as for an unknown one, and their own', async () => {
      const res = await gql(fed.url, PERSONS, { ids: [DEMO.husband, DEMO.wife, UNKNOWN_ID] }, citizen);
      expect(res.data).toEqual({ persons: [{ idNumber: DEMO.husband }, null, null] });
      expect(res.errors!.map((e) => [e.path, e.extensions?.code])).toEqual([
        [['persons', 1], 'FORBIDDEN'],
        [['persons', 2], 'FORBIDDEN'],
      ]);
      const other = await gql(fed.url, '{ person(idNumber: "430702198706222420") { idNumber } }', undefined, citizen);
      const unknown = await gql(fed.url, `{ person(idNumber: "${UNKNOWN_ID}") { idNumber } }`, undefined, citizen);
      expect(other.data).toEqual({ person: null });
      expect(shape(other)).toEqual(shape(unknown));
    });

    it('a clerk with a read scope and a purpose still tells known from unknown', async () => {
      const res = await gql(fed.url, PERSONS, { ids: [DEMO.wife, UNKNOWN_ID] }, court);
      expect(res.errors).toBeUndefined();
      expect(res.data.persons).toEqual([{ idNumber: DEMO.wife }, null]);
    });
  });

  describe('item 11: subjects and interface fragments', () => {
    it('names the spouse and co-holders whose names appear inside another person\'s record', async () => {
      const query = 'query($id: ID!) { person(idNumber: $id) { marriages { spouseName } realEstate { holders { name } } } }';
      const { res, subjects } = await audited(query, { id: DEMO.husband }, court);
      expect(res.errors).toBeUndefined();
      expect(res.data.person.marriages.map((m: any) => m.spouseName)).toContain('王*');
      expect(subjects).toEqual([DEMO.husband, DEMO.wife, DEMO.exWife].sort());
    });

    it('a fragment on ArchivedRecord inside a settlement is judged for the settlement alone', async () => {
      const query = `query($id: ID!) { person(idNumber: $id) { medicalInsurance { settlements { items { settlementId ... on ArchivedRecord { archivalCode } } } } } }`;
      const res = await gql(fed.url, query, { id: DEMO.husband }, await roleHeaders('healthcare-security'));
      expect(res.errors).toBeUndefined();
      const items = res.data.person.medicalInsurance.settlements.items;
      expect(items.length).toBeGreaterThan(0);
      expect(items[0].archivalCode).toMatch(/^J035-/);
    });
  });

  describe('item 7: subgraphs check that the internal token covers the fields they serve', () => {
    const entities = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Person { idNumber medicalInsurance { personType } } } }';
    const call = async (claims: { scopes: string[]; purpose?: string }) => {
      const token = await signInternalToken(
        { principal: { ...ARCHIVIST, scopes: claims.scopes }, purpose: claims.purpose },
        'medical-insurance',
        INTERNAL_SECRET,
        60,
      );
      return gql(fed.subgraphs['medical-insurance'].url, entities, { r: [{ __typename: 'Person', idNumber: DEMO.husband }] }, { authorization: `Bearer ${token}` });
    };

    it('refuses a field the token\'s scopes do not cover, although the token is validly signed', async () => {
      const res = await call({ scopes: ['marriage:read'], purpose: 'archive-management' });
      expect(res.data?._entities).toEqual([{ idNumber: DEMO.husband, medicalInsurance: null }]);
      expect(codes(res)).toEqual(['FORBIDDEN']);
    });

    it('refuses a field whose policy the token does not meet (no declared purpose)', async () => {
      const res = await call({ scopes: ['medical-insurance:read'] });
      expect(res.data?._entities[0].medicalInsurance).toBeNull();
      expect(codes(res)).toEqual(['FORBIDDEN']);
    });

    it('refuses a field the declared purpose does not release (minimum necessary, decided by the same rules as the gateway\'s)', async () => {
      const res = await call({ scopes: ['medical-insurance:read'], purpose: 'litigation' });
      expect(res.data?._entities[0].medicalInsurance).toBeNull();
      expect(codes(res)).toEqual(['FORBIDDEN']);
    });

    it('serves it when the token covers it', async () => {
      const res = await call({ scopes: ['medical-insurance:read'], purpose: 'archive-management' });
      expect(res.errors).toBeUndefined();
      expect(res.data?._entities[0].medicalInsurance.personType).toEqual(expect.any(String));
    });
  });
});

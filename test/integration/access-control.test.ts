/**
 * Per-role views and attacks through the gateway, on the production engines. Each role of
 * lib/roles.ts runs the same dossier query; what it sees, what comes back null with
 * UNAUTHORIZED_FIELD_OR_TYPE and what is masked is asserted.
 */
import { DEMO } from '../../subgraphs/common/population';
import { clientToken, gql, internalHeaders, roleHeaders, entitiesQuery, personRefs, ARCHIVIST, INTERNAL_SECRET } from '../helpers';
import { startFederation, type Federation } from '../federation';
import { signInternalToken, signClientToken } from '../../lib/tokens';
import { makeIdNumber } from '../../lib/id-number';
import { SignJWT } from 'jose';
import { loadConfig } from '../../lib/config';
import { findRole } from '../../lib/roles';

const DOSSIER = `query Dossier($id: ID!) {
  person(idNumber: $id) {
    idNumber name phone
    maritalStatus
    marriages { kind spouseName spouse { idNumber name realEstate { unitNumber } } }
    realEstate { unitNumber holders { name } }
    socialInsurance { enrolments { type } }
    medicalInsurance { enrolments { insuranceType } settlements { items { settlementId totalCost diagnosis { code } } } }
  }
}`;

type Res = Awaited<ReturnType<typeof gql>>;
const deniedPaths = (res: Res) =>
  (res.errors ?? []).filter((e) => e.extensions?.code === 'UNAUTHORIZED_FIELD_OR_TYPE').map((e) => e.path!.join('.')).sort();
const codes = (res: Res) => [...new Set((res.errors ?? []).map((e) => e.extensions?.code))].sort();

describe('access control through the gateway', () => {
  let fed: Federation;
  const dossier = async (headers: Record<string, string>, id: string = DEMO.husband) => gql(fed.url, DOSSIER, { id }, headers);

  beforeAll(async () => {
    fed = await startFederation();
  });
  afterAll(() => fed?.stop());

  describe('roles', () => {
    it('anonymous: nothing of a record, not even whether the person exists', async () => {
      const res = await dossier({});
      expect(res.status).toBe(200);
      expect(res.data).toEqual({ person: null });
      expect(deniedPaths(res)).toContain('person');
    });

    it('court with a case number (litigation): marriage, real estate, social security; phone and medical withheld; PII masked', async () => {
      const res = await dossier(await roleHeaders('court'));
      const p = res.data.person;
      expect(p.idNumber).toBe(DEMO.husband); // the ID the caller asked about is not masked
      expect(p.name).toBe('张**');
      expect(p.phone).toBeNull(); // litigation does not need it (minimum necessary)
      expect(p.maritalStatus).toBe('MARRIED');
      const current = p.marriages.at(-1);
      expect(current.spouseName).toBe('李**');
      expect(current.spouse.idNumber).toBe('430***********2420');
      expect(current.spouse.name).toBe('李**');
      expect(current.spouse.realEstate.length).toBeGreaterThan(0);
      expect(p.realEstate.flatMap((r: any) => r.holders.map((h: any) => h.name))).toContain('张**');
      expect(p.socialInsurance.enrolments.length).toBeGreaterThan(0);
      expect(p.medicalInsurance).toBeNull();
      expect(deniedPaths(res)).toEqual(['person.medicalInsurance', 'person.phone']);
      const phone = res.errors!.find((e) => e.path!.join('.') === 'person.phone')!;
      expect(phone.extensions).toMatchObject({ reason: 'PURPOSE_NOT_COVERED', rules: ['minimum-necessary'] });
      expect(phone.extensions!.purposes).toEqual(expect.arrayContaining(['criminal-investigation']));
    });

    it('court declaring litigation without a case number: nothing, and the error names the missing evidence', async () => {
      const res = await dossier(await roleHeaders('court', { caseNumber: null }));
      expect(res.data.person).toBeNull();
      const [person] = res.errors!.filter((e) => e.path!.join('.') === 'person');
      expect(person.extensions).toMatchObject({ code: 'UNAUTHORIZED_FIELD_OR_TYPE', reason: 'EVIDENCE_REQUIRED', evidence: ['case-number'] });
    });

    it('court confirming a marriage: unit letter and work ID, no case number; only the marriage fields', async () => {
      const res = await dossier(await roleHeaders('court', { purpose: 'marriage-confirmation', evidence: ['unit-letter=武法协〔2026〕12号', 'work-id=FY-0702-1234'] }));
      expect(res.data.person.maritalStatus).toBe('MARRIED');
      expect(res.data.person.marriages.length).toBeGreaterThan(0);
      expect(res.data.person.realEstate).toBeNull();
      expect(res.data.person.socialInsurance).toBeNull();
      const withoutWorkId = await dossier(await roleHeaders('court', { purpose: 'marriage-confirmation', evidence: ['unit-letter=武法协〔2026〕12号'] }));
      expect(withoutWorkId.data.person).toBeNull();
      expect(withoutWorkId.errors![0].extensions).toMatchObject({ reason: 'EVIDENCE_REQUIRED', evidence: ['work-id'] });
    });

    it('no declared purpose: no record, not even whether the person exists', async () => {
      const res = await dossier(await roleHeaders('archivist', { purpose: null }));
      expect(res.data).toEqual({ person: null });
      expect(deniedPaths(res)).toEqual(['person']);
    });

    it.each([['%20'], ['%0A%09'], ['%E2%80%8B'], ['%00']])('a percent-encoded blank purpose (%s) declares none: the same as no purpose', async (purpose) => {
      const headers = { ...(await roleHeaders('archivist', { purpose: null })), 'x-access-purpose': purpose };
      const res = await dossier(headers);
      expect(res.data).toEqual({ person: null });
      expect(deniedPaths(res)).toEqual(['person']);
    });

    it('civil affairs: marriages only', async () => {
      const res = await dossier(await roleHeaders('civil-affairs'));
      const p = res.data.person;
      expect(p.marriages.length).toBe(3);
      expect(p.marriages.at(-1).spouse.realEstate).toBeNull();
      expect(deniedPaths(res)).toEqual(['person.marriages.spouse.realEstate', 'person.medicalInsurance', 'person.phone', 'person.realEstate', 'person.socialInsurance']);
    });

    it('healthcare security: medical records with amounts and diagnoses; nothing else', async () => {
      const res = await dossier(await roleHeaders('healthcare-security'));
      const items = res.data.person.medicalInsurance.settlements.items;
      expect(items.length).toBeGreaterThan(0);
      expect(items.some((i: any) => typeof i.totalCost === 'number')).toBe(true);
      expect(deniedPaths(res)).toEqual(['person.maritalStatus', 'person.marriages', 'person.phone', 'person.realEstate', 'person.socialInsurance']);
    });

    it('medical-insurance:read without medical:sensitive: amounts and diagnoses null, the rest returned', async () => {
      const res = await dossier(await roleHeaders('healthcare-security', { scopes: ['medical-insurance:read'] }));
      const items = res.data.person.medicalInsurance.settlements.items;
      expect(items.length).toBeGreaterThan(0);
      for (const i of items) expect(i).toMatchObject({ settlementId: expect.any(String), totalCost: null, diagnosis: null });
      expect(deniedPaths(res)).toEqual(
        expect.arrayContaining(['person.medicalInsurance.settlements.items.diagnosis', 'person.medicalInsurance.settlements.items.totalCost']),
      );
    });

    it('archivist: every department, unmasked; medical amounts still need medical:sensitive', async () => {
      const res = await dossier(await roleHeaders('archivist'));
      const p = res.data.person;
      expect(p.name).toBe('张建国');
      expect(p.marriages.at(-1).spouse).toMatchObject({ idNumber: DEMO.wife, name: '李秀英' });
      expect(p.medicalInsurance.enrolments.length).toBeGreaterThan(0);
      expect(deniedPaths(res)).toEqual(['person.medicalInsurance.settlements.items.diagnosis', 'person.medicalInsurance.settlements.items.totalCost']);
    });

    it('auditor: audit:read opens no record, not even whether the person exists', async () => {
      const res = await dossier(await roleHeaders('auditor'));
      expect(res.data).toEqual({ person: null });
      expect(deniedPaths(res)).toEqual(['person']);
    });

    it('citizen (self): own records unmasked; the spouse\'s records are refused even through the marriage', async () => {
      const res = await dossier(await roleHeaders('citizen', { sub: DEMO.husband, caseNumber: null }));
      const p = res.data.person;
      expect(p.name).toBe('张建国');
      expect(p.medicalInsurance.settlements.items.length).toBeGreaterThan(0);
      const spouse = p.marriages.at(-1).spouse;
      expect(spouse.idNumber).toBe('430***********2420');
      expect(spouse.name).toBeNull();
      expect(spouse.realEstate).toBeNull();
      expect(codes(res)).toEqual(['FORBIDDEN']);
      const forbidden = res.errors!.map((e) => e.path!.filter((k) => typeof k === 'string').join('.'));
      expect(forbidden).toEqual(expect.arrayContaining(['person.marriages.spouse.name', 'person.marriages.spouse.realEstate']));
    });

    it('citizen (self) asking for someone else gets none of their records, not even whether they exist', async () => {
      const res = await dossier(await roleHeaders('citizen', { sub: DEMO.husband, caseNumber: null }), DEMO.wife);
      expect(res.data).toEqual({ person: null });
      expect(codes(res)).toEqual(['FORBIDDEN']);
    });

    it('reject mode refuses the whole request instead of filtering', async () => {
      const strict = await startFederation({ env: { AUTHZ_MODE: 'reject' }, population: fed.population });
      try {
        const res = await gql(strict.url, DOSSIER, { id: DEMO.husband }, await roleHeaders('civil-affairs'));
        expect(res.data ?? null).toBeNull();
        expect(codes(res)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
        const ok = await gql(strict.url, '{ person(idNumber: "430702198503151239") { marriages { kind } } }', undefined, await roleHeaders('civil-affairs'));
        expect(ok.errors).toBeUndefined();
      } finally {
        await strict.stop();
      }
    });
  });

  describe('identity', () => {
    it.each([
      ['a malformed Authorization header', { authorization: 'Token abc' }],
      ['a garbage token', { authorization: 'Bearer not.a.jwt' }],
    ])('refuses %s with 401 UNAUTHENTICATED', async (_label, headers) => {
      const res = await dossier(headers);
      expect(res.status).toBe(401);
      expect(codes(res)).toEqual(['UNAUTHENTICATED']);
      expect(res.data).toBeUndefined();
    });

    it('refuses an expired token, a token signed with another key and one for another audience', async () => {
      const expired = await clientToken({ scopes: ['marriage:read'] }, Math.floor(Date.now() / 1000) - 10 - Math.floor(Date.now() / 1000));
      const forged = await signClientToken({ sub: 'x', scopes: ['marriage:read', 'pii:unmasked'] }, { secret: 'attacker-secret', issuer: 'archive-federation', audience: 'archive-federation', ttl: '5m' });
      const otherAudience = await signClientToken({ sub: 'x', scopes: ['marriage:read'] }, { secret: (await import('../../lib/config')).loadConfig({}).JWT_SECRET!, issuer: 'archive-federation', audience: 'someone-else', ttl: '5m' });
      for (const token of [expired, forged, otherAudience]) {
        const res = await dossier({ authorization: `Bearer ${token}` });
        expect(res.status).toBe(401);
        expect(codes(res)).toEqual(['UNAUTHENTICATED']);
      }
      const res = await dossier({ authorization: `Bearer ${expired}` });
      expect(res.errors![0].message).toMatch(/expired/);
    });

    it('ignores scopes it does not know (an identity provider\'s openid profile, a known one in another case); the known ones still count', async () => {
      const headers = await roleHeaders('court');
      const court = findRole('court');
      const oidc = await clientToken({ sub: 'court-001', org: court.org, category: 'court', scopes: ['openid', 'profile', 'email', 'MARRIAGE:READ', 'marriage:read'] });
      const res = await dossier({ ...headers, authorization: `Bearer ${oidc}` });
      expect(res.status).toBe(200);
      expect(res.data.person.marriages.length).toBeGreaterThan(0);
      expect(res.data.person.realEstate).toBeNull(); // real-estate:read is not among its scopes
    });

    it('reads scopes from `scp` as an array; a token without a category is released nothing the rules govern', async () => {
      const config = loadConfig({});
      const court = findRole('court');
      const token = await new SignJWT({ scp: ['openid', ...court.scopes], org: court.org })
        .setProtectedHeader({ alg: 'HS256' }).setSubject('court-001').setIssuer(config.JWT_ISSUER).setAudience(config.JWT_AUDIENCE)
        .setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(config.JWT_SECRET!));
      const res = await dossier({ ...(await roleHeaders('court')), authorization: `Bearer ${token}` });
      expect(res.status).toBe(200);
      expect(res.data.person).toBeNull();
      expect(res.errors![0].extensions).toMatchObject({ reason: 'CATEGORY_REQUIRED' });
    });

    it('treats scopes as a set: order does not matter', async () => {
      const a = await dossier(await roleHeaders('housing', { scopes: ['real-estate:read', 'marriage:read'] }));
      const b = await dossier(await roleHeaders('housing', { scopes: ['marriage:read', 'real-estate:read'] }));
      expect(a.data).toEqual(b.data);
      expect(a.data.person.realEstate.length).toBeGreaterThan(0);
    });
  });

  describe('attacks', () => {
    it('aliases and fragments do not reach a protected field', async () => {
      const headers = await roleHeaders('civil-affairs');
      const res = await gql(
        fed.url,
        `query($id: ID!) { a: person(idNumber: $id) { idNumber ...F x: medicalInsurance { enrolments { insuranceType } } } }
         fragment F on Person { ... on Person { m: medicalInsurance { settlements { items { diagnosis { code } } } } } realEstate { unitNumber } }`,
        { id: DEMO.husband },
        headers,
      );
      expect(res.data.a).toEqual({ idNumber: DEMO.husband, m: null, realEstate: null, x: null });
      expect(deniedPaths(res)).toEqual(['a.m', 'a.realEstate', 'a.x']);
    });

    it('subgraphs refuse calls that do not come from the gateway', async () => {
      const marriage = fed.subgraphs.marriage.url;
      const query = entitiesQuery('marriages { spouseName }');
      const vars = personRefs([DEMO.husband]);
      const clientJwt = await clientToken({ scopes: ['marriage:read', 'pii:unmasked'] });
      const expired = await signInternalToken({ principal: ARCHIVIST }, 'marriage', INTERNAL_SECRET, -30);
      const forged = await signInternalToken({ principal: ARCHIVIST }, 'marriage', 'attacker-secret', 60);
      const wrongAudience = await internalHeaders('medical-insurance');
      for (const headers of [{}, { authorization: `Bearer ${clientJwt}` }, { authorization: `Bearer ${expired}` }, { authorization: `Bearer ${forged}` }, wrongAudience]) {
        const res = await gql(marriage, query, vars, headers);
        expect(res.status).toBe(401);
        expect(res.data).toBeUndefined();
        expect(codes(res)).toEqual(['UNAUTHENTICATED']);
      }
      const genuine = await gql(marriage, query, vars, await internalHeaders('marriage'));
      expect(genuine.data._entities[0].marriages.length).toBe(3);
    });

    it('masks other persons\' ID numbers in mutation results and in a named operation of a multi-operation document', async () => {
      const clerk = await roleHeaders('civil-affairs', { scopes: ['marriage:read', 'marriage:write', 'social-security:read'], purpose: 'record-correction' });
      const list = await gql(fed.url, `{ person(idNumber: "${DEMO.husband}") { marriages { id kind } } }`, undefined, clerk);
      const id = list.data.person.marriages.at(-1).id;
      const fix = await gql(fed.url, 'mutation Fix($id: ID!) { correctMarriageOffice(id: $id, office: "常德市武陵区民政局婚姻登记处") { idNumber } }', { id }, clerk);
      expect(fix.errors).toBeUndefined();
      expect(fix.data.correctMarriageOffice.map((p: any) => p.idNumber).sort()).toEqual(['430***********1239', '430***********2420']);
      const doc = `query A { person(idNumber: "${DEMO.wife}") { idNumber } } query B($id: ID!) { person(idNumber: $id) { marriages { spouse { idNumber } } } }`;
      const res = await (await fetch(fed.url, { method: 'POST', headers: { 'content-type': 'application/json', ...clerk }, body: JSON.stringify({ query: doc, operationName: 'B', variables: { id: DEMO.wife } }) })).json();
      expect(res.errors).toBeUndefined();
      expect(res.data.person.marriages.at(-1).spouse.idNumber).toBe('430***********1239');
    });

    it('ID numbers count as supplied only where the executed operation used them as ID arguments', async () => {
      const court = await roleHeaders('court');
      // 5,979 checksum-valid guesses, the spouse's real ID among them, in arguments that never run.
      const guesses = Array.from({ length: 5978 }, (_, i) => makeIdNumber('430702', `1987-06-${String((i % 28) + 1).padStart(2, '0')}`, i % 1000));
      guesses.splice(2989, 0, DEMO.wife);
      const spouseId = (res: Res) => (res.data as any).person.marriages.at(-1).spouse.idNumber;
      // In a field @skip leaves out: it never runs.
      const skipped = await gql(
        fed.url,
        'query($id: ID!, $g: [ID!]!) { person(idNumber: $id) { marriages { spouse { idNumber } } } x: persons(idNumbers: $g) @skip(if: true) { idNumber } }',
        { id: DEMO.husband, g: guesses },
        court,
      );
      expect(skipped.status).toBe(200);
      expect(spouseId(skipped)).toBe('430***********2420');
      // In a field authorization removes (the court may not read medical insurance), and in a String argument.
      const removed = await gql(
        fed.url,
        'query($id: ID!, $w: ID!, $s: String!) { person(idNumber: $id) { marriages { spouse { idNumber } } } y: person(idNumber: $w) { medicalInsurance { personType } } propertyRight(unitNumber: $s) { unitNumber } }',
        { id: DEMO.husband, w: DEMO.wife, s: DEMO.wife },
        court,
      );
      expect(removed.data.y).toBeNull();
      expect(spouseId(removed)).toBe('430***********2420');
      // Asked about by an ID argument, it is the caller's own input and comes back as given.
      const asked = await gql(fed.url, 'query($id: ID!, $w: ID!) { person(idNumber: $id) { marriages { spouse { idNumber } } } w: person(idNumber: $w) { idNumber } }', { id: DEMO.husband, w: DEMO.wife }, court);
      expect(spouseId(asked)).toBe(DEMO.wife);
    });

    it('birth date and county are masked with the ID number they would rebuild it from', async () => {
      const query = `query($id: ID!) { person(idNumber: $id) { birthDate sex address
        marriages { spouse { idNumber birthDate sex address } }
        other: marriages { spouse { birthDate } } } }`;
      const res = await gql(fed.url, query, { id: DEMO.husband }, await roleHeaders('court'));
      expect(res.errors).toBeUndefined();
      const p = res.data.person;
      // The person asked about: the caller knows the ID, so what it encodes is no secret.
      expect(p.birthDate).toBe('1985-03-15');
      expect(p.address).toMatch(/^湖南省常德市武陵区\*+$/);
      const spouse = p.marriages.at(-1).spouse;
      expect(spouse).toEqual({ idNumber: '430***********2420', birthDate: '1987-**-**', sex: 'FEMALE', address: '湖南省常德市****' });
      // Without idNumber selected the gateway still knows whose birth date it is.
      expect(p.other.at(-1).spouse).toEqual({ birthDate: '1987-**-**' });

      const medical = await gql(fed.url, 'query($id: ID!) { person(idNumber: $id) { medicalInsurance { insuredRegion } marriages { spouse { medicalInsurance { insuredRegion insuredRegionName } } } } }', { id: DEMO.husband }, await roleHeaders('archivist', { scopes: ['medical-insurance:read', 'marriage:read', 'social-security:read'] }));
      expect(medical.data.person.medicalInsurance.insuredRegion).toMatch(/^4307\d\d$/);
      expect(medical.data.person.marriages.at(-1).spouse.medicalInsurance).toEqual({ insuredRegion: '4307**', insuredRegionName: '常德市****' });

      // pii:unmasked sees everything; a citizen sees their own record in clear.
      const archivist = await gql(fed.url, query, { id: DEMO.husband }, await roleHeaders('archivist'));
      expect(archivist.data.person.marriages.at(-1).spouse.birthDate).toBe('1987-06-22');
      const own = await gql(fed.url, 'query($id: ID!) { person(idNumber: $id) { birthDate } }', { id: DEMO.husband }, await roleHeaders('citizen', { sub: DEMO.husband, caseNumber: null }));
      expect(own.data.person.birthDate).toBe('1985-03-15');
    });

    it('a subgraph whose every field was removed is not called', async () => {
      const before = fed.statements();
      const res = await gql(fed.url, `{ person(idNumber: "${DEMO.husband}") { medicalInsurance { enrolments { insuranceType } } } }`, undefined, await roleHeaders('civil-affairs'));
      // Nothing left to ask of `person` either, so it goes too (Router semantics): no subgraph is called.
      expect(res.data).toEqual({ person: null });
      expect(deniedPaths(res)).toEqual(['person', 'person.medicalInsurance']);
      expect(fed.statements()['medical-insurance']).toBe(before['medical-insurance']);
    });
  });
});

/**
 * Finding records without an 18-character ID number (issue 15), through the gateway, on the
 * production engines and on the embedded one: legacy (15-digit, lower-case x) IDs on every ID
 * argument, and the catalogue search `searchRecords` with its access rules, masking, paging and
 * audit record.
 */
import { randomUUID } from 'node:crypto';
import { mask } from '../../lib/mask';
import { DEMO } from '../../subgraphs/common/population';
import { marriageRows } from '../../subgraphs/marriage/seed';
import { realEstateRows } from '../../subgraphs/real-estate/seed';
import { clientToken, gql, roleHeaders, type GraphQLResponse } from '../helpers';
import { EMBEDDED_ENGINES, PRODUCTION_ENGINES, startFederation, type Federation } from '../federation';

const SEARCH = `query($filter: RecordSearchFilter!, $first: Int, $after: String) {
  searchRecords(filter: $filter, first: $first, after: $after) {
    edges { cursor node { idNumber name department kind archivalCode year matched } }
    pageInfo { hasNextPage endCursor }
  } }`;
const ALL_READ = ['social-security:read', 'real-estate:read', 'marriage:read', 'medical-insurance:read'];

type Res = GraphQLResponse<any>;
type Node = { idNumber: string; name: string | null; department: string; kind: string; archivalCode: string; year: number; matched: string[] };
const codes = (res: Res) => [...new Set((res.errors ?? []).map((e) => e.extensions?.code))];
const nodes = (res: Res): Node[] => res.data.searchRecords.edges.map((e: { node: Node }) => e.node);
/** The 15-digit form an 18-digit ID of someone born in the 1900s had before 1999. */
const legacyOf = (id: string) => id.slice(0, 6) + id.slice(8, 17);

/** Headers of a caller with `category` (the token claim) and a declared purpose. */
/** The purpose and evidence each category searches under here. */
const BASIS: Record<string, { purpose: string; evidence?: string }> = {
  court: { purpose: 'litigation', evidence: 'case-number=（2026）湘0702民初1234号' },
  archive: { purpose: 'archive-management' },
  citizen: { purpose: 'own-records' },
};

async function caller(sub: string, scopes: string[], category: string, purpose = BASIS[category].purpose, evidence = BASIS[category]?.evidence): Promise<Record<string, string>> {
  return {
    authorization: `Bearer ${await clientToken({ sub, scopes, category })}`,
    'x-access-purpose': purpose,
    ...(evidence ? { 'x-evidence': encodeURIComponent(evidence) } : {}),
  };
}

describe.each([
  ['production engines', PRODUCTION_ENGINES],
  ['the embedded engine', EMBEDDED_ENGINES],
])('finding records on %s', (_label, engines) => {
  let fed: Federation;
  let court: Record<string, string>;
  let archivist: Record<string, string>;
  let auditor: Record<string, string>;
  const search = (filter: Record<string, unknown>, headers: Record<string, string>, page: { first?: number; after?: string } = {}) => gql(fed.url, SEARCH, { filter, ...page }, headers);

  beforeAll(async () => {
    fed = await startFederation({ engines });
    [court, archivist, auditor] = await Promise.all([
      caller(`court-${randomUUID()}`, ['marriage:read', 'real-estate:read', 'social-security:read', 'medical-insurance:read'], 'court'),
      caller(`archivist-${randomUUID()}`, [...ALL_READ, 'pii:unmasked'], 'archive'),
      roleHeaders('auditor'),
    ]);
    // The embedded audit store opens on first use; on a busy machine that outlasts one request's wait.
    while ((await fetch(fed.url.replace(/\/graphql$/, '/readyz'))).status !== 200) await new Promise((r) => setTimeout(r, 500));
  }, 600_000); // four embedded engines take minutes to start on a busy machine
  afterAll(async () => {
    await fed?.stop();
  });

  /** The audit record of the latest request by `headers`' caller. */
  async function lastAudit(headers: Record<string, string>) {
    const sub = JSON.parse(Buffer.from(headers.authorization.split('.')[1], 'base64url').toString()).sub;
    const res = await gql(fed.url.replace(/\/graphql$/, '/audit/graphql'), `query($a: String) { auditRecords(filter: { actor: $a }, first: 1) { edges { node { document variables subjects } } } }`, { a: sub }, auditor);
    expect(res.errors).toBeUndefined();
    return res.data.auditRecords.edges[0].node as { document: string; variables: string; subjects: string[] };
  }

  describe('legacy ID numbers', () => {
    it('answers a 15-digit ID and a lower-case x with the 18-character form, unmasked as supplied, audited under it', async () => {
      const old = fed.population.persons.find((p) => p.birthDate < '1999' && p.birthDate >= '1900')!;
      const withX = fed.population.persons.find((p) => p.idNumber.endsWith('X'))!;
      const res = await gql(fed.url, 'query($ids: [ID!]!) { persons(idNumbers: $ids) { idNumber name birthDate } }', { ids: [legacyOf(old.idNumber), withX.idNumber.toLowerCase()] }, court);
      expect(res.errors).toBeUndefined();
      expect(res.data.persons.map((p: { idNumber: string }) => p.idNumber)).toEqual([old.idNumber, withX.idNumber]);
      expect(res.data.persons[0].birthDate).toBe(old.birthDate); // not masked: the caller supplied this person
      expect((await lastAudit(court)).subjects.sort()).toEqual([old.idNumber, withX.idNumber].sort());
      const one = await gql(fed.url, 'query($id: ID!) { person(idNumber: $id) { idNumber realEstate { unitNumber } } }', { id: legacyOf(DEMO.husband) }, court);
      expect(one.errors).toBeUndefined();
      expect(one.data.person.idNumber).toBe(DEMO.husband);
      expect(one.data.person.realEstate.length).toBeGreaterThan(0); // joined on the 18-character form
    });

    it('refuses a malformed 15-digit ID with BAD_USER_INPUT', async () => {
      const res = await gql(fed.url, 'query($id: ID!) { person(idNumber: $id) { idNumber } }', { id: '430702851301123' }, court); // month 13
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0].message).toMatch(/impossible birth date/);
    });

    it('corrects a record named by a legacy ID and answers with the 18-character form', async () => {
      const person = fed.population.persons.find((p) => p.birthDate < '1990' && p.birthDate >= '1900' && p.idNumber !== DEMO.husband)!;
      const writer = await caller(`archivist-${randomUUID()}`, [...ALL_READ, 'social-security:write', 'pii:unmasked'], 'archive');
      const res = await gql(fed.url, 'mutation($id: ID!) { correctPersonName(idNumber: $id, name: "王更正") { idNumber name } }', { id: legacyOf(person.idNumber) }, writer);
      expect(res.errors).toBeUndefined();
      expect(res.data.correctPersonName).toEqual({ idNumber: person.idNumber, name: '王更正' });
    });
  });

  describe('searchRecords', () => {
    const husband = () => fed.population.persons.find((p) => p.idNumber === DEMO.husband)!;

    it('finds a person\'s records in every department by name and birth date, masked for a court', async () => {
      const { name, birthDate } = husband();
      const res = await search({ name, birthDate }, court);
      expect(res.errors).toBeUndefined();
      const found = nodes(res);
      expect(found.map((n) => n.department)).toEqual(expect.arrayContaining(['marriage', 'real-estate']));
      for (const n of found) {
        expect(n.idNumber).toBe(mask.idNumber(DEMO.husband));
        expect(n.name).toBe(mask.name(name));
        expect(n.matched).toEqual(['name', 'birthDate']);
        expect(n.archivalCode).toContain(`·${n.year}·`);
      }
      const marriages = marriageRows(fed.population).registrations.filter((r) => r.husband_id === DEMO.husband);
      expect(found.filter((n) => n.kind === 'MarriageRecord').map((n) => n.archivalCode).sort()).toEqual(marriages.map((r) => r.archival_code).sort());
      // File-level records rank before the items of a file (settlements).
      const scores = found.map((n) => (n.kind === 'MedicalSettlement' ? 1 : 2));
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    });

    it('records the search terms and the persons on the page in the audit log', async () => {
      const { name, birthYear } = { name: husband().name, birthYear: Number(husband().birthDate.slice(0, 4)) };
      const res = await search({ name, birthYear }, court, { first: 3 });
      expect(res.errors).toBeUndefined();
      const record = await lastAudit(court);
      expect(JSON.parse(record.variables).filter).toEqual({ name, birthYear });
      expect(record.document).toContain('searchRecords');
      expect(record.subjects).toEqual([DEMO.husband]);
    });

    it('finds a marriage registration by its certificate number and a property right by unit number or address', async () => {
      const reg = marriageRows(fed.population).registrations[0];
      const byCertificate = nodes(await search({ certificateNumber: reg.certificate_number }, archivist));
      expect(byCertificate).toEqual([
        { idNumber: reg.husband_id, name: expect.any(String), department: 'marriage', kind: 'MarriageRecord', archivalCode: reg.archival_code, year: Number(reg.archival_code.match(/·(\d{4})·/)![1]), matched: ['certificateNumber'] },
      ]);
      const rights = realEstateRows(fed.population).rights;
      const right = rights[rights.length - 1];
      const onUnit = rights.filter((r) => r.unit_number === right.unit_number).map((r) => r.archival_code).sort();
      const byUnit = nodes(await search({ unitNumber: right.unit_number }, archivist));
      expect(byUnit.map((n) => n.archivalCode).sort()).toEqual(onUnit);
      expect(byUnit.every((n) => n.kind === 'PropertyRight' && n.matched.join() === 'unitNumber')).toBe(true);
      const byAddress = nodes(await search({ address: right.location, archivalCode: right.archival_code }, archivist));
      expect(byAddress.map((n) => [n.archivalCode, n.matched])).toEqual([[right.archival_code, ['address', 'archivalCode']]]);
    });

    it('pages with an opaque cursor: the pages together are the one long page, in the same order, without repeats', async () => {
      const year = Number(husband().birthDate.slice(0, 4));
      const whole = await search({ birthYear: year }, archivist, { first: 100 });
      expect(whole.errors).toBeUndefined();
      const all = nodes(whole).map((n) => n.archivalCode);
      expect(all.length).toBeGreaterThan(7);
      expect(whole.data.searchRecords.pageInfo.hasNextPage).toBe(false);
      const paged: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await search({ birthYear: year }, archivist, { first: 7, after });
        expect(page.errors).toBeUndefined();
        paged.push(...nodes(page).map((n) => n.archivalCode));
        if (!page.data.searchRecords.pageInfo.hasNextPage) break;
        after = page.data.searchRecords.pageInfo.endCursor;
      }
      expect(paged).toEqual(all);
      expect(nodes(whole).every((n) => n.name !== null && !n.name.includes('*'))).toBe(true); // pii:unmasked
    });

    it('applies who may search by what', async () => {
      const { name, birthDate } = husband();
      const nameOnly = await search({ name }, archivist);
      expect(codes(nameOnly)).toEqual(['FORBIDDEN']);
      expect(nameOnly.errors![0].message).toMatch(/birth date or birth year/);
      expect(codes(await search({ birthYear: 1980 }, court))).toEqual(['FORBIDDEN']); // only the archive by year alone
      // An interested party (a citizen declaring a property transaction) searches nothing without the archive's approval.
      const party = await caller(`party-${randomUUID()}`, ['real-estate:read'], 'citizen', 'property-transaction', 'proof-of-interest=房屋买卖合同 HT-2026-0815');
      const unapproved = await search({ name, birthDate }, party);
      expect(unapproved.errors![0].extensions).toMatchObject({ code: 'UNAUTHORIZED_FIELD_OR_TYPE', reason: 'GRANT_REQUIRED' });
      // The registration body itself searches by unit number.
      const right = realEstateRows(fed.population).rights[0];
      const registry = await caller(`registry-${randomUUID()}`, ['real-estate:read', 'social-security:read'], 'real-estate-registration', 'property-transaction');
      const byUnit = await search({ unitNumber: right.unit_number }, registry);
      expect(byUnit.errors).toBeUndefined();
      expect(nodes(byUnit).length).toBeGreaterThan(0);
      expect(nodes(byUnit).every((n) => n.department === 'real-estate')).toBe(true);
    });

    it('lets a citizen find only their own records, their name unmasked', async () => {
      const citizen = await caller(DEMO.husband, ['self', ...ALL_READ], 'citizen');
      const wife = fed.population.persons.find((p) => p.idNumber === DEMO.wife)!;
      const theirs = await search({ name: wife.name, birthDate: wife.birthDate }, citizen);
      expect(theirs.errors).toBeUndefined();
      expect(nodes(theirs)).toEqual([]);
      const reg = marriageRows(fed.population).registrations.find((r) => r.wife_id === DEMO.wife && r.husband_id === DEMO.husband)!;
      const own = nodes(await search({ certificateNumber: reg.certificate_number }, citizen));
      expect(own.map((n) => [n.archivalCode, n.name])).toEqual([[reg.archival_code, husband().name]]);
      const stranger = marriageRows(fed.population).registrations.find((r) => ![r.husband_id, r.wife_id].includes(DEMO.husband))!;
      expect(nodes(await search({ certificateNumber: stranger.certificate_number }, citizen))).toEqual([]);
    });

    it('refuses malformed filters and cursors with BAD_USER_INPUT', async () => {
      for (const [filter, page] of [
        [{}, {}],
        [{ name: '张三', birthDate: '1980-02-30' }, {}],
        [{ name: '张三', birthYear: 1981, birthDate: '1980-01-01' }, {}],
        [{ unitNumber: 'x' }, { first: 0 }],
        [{ unitNumber: 'x' }, { after: 'not-a-cursor' }],
      ] as const) {
        const res = await search(filter, archivist, page);
        expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      }
    });
  });
});

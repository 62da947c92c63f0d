import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { isValidCreditCode } from '../../lib/credit-code';
import type { Store } from '../../lib/db';
import { ARCHIVAL_CODE } from '../../subgraphs/common/archival';
import { DEMO } from '../../subgraphs/common/population';
import { createServer, subgraph } from '../../subgraphs/social-security';
import { socialSecurityRows } from '../../subgraphs/social-security/seed';
import type { SocialSecurityDB } from '../../subgraphs/social-security/store';
import { entitiesQuery, gql, internalHeaders, INTERNAL_SECRET, personRefs, silentLogger, startTestSubgraph, testPopulation, type Engine, type TestSubgraph } from '../helpers';

const population = testPopulation(400);
const rows = socialSecurityRows(population);
const insured = new Set(rows.files.map((f) => f.id_number));
const uninsured = population.persons.find((p) => !insured.has(p.idNumber))!.idNumber;
const UNKNOWN = '34052419800101001X'; // valid, but not in the population
const BAD_CHECK = '430702198503151230';

const PERSON = 'idNumber name sex birthDate phone address';
const CONTRIBUTIONS = (args: string) => `socialInsurance { contributions${args} { totalCount hasNextPage items { period base employerAmount personalAmount paid } } }`;

describe.each<Engine>(['postgres', 'pglite'])('social-security subgraph on %s', (engine) => {
  let sub: TestSubgraph<SocialSecurityDB>;
  beforeAll(async () => {
    sub = await startTestSubgraph(subgraph, engine, population);
  });
  afterAll(() => sub?.stop());

  /** Runs a query and returns the response with the statements it cost. */
  const run = async (query: string, variables?: Record<string, unknown>) => {
    const before = sub.store.statements;
    const res = await sub.gql(query, variables);
    return { ...res, statements: sub.store.statements - before };
  };

  describe('root fields', () => {
    it('finds the demo husband on the register', async () => {
      const res = await run(`query($id: ID!) { person(idNumber: $id) { ${PERSON} } }`, { id: DEMO.husband });
      expect(res.errors).toBeUndefined();
      expect(res.data.person).toEqual({
        idNumber: DEMO.husband,
        name: '张建国',
        sex: 'MALE',
        birthDate: '1985-03-15',
        phone: '13807361234',
        address: '湖南省常德市武陵区朗州路88号',
      });
      expect(res.statements).toBe(1);
    });

    it('returns null for a valid ID the register does not know', async () => {
      const res = await run(`{ person(idNumber: "${UNKNOWN}") { idNumber name } }`);
      expect(res.errors).toBeUndefined();
      expect(res.data.person).toBeNull();
    });

    it.each([
      ['too short', '4307021985031512'],
      ['a bad check character', BAD_CHECK],
      ['an impossible birth date', '430702198513321235'],
    ])('rejects an ID with %s as BAD_USER_INPUT before touching the store', async (_why, id) => {
      const res = await run(`query($id: ID!) { person(idNumber: $id) { idNumber name } }`, { id });
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].extensions?.argumentName).toBe('idNumber');
      expect(res.data?.person ?? null).toBeNull();
      expect(res.statements).toBe(0);
    });

    it('answers persons in the order asked, null where unknown', async () => {
      const res = await run(`query($ids: [ID!]!) { persons(idNumbers: $ids) { idNumber name sex } }`, { ids: [DEMO.wife, UNKNOWN, DEMO.husband, DEMO.wife] });
      expect(res.errors).toBeUndefined();
      expect(res.data.persons).toEqual([
        { idNumber: DEMO.wife, name: '李秀英', sex: 'FEMALE' },
        null,
        { idNumber: DEMO.husband, name: '张建国', sex: 'MALE' },
        { idNumber: DEMO.wife, name: '李秀英', sex: 'FEMALE' },
      ]);
      expect(res.statements).toBe(1);
    });

    it('rejects persons with a malformed ID or more than 100 ids, before touching the store', async () => {
      const query = `query($ids: [ID!]!) { persons(idNumbers: $ids) { idNumber } }`;
      const malformed = await run(query, { ids: [DEMO.husband, BAD_CHECK] });
      expect(malformed.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'idNumbers' });
      const tooMany = await run(query, { ids: population.persons.slice(0, 101).map((p) => p.idNumber) });
      expect(tooMany.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'idNumbers' });
      expect(malformed.statements + tooMany.statements).toBe(0);
      const hundred = await run(query, { ids: population.persons.slice(0, 100).map((p) => p.idNumber) });
      expect(hundred.errors).toBeUndefined();
      expect(hundred.data.persons).toHaveLength(100);
    });
  });

  describe('social insurance', () => {
    it('shows the demo couple enrolled in all five types, paying, with archival metadata', async () => {
      const res = await run(
        `query($ids: [ID!]!) { persons(idNumbers: $ids) { socialInsurance { insuredNumber agency archivalCode fonds retention openStatus
          enrolments { type status firstEnrolledOn archivalCode fonds retention classification openStatus } } } }`,
        { ids: [DEMO.husband, DEMO.wife] },
      );
      expect(res.errors).toBeUndefined();
      for (const { socialInsurance: si } of res.data.persons) {
        expect(si.agency).toBe('常德市武陵区社会保险服务中心');
        expect(si.insuredNumber).toMatch(/^430702\d{8}$/);
        expect(si).toMatchObject({ fonds: 'J031', retention: 'PERMANENT', openStatus: 'CONTROLLED' });
        expect(si.archivalCode).toMatch(ARCHIVAL_CODE);
        expect(si.enrolments.map((e: any) => e.type)).toEqual(['PENSION', 'MEDICAL', 'UNEMPLOYMENT', 'WORK_INJURY', 'MATERNITY']);
        for (const e of si.enrolments) {
          expect(e.status).toBe('PAYING');
          expect(e.firstEnrolledOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
          expect(e.archivalCode).toMatch(/^J031-ZY·SB·\d{4}·(Y|D30)-\d{4,}$/);
          expect(e.retention).toBe(e.type === 'PENSION' ? 'PERMANENT' : 'Y30');
          expect(e.classification).toBeNull();
        }
      }
    });

    it('gives employed persons an employer with a valid Changde credit code', async () => {
      const employed = rows.files.filter((f) => f.employer_unit).slice(0, 30).map((f) => f.id_number);
      const res = await run(`query($ids: [ID!]!) { persons(idNumbers: $ids) { socialInsurance { employer { unitNumber name creditCode } } } }`, { ids: employed });
      expect(res.errors).toBeUndefined();
      for (const p of res.data.persons) {
        const { unitNumber, name, creditCode } = p.socialInsurance.employer;
        expect(isValidCreditCode(creditCode)).toBe(true);
        expect(creditCode.slice(2, 6)).toBe('4307');
        expect(unitNumber).toMatch(/^4307\d{7}$/);
        expect(name.length).toBeGreaterThan(3);
      }
    });

    it('returns null socialInsurance for a registered person who was never insured', async () => {
      const res = await run(`{ person(idNumber: "${uninsured}") { name socialInsurance { agency } } }`);
      expect(res.errors).toBeUndefined();
      expect(res.data.person.name).toBeTruthy();
      expect(res.data.person.socialInsurance).toBeNull();
    });
  });

  describe('contributions', () => {
    const page = async (args: string, id: string = DEMO.husband) => {
      const res = await run(`{ person(idNumber: "${id}") { ${CONTRIBUTIONS(args)} } }`);
      expect(res.errors).toBeUndefined();
      return res.data.person.socialInsurance.contributions;
    };

    it('pages 36 months newest first', async () => {
      const first = await page('');
      expect(first.totalCount).toBe(36);
      expect(first.hasNextPage).toBe(true);
      expect(first.items).toHaveLength(20);
      expect(first.items[0].period).toBe('202512');
      const second = await page('(first: 20, offset: 20)');
      expect(second).toMatchObject({ totalCount: 36, hasNextPage: false });
      expect(second.items).toHaveLength(16);
      expect(second.items.at(-1).period).toBe('202301');
      const periods = [...first.items, ...second.items].map((c: any) => c.period);
      expect(periods).toEqual([...periods].sort().reverse());
      expect(new Set(periods).size).toBe(36);
      for (const c of [...first.items, ...second.items]) {
        expect(c.base).toBeGreaterThan(0);
        expect(c.employerAmount).toBeGreaterThan(c.personalAmount);
        expect(c.personalAmount).toBeGreaterThan(0);
        expect(typeof c.paid).toBe('boolean');
      }
      const beyond = await page('(offset: 40)');
      expect(beyond).toEqual({ totalCount: 36, hasNextPage: false, items: [] });
    });

    it('matches the seeded rows, unpaid months included', async () => {
      const expected = rows.contributions.filter((c) => c.id_number === DEMO.wife).sort((a, b) => (a.period < b.period ? 1 : -1));
      const all = await page('(first: 100)', DEMO.wife);
      expect(all.items.map((c: any) => [c.period, c.base, c.employerAmount, c.personalAmount, c.paid])).toEqual(
        expected.map((c) => [c.period, c.base, c.employer_amount, c.personal_amount, c.paid]),
      );
    });

    it('filters by period, bounds inclusive', async () => {
      const half = await page('(from: "202401", to: "202406")');
      expect(half.totalCount).toBe(6);
      expect(half.items.map((c: any) => c.period)).toEqual(['202406', '202405', '202404', '202403', '202402', '202401']);
      expect((await page('(from: "202510")')).totalCount).toBe(3);
      expect((await page('(to: "202301")')).totalCount).toBe(1);
      expect(await page('(from: "201001", to: "201912")')).toEqual({ totalCount: 0, hasNextPage: false, items: [] });
    });

    it.each([
      ['(from: "202313")', 'from'],
      ['(to: "2024-01")', 'to'],
      ['(from: "202400")', 'from'],
      ['(from: "202406", to: "202401")', 'from'],
      ['(from: "201501", to: "202501")', 'to'],
      ['(first: 0)', 'first'],
      ['(first: 101)', 'first'],
      ['(offset: -1)', 'offset'],
    ])('rejects %s as BAD_USER_INPUT before querying contributions', async (args, argumentName) => {
      const baseline = await run(`{ person(idNumber: "${DEMO.husband}") { socialInsurance { agency } } }`);
      const res = await run(`{ person(idNumber: "${DEMO.husband}") { socialInsurance { agency ${CONTRIBUTIONS(args).replace('socialInsurance { ', '')} } }`);
      expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName });
      expect(res.statements).toBe(baseline.statements);
    });

    it('accepts a range of exactly 10 years', async () => {
      expect((await page('(from: "201601", to: "202512")')).totalCount).toBe(36);
    });
  });

  describe('federation', () => {
    it('resolves Person entities, unknown ones with null fields', async () => {
      const res = await run(entitiesQuery('name birthDate socialInsurance { insuredNumber }'), personRefs([DEMO.wife, UNKNOWN, uninsured]));
      expect(res.errors).toBeUndefined();
      const [wife, unknown, notInsured] = res.data._entities;
      expect(wife).toMatchObject({ idNumber: DEMO.wife, name: '李秀英', birthDate: '1987-06-22' });
      expect(wife.socialInsurance.insuredNumber).toBeTruthy();
      expect(unknown).toEqual({ idNumber: UNKNOWN, name: null, birthDate: null, socialInsurance: null });
      expect(notInsured.socialInsurance).toBeNull();
    });

    it('answers an insurance file of a person the register does not know, in the one statement, and no root person', async () => {
      const file = { ...rows.files[0], id_number: UNKNOWN, insured_number: '43070299999999', archival_code: 'J031-ZY·SB·2009·Y-9999' };
      await sub.store.db.insertInto('insurance_file').values(file).execute();
      try {
        const res = await run(entitiesQuery('name socialInsurance { insuredNumber enrolments { type } }'), personRefs([UNKNOWN, DEMO.wife]));
        expect(res.errors).toBeUndefined();
        expect(res.data._entities[0]).toEqual({ idNumber: UNKNOWN, name: null, socialInsurance: { insuredNumber: file.insured_number, enrolments: [] } });
        expect(res.data._entities[1].socialInsurance.enrolments).toHaveLength(5);
        expect(res.statements).toBe(1);
        expect((await run(`{ person(idNumber: "${UNKNOWN}") { socialInsurance { agency } } }`)).data.person).toBeNull();
      } finally {
        await sub.store.db.deleteFrom('insurance_file').where('id_number', '=', UNKNOWN).execute();
      }
    });

    it('costs a constant number of statements for 5 or 50 persons, contribution pages included', async () => {
      const selection = `${PERSON} socialInsurance { agency enrolments { type status } employer { creditCode }
        contributions(from: "202401", first: 3, offset: 1) { totalCount hasNextPage items { period paid } } }`;
      const count = async (n: number, root: boolean) => {
        const ids = population.persons.slice(0, n).map((p) => p.idNumber);
        const res = root ? await run(`query($ids: [ID!]!) { persons(idNumbers: $ids) { ${selection} } }`, { ids }) : await run(entitiesQuery(selection), personRefs(ids));
        expect(res.errors).toBeUndefined();
        const people = root ? res.data.persons : res.data._entities;
        // Each person's page is theirs: it agrees with the seeded rows.
        people.forEach((p: any, i: number) => {
          const theirs = rows.contributions.filter((c) => c.id_number === ids[i] && c.period >= '202401').map((c) => c.period).sort().reverse();
          if (!p.socialInsurance) return expect(insured.has(ids[i])).toBe(false);
          expect(p.socialInsurance.contributions.totalCount).toBe(theirs.length);
          expect(p.socialInsurance.contributions.items.map((c: any) => c.period)).toEqual(theirs.slice(1, 4));
          expect(p.socialInsurance.contributions.hasNextPage).toBe(theirs.length > 4);
        });
        return res.statements;
      };
      for (const root of [true, false]) {
        const five = await count(5, root);
        const fifty = await count(50, root);
        expect(fifty).toBe(five);
        // register with file, enrolments and employer; contribution page; contribution count
        expect(fifty).toBe(3);
      }
    });
  });
});

describe('social-security subgraph with its store down', () => {
  let server: Awaited<ReturnType<Awaited<ReturnType<typeof createServer>>['listen']>>;
  let db: Kysely<SocialSecurityDB>;
  beforeAll(async () => {
    // Nothing listens on port 1: every statement fails to connect, as when the database is down.
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 2000 });
    db = new Kysely<SocialSecurityDB>({ dialect: new PostgresDialect({ pool }) });
    const store: Store<SocialSecurityDB> = { db, dialect: 'postgres', statements: 0, close: () => db.destroy() };
    server = await (await createServer({ store, logger: silentLogger, internalSecret: INTERNAL_SECRET })).listen(0);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.destroy();
  });

  it('still answers the root with the key, so other departments can, and raises on register fields', async () => {
    const res = await gql(server.url, `query($ids: [ID!]!) { person(idNumber: "${DEMO.husband}") { idNumber name } persons(idNumbers: $ids) { idNumber } }`, { ids: [DEMO.wife, UNKNOWN] }, await internalHeaders('social-security'));
    expect(res.data.person).toEqual({ idNumber: DEMO.husband, name: null });
    expect(res.data.persons).toEqual([{ idNumber: DEMO.wife }, { idNumber: UNKNOWN }]);
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]).toMatchObject({ path: ['person', 'name'], extensions: { code: 'STORE_UNAVAILABLE' } });
  });

  it('still rejects a malformed ID as BAD_USER_INPUT', async () => {
    const res = await gql(server.url, `{ person(idNumber: "${BAD_CHECK}") { idNumber } }`, undefined, await internalHeaders('social-security'));
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

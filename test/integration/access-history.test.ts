/**
 * The citizen's access history (/me/graphql) through the gateway, on a real PostgreSQL audit
 * store: a court's query shows up in the person's history at once, without the clerk's identity;
 * nobody sees another person's history; an access under the non-disclosure rule stays hidden until
 * its delay has passed; only citizens may ask, and every question is itself audited.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DEMO } from '../../subgraphs/common/population';
import { dropDatabase } from '../../lib/db';
import { findRole } from '../../lib/roles';
import { clientToken, gql, roleHeaders, testDbUrl } from '../helpers';
import { startFederation, startGateway, type Federation } from '../federation';

const AUDIT_URL = testDbUrl('postgres', 'access_history')!;
const HISTORY = `query History($first: Int, $after: String) {
  myAccessHistory(first: $first, after: $after) {
    edges { node { time organisation category purpose departments fields fromCache outcome } }
    pageInfo { hasNextPage endCursor }
  }
}`;
/** The org the test configures as hidden (a public-security bureau). */
const POLICE = '常德市公安局武陵分局';
const CLERK = { sub: 'clerk-zhang-0042', name: '张书记员' };

describe('citizen access history (/me/graphql, PostgreSQL)', () => {
  let fed: Federation;
  let db: pg.Pool;
  let meUrl: string;
  const citizen = async (sub: string) => ({ authorization: `Bearer ${await clientToken({ sub, scopes: findRole('citizen').scopes, org: '公民', category: 'citizen' })}` });
  const history = async (sub: string, variables: Record<string, unknown> = {}, url = meUrl) => gql(url, HISTORY, variables, await citizen(sub));
  /** A court's litigation query about `id`, by a named clerk of `org` (a name unique to the test marks its records). */
  async function courtQuery(id: string, org: string, selection = 'name marriages { date kind }') {
    const token = await clientToken({ ...CLERK, scopes: findRole('court').scopes, org, category: 'court' });
    const res = await gql(fed.url, `query($id: ID!) { person(idNumber: $id) { ${selection} } }`, { id }, {
      authorization: `Bearer ${token}`,
      'x-access-purpose': 'litigation',
      'x-case-number': encodeURIComponent('(2026)湘0702民初1234号'),
    });
    expect(res.errors).toBeUndefined();
  }

  beforeAll(async () => {
    await dropDatabase(AUDIT_URL);
    fed = await startFederation({ env: { AUDIT_DB_URL: AUDIT_URL, ACCESS_HISTORY_HIDDEN_ORGS: POLICE } });
    meUrl = fed.url.replace(/\/graphql$/, '/me/graphql');
    db = new pg.Pool({ connectionString: AUDIT_URL, max: 2 });
  }, 60_000);
  afterAll(async () => {
    await fed?.stop();
    await db?.end();
    await dropDatabase(AUDIT_URL);
  });

  it("shows a court's query in the person's history right after, without the clerk's identity", async () => {
    const org = `常德市武陵区人民法院 ${randomUUID()}`;
    await courtQuery(DEMO.husband, org);
    const res = await history(DEMO.husband, { first: 5 });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    const [latest] = res.data.myAccessHistory.edges;
    expect(latest.node).toMatchObject({
      organisation: org,
      category: 'court',
      purpose: 'litigation',
      departments: ['marriage', 'social-security'],
      fields: ['MarriageRecord.date', 'MarriageRecord.kind', 'Person.marriages', 'Person.name', 'Query.person'],
      fromCache: false,
      outcome: 'OK',
    });
    expect(Date.now() - Date.parse(latest.node.time)).toBeLessThan(60_000);
    const text = JSON.stringify(res.data);
    expect(text).not.toContain(CLERK.sub);
    expect(text).not.toContain(CLERK.name);
  });

  it("never shows another person's history, nor the citizen's own reads", async () => {
    // His register entry only: a marriage record would be about the wife too (she sees those).
    const org = `只查丈夫 ${randomUUID()}`;
    await courtQuery(DEMO.husband, org, 'name');
    // The husband reads his own records: not an access by someone else.
    const own = await gql(fed.url, '{ person(idNumber: "430702198503151239") { name } }', {}, { ...(await citizen(DEMO.husband)), 'x-access-purpose': 'own-records' });
    expect(own.data.person.name).toBe('张建国');
    const wife = await history(DEMO.wife, { first: 100 });
    expect(wife.errors).toBeUndefined();
    expect(JSON.stringify(wife.data)).not.toContain(org);
    const husband = await history(DEMO.husband, { first: 100 });
    expect(husband.data.myAccessHistory.edges.map((e: any) => e.node.organisation)).toContain(org);
    expect(husband.data.myAccessHistory.edges.map((e: any) => e.node.organisation)).not.toContain('公民');
  });

  it('shows the spouse an access to a marriage record that names her', async () => {
    const org = `查婚姻记录 ${randomUUID()}`;
    await courtQuery(DEMO.husband, org);
    const wife = await history(DEMO.wife, { first: 100 });
    expect(wife.data.myAccessHistory.edges.map((e: any) => e.node.organisation)).toContain(org);
  });

  it('pages newest first by cursor', async () => {
    const orgs = [1, 2, 3].map((n) => `分页 ${n} ${randomUUID()}`);
    for (const o of orgs) await courtQuery(DEMO.exWife, o);
    const first = await history(DEMO.exWife, { first: 2 });
    expect(first.data.myAccessHistory.edges.map((e: any) => e.node.organisation)).toEqual([orgs[2], orgs[1]]);
    expect(first.data.myAccessHistory.pageInfo.hasNextPage).toBe(true);
    const next = await history(DEMO.exWife, { first: 2, after: first.data.myAccessHistory.pageInfo.endCursor });
    expect(next.data.myAccessHistory.edges[0].node.organisation).toBe(orgs[0]);
    const bad = await history(DEMO.exWife, { first: 0 });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('hides an access under the non-disclosure rule until its delay has passed', async () => {
    await courtQuery(DEMO.husband, POLICE);
    // Default delay (180 days): hidden.
    const hidden = await history(DEMO.husband, { first: 100 });
    expect(hidden.errors).toBeUndefined();
    expect(JSON.stringify(hidden.data)).not.toContain(POLICE);
    // A replica on the same audit store whose rule has a delay of 0 days: the delay has passed.
    const replica = await startGateway(fed, { AUDIT_DB_URL: AUDIT_URL, ACCESS_HISTORY_HIDDEN_ORGS: POLICE, ACCESS_HISTORY_DELAY_DAYS: '0' });
    try {
      const shown = await history(DEMO.husband, { first: 100 }, replica.url.replace(/\/graphql$/, '/me/graphql'));
      const node = shown.data.myAccessHistory.edges.find((e: any) => e.node.organisation === POLICE)?.node;
      expect(node).toMatchObject({ organisation: POLICE, purpose: 'litigation' });
    } finally {
      await replica.stop();
    }
  });

  it('shows the rule to auditors on /audit/graphql', async () => {
    const res = await gql(fed.url.replace(/\/graphql$/, '/audit/graphql'), '{ accessHistoryPolicy { hidden { match field value delayDays } } }', {}, await roleHeaders('auditor'));
    expect(res.errors).toBeUndefined();
    expect(res.data.accessHistoryPolicy.hidden).toEqual([
      { match: 'category=public-security', field: 'category', value: 'public-security', delayDays: 180 },
      { match: 'category=state-security', field: 'category', value: 'state-security', delayDays: 180 },
      { match: `org=${POLICE}`, field: 'org', value: POLICE, delayDays: 180 },
    ]);
    const citizenAsks = await gql(fed.url.replace(/\/graphql$/, '/audit/graphql'), '{ accessHistoryPolicy { hidden { match } } }', {}, await citizen(DEMO.husband));
    expect(citizenAsks.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses anyone but a citizen: 401 anonymous, 403 otherwise', async () => {
    const anonymous = await gql(meUrl, HISTORY, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    for (const headers of [await roleHeaders('court'), await roleHeaders('auditor'), { authorization: `Bearer ${await clientToken({ sub: 'not-an-id', scopes: ['self'] })}` }]) {
      const res = await gql(meUrl, HISTORY, {}, headers);
      expect(res.status).toBe(403);
      expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(res.data?.myAccessHistory).toBeUndefined();
    }
  });

  it('audits every call to /me/graphql', async () => {
    const requestId = `me-${randomUUID()}`;
    await gql(meUrl, HISTORY, {}, { ...(await citizen(DEMO.wife)), 'x-request-id': requestId });
    const { rows } = await db.query<{ body: string }>(`SELECT body FROM audit_record WHERE body::jsonb->>'requestId' = $1`, [requestId]);
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0].body)).toMatchObject({ endpoint: 'me', principal: { sub: DEMO.wife }, outcome: 'OK', fieldsReturned: expect.arrayContaining(['Query.myAccessHistory']) });
  });
});

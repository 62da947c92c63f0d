/**
 * Attacks on the gateway (PostgreSQL + MariaDB subgraphs), each answered with a clear 4xx and a
 * stable code saying which limit and its value, and the gateway answering a normal query right
 * after every one of them. Production mode (introspection off, no suggestions) and batching are
 * separate gateway replicas in front of the same subgraphs.
 */
import { DEMO } from '../../subgraphs/common/population';
import { dropDatabase } from '../../lib/db';
import { gql, roleHeaders, testDbUrl } from '../helpers';
import { productionTestEnv, startFederation, startGateway, type Federation } from '../federation';

/** Raw HTTP, to send what a well-behaved client would not. */
async function send(url: string, init: RequestInit): Promise<{ status: number; type: string | null; body: any; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`Non-JSON ${res.status} (${res.headers.get('content-type')}): ${text.slice(0, 200)}`);
  }
  return { status: res.status, type: res.headers.get('content-type'), body, headers: res.headers };
}
const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const limitOf = (res: { errors?: Array<{ extensions?: Record<string, any> }> }) => res.errors?.[0]?.extensions;

/** person > marriages > spouse, `levels` times, then idNumber: depth 2 * levels + 2. */
const nested = (levels: number) => `${'marriages { spouse { '.repeat(levels)}idNumber${' } }'.repeat(levels)}`;

describe('gateway limits', () => {
  let fed: Federation;
  let archivist: Record<string, string>;
  const extraAuditDbs: string[] = [];
  const auditDb = async (name: string) => {
    const url = testDbUrl('postgres', `audit_${name}`)!;
    await dropDatabase(url);
    extraAuditDbs.push(url);
    return url;
  };
  const ask = (query: string, variables?: Record<string, unknown>, url = fed.url) => gql(url, query, variables, archivist);

  beforeAll(async () => {
    archivist = await roleHeaders('archivist');
    fed = await startFederation();
  });
  afterAll(async () => {
    await fed?.stop();
    for (const url of extraAuditDbs) await dropDatabase(url);
  });

  // After every attack the gateway still serves the dossier walk (depth 6).
  afterEach(async () => {
    const res = await ask(`query($id: ID!) { person(idNumber: $id) { name ${nested(2).replace('idNumber', 'realEstate { owners { idNumber } }')} } }`, { id: DEMO.husband });
    expect(res.errors).toBeUndefined();
    expect(res.data.person.name).toBe('张建国');
  });

  describe('operation limits', () => {
    it('depth: 10 levels is refused with limit, max and actual', async () => {
      const res = await ask(`{ person(idNumber: "${DEMO.husband}") { ${nested(4)} } }`);
      expect(res.status).toBe(400);
      expect(res.data).toBeUndefined();
      expect(limitOf(res)).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'depth', max: 8, actual: 10 });
      expect(res.errors![0].message).toMatch(/10 levels deep; at most 8/);
    });

    it('depth is counted through named and inline fragments', async () => {
      const res = await ask(`{ person(idNumber: "${DEMO.husband}") { ...Walk } }
        fragment Walk on Person { marriages { spouse { ... on Person { ${nested(3)} } } } }`);
      expect(limitOf(res)).toMatchObject({ limit: 'depth', actual: 10 });
    });

    it('a __schema-named operation, fragment or alias does not escape the depth count (GHSA-hmfr-rx46-4jx2)', async () => {
      const viaFragment = await ask(`query __schema { person(idNumber: "${DEMO.husband}") { marriages { spouse { ...__schema } } } }
        fragment __schema on Person { ${nested(3)} }`);
      expect(limitOf(viaFragment)).toMatchObject({ limit: 'depth', actual: 10 });
      const viaAlias = await ask(`{ __schema: person(idNumber: "${DEMO.husband}") { __type: ${nested(4)} } }`);
      expect(limitOf(viaAlias)).toMatchObject({ limit: 'depth', actual: 10 });
    });

    it('aliases: an alias bomb is refused', async () => {
      const res = await ask(`{ person(idNumber: "${DEMO.husband}") { ${Array.from({ length: 40 }, (_, i) => `n${i}: name`).join(' ')} } }`);
      expect(limitOf(res)).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'aliases', max: 15, actual: 40 });
    });

    it('root fields: more than 10 is refused', async () => {
      const res = await ask(`{ ${Array.from({ length: 11 }, (_, i) => `p${i}: person(idNumber: "${DEMO.wife}") { idNumber }`).join(' ')} }`);
      expect(limitOf(res)).toMatchObject({ limit: 'rootFields', max: 10, actual: 11 });
    });

    it('directives: more than 50 is refused', async () => {
      // The same field repeated (one directive per location), so neither aliases nor validation object first.
      const res = await ask(`{ person(idNumber: "${DEMO.husband}") { ${'name @include(if: true) '.repeat(51)}} }`);
      expect(limitOf(res)).toMatchObject({ limit: 'directives', max: 50, actual: 51 });
    });

    it('cost: nested lists over 100 persons are refused before any subgraph is called; the same shape for one person is served', async () => {
      const query = `query($ids: [ID!]!) { persons(idNumbers: $ids) { realEstate { owners { realEstate { owners { idNumber } } } } } }`;
      const ids = fed.population.persons.slice(0, 100).map((p) => p.idNumber);
      const before = fed.statements();
      const res = await ask(query, { ids });
      expect(res.status).toBe(400);
      // realEstate @listSize(assumedSize: 5), owners @listSize(assumedSize: 4), 100 persons by their list argument.
      expect(limitOf(res)).toMatchObject({ code: 'COST_ESTIMATED_TOO_EXPENSIVE', 'cost.estimated': 100 * (1 + 5 * (1 + 4 * (1 + 5 * (1 + 4)))), 'cost.max': 20000 });
      expect(res.errors![0].message).toMatch(/list multiplies/);
      expect(fed.statements()).toEqual(before);
      const one = await ask(query, { ids: [DEMO.husband] });
      expect(one.errors).toBeUndefined();
    });

    it('cost: a list given as a variable\'s default value costs what the same list inline costs', async () => {
      const ids = fed.population.persons.slice(0, 100).map((p) => JSON.stringify(p.idNumber)).join(', ');
      const shape = 'realEstate { owners { realEstate { owners { idNumber } } } }';
      const inline = await ask(`{ persons(idNumbers: [${ids}]) { ${shape} } }`);
      const viaDefault = await ask(`query($ids: [ID!]! = [${ids}]) { persons(idNumbers: $ids) { ${shape} } }`);
      expect(limitOf(inline)).toMatchObject({ code: 'COST_ESTIMATED_TOO_EXPENSIVE', 'cost.estimated': 52600 });
      expect(viaDefault.status).toBe(400);
      expect(limitOf(viaDefault)).toMatchObject({ code: 'COST_ESTIMATED_TOO_EXPENSIVE', 'cost.estimated': 52600 });
      // A provided value still wins over the default.
      const provided = await ask(`query($ids: [ID!]! = [${ids}]) { persons(idNumbers: $ids) { ${shape} } }`, { ids: [DEMO.husband] });
      expect(provided.errors).toBeUndefined();
    });

    it('a fragment bomb (2^30 expansions in 600 tokens) is refused quickly', async () => {
      let fragments = 'fragment F0 on Person { idNumber }\n';
      for (let i = 1; i <= 30; i++) fragments += `fragment F${i} on Person { a: marriages { spouse { ...F${i - 1} } } b: marriages { spouse { ...F${i - 1} } } }\n`;
      const res = await ask(`{ person(idNumber: "${DEMO.husband}") { ...F30 } }\n${fragments}`);
      expect(res.status).toBe(400);
      expect(limitOf(res)).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'aliases', max: 15 });
      expect(limitOf(res)!.actual).toBeGreaterThan(2 ** 30);
    });

    it('circular fragments are a validation error, not a hang', async () => {
      const res = await ask(`{ person(idNumber: "${DEMO.husband}") { ...A } }
        fragment A on Person { marriages { spouse { ...B } } } fragment B on Person { ...A }`);
      expect(res.status).toBe(400);
      expect(limitOf(res)?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.errors![0].message).toMatch(/Cannot spread fragment "A" within itself/);
    });

    it('tokens: a token bomb is refused before parsing, and again when repeated (its count is remembered)', async () => {
      const bomb = json({ query: `{ person(idNumber: "${DEMO.husband}") { ${'name '.repeat(2000)}} }` }, archivist);
      for (let i = 0; i < 2; i++) {
        const res = await send(fed.url, bomb);
        expect(res.status).toBe(400);
        expect(limitOf(res.body)).toEqual({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'tokens', max: 1000 });
      }
    });
  });

  describe('demand control (@cost, @listSize)', () => {
    const metricsOf = async (url: string) => (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
    const histogram = (text: string, name: string, labels = '') => ({
      count: Number(new RegExp(`^${name}_count${labels.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? 0),
      sum: Number(new RegExp(`^${name}_sum${labels.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? 0),
    });
    // person 1 + realEstate 5 × (right 1 + owners 4 × 1) = 26 estimated.
    const dossier = `query Dossier($id: ID!) { person(idNumber: $id) { name realEstate { owners { idNumber } } } }`;

    it('records the estimated cost before planning and the actual cost of the answer in /metrics', async () => {
      const before = await metricsOf(fed.url);
      const res = await ask(dossier, { id: DEMO.husband });
      expect(res.errors).toBeUndefined();
      const after = await metricsOf(fed.url);
      const rights = res.data.person.realEstate as Array<{ owners: unknown[] }>;
      expect(rights.length).toBeGreaterThan(0);
      const actual = 1 + rights.length + rights.reduce((n, r) => n + r.owners.length, 0);
      const estimated = (t: string) => histogram(t, 'gateway_operation_cost_estimated', '{result="COST_OK"}');
      const actualOf = (t: string) => histogram(t, 'gateway_operation_cost_actual');
      expect(estimated(after).count - estimated(before).count).toBe(1);
      expect(estimated(after).sum - estimated(before).sum).toBe(26);
      expect(actualOf(after).count - actualOf(before).count).toBe(1);
      expect(actualOf(after).sum - actualOf(before).sum).toBe(actual);
    });

    it('enforce refuses above DEMAND_CONTROL_MAX_COST; measure serves it and counts it as too expensive', async () => {
      const enforce = await startGateway(fed, { DEMAND_CONTROL_MAX_COST: '25', AUDIT_DB_URL: await auditDb('limits_enforce') });
      const measure = await startGateway(fed, { DEMAND_CONTROL_MAX_COST: '25', DEMAND_CONTROL_MODE: 'measure', AUDIT_DB_URL: await auditDb('limits_measure') });
      try {
        const refused = await ask(dossier, { id: DEMO.husband }, enforce.url);
        expect(refused.status).toBe(400);
        expect(limitOf(refused)).toMatchObject({ code: 'COST_ESTIMATED_TOO_EXPENSIVE', 'cost.estimated': 26, 'cost.max': 25 });
        // Settlements sized by `first` (@listSize slicingArguments) with the page's @cost(weight: 5): 1 + 1 + 5 + 3.
        const small = await ask(`{ person(idNumber: "${DEMO.husband}") { medicalInsurance { settlements(first: 3) { items { settlementId } } } } }`, undefined, enforce.url);
        expect(small.errors).toBeUndefined();
        const served = await ask(dossier, { id: DEMO.husband }, measure.url);
        expect(served.errors).toBeUndefined();
        expect(served.data.person.name).toBe('张建国');
        const text = await metricsOf(measure.url);
        expect(histogram(text, 'gateway_operation_cost_estimated', '{result="COST_ESTIMATED_TOO_EXPENSIVE"}')).toEqual({ count: 1, sum: 26 });
        expect(histogram(text, 'gateway_operation_cost_actual').count).toBe(1);
      } finally {
        await enforce.stop();
        await measure.stop();
      }
    });
  });

  describe('input and HTTP', () => {
    it('a 100 KB idNumber is BAD_USER_INPUT, whether a variable or inline, without echoing it', async () => {
      const huge = '4'.repeat(100 * 1024);
      for (const res of [await ask('query($id: ID!) { person(idNumber: $id) { name } }', { id: huge }), await ask(`{ person(idNumber: "${huge}") { name } }`)]) {
        expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
        expect(res.data?.person ?? null).toBeNull();
        // At most the 24-character excerpt the validation message quotes (stack traces vary in length by checkout path).
        expect(JSON.stringify(res.errors)).not.toContain('4'.repeat(25));
      }
    });

    it('a body over MAX_BODY_BYTES is a 413 JSON error, not an HTML page', async () => {
      const res = await send(fed.url, json({ query: '{ __typename }', variables: { pad: 'x'.repeat(300 * 1024) } }));
      expect(res.status).toBe(413);
      expect(res.type).toMatch(/application\/json/);
      expect(limitOf(res.body)).toEqual({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'bodyBytes', max: 262144 });
    });

    it('malformed JSON is a 400 JSON error', async () => {
      const res = await send(fed.url, json('{"query": "{ __typename }",'));
      expect(res.status).toBe(400);
      expect(res.type).toMatch(/application\/json/);
      expect(limitOf(res.body)?.code).toBe('BAD_REQUEST');
      expect(res.body.errors[0].message).toMatch(/not valid JSON/);
    });

    it('a batched request is refused while batching is off', async () => {
      const res = await send(fed.url, json([{ query: '{ __typename }' }, { query: '{ __typename }' }]));
      expect(res.status).toBe(400);
      expect(limitOf(res.body)?.code).toBe('BAD_REQUEST');
      expect(res.body.errors[0].message).toMatch(/batching disabled/);
    });

    it.each([
      ['GET without a preflight header', { method: 'GET' }],
      ['POST text/plain', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ __typename }"}' }],
      ['POST form-urlencoded', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=%7B__typename%7D' }],
      ['POST multipart', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' }],
    ] as Array<[string, RequestInit]>)('CSRF: %s is refused with 400', async (_name, init) => {
      const res = await send(`${fed.url}?query=${encodeURIComponent('{ __typename }')}`, init);
      expect(res.status).toBe(400);
      expect(limitOf(res.body)?.code).toBe('BAD_REQUEST');
      expect(res.body.errors[0].message).toMatch(/Cross-Site Request Forgery/);
    });

    it('CSRF: a GET with apollo-require-preflight is served', async () => {
      const res = await send(`${fed.url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': 'true' } });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ __typename: 'Query' });
    });

    it('echoes a well-formed x-request-id and replaces a malformed one', async () => {
      const ok = await send(fed.url, json({ query: '{ __typename }' }, { 'x-request-id': 'client-req-42' }));
      expect(ok.headers.get('x-request-id')).toBe('client-req-42');
      const bad = await send(fed.url, json({ query: '{ __typename }' }, { 'x-request-id': 'no spaces or <tags> allowed' }));
      expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('batching on (MAX_BATCH_OPERATIONS=3)', () => {
    let batching: { url: string; stop(): Promise<void> };
    beforeAll(async () => {
      batching = await startGateway(fed, { MAX_BATCH_OPERATIONS: '3', AUDIT_DB_URL: await auditDb('limits_batch') });
    });
    afterAll(() => batching?.stop());

    it('serves a batch within the cap and refuses a longer one', async () => {
      const op = { query: `{ person(idNumber: "${DEMO.wife}") { name } }` };
      const two = await send(batching.url, json([op, op], archivist));
      expect(two.status).toBe(200);
      expect(two.body.map((r: any) => r.data.person.name)).toEqual(['李秀英', '李秀英']);
      const four = await send(batching.url, json([op, op, op, op], archivist));
      expect(four.status).toBe(400);
      expect(limitOf(four.body)).toEqual({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'batch', max: 3, actual: 4 });
    });

    it('counts the tokens of every operation in a batch', async () => {
      const res = await send(batching.url, json([{ query: '{ __typename }' }, { query: `{ ${'__typename '.repeat(1500)}}` }]));
      expect(limitOf(res.body)).toMatchObject({ limit: 'tokens' });
    });
  });

  describe('production (NODE_ENV=production)', () => {
    let prod: { url: string; stop(): Promise<void> };
    beforeAll(async () => {
      // Production refuses the development secrets the test subgraphs and tokens use: pass its checks, then speak them.
      const { env, config } = productionTestEnv();
      prod = await startGateway(fed, { ...env, AUDIT_DB_URL: await auditDb('limits_prod') }, { config });
    });
    afterAll(() => prod?.stop());

    it.each([
      ['__schema', '{ __schema { types { name } } }'],
      ['__type', '{ __type(name: "Person") { fields { name } } }'],
      ['__schema in an inline fragment', '{ ... on Query { __schema { queryType { name } } } }'],
      ['__type in a named fragment', 'query { ...I } fragment I on Query { __type(name: "Person") { name } }'],
    ])('introspection is refused: %s', async (_name, query) => {
      const res = await ask(query, undefined, prod.url);
      expect(res.status).toBe(400);
      expect(res.data).toBeUndefined();
      expect(limitOf(res)).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', validationErrorCode: 'INTROSPECTION_DISABLED' });
    });

    it('an operation named __schema is an ordinary operation: served, and depth-limited', async () => {
      const ok = await ask(`query __schema { person(idNumber: "${DEMO.husband}") { name } }`, undefined, prod.url);
      expect(ok.errors).toBeUndefined();
      expect(ok.data.person.name).toBe('张建国');
      const deep = await ask(`query __schema { person(idNumber: "${DEMO.husband}") { ${nested(4)} } }`, undefined, prod.url);
      expect(limitOf(deep)).toMatchObject({ limit: 'depth', actual: 10 });
    });

    it('hides field suggestions and stack traces (development shows suggestions)', async () => {
      const typo = '{ persn(idNumber: "430702198503151239") { name } }';
      const dev = await ask(typo);
      expect(dev.errors![0].message).toMatch(/Did you mean "person"/);
      const res = await ask(typo, undefined, prod.url);
      expect(res.status).toBe(400);
      expect(res.errors![0].message).toBe('Cannot query field "persn" on type "Query".');
      expect(JSON.stringify(res.errors)).not.toMatch(/Did you mean|stacktrace/);
    });
  });
});

/**
 * gateway/src/authz: reading the directives from a composed supergraph, stripping them for
 * @apollo/gateway, and pruning operations with Apollo Router's semantics.
 */
import { composeServices } from '@apollo/composition';
import { ApolloGateway } from '@apollo/gateway';
import { buildSchema, parse, print, type GraphQLSchema } from 'graphql';
import { readPolicies, type PolicyIndex } from '../../gateway/src/authz/policies';
import { authorizeOperation, type Principal } from '../../gateway/src/authz/authorize';

const FED = (imports: string) => `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: [${imports}])`;

const PEOPLE = `${FED('"@key", "@authenticated", "@requiresScopes", "@policy"')}
type Query {
  person(id: ID!): Person
  people: [Person!]!
  me: Person @authenticated
  records: [Record!]!
  payments: [Payment!]!
  search: [SearchResult!]!
  motd: String
}
type Person @key(fields: "id") {
  id: ID!
  name: String
  idNumber: String @requiresScopes(scopes: [["pii:read", "person:read"], ["admin"]])
  phone: String! @policy(policies: [["own-record"], ["hotline", "on-duty"]])
  internal: Internal
  level: Level
}
type Internal @requiresScopes(scopes: [["internal"]]) { note: String }
enum Level @authenticated { LOW HIGH }
interface Record { id: ID! }
type Marriage implements Record @key(fields: "id") @requiresScopes(scopes: [["marriage:read"]]) { id: ID! spouse: Person }
type Payment implements Record @key(fields: "id") { id: ID! amount: Int }
union SearchResult = Person | Marriage`;

const ESTATE = `${FED('"@key", "@requiresScopes"')}
type Person @key(fields: "id") { id: ID! properties: [Property!] @requiresScopes(scopes: [["real-estate:read"]]) }
type Property { address: String }`;

function compose(...sdls: string[]): string {
  const result = composeServices(sdls.map((sdl, i) => ({ name: `g${i}`, url: `http://g${i}`, typeDefs: parse(sdl) })));
  if (result.errors) throw new Error(result.errors.map(String).join('\n'));
  return result.supergraphSdl;
}

const supergraph = compose(PEOPLE, ESTATE);
const { gatewaySdl, policies } = readPolicies(supergraph);
// A superset of the API schema (it keeps the join__ types); coordinates are the same.
const schema: GraphQLSchema = buildSchema(gatewaySdl);

const anonymous: Principal = { authenticated: false, scopes: new Set() };
const user = (...scopes: string[]): Principal => ({ authenticated: true, scopes: new Set(scopes) });

function run(query: string, principal: Principal, opts: { policies?: PolicyIndex; granted?: string[]; variables?: Record<string, unknown> } = {}) {
  const result = authorizeOperation({
    document: parse(query), schema, policies: opts.policies ?? policies, principal,
    policyCheck: (name) => (opts.granted ?? []).includes(name), variables: opts.variables,
  });
  return { ...result, text: print(result.document).replace(/\s+/g, ' ').trim(), paths: result.denied.map((d) => d.path.join('.')) };
}

describe('readPolicies', () => {
  it('indexes field- and type-level requirements by coordinate', () => {
    expect(policies.fields.get('Person.idNumber')).toEqual({ authenticated: false, scopes: [['pii:read', 'person:read'], ['admin']], policies: [] });
    expect(policies.fields.get('Person.phone')?.policies).toEqual([['own-record'], ['hotline', 'on-duty']]);
    expect(policies.fields.get('Query.me')?.authenticated).toBe(true);
    expect(policies.types.get('Internal')?.scopes).toEqual([['internal']]);
    expect(policies.types.get('Level')?.authenticated).toBe(true);
    expect(policies.fields.get('Person.properties')?.scopes).toEqual([['real-estate:read']]);
    expect(policies.fields.has('Person.name')).toBe(false); // no directive: open
  });

  it('sees the requirement composition copies from an implementation onto its interface', () => {
    expect(policies.types.get('Record')?.scopes).toEqual([['marriage:read']]);
  });

  it('strips the SECURITY links, directive definitions, usages and scalars', () => {
    expect(supergraph).toMatch(/requiresScopes\/v0\.1", for: SECURITY/);
    for (const gone of ['SECURITY)', '@authenticated', '@requiresScopes', '@policy', 'requiresScopes__Scope', 'policy__Policy']) {
      expect(gatewaySdl).not.toContain(gone);
    }
    expect(gatewaySdl).toContain('https://specs.apollo.dev/join/v0.5');
  });

  it('passes a supergraph without the directives through unchanged', () => {
    const plain = compose(`${FED('"@key"')}\ntype Query { hello: String }`);
    expect(readPolicies(plain)).toEqual({ gatewaySdl: plain, policies: { types: new Map(), fields: new Map() } });
  });

  it('resolves renamed imports, composition\'s namespaced names and a renamed namespace', () => {
    const expected = [['a', 'b'], ['c']];
    const renamed = compose(`${FED('{name: "@requiresScopes", as: "@scopes"}')}\ntype Query { x: String @scopes(scopes: [["a", "b"], ["c"]]) }`);
    expect(renamed).toContain('as: "@scopes"');
    const namespaced = compose(`${FED('"@key"')}\ntype Query { x: String @federation__requiresScopes(scopes: [["a", "b"], ["c"]]) }`);
    expect(namespaced).toContain('@federation__requiresScopes(');
    // Not produced by composition but valid link semantics (Router's tests use it): `as:` renames the namespace.
    const aliased = compose(`${FED('"@requiresScopes"')}\ntype Query { x: String @requiresScopes(scopes: [["a", "b"], ["c"]]) }`)
      .replace('requiresScopes/v0.1", for: SECURITY', 'requiresScopes/v0.1", as: "rs", for: SECURITY')
      .replace(/@requiresScopes\(/g, '@rs(').replace(/requiresScopes__Scope/g, 'rs__Scope');
    for (const sdl of [renamed, namespaced, aliased]) {
      const read = readPolicies(sdl);
      expect(read.policies.fields.get('Query.x')?.scopes).toEqual(expected);
      expect(read.gatewaySdl).not.toMatch(/@scopes|@federation__requiresScopes|@rs\b|rs__Scope|SECURITY\)/);
      // …and the renamed directive is enforced like the original.
      const check = (scopes: string[]) => authorizeOperation({ document: parse('{ x }'), schema: buildSchema(read.gatewaySdl),
        policies: read.policies, principal: user(...scopes), policyCheck: () => false });
      expect(check(['a'])).toMatchObject({ empty: true, denied: [{ path: ['x'], coordinate: 'Query.x' }] });
      expect(check(['c']).denied).toEqual([]);
    }
  });

  it('fails closed on an unknown spec version or a directive where it would not be enforced', () => {
    expect(() => readPolicies(supergraph.replace('authenticated/v0.1', 'authenticated/v0.2'))).toThrow(/Unsupported .*authenticated\/v0\.2/);
    const onArgument = supergraph.replace('person(id: ID!)', 'person(id: ID! @authenticated)');
    expect(() => readPolicies(onArgument)).toThrow(/Query\.person\(id:\)/);
  });

  it('@apollo/gateway refuses the composed supergraph but loads the stripped one', async () => {
    const refused = new ApolloGateway({ supergraphSdl: supergraph });
    await expect(refused.load()).rejects.toThrow(/authenticated\/v0\.1 is for: SECURITY but is unsupported/);
    const gateway = new ApolloGateway({ supergraphSdl: gatewaySdl });
    const { schema: apiSchema } = await gateway.load();
    try {
      expect(apiSchema.getQueryType()?.getFields().me).toBeDefined();
      expect(apiSchema.getDirective('requiresScopes')).toBeUndefined();
    } finally {
      await gateway.stop();
    }
  });
});

describe('authorizeOperation', () => {
  it('@requiresScopes on a field: AND within a group, OR between groups, any order, case-sensitive', () => {
    const q = '{ person(id: "1") { name idNumber } }';
    expect(run(q, user('pii:read')).paths).toEqual(['person.idNumber']);
    expect(run(q, user('person:read', 'pii:read')).denied).toEqual([]); // order differs from the schema's
    expect(run(q, user('admin')).denied).toEqual([]);
    expect(run(q, user('PII:read', 'person:read')).paths).toEqual(['person.idNumber']);
    const denied = run(q, anonymous);
    expect(denied.text).toBe('{ person(id: "1") { name } }');
    expect(denied.denied).toEqual([{ path: ['person', 'idNumber'], coordinate: 'Person.idNumber', types: ['Person', 'String'] }]);
  });

  it('returns the input document itself when nothing is denied', () => {
    const document = parse('{ person(id: "1") { name } }');
    const result = authorizeOperation({ document, schema, policies, principal: anonymous, policyCheck: () => false });
    expect(result).toEqual({ document, denied: [], empty: false });
    expect(result.document).toBe(document);
  });

  it('type-level requirements apply to every field returning the type (object, enum)', () => {
    const q = '{ person(id: "1") { name internal { note } level } }';
    const r = run(q, anonymous);
    expect(r.denied.map((d) => d.coordinate)).toEqual(['Person.internal', 'Person.level']);
    expect(r.text).toBe('{ person(id: "1") { name } }');
    expect(run(q, user('internal')).denied).toEqual([]);
  });

  it('@authenticated; a whole operation denied keeps a valid document and says so', () => {
    const r = run('query Me { me { name } }', anonymous);
    expect(r).toMatchObject({ empty: true, paths: ['me'], text: 'query Me { __typename }' });
    expect(run('query Me { me { name } }', user()).denied).toEqual([]);
  });

  it('@policy asks the check once per name and ORs the groups', () => {
    const asked: string[] = [];
    const check = (granted: string[]) => (name: string) => (asked.push(name), granted.includes(name));
    const document = parse('{ a: person(id: "1") { phone } b: person(id: "2") { phone name } }');
    const base = { document, schema, policies, principal: user() };
    expect(authorizeOperation({ ...base, policyCheck: check(['hotline']) }).denied.map((d) => d.path.join('.'))).toEqual(['a.phone', 'a', 'b.phone']);
    expect(asked.sort()).toEqual(['hotline', 'on-duty', 'own-record']);
    expect(authorizeOperation({ ...base, policyCheck: check(['hotline', 'on-duty']) }).denied).toEqual([]);
    expect(authorizeOperation({ ...base, policyCheck: check(['own-record']) }).denied).toEqual([]);
  });

  it('reports aliases as the response path', () => {
    const r = run('{ who: person(id: "1") { n: name secret: idNumber } }', anonymous);
    expect(r.paths).toEqual(['who.secret']);
    expect(r.text).toBe('{ who: person(id: "1") { n: name } }');
  });

  it('a named fragment spread in several places is judged at each place', () => {
    const q = `{ person(id: "1") { ...P } me { ...P } people { ...P ...P } }
      fragment P on Person { name properties { address } }`;
    const r = run(q, user());
    expect(r.paths).toEqual(['person.properties', 'me.properties', 'people.properties']);
    expect(r.text).toBe('{ person(id: "1") { ... on Person { name } } me { ... on Person { name } } people { ... on Person { name } ... on Person { name } } }');
    expect(run(q, user('real-estate:read')).denied).toEqual([]);
  });

  it('walks inline and nested fragments', () => {
    const q = `{ person(id: "1") { ... on Person { ...Outer ... { idNumber } } } }
      fragment Outer on Person { name ...Inner }
      fragment Inner on Person { internal { note } }`;
    const r = run(q, user());
    expect(r.denied.map((d) => d.coordinate).sort()).toEqual(['Person.idNumber', 'Person.internal']);
    expect(r.text).toBe('{ person(id: "1") { ... on Person { ... on Person { name } } } }');
  });

  it('removes a field whose selection set was emptied, and reports it', () => {
    const r = run('{ motd person(id: "1") { idNumber internal { note } } }', anonymous);
    expect(r.paths).toEqual(['person.idNumber', 'person.internal', 'person']);
    expect(r.text).toBe('{ motd }');
    expect(r.empty).toBe(false);
  });

  it('keeps __typename and introspection', () => {
    const r = run('{ __typename __schema { queryType { name } } person(id: "1") { __typename idNumber } }', anonymous);
    expect(r.text).toBe('{ __typename __schema { queryType { name } } person(id: "1") { __typename } }');
    expect(r.paths).toEqual(['person.idNumber']);
  });

  it('denies fields under a fragment whose type condition is unmet, only for that type', () => {
    const r = run('{ search { ... on Person { name } ... on Marriage { id spouse { name } } } }', user());
    expect(r.text).toBe('{ search { ... on Person { name } } }');
    expect(r.denied).toEqual([
      { path: ['search', 'id'], coordinate: 'Marriage.id', types: ['[SearchResult!]!', 'ID!'], onTypes: ['Marriage'] },
      { path: ['search', 'spouse'], coordinate: 'Marriage.spouse', types: ['[SearchResult!]!', 'Person'], onTypes: ['Marriage'] },
    ]);
    expect(run('{ search { ... on Marriage { id } } }', user('marriage:read')).denied).toEqual([]);
  });

  it('interfaces: judged by the interface\'s requirement and each implementation\'s', () => {
    expect(run('{ records { id } }', user()).paths).toEqual(['records']);
    expect(run('{ records { id ... on Payment { amount } } }', user('marriage:read')).denied).toEqual([]);
    // Hand-made index: an implementation's field requirement that composition did not copy up.
    const fields = new Map([['Payment.id', { authenticated: true, scopes: [], policies: [] }]]);
    const index: PolicyIndex = { types: new Map(), fields };
    const r = run('{ records { __typename id ... on Marriage { id } } }', anonymous, { policies: index });
    expect(r.paths).toEqual(['records.id']);
    expect(r.text).toBe('{ records { __typename ... on Marriage { id } } }');
  });

  it('a fragment on an interface inside one of its implementations is judged for that implementation only', () => {
    // Composition copies Marriage's marriage:read onto Record; a Payment needs none, so neither does `... on Record` in it.
    const r = run('{ payments { amount ... on Record { id } } }', user());
    expect(r.denied).toEqual([]);
    expect(r.text).toBe('{ payments { amount ... on Record { id } } }');
    expect(run('{ records { ... on Record { id } } }', user()).paths).toEqual(['records']);
  });

  it('a requirement on the root type denies every root field', () => {
    const index: PolicyIndex = { types: new Map([['Query', { authenticated: true, scopes: [], policies: [] }]]), fields: new Map() };
    const r = run('{ __typename motd person(id: "1") { name } }', anonymous, { policies: index });
    expect(r).toMatchObject({ paths: ['motd', 'person'], text: '{ __typename }', empty: false });
  });

  it('statically skipped selections are dropped silently, and unused variables go with them', () => {
    const q = 'query Q($s: Boolean!, $id: ID!) { motd @skip(if: $s) person(id: $id) { idNumber @skip(if: $s) } }';
    const skipped = run(q, anonymous, { variables: { s: true, id: '1' } });
    expect(skipped.denied.map((d) => d.path.join('.'))).toEqual(['person']); // emptied by the drop
    expect(skipped.text).toBe('query Q($s: Boolean!) { motd @skip(if: $s) }');
    expect(run(q, anonymous, { variables: { s: false, id: '1' } }).paths).toEqual(['person.idNumber', 'person']);
    expect(run(q, anonymous).paths).toEqual(['person.idNumber', 'person']); // variables unknown: enforce
    expect(run('{ motd person(id: "1") { idNumber @include(if: false) name } }', anonymous)).toMatchObject({ denied: [], text: '{ motd person(id: "1") { name } }' });
  });

  it('selects the named operation and refuses documents that do not match the schema', () => {
    const base = { schema, policies, principal: anonymous, policyCheck: () => false };
    const document = parse('query A { motd } query B { me { name } motd }');
    const r = authorizeOperation({ ...base, document, operationName: 'B' });
    expect(print(r.document).replace(/\s+/g, ' ').trim()).toBe('query B { motd }');
    expect(() => authorizeOperation({ ...base, document })).toThrow(/operationName/);
    expect(() => authorizeOperation({ ...base, document: parse('{ nope }') })).toThrow(/validate the document first/);
  });
});

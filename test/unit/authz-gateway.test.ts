/**
 * The pruned operation runs through a real @apollo/gateway (in-process subgraphs, no ports): the
 * stripped supergraph loads, the pruned document plans and executes, a subgraph whose every
 * field was removed is not called, and the filled response has Router's shape.
 */
import { composeServices } from '@apollo/composition';
import { ApolloGateway, LocalGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, print, type GraphQLSchema } from 'graphql';
import { authorizeOperation, type Principal } from '../../gateway/src/authz/authorize';
import { deniedErrors, fillDenied } from '../../gateway/src/authz/errors';
import { readPolicies } from '../../gateway/src/authz/policies';

const FED = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@requiresScopes", "@policy"])';
const people = [{ id: '1', name: 'Zhang', idNumber: '430102199001011234', phone: '13800000000' }, { id: '2', name: 'Li', idNumber: '430102199202021234', phone: '13900000000' }];

const subgraphs = {
  people: {
    typeDefs: `${FED}
      type Query { person(id: ID!): Person  people: [Person!]! }
      type Person @key(fields: "id") { id: ID! name: String idNumber: String @requiresScopes(scopes: [["pii:read"]]) phone: String! @policy(policies: [["own-record"]]) }`,
    resolvers: {
      Query: { person: (_: unknown, a: { id: string }) => people.find((p) => p.id === a.id), people: () => people },
      Person: { __resolveReference: (ref: { id: string }) => people.find((p) => p.id === ref.id) },
    },
  },
  estate: {
    typeDefs: `${FED}
      type Person @key(fields: "id") { id: ID! properties: [Property!] @requiresScopes(scopes: [["real-estate:read"]]) }
      type Property { address: String }`,
    resolvers: { Person: { properties: () => [{ address: '武陵区 1 号' }] } },
  },
};

const calls: Record<string, number> = { people: 0, estate: 0 };
let server: ApolloServer;
let apiSchema: GraphQLSchema;
let policies: ReturnType<typeof readPolicies>['policies'];

beforeAll(async () => {
  const composed = composeServices(Object.entries(subgraphs).map(([name, s]) => ({ name, url: `http://${name}`, typeDefs: parse(s.typeDefs) })));
  if (composed.errors) throw new Error(composed.errors.map(String).join('\n'));
  const read = readPolicies(composed.supergraphSdl);
  policies = read.policies;
  const gateway = new ApolloGateway({
    supergraphSdl: read.gatewaySdl,
    buildService: ({ name }) => {
      const s = subgraphs[name as keyof typeof subgraphs];
      const source = new LocalGraphQLDataSource(buildSubgraphSchema({ typeDefs: parse(s.typeDefs), resolvers: s.resolvers as never }));
      const process = source.process.bind(source);
      source.process = (options) => ((calls[name] += 1), process(options));
      return source;
    },
  });
  server = new ApolloServer({ gateway });
  await server.start();
  apiSchema = gateway.schema!; // the API schema @apollo/gateway derived from the stripped supergraph
});

afterAll(async () => {
  await server?.stop();
});

beforeEach(() => {
  calls.people = 0;
  calls.estate = 0;
});

/** What a gateway plugin would do: prune, execute the pruned document, fill nulls, add errors. */
async function query(text: string, principal: Principal, granted: string[] = []) {
  const { document, denied, empty } = authorizeOperation({
    document: parse(text), schema: apiSchema, policies, principal, policyCheck: (p) => granted.includes(p),
  });
  let data: Record<string, unknown> | null | undefined = {};
  let errors: readonly unknown[] = [];
  if (!empty) {
    const res = await server.executeOperation({ query: print(document) });
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    data = res.body.singleResult.data;
    errors = res.body.singleResult.errors ?? [];
  }
  return { data: fillDenied(data, denied), errors: [...errors, ...deniedErrors(denied).map((e) => e.toJSON())], sent: print(document) };
}

const nobody: Principal = { authenticated: true, scopes: new Set() };
const court: Principal = { authenticated: true, scopes: new Set(['pii:read', 'real-estate:read']) };
const unauthorized = (path: string[]) => ({ message: 'Unauthorized field or type', path, extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } });

describe('authz through @apollo/gateway', () => {
  it('returns the allowed data, null and an error at each denied path, and skips a subgraph left with nothing to do', async () => {
    const r = await query('{ person(id: "1") { name idNumber properties { address } } }', nobody);
    expect(r.sent).not.toMatch(/idNumber|properties/);
    expect(r.data).toEqual({ person: { name: 'Zhang', idNumber: null, properties: null } });
    expect(r.errors).toEqual([unauthorized(['person', 'idNumber']), unauthorized(['person', 'properties'])]);
    expect(calls).toEqual({ people: 1, estate: 0 });
  });

  it('serves everything to a caller holding the scopes, across both subgraphs', async () => {
    const r = await query('{ person(id: "1") { name idNumber properties { address } } }', court);
    expect(r.errors).toEqual([]);
    expect(r.data).toEqual({ person: { name: 'Zhang', idNumber: '430102199001011234', properties: [{ address: '武陵区 1 号' }] } });
    expect(calls).toEqual({ people: 1, estate: 1 });
  });

  it('nulls a denied field in every list item; a denied non-null field propagates like GraphQL', async () => {
    const nullable = await query('{ people { name idNumber } }', nobody);
    expect(nullable.data).toEqual({ people: [{ name: 'Zhang', idNumber: null }, { name: 'Li', idNumber: null }] });
    const nonNull = await query('{ people { name phone } }', nobody);
    expect(nonNull.data).toBeNull(); // people: [Person!]! and phone: String!: nothing nullable in between
    expect(nonNull.errors).toEqual([unauthorized(['people', 'phone'])]);
    expect((await query('{ people { phone } }', nobody, ['own-record'])).data).toEqual({ people: [{ phone: '13800000000' }, { phone: '13900000000' }] });
  });

  it('a fully denied operation calls no subgraph, and its placeholder document calls none either', async () => {
    const r = await query('{ person(id: "1") { idNumber } }', nobody);
    expect(r).toEqual({ data: { person: null }, errors: [unauthorized(['person', 'idNumber']), unauthorized(['person'])], sent: '{\n  __typename\n}' });
    const placeholder = await server.executeOperation({ query: r.sent });
    expect(placeholder.body.kind === 'single' && placeholder.body.singleResult.data).toEqual({ __typename: 'Query' });
    expect(calls).toEqual({ people: 0, estate: 0 });
  });
});

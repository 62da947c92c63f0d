/**
 * The operation measurements behind the gateway's limits, on a small schema: depth, aliases, root
 * fields, directives and cost, with fragments expanded, introspection set apart without opening a
 * bypass, fragment cycles refused and fragment bombs measured in linear time.
 */
import { buildSchema, getIntrospectionQuery, parse } from 'graphql';
import { countTokens } from '../../gateway/src/limits/tokens';
import { limitExceeded } from '../../gateway/src/limits/errors';
import { measureOperation, type Measurement } from '../../gateway/src/limits/measure';
import { readCostDirectives } from '../../gateway/src/limits/cost-directives';
import { actualCost } from '../../gateway/src/limits/actual-cost';
import { operationLimitsPlugin, type OperationLimits } from '../../gateway/src/limits/plugin';
import { selectOperation } from '../../lib/graphql/operation';

/** A supergraph-shaped SDL: the cost spec linked as composition links it (`@cost` by namespace, `@listSize` imported). */
const sdl = `
  schema @link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@listSize"]) { query: Query  mutation: Mutation }
  directive @link(url: String, as: String, import: [String]) repeatable on SCHEMA
  directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
  type Query {
    person(idNumber: ID!): Person
    persons(idNumbers: [ID!]!): [Person]! @listSize(assumedSize: 100)
    search(name: String @cost(weight: 7), first: Int, last: Int): [Person!]! @listSize(slicingArguments: ["first", "last"])
    version: String
  }
  type Mutation { correct(id: ID!): [Person!]! @listSize(assumedSize: 2) }
  type Person {
    idNumber: ID!  name: String  marriages: [Marriage!]  realEstate: [Property!] @listSize(assumedSize: 5)
    settlements(first: Int): SettlementPage! @listSize(slicingArguments: ["first"], assumedSize: 20, sizedFields: ["items"], requireOneSlicingArgument: false) @cost(weight: 5)
  }
  type Marriage { kind: String  spouse: Person! }
  type Property { location: String  owners: [Person!]! }
  type SettlementPage { items: [Settlement!]!  totalCount: Int! }
  type Settlement { id: ID!  diagnosis: Diagnosis }
  type Diagnosis @cost(weight: 3) { code: String }
`;
const schema = buildSchema(sdl);
const costs = readCostDirectives(sdl);

const operationOf = (query: string) => {
  const document = parse(query);
  return { document, operation: selectOperation(document)! };
};

function measure(query: string, variables?: Record<string, unknown>, listSize = 10): Measurement {
  const { document, operation } = operationOf(query);
  return measureOperation(document, operation, schema, { listSize, costs, variables });
}

describe('measureOperation', () => {
  it('counts depth with leaves, so the dossier walk person > marriages > spouse > realEstate > owners > idNumber is 6', () => {
    expect(measure('{ person(idNumber: "1") { name } }').depth).toBe(2);
    expect(measure('{ person(idNumber: "1") { marriages { spouse { realEstate { owners { idNumber } } } } } }').depth).toBe(6);
  });

  it('follows named and inline fragments for depth, aliases and root fields', () => {
    const m = measure(`
      query { ...Root }
      fragment Root on Query { a: person(idNumber: "1") { ...Deep } b: person(idNumber: "2") { ... on Person { x: name } } version }
      fragment Deep on Person { marriages { spouse { ... on Person { marriages { spouse { y: idNumber } } } } } }`);
    expect(m.rootFields).toBe(3);
    expect(m.depth).toBe(6);
    expect(m.aliases).toBe(4);
  });

  it('counts an aliased fragment once per place it executes', () => {
    const m = measure(`{ a: person(idNumber: "1") { ...N } b: person(idNumber: "2") { ...N } }
      fragment N on Person { n1: name n2: name }`);
    expect(m.aliases).toBe(6);
  });

  it('counts a fragment spread twice in one selection set once, as graphql-js executes it', () => {
    expect(measure('{ person(idNumber: "1") { ...N ...N } } fragment N on Person { n: name }').aliases).toBe(1);
  });

  it('does not let a fragment named __schema hide its depth (GHSA-hmfr-rx46-4jx2)', () => {
    const m = measure(`query __schema { person(idNumber: "1") { marriages { spouse { ...__schema } } } }
      fragment __schema on Person { marriages { spouse { marriages { spouse { idNumber } } } } }`);
    expect(m.depth).toBe(8);
  });

  it('does not let an alias named __schema or __type pass for introspection', () => {
    const m = measure('{ __schema: person(idNumber: "1") { __type: marriages { spouse { marriages { spouse { idNumber } } } } } }');
    expect(m.depth).toBe(6);
    expect(m.cost).toBeGreaterThan(0);
  });

  it('sets introspection apart: the full introspection query costs nothing and counts one level', () => {
    const m = measure(getIntrospectionQuery());
    expect(m).toMatchObject({ depth: 1, cost: 0, rootFields: 1, aliases: 0 });
  });

  it('counts directives on fields, fragments and the operation', () => {
    const m = measure(`query Q @a { person(idNumber: "1") @include(if: true) { ...N @skip(if: false) ... @include(if: true) { idNumber } } }
      fragment N on Person @b { name @c }`);
    expect(m.directives).toBe(6);
  });

  it('costs objects 1 and leaves 0, multiplying lists by the assumed size', () => {
    expect(measure('{ person(idNumber: "1") { name } }').cost).toBe(1);
    // person 1 + marriages 10 × (marriage 1 + spouse 1)
    expect(measure('{ person(idNumber: "1") { marriages { kind spouse { name } } } }').cost).toBe(21);
    expect(measure('{ person(idNumber: "1") { marriages { kind } } }', undefined, 3).cost).toBe(4);
  });

  it('sizes a list by its list argument, literal or variable, before its @listSize assumed size', () => {
    expect(measure('{ persons(idNumbers: ["1", "2", "3"]) { name } }').cost).toBe(3);
    expect(measure('query($ids: [ID!]!) { persons(idNumbers: $ids) { name } }', { ids: new Array(50).fill('x') }).cost).toBe(50);
  });

  it('takes a list\'s size from @listSize(assumedSize:) over the default', () => {
    // person 1 + realEstate 5 × (property 1 + owners 10 × 1)
    expect(measure('{ person(idNumber: "1") { realEstate { owners { idNumber } } } }').cost).toBe(56);
  });

  it('sizes the lists of a page by @listSize(slicingArguments:, sizedFields:), with the page\'s @cost weight', () => {
    // person 1 + page 5 (@cost) + items 5 × 1
    expect(measure('{ person(idNumber: "1") { settlements(first: 5) { items { id } totalCount } } }').cost).toBe(11);
    expect(measure('query($n: Int) { person(idNumber: "1") { settlements(first: $n) { items { id } } } }', { n: 100 }).cost).toBe(106);
    // No slicing argument: the assumed size (20).
    expect(measure('{ person(idNumber: "1") { settlements { items { id } } } }').cost).toBe(26);
  });

  it('applies @cost on a type and on a given argument, and a mutation\'s base cost of 10', () => {
    // person 1 + page 5 + items 2 × (settlement 1 + diagnosis 3)
    expect(measure('{ person(idNumber: "1") { settlements(first: 2) { items { diagnosis { code } } } } }').cost).toBe(14);
    expect(measure('{ search(first: 3, name: "x") { idNumber } }').cost).toBe(3 + 7);
    expect(measure('mutation { correct(id: "1") { idNumber } }').cost).toBe(10 + 2);
  });

  it('refuses a field whose @listSize requires one slicing argument when it gets none or two', () => {
    expect(() => measure('{ search { idNumber } }')).toThrow(/Query.search needs exactly one of its slicing arguments \(first, last\)/);
    expect(() => measure('{ search(first: 1, last: 2) { idNumber } }')).toThrow(/exactly one/);
    expect(measure('{ search(last: 4) { idNumber } }').cost).toBe(4);
  });

  it('refuses a fragment cycle instead of following it', () => {
    expect(() => measure('{ person(idNumber: "1") { ...A } } fragment A on Person { ...B } fragment B on Person { marriages { spouse { ...A } } }')).toThrow(
      /Cannot spread fragment "A" within itself/,
    );
  });

  it('measures a fragment bomb (2^40 expansions) in linear time, with huge numbers', () => {
    let fragments = 'fragment F0 on Person { idNumber }\n';
    for (let i = 1; i <= 40; i++) fragments += `fragment F${i} on Person { a: marriages { spouse { ...F${i - 1} } } b: marriages { spouse { ...F${i - 1} } } }\n`;
    const m = measure(`{ person(idNumber: "1") { ...F40 } }\n${fragments}`);
    expect(m.aliases).toBeGreaterThan(2 ** 40);
    expect(m.depth).toBe(82);
  });
});

describe('operationLimitsPlugin', () => {
  /** The estimates the plugin reports for each request, run through its hooks as Apollo Server would. */
  async function estimates(limits: OperationLimits, requests: Array<{ query: ReturnType<typeof operationOf>; variables?: Record<string, unknown> }>): Promise<number[]> {
    const out: number[] = [];
    const plugin = operationLimitsPlugin(limits, { estimated: (cost) => out.push(cost), actual: () => undefined });
    for (const { query, variables } of requests) {
      const hooks = (await plugin.requestDidStart!({} as never)) as { didResolveOperation(rc: unknown): Promise<void> };
      await hooks.didResolveOperation({ document: query.document, operation: query.operation, schema, request: { variables }, logger: console });
    }
    return out;
  }
  const limits = (): OperationLimits => ({ maxDepth: 8, maxAliases: 15, maxRootFields: 10, maxDirectives: 50, demand: { mode: 'enforce', maxCost: 20000, listSize: 10, costs } });

  it('measures a repeated document once per variables and per supergraph costs', async () => {
    const query = operationOf('query Q($ids: [ID!]!) { persons(idNumbers: $ids) { marriages { kind } } }');
    const settings = limits();
    const requests = [{ query, variables: { ids: ['a'] } }, { query, variables: { ids: ['a', 'b', 'c'] } }, { query, variables: { ids: ['a'] } }];
    expect(await estimates(settings, requests)).toEqual([11, 33, 11]);
    // A reloaded supergraph's costs replace the remembered measurements.
    settings.demand.costs = readCostDirectives(sdl.replace('type Marriage {', 'type Marriage @cost(weight: 4) {'));
    expect(await estimates(settings, requests)).toEqual([41, 123, 41]);
  });

  it('remembers a measurement across the variables it does not read (IDs, names), not across sizes or a default', async () => {
    const query = operationOf('query Q($ids: [ID!]!, $name: String, $first: Int = 4) { persons(idNumbers: $ids) { marriages { kind } } search(name: $name, first: $first) { name } }');
    const requests = [
      { query, variables: { ids: ['a', 'b'], name: '张' } },
      { query, variables: { ids: ['x', 'y'], name: '李' } },
      { query, variables: { ids: ['x', 'y', 'z'], name: '李' } },
      { query, variables: { ids: ['x', 'y'], name: '李', first: 9 } },
    ];
    const settings = limits();
    const [first, sameSizes, moreIds, largerPage] = await estimates(settings, requests);
    expect(sameSizes).toBe(first);
    expect(moreIds).toBeGreaterThan(first);
    expect(largerPage).toBeGreaterThan(first);
    // Given as null, $first is not its default 4 any more, and search needs its slicing argument.
    await expect(estimates(settings, [...requests, { query, variables: { ids: ['x', 'y'], name: '李', first: null } }])).rejects.toThrow(/slicing/);
  });

  it('still refuses a repeated document that is over a limit', async () => {
    const query = operationOf('{ a: version b: version }');
    const settings = { ...limits(), maxAliases: 1 };
    await expect(estimates(settings, [{ query }])).rejects.toThrow(/alias/i);
    await expect(estimates(settings, [{ query }])).rejects.toThrow(/alias/i);
  });
});

describe('countTokens', () => {
  it('counts tokens as the parser does, comments excluded', () => {
    const doc = '{ person(idNumber: "1") { name } }';
    expect(countTokens(doc, 1000)).toBe(11);
    expect(() => parse(doc, { maxTokens: 11 })).not.toThrow();
    expect(() => parse(doc, { maxTokens: 10 })).toThrow(/contains more tha. 10 tokens/);
    expect(countTokens('# a comment\n{ a }', 1000)).toBe(3);
  });

  it('stops one token past the cap', () => {
    expect(countTokens(`{ ${'a '.repeat(100_000)}}`, 1000)).toBe(1001);
  });

  it('returns the count so far on a lexical error, leaving the error to the parser', () => {
    expect(countTokens('{ a "unterminated', 1000)).toBe(2);
  });
});

describe('limitExceeded', () => {
  it('names the limit, its value and the actual, with a stable code and HTTP 400', () => {
    const e = limitExceeded('depth', 8, 10);
    expect(e.extensions).toEqual({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'depth', max: 8, actual: 10, http: { status: 400 } });
    expect(e.message).toMatch(/10 levels deep; at most 8/);
    expect(limitExceeded('bodyBytes', 1024).extensions.http).toEqual({ status: 413 });
    expect(limitExceeded('aliases', 15, Infinity).extensions.actual).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('readCostDirectives', () => {
  it('follows the names the link gives the cost spec (renamed namespace and imports)', () => {
    const renamed = readCostDirectives(`
      schema @link(url: "https://specs.apollo.dev/cost/v0.1", as: "price", import: [{ name: "@listSize", as: "@size" }]) { query: Query }
      type Query { a: [Int] @size(assumedSize: 3) @price(weight: 2)  b: [Int] @listSize(assumedSize: 9) }`);
    expect(renamed.weights.get('Query.a')).toBe(2);
    expect(renamed.listSizes.get('Query.a')).toMatchObject({ assumedSize: 3, requireOneSlicingArgument: true });
    expect(renamed.listSizes.has('Query.b')).toBe(false);
  });

  it('reads nothing from a supergraph that does not link the cost spec', () => {
    expect(readCostDirectives('type Query { a: [Int] @listSize(assumedSize: 3) }').listSizes.size).toBe(0);
  });
});

describe('actualCost', () => {
  const actual = (query: string, data: unknown) => {
    const { document, operation } = operationOf(query);
    return actualCost(document, operation, schema, costs, data);
  };

  it('counts the objects returned, with lists at their real length and @cost weights', () => {
    const query = '{ person(idNumber: "1") { name realEstate { owners { idNumber } } settlements { items { diagnosis { code } } } } }';
    const data = {
      person: {
        name: 'x',
        realEstate: [{ owners: [{ idNumber: '1' }, { idNumber: '2' }] }, { owners: [{ idNumber: '1' }] }],
        settlements: { items: [{ diagnosis: { code: 'A' } }, { diagnosis: null }] },
      },
    };
    // person 1 + 2 properties + 3 owners + page 5 + 2 items + 1 diagnosis × 3
    expect(actual(query, data)).toBe(1 + 2 + 3 + 5 + 2 + 3);
    expect(actual(query, { person: null })).toBe(0);
  });

  it('merges fields through fragments as execution does, and counts a mutation\'s base cost', () => {
    const query = '{ person(idNumber: "1") { ...P ... on Person { realEstate { location } } } } fragment P on Person { realEstate { owners { idNumber } } }';
    expect(actual(query, { person: { realEstate: [{ location: 'a', owners: [{ idNumber: '1' }] }] } })).toBe(1 + 1 + 1);
    expect(actual('mutation { correct(id: "1") { idNumber } }', { correct: [{ idNumber: '1' }] })).toBe(11);
  });
});

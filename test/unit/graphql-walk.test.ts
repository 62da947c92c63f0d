/**
 * The one type-condition rule every walk over an operation follows (lib/graphql/operation.ts), and
 * the walks themselves (lib/graphql/walk.ts).
 */
import { buildSchema, parse, type FieldNode, type GraphQLObjectType } from 'graphql';
import { appliesTo, coercedVariables, fragmentsOf, isSkipped, selectOperation } from '../../lib/graphql/operation';
import { SKIP, walkResponse, walkSelections } from '../../lib/graphql/walk';
import { maskIdNumbers } from '../../gateway/src/masking/id-numbers';

const schema = buildSchema(`
  type Query { node: Node, items: [Item!]!, person: Person }
  interface Node { id: ID! }
  interface Named { name: String }
  type Person implements Node & Named { id: ID!, name: String, idNumber: ID, spouse: Person }
  type Org implements Node & Named { id: ID!, name: String, code: String }
  type Doc implements Node { id: ID!, title: String }
  union Item = Person | Doc
`);
const type = (name: string) => schema.getType(name) as GraphQLObjectType;

/** `path: Parent.field` of every field `walkResponse` visits. */
function visited(query: string, data: unknown, variables?: Record<string, unknown>): string[] {
  const document = parse(query);
  const operation = selectOperation(document)!;
  const out: string[] = [];
  walkResponse({ schema, fragments: fragmentsOf(document), variables: coercedVariables(schema, operation, variables), operation, data }, undefined, (f) => {
    out.push(`${f.path.join('.')}: ${f.parentType.name}.${f.fieldDef.name}`);
    return undefined;
  });
  return out.sort();
}

describe('the type-condition rule', () => {
  it('applies a fragment to its own type, to an implementation of its interface and to a member of its union', () => {
    expect(appliesTo(schema, type('Person'), type('Person'))).toBe(true);
    expect(appliesTo(schema, type('Person'), type('Doc'))).toBe(false);
    expect(appliesTo(schema, schema.getType('Named') as never, type('Org'))).toBe(true);
    expect(appliesTo(schema, schema.getType('Named') as never, type('Doc'))).toBe(false);
    expect(appliesTo(schema, schema.getType('Item') as never, type('Doc'))).toBe(true);
    expect(appliesTo(schema, schema.getType('Item') as never, type('Org'))).toBe(false);
  });

  it('reads each object by its selected __typename: interface and union-member fragments, nested inline fragments', () => {
    const query = `{ items { __typename ... on Named { name } ... on Doc { title } ...N } }
      fragment N on Node { id ... on Named { ... on Person { idNumber } } }`;
    const data = { items: [{ __typename: 'Person', name: 'a', id: '1', idNumber: 'p' }, { __typename: 'Doc', title: 't', id: '2' }] };
    expect(visited(query, data)).toEqual([
      'items.0.id: Person.id',
      'items.0.idNumber: Person.idNumber',
      'items.0.name: Person.name',
      'items.1.id: Doc.id',
      'items.1.title: Doc.title',
      'items: Query.items',
    ]);
  });

  it('applies every fragment where the runtime type is unknown, each field on the type it was selected on', () => {
    const query = '{ node { ... on Named { name } ... on Doc { title } id } }';
    expect(visited(query, { node: { name: 'a', title: null, id: '1' } })).toEqual(['node.id: Node.id', 'node.name: Named.name', 'node.title: Doc.title', 'node: Query.node']);
  });

  it('does not take another field aliased __typename for the type', () => {
    const query = '{ node { __typename: id ... on Doc { title } ... on Person { idNumber } } }';
    // The id says "Doc", but the object is a Person: the walk must not skip its idNumber.
    expect(visited(query, { node: { __typename: 'Doc', idNumber: 'p' } })).toContain('node.idNumber: Person.idNumber');
    const typed = '{ node { t: __typename ... on Doc { title } ... on Person { idNumber } } }';
    expect(visited(typed, { node: { t: 'Person', idNumber: 'p' } })).toEqual(['node.idNumber: Person.idNumber', 'node: Query.node']);
  });

  it('leaves out what @skip/@include prove skipped, and keeps what it cannot decide', () => {
    const query = 'query Q($s: Boolean!) { person { name @skip(if: $s) ... on Person @include(if: false) { idNumber } id } }';
    const data = { person: { id: '1' } };
    expect(visited(query, data, { s: true })).toEqual(['person.id: Person.id', 'person: Query.person']);
    expect(visited(query, data)).toEqual(['person.id: Person.id', 'person.name: Person.name', 'person: Query.person']);
    const person = selectOperation(parse(query))!.selectionSet.selections[0] as FieldNode;
    const field = person.selectionSet!.selections[0];
    expect(isSkipped(field, { s: true })).toBe(true);
    expect(isSkipped(field, {})).toBe(false);
  });

  it('merges the selections of one response key, as execution does', () => {
    const document = parse('{ person { spouse { name } } person { spouse { id } ...S } } fragment S on Person { spouse { name } }');
    const operation = selectOperation(document)!;
    const seen: Array<[string, number]> = [];
    walkResponse({ schema, fragments: fragmentsOf(document), operation, data: { person: { spouse: { name: 'b', id: '2' } } } }, undefined, (f) => {
      seen.push([f.path.join('.'), f.nodes.length]);
      return undefined;
    });
    expect(seen).toEqual([['person', 2], ['person.spouse', 3], ['person.spouse.name', 2], ['person.spouse.id', 1]]);
  });

  it('hands each field the state its parent returned, false included, and stops under SKIP', () => {
    const document = parse('{ person { name spouse { name spouse { name } } } }');
    const out: string[] = [];
    const data = { person: { name: 'a', spouse: { name: 'b', spouse: { name: 'c' } } } };
    walkResponse({ schema, fragments: fragmentsOf(document), operation: selectOperation(document)!, data }, true, (f, flag) => {
      out.push(`${f.path.join('.')}@${flag}`);
      return f.path.length === 3 ? SKIP : f.key !== 'person';
    });
    expect(out).toEqual(['person@true', 'person.name@false', 'person.spouse@false', 'person.spouse.name@true', 'person.spouse.spouse@true']);
  });
});

describe('walks sharing what they collected', () => {
  /** `path: Parent.field` of each walk of one parsed document without variables, over each of `answers` in turn. */
  const walks = (document: ReturnType<typeof parse>, answers: unknown[]) =>
    answers.map((data) => {
      const out: string[] = [];
      walkResponse({ schema, fragments: fragmentsOf(document), operation: selectOperation(document)!, data }, undefined, (f) => {
        out.push(`${f.path.join('.')}: ${f.parentType.name}.${f.fieldDef.name}`);
        return undefined;
      });
      return out.sort();
    });

  it('walks one document again by each answer\'s own runtime types', () => {
    const document = parse('{ node { __typename ... on Person { idNumber } ... on Doc { title } } }');
    expect(fragmentsOf(document)).toBe(fragmentsOf(document));
    expect(walks(document, [{ node: { __typename: 'Person', idNumber: 'p' } }, { node: { __typename: 'Doc', title: 't' } }, { node: { idNumber: 'p', title: 't' } }])).toEqual([
      ['node.idNumber: Person.idNumber', 'node: Query.node'],
      ['node.title: Doc.title', 'node: Query.node'],
      ['node.idNumber: Person.idNumber', 'node.title: Doc.title', 'node: Query.node'],
    ]);
  });

  it('never mixes two documents sharing an operation node but not their fragments', () => {
    const first = parse('{ person { ...F } } fragment F on Person { name }');
    const [operation] = first.definitions;
    const second = { ...first, definitions: [operation, ...parse('fragment F on Person { idNumber }').definitions] };
    const data = { person: { name: 'a', idNumber: 'p' } };
    expect(walks(first, [data])[0]).toEqual(['person.name: Person.name', 'person: Query.person']);
    expect(walks(second, [data])[0]).toEqual(['person.idNumber: Person.idNumber', 'person: Query.person']);
  });
});

describe('walkSelections', () => {
  it('visits the fields an operation selects with their parent types, each named fragment once', () => {
    const document = parse(`{ items { ...I ... on Doc { ...I title } } node { ... on Named @skip(if: true) { name } id } }
      fragment I on Item { ... on Person { idNumber } }`);
    const out: string[] = [];
    walkSelections({ schema, fragments: fragmentsOf(document) }, selectOperation(document)!.selectionSet, schema.getQueryType()!, ({ parentType, fieldDef }) => {
      out.push(`${parentType.name}.${fieldDef.name}`);
    });
    expect(out).toEqual(['Query.items', 'Person.idNumber', 'Doc.title', 'Query.node', 'Node.id']);
  });
});

describe('selectOperation', () => {
  it('picks the named operation, or the only one; none when the choice is ambiguous', () => {
    const two = parse('query A { person { id } } query B { node { id } }');
    expect(selectOperation(two, 'B')?.name?.value).toBe('B');
    expect(selectOperation(two)).toBeUndefined();
    expect(selectOperation(two, 'C')).toBeUndefined();
    expect(selectOperation(parse('{ person { id } }'))?.operation).toBe('query');
  });
});

describe('ID masking reads types by the rule', () => {
  const records = buildSchema(`
    type Query { records: [ArchivedRecord] }
    interface ArchivedRecord { archivalCode: String }
    type MarriageRecord implements ArchivedRecord { archivalCode: String, spouse: Person }
    type PropertyRight implements ArchivedRecord { archivalCode: String }
    type Person { idNumber: ID! }
  `);
  const ID = '430702198706222420';

  it('masks under a fragment whatever another field aliased __typename says', () => {
    // An archival code reading "PropertyRight" must not make the MarriageRecord fragment look inapplicable.
    const document = parse('{ records { __typename: archivalCode ... on MarriageRecord { spouse { idNumber } } } }');
    const data = { records: [{ __typename: 'PropertyRight', spouse: { idNumber: ID } }] };
    maskIdNumbers(data, document, records, new Set());
    expect(data.records[0].spouse.idNumber).toBe('430***********2420');
  });

  it('leaves alone what a fragment on another type would have selected, when __typename tells', () => {
    const document = parse('{ records { __typename ... on MarriageRecord { spouse { idNumber } } ... on PropertyRight { archivalCode } } }');
    const data = { records: [{ __typename: 'MarriageRecord', spouse: { idNumber: ID } }, { __typename: 'PropertyRight', archivalCode: 'A-1' }] };
    maskIdNumbers(data, document, records, new Set());
    expect(data.records).toEqual([{ __typename: 'MarriageRecord', spouse: { idNumber: '430***********2420' } }, { __typename: 'PropertyRight', archivalCode: 'A-1' }]);
  });
});

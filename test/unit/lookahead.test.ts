/** The loaders' look-ahead (subgraphs/common/loaders.ts): which fields an operation selects, and a loader made once per request from them. */
import { buildSchema, execute, parse, type GraphQLResolveInfo } from 'graphql';
import { lookahead, operationFields } from '../../subgraphs/common/loaders';

const schema = buildSchema(`
  type Query { person(id: ID!): Person, people: [Person] }
  type Person { id: ID!, name: String, file: File, rights: [Right] }
  type File { number: String, enrolments: [Enrolment], employer: Employer }
  type Enrolment { type: String }
  type Employer { name: String }
  type Right { unit: String, mortgages: [Mortgage] }
  type Mortgage { amount: Float }
`);

/** Runs `source` and returns the resolve info of every `Query` field, in order. */
function infosOf(source: string, document = parse(source)): GraphQLResolveInfo[] {
  const infos: GraphQLResolveInfo[] = [];
  const root = (_args: unknown, _ctx: unknown, info: GraphQLResolveInfo) => (infos.push(info), null);
  execute({ schema, document, rootValue: { person: root, people: root } });
  return infos;
}

describe('operationFields', () => {
  it('names each selected field with the type the selection is on, through fragments and inline fragments', () => {
    const [info] = infosOf(`
      query { person(id: "1") { name ...filed rights { ... on Right { mortgages { amount } } } } }
      fragment filed on Person { file { enrolments { type } } }`);
    const fields = operationFields(info);
    expect([...fields].sort()).toEqual(['Enrolment.type', 'File.enrolments', 'Mortgage.amount', 'Person.file', 'Person.name', 'Person.rights', 'Query.person', 'Right.mortgages']);
    expect(fields.has('File.employer')).toBe(false);
  });

  it('is worked out once per parsed operation', () => {
    const document = parse('{ person(id: "1") { file { number } } }');
    const [first] = infosOf('', document);
    const [again] = infosOf('', document);
    expect(operationFields(again)).toBe(operationFields(first));
  });
});

describe('lookahead', () => {
  it('makes the loader once, from the fields of the first call', () => {
    const made: Array<ReadonlySet<string>> = [];
    const loader = lookahead((selected) => (made.push(selected), { selected }));
    const [a, b] = infosOf('{ a: person(id: "1") { file { employer { name } } } b: people { name } }');
    expect(loader(a)).toBe(loader(b));
    expect(made).toHaveLength(1);
    expect(made[0].has('File.employer')).toBe(true);
  });
});

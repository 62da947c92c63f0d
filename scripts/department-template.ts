/**
 * The files `npm run new-department` writes for a department: the shape every department folder
 * has (schema.graphql, store.ts, migrations/, loaders.ts, resolvers.ts, correction.ts, seed.ts,
 * index.ts) and a smoke test, filled with one record type the department then makes its own.
 */

/** The names one department name gives: `civil-affairs` -> `civilAffairs`, `CivilAffairs`, `civil_affairs`, `CA`. */
export interface DepartmentNames {
  /** kebab-case: folder, subgraph name, scopes (`civil-affairs:read`). */
  name: string;
  /** The human name in comments and descriptions, e.g. `civil affairs`. */
  label: string;
  camel: string;
  pascal: string;
  /** Table prefix. */
  snake: string;
  /** 类别号 sub-category in the 档号: two capitals. */
  code: string;
  /** 全宗号 placeholder of the seed data. */
  fonds: string;
}

export function departmentNames(name: string, index: number): DepartmentNames {
  const words = name.split('-');
  const cap = (w: string) => w[0].toUpperCase() + w.slice(1);
  const letters = words.length > 1 ? words.map((w) => w[0]) : [...words[0].slice(0, 2)];
  return {
    name,
    label: words.join(' '),
    camel: words[0] + words.slice(1).map(cap).join(''),
    pascal: words.map(cap).join(''),
    snake: words.join('_'),
    code: letters.slice(0, 2).join('').toUpperCase().padEnd(2, 'X').replace(/[^A-Z]/g, 'X'),
    fonds: `J${String(90 + index).padStart(3, '0')}`,
  };
}

/** Path (relative to the repository) -> content, for the department folder and its smoke test. */
export function departmentFiles(n: DepartmentNames): Record<string, string> {
  const dir = `subgraphs/${n.name}`;
  return {
    [`${dir}/schema.graphql`]: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@requiresScopes", "@policy", "@cost", "@listSize", "@shareable", "@inaccessible", "@external", "@requires"])

# Cache hints (@cacheControl maxAge, seconds): how long the gateway may reuse an answer holding the
# type. Corrections drop cached answers at once (by person).

"A resident, identified by the 18-character resident ID number (GB 11643)."
type Person @key(fields: "idNumber") @cacheControl(maxAge: 600) {
  idNumber: ID!
  "The ${n.label} archive's records about this person, oldest first."
  ${n.camel}Records: [${n.pascal}Record!] @requiresScopes(scopes: [["${n.name}:read"]]) @policy(policies: [["legal_basis"]])
}

"A record filed with the ${n.label} archive."
type ${n.pascal}Record implements ArchivedRecord @requiresScopes(scopes: [["${n.name}:read"]]) @cacheControl(maxAge: 3600) {
  id: ID!
  "What kind of record this is."
  kind: String!
  "The record's title as filed."
  title: String!
  "Filing date, YYYY-MM-DD."
  date: String!
  "The person the record is about."
  person: Person!
  archivalCode: String!
  fonds: String!
  retention: Retention!
  "保管期限 in years; null when permanent."
  retentionYears: Int
  classification: String
  openStatus: OpenStatus!
}

"Record corrections (更正). Each returns the person whose records changed; the gateway then drops every cached answer that showed them."
type Mutation {
  "Corrects the title recorded on a ${n.label} record. Returns the person it is about."
  correct${n.pascal}RecordTitle(id: ID!, title: String!): Person! @requiresScopes(scopes: [["${n.name}:write"]]) @policy(policies: [["legal_basis"]])
}
`,
    [`${dir}/store.ts`]: `/** The ${n.label} store: tables and the queries the loaders run. */
import type { Store } from '../../lib/db';
import type { ArchivalColumns } from '../common/archival';

export interface RecordRow extends ArchivalColumns {
  id: number;
  person_id: string;
  kind: string;
  title: string;
  filed_on: string;
}

export interface ${n.pascal}DB {
  ${n.snake}_record: RecordRow;
}

export type ${n.pascal}Store = Store<${n.pascal}DB>;

/** Records about any of \`ids\`, oldest first. One statement. */
export function recordsOf(store: ${n.pascal}Store, ids: readonly string[]): Promise<RecordRow[]> {
  return store.db.selectFrom('${n.snake}_record').selectAll().where('person_id', 'in', ids).orderBy('filed_on').orderBy('id').execute();
}

/** Corrects the title of record \`id\`; returns the person it is about, or null when there is no such record. */
export async function correctRecordTitle(store: ${n.pascal}Store, id: number, title: string): Promise<string | null> {
  const row = await store.db.selectFrom('${n.snake}_record').select('person_id').where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  await store.db.updateTable('${n.snake}_record').set({ title }).where('id', '=', id).execute();
  return row.person_id;
}
`,
    [`${dir}/migrations/001_init.ts`]: `import type { Kysely } from 'kysely';
import { withArchivalColumns } from '../../common/archival';

export async function up(db: Kysely<any>): Promise<void> {
  await withArchivalColumns(
    db.schema
      .createTable('${n.snake}_record')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('person_id', 'varchar(18)', (c) => c.notNull())
      .addColumn('kind', 'varchar(32)', (c) => c.notNull())
      .addColumn('title', 'varchar(128)', (c) => c.notNull())
      .addColumn('filed_on', 'date', (c) => c.notNull()),
  ).execute();
  // Person.${n.camel}Records looks records up by person.
  await db.schema.createIndex('${n.snake}_record_person').on('${n.snake}_record').column('person_id').execute();
}
`,
    [`${dir}/migrations/index.ts`]: `import type { Migration } from 'kysely';
import * as m001 from './001_init';

export const migrations: Record<string, Migration> = { '001_init': m001 };
`,
    [`${dir}/loaders.ts`]: `import { groupLoader } from '../common/loaders';
import { recordsOf, type ${n.pascal}Store } from './store';

export function createLoaders(store: ${n.pascal}Store) {
  return {
    recordsByPerson: groupLoader((ids: readonly string[]) => recordsOf(store, ids), (r) => r.person_id),
  };
}

export type ${n.pascal}Loaders = ReturnType<typeof createLoaders>;
`,
    [`${dir}/correction.ts`]: `/** Correcting a record's title (correct${n.pascal}RecordTitle, and \`npm run import -- --dept ${n.name}\`). */
import { badInput } from '../../lib/errors';
import { requireText, type Correction } from '../common/corrections';
import { correctRecordTitle, type ${n.pascal}DB } from './store';

export const correction: Correction<${n.pascal}DB> = {
  mutation: 'correct${n.pascal}RecordTitle',
  returnsList: false,
  async apply(store, args) {
    const id = String(args.id ?? '');
    if (!/^\\d{1,15}$/.test(id)) throw badInput('id', \`id must be a record id (digits); got "\${id.slice(0, 20)}".\`);
    const person = await correctRecordTitle(store, Number(id), requireText(args.title, 'title', 128));
    if (!person) throw badInput('id', \`There is no ${n.label} record \${id}.\`);
    return [person];
  },
};
`,
    [`${dir}/resolvers.ts`]: `import type { ResolverMap } from '../common/resolver-map';
import { archivalResolvers } from '../common/archival';
import type { RecordSubjects } from '../common/access';
import { correctionResolver } from '../common/corrections';
import type { SubgraphContext } from '../common/server';
import { correction } from './correction';
import type { ${n.pascal}Loaders } from './loaders';
import type { ${n.pascal}DB, RecordRow } from './store';

type Context = SubgraphContext<${n.pascal}DB, ${n.pascal}Loaders>;

/** A record is about its person: the row-level rule and the reported subjects (access.ts). */
export const recordSubjects: RecordSubjects<Context> = { ${n.pascal}Record: (r: RecordRow) => [r.person_id] };

export const resolvers: ResolverMap<Context> = {
  Mutation: {
    [correction.mutation]: correctionResolver(correction),
  },
  Person: {
    __resolveReference: (ref: { idNumber: string }) => ({ idNumber: ref.idNumber }),
    ${n.camel}Records: ({ idNumber }: { idNumber: string }, _args: unknown, { loaders }: Context) => loaders.recordsByPerson.load(idNumber),
  },
  ${n.pascal}Record: {
    ...archivalResolvers,
    id: (r: RecordRow) => String(r.id),
    date: (r: RecordRow) => r.filed_on,
    person: (r: RecordRow) => ({ idNumber: r.person_id }),
  },
};
`,
    [`${dir}/seed.ts`]: `/** The ${n.label} archive's share of the synthetic population: placeholder records to replace with the department's own. */
import { ArchivalNumbering, type Retention } from '../common/archival';
import { writeTables } from '../common/bulk';
import type { Population } from '../common/population';
import type { SeedProgress } from '../common/server';
import type { RecordRow, ${n.pascal}Store } from './store';

/** 全宗号 of the ${n.label} archive (a placeholder: use the fonds the archive assigned). */
export const ${n.snake.toUpperCase()}_FONDS = '${n.fonds}';
/** 保管期限 of its records (a placeholder: use the department's retention schedule). */
export const ${n.snake.toUpperCase()}_RETENTION: Retention = 'Y30';
const KINDS = ['REGISTRATION', 'CERTIFICATE', 'DECISION'];

/** One record for every third person, filed between 2000 and 2024. */
export function ${n.camel}Rows(population: Population): RecordRow[] {
  const numbering = new ArchivalNumbering(${n.snake.toUpperCase()}_FONDS, '${n.code}');
  return population.persons
    .filter((_, i) => i % 3 === 0)
    .map((person, i) => {
      const year = 2000 + (i % 25);
      return {
        id: i + 1,
        person_id: person.idNumber,
        kind: KINDS[i % KINDS.length],
        title: \`\${person.name} \${KINDS[i % KINDS.length].toLowerCase()}\`,
        filed_on: \`\${year}-\${String(1 + (i % 12)).padStart(2, '0')}-\${String(1 + (i % 28)).padStart(2, '0')}\`,
        ...numbering.next(year, ${n.snake.toUpperCase()}_RETENTION),
      };
    });
}

export async function seed(store: ${n.pascal}Store, population: Population, progress?: SeedProgress): Promise<void> {
  await writeTables(store.db, [['${n.snake}_record', ${n.camel}Rows(population)]], progress);
}

export async function isSeeded(store: ${n.pascal}Store): Promise<boolean> {
  return (await store.db.selectFrom('${n.snake}_record').select('id').limit(1).execute()).length > 0;
}
`,
    [`${dir}/index.ts`]: `/** The ${n.label} subgraph. */
import { readTypeDefs, subgraphModule, type SubgraphDefinition } from '../common/server';
import { correction } from './correction';
import { createLoaders, type ${n.pascal}Loaders } from './loaders';
import { migrations } from './migrations';
import { recordSubjects, resolvers } from './resolvers';
import { isSeeded, seed } from './seed';
import type { ${n.pascal}DB } from './store';

export const typeDefs = readTypeDefs(__dirname);

export const subgraph: SubgraphDefinition<${n.pascal}DB, ${n.pascal}Loaders> = {
  name: '${n.name}',
  typeDefs,
  resolvers,
  migrations,
  createLoaders,
  seed,
  isSeeded,
  correction,
  recordSubjects,
};

export { resolvers };
export const { schema, createServer } = subgraphModule(subgraph);
`,
    [`test/integration/${n.name}.test.ts`]: `/**
 * Smoke test of the ${n.label} subgraph (written by \`npm run new-department\`): its store migrates and
 * seeds, it answers a person's records and applies its correction, and the gateway serves it with
 * the other departments, under its own scope.
 */
import { subgraph } from '../../subgraphs/${n.name}';
import { ARCHIVAL_CODE } from '../../subgraphs/common/archival';
import { findRole } from '../../lib/roles';
import { ARCHIVIST, entitiesQuery, gql, personRefs, roleHeaders, startTestSubgraph, testPopulation, type TestSubgraph } from '../helpers';
import { startFederation, type Federation } from '../federation';

const population = testPopulation(60);
const first = population.persons[0].idNumber;
const CLERK = { ...ARCHIVIST, scopes: ['${n.name}:read', '${n.name}:write'] };

describe('${n.name} subgraph on PostgreSQL', () => {
  let sub: TestSubgraph<any>;
  beforeAll(async () => {
    sub = await startTestSubgraph(subgraph, 'postgres', population);
  });
  afterAll(() => sub?.stop());

  it("answers a person's records, each with its 档号", async () => {
    const res = await sub.gql(entitiesQuery('${n.camel}Records { id kind title date archivalCode fonds retention openStatus person { idNumber } }'), personRefs([first]), CLERK);
    expect(res.errors).toBeUndefined();
    const records = res.data._entities[0].${n.camel}Records;
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) {
      expect(r.archivalCode).toMatch(ARCHIVAL_CODE);
      expect(r.person.idNumber).toBe(first);
    }
  });

  it('corrects a title and reports the person as the subject', async () => {
    const [record] = (await sub.gql(entitiesQuery('${n.camel}Records { id }'), personRefs([first]), CLERK)).data._entities[0].${n.camel}Records;
    const res = await sub.gql('mutation($id: ID!, $title: String!) { correct${n.pascal}RecordTitle(id: $id, title: $title) { idNumber } }', { id: record.id, title: 'Corrected title' }, CLERK);
    expect(res.errors).toBeUndefined();
    expect(res.data.correct${n.pascal}RecordTitle.idNumber).toBe(first);
    expect(res.extensions?.subjects).toEqual([first]);
    const bad = await sub.gql('mutation { correct${n.pascal}RecordTitle(id: "999999", title: "x") { idNumber } }', undefined, CLERK);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('${n.name} through the gateway', () => {
  let fed: Federation;
  beforeAll(async () => {
    fed = await startFederation({ population });
  });
  afterAll(() => fed?.stop());

  it('serves the records to a caller with ${n.name}:read and nulls them for one without', async () => {
    const query = 'query($id: ID!) { person(idNumber: $id) { name ${n.camel}Records { title archivalCode } } }';
    const allowed = await gql(fed.url, query, { id: first }, await roleHeaders('archivist', { scopes: [...findRole('archivist').scopes, '${n.name}:read'] }));
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data.person.${n.camel}Records.length).toBeGreaterThan(0);
    const denied = await gql(fed.url, query, { id: first }, await roleHeaders('archivist'));
    expect(denied.data.person.${n.camel}Records).toBeNull();
    expect(denied.errors?.[0].extensions?.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
  });
});
`,
  };
}

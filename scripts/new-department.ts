/**
 * `npm run new-department -- <name>`: scaffolds a department subgraph in the project's shape
 * (subgraphs/<name>/, a smoke test), registers it where every department is listed (DEPARTMENTS,
 * its scopes, SUBGRAPHS, the test federation's and the bench's engines, the access rules' purposes), and recomposes the
 * supergraph. A running gateway then serves it within SUPERGRAPH_POLL_INTERVAL_MS once the
 * subgraph is up. See README, "How to add a department".
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEPARTMENTS, envPrefix } from '../lib/config';
import { parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import { departmentFiles, departmentNames, type DepartmentNames } from './department-template';

const NAME = /^[a-z][a-z]*(-[a-z]+)*$/;

/** Inserts `line` before the end (`};` or `] as const;`) of the block that starts at `start` in `file`. */
function addToBlock(root: string, file: string, start: string, line: string): void {
  const full = path.join(root, file);
  const text = readFileSync(full, 'utf8');
  const at = text.indexOf(start);
  if (at < 0) throw new Error(`${file}: cannot find "${start}" to register the department; add it by hand (README, "How to add a department")`);
  const end = text.slice(at).search(/\n(\};|\] as const;)/);
  if (end < 0) throw new Error(`${file}: the block "${start}" does not end with "};" or "] as const;"`);
  const cut = at + end + 1;
  writeFileSync(full, `${text.slice(0, cut)}${line}\n${text.slice(cut)}`);
}

/** The edits that list the department beside the others. */
function register(root: string, n: DepartmentNames): void {
  const configFile = path.join(root, 'lib/config.ts');
  const config = readFileSync(configFile, 'utf8');
  const departments = /export const DEPARTMENTS = \[(.*)\] as const;/.exec(config);
  if (!departments) throw new Error('lib/config.ts: cannot find the DEPARTMENTS list');
  writeFileSync(configFile, config.replace(departments[0], `export const DEPARTMENTS = [${departments[1]}, '${n.name}'] as const;`));
  addToBlock(root, 'lib/config.ts', 'export const KNOWN_SCOPES = [', `  '${n.name}:read',\n  '${n.name}:write',`);

  const indexFile = path.join(root, 'subgraphs/index.ts');
  const index = readFileSync(indexFile, 'utf8');
  const lastImport = index.lastIndexOf('\nimport ');
  const afterImport = index.indexOf('\n', lastImport + 1) + 1;
  writeFileSync(indexFile, `${index.slice(0, afterImport)}import { subgraph as ${n.camel} } from './${n.name}';\n${index.slice(afterImport)}`);
  addToBlock(root, 'subgraphs/index.ts', 'export const SUBGRAPHS', `  '${n.name}': ${n.camel},`);

  addToBlock(root, 'test/federation.ts', 'export const PRODUCTION_ENGINES', `  '${n.name}': 'postgres',`);
  addToBlock(root, 'test/federation.ts', 'export const EMBEDDED_ENGINES', `  '${n.name}': 'pglite',`);
  addToBlock(root, 'bench/databases.ts', 'export const DB_URLS', `  '${n.name}': \`\${PG}/\${DB_PREFIX}${n.snake}\`,`);
  addToCatalogue(root, n);
}

/**
 * Lists the department's governed fields in the access rules' catalogue: the citizen's own records
 * and the archive's management release its records, the archive's correction its mutation. Other
 * purposes are the archive's legal staff's to decide (policies/purposes.yaml).
 */
function addToCatalogue(root: string, n: DepartmentNames): void {
  const file = path.join(root, 'policies/purposes.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const read = `Person.${n.camel}Records`;
  const correct = `Mutation.correct${n.pascal}RecordTitle`;
  const fields: Record<string, string[]> = { 'own-records': [read], 'archive-management': [read, correct], 'record-correction': [correct] };
  const purposes = doc.get('purposes') as YAMLSeq<YAMLMap>;
  for (const [code, coordinates] of Object.entries(fields)) {
    const purpose = purposes.items.find((p) => p.get('code') === code);
    if (!purpose) throw new Error(`policies/purposes.yaml has no purpose ${code}; list ${coordinates.join(', ')} under a purpose by hand`);
    const list = doc.createNode(coordinates);
    list.flow = true;
    (purpose.get('fields') as YAMLMap).set(n.name, list);
  }
  writeFileSync(file, doc.toString({ lineWidth: 0, flowCollectionPadding: false }));
}

/** Writes the department and registers it; returns the files written. Throws, changing nothing, on a bad or taken name. */
export function scaffoldDepartment(root: string, name: string): string[] {
  if (!NAME.test(name)) throw new Error(`"${name}" is not a department name: lower-case words joined by "-", e.g. civil-affairs`);
  if ((DEPARTMENTS as readonly string[]).includes(name) || existsSync(path.join(root, 'subgraphs', name))) {
    throw new Error(`Department "${name}" already exists (subgraphs/${name}); choose another name`);
  }
  const n = departmentNames(name, DEPARTMENTS.length);
  const files = departmentFiles(n);
  const taken = Object.keys(files).filter((f) => existsSync(path.join(root, f)));
  if (taken.length > 0) throw new Error(`Would overwrite ${taken.join(', ')}; move them first`);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  register(root, n);
  return Object.keys(files);
}

function main() {
  const name = process.argv[2];
  if (!name) throw new Error('Usage: npm run new-department -- <name>   (e.g. civil-affairs)');
  const root = process.cwd();
  const written = scaffoldDepartment(root, name);
  console.log(`Wrote ${written.join('\n      ')}`);
  console.log('Registered it in lib/config.ts (DEPARTMENTS, KNOWN_SCOPES), subgraphs/index.ts, test/federation.ts, bench/databases.ts, policies/purposes.yaml (own-records, archive-management, record-correction)');
  const composed = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'scripts/compose.ts'], { cwd: root, stdio: 'inherit' });
  if (composed.status !== 0) throw new Error('Composition failed: fix the SDL in subgraphs/' + name + '/schema.graphql, then run npm run compose');
  const prefix = envPrefix(name);
  const port = 4001 + DEPARTMENTS.length;
  console.log(`
Next:
  npx jest test/integration/${name}.test.ts      the generated smoke test
  npm run subgraph -- ${name}                    serves it on :${port} (${prefix}_PORT, ${prefix}_DB_URL; embedded PGlite when unset)
  A running gateway reloads schema/supergraph.graphql by itself; grant ${name}:read / ${name}:write to the roles that need them (lib/roles.ts).
  Deployment: add the service to docker-compose.yml and deploy/kubernetes (a copy of marriage's), as README "How to add a department" lists.`);
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}

/**
 * End to end, as a developer runs it: `npm run new-department -- civil-affairs` in a copy of the
 * repository writes the department and its smoke test, registers it and recomposes; the copy then
 * typechecks, its supergraph is fresh and fully covered by policies, and the generated smoke test
 * passes (the subgraph migrates, seeds, answers and is served by the gateway). A taken or malformed
 * name is refused and changes nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Runs `command` in `cwd`; returns its exit status and output. */
function run(cwd: string, command: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules' } });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe('npm run new-department', () => {
  let copy: string;
  beforeAll(() => {
    copy = mkdtempSync(path.join(os.tmpdir(), 'af-new-department-'));
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const file of files) {
      if (!existsSync(path.join(ROOT, file))) continue; // deleted but not yet committed
      mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      cpSync(path.join(ROOT, file), path.join(copy, file));
    }
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  });
  afterAll(() => copy && rmSync(copy, { recursive: true, force: true }));

  it('refuses a malformed or taken name, changing nothing', () => {
    const config = readFileSync(path.join(copy, 'lib/config.ts'), 'utf8');
    const bad = run(copy, 'npm', ['run', '--silent', 'new-department', '--', 'Civil_Affairs']);
    expect(bad.status).toBe(1);
    expect(bad.output).toMatch(/"Civil_Affairs" is not a department name: lower-case words joined by "-"/);
    const taken = run(copy, 'npm', ['run', '--silent', 'new-department', '--', 'marriage']);
    expect(taken.status).toBe(1);
    expect(taken.output).toMatch(/Department "marriage" already exists/);
    expect(readFileSync(path.join(copy, 'lib/config.ts'), 'utf8')).toBe(config);
  });

  it('scaffolds a department that typechecks, composes and passes its generated smoke test', () => {
    const scaffold = run(copy, 'npm', ['run', '--silent', 'new-department', '--', 'civil-affairs']);
    expect([scaffold.status, scaffold.output]).toEqual([0, expect.stringContaining('Wrote schema/supergraph.graphql')]);
    for (const file of ['schema.graphql', 'resolvers.ts', 'store.ts', 'loaders.ts', 'correction.ts', 'seed.ts', 'index.ts', 'migrations/001_init.ts', 'migrations/index.ts']) {
      expect([file, existsSync(path.join(copy, 'subgraphs/civil-affairs', file))]).toEqual([file, true]);
    }
    expect(readFileSync(path.join(copy, 'lib/config.ts'), 'utf8')).toContain("'medical-insurance', 'civil-affairs'] as const;");
    const supergraph = readFileSync(path.join(copy, 'schema/supergraph.graphql'), 'utf8');
    expect(supergraph).toContain('CIVIL_AFFAIRS @join__graph(name: "civil-affairs", url: "http://localhost:4005/graphql")');
    expect(supergraph).toMatch(/civilAffairsRecords: \[CivilAffairsRecord!\] @join__field\(graph: CIVIL_AFFAIRS\) @requiresScopes\(scopes: \[\["civil-affairs:read"\]\]\)/);

    // Typechecks what the scaffold wrote or changed (the whole project takes minutes on a busy machine).
    writeFileSync(
      path.join(copy, 'tsconfig.department.json'),
      JSON.stringify({ extends: './tsconfig.json', include: ['subgraphs/index.ts', 'subgraphs/civil-affairs', 'test/integration/civil-affairs.test.ts', 'test/federation.ts', 'bench/databases.ts', 'lib/config.ts', 'gateway/src/extracts/subset-font.d.ts'] }),
    );
    const tsc = run(copy, process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.department.json']);
    expect([tsc.status, tsc.output.trim()]).toEqual([0, '']);

    const jest = run(copy, process.execPath, [require.resolve('jest/bin/jest'), '--runInBand', 'test/integration/civil-affairs.test.ts', 'test/unit/policy-coverage.test.ts', 'test/unit/supergraph.test.ts']);
    expect([jest.status, jest.output]).toEqual([0, expect.stringMatching(/Tests:\s+\d+ passed, \d+ total/)]);
    expect(jest.output).toContain('PASS test/integration/civil-affairs.test.ts');
  }, 600_000);
});

/**
 * No module imports itself round a cycle (type-only imports count too): the request context lives
 * in gateway/src/context.ts, not in the server that composes the features.
 */
import madge from 'madge';

it('finds no import cycle in the project', async () => {
  const graph = await madge(['gateway', 'lib', 'subgraphs', 'schema', 'scripts', 'bench', 'test'], {
    baseDir: process.cwd(),
    fileExtensions: ['ts'],
    tsConfig: 'tsconfig.json',
    excludeRegExp: [/node_modules/, /dist\//],
  });
  expect(Object.keys(graph.obj()).length).toBeGreaterThan(100); // it did read the project
  expect(graph.circular()).toEqual([]);
}, 60_000);

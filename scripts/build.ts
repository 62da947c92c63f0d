/**
 * `npm run build`: the JavaScript that production runs (`node dist/gateway/src/main.js`,
 * `node dist/scripts/subgraph.js <name>`), so no TypeScript loader sits between the process and
 * its signals and start-up does not transpile. Each module is transpiled to CommonJS at the same
 * path under dist/ (so `__dirname`-relative reads of `.graphql` files keep working, with the files
 * copied beside them; the access rules of policies/ go to dist/policies, where lib/legal-basis
 * looks by default), and the browser pages are bundled once beside their entries
 * (gateway/src/web/bundle.ts loads them instead of building at first use).
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { compileBundle, prebuiltPaths } from '../gateway/src/web/bundle';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'dist');
/** The folders production code lives in (tests and the benchmark are not shipped). */
const SOURCES = ['lib', 'gateway/src', 'subgraphs', 'schema', 'scripts'];
/** The browser pages' entries, relative to the root. */
const PAGES = { auditor: 'gateway/src/web/auditor/client.ts', explorer: 'gateway/src/web/explorer/client.ts', me: 'gateway/src/web/me/client.ts' };

function filesUnder(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(rel) : [rel];
  });
}

async function main() {
  const started = Date.now();
  rmSync(OUT, { recursive: true, force: true });
  const files = SOURCES.flatMap(filesUnder);
  // The pages' entries are browser code (React, GraphiQL: development dependencies); they are bundled below instead.
  const pageEntries = new Set(Object.values(PAGES).map((entry) => path.normalize(entry)));
  const modules = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts') && !pageEntries.has(f));
  await build({
    entryPoints: modules.map((f) => path.join(ROOT, f)),
    outdir: OUT,
    outbase: ROOT,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  const assets = [...files.filter((f) => f.endsWith('.graphql')), ...filesUnder('policies')];
  for (const file of assets) {
    mkdirSync(path.dirname(path.join(OUT, file)), { recursive: true });
    copyFileSync(path.join(ROOT, file), path.join(OUT, file));
  }
  for (const [name, entry] of Object.entries(PAGES)) {
    const { js, css } = await compileBundle(name, path.join(ROOT, entry));
    const out = prebuiltPaths(path.join(OUT, entry));
    writeFileSync(out.js, js);
    writeFileSync(out.css, css);
  }
  console.log(`dist/: ${modules.length} modules, ${assets.length} schema and policy files, ${Object.keys(PAGES).length} page bundles in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

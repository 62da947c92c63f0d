/**
 * `npm run seed -- --persons N [--only name,name] [--reset]`: deterministic synthetic data into
 * the configured stores (embedded when no URL is set), all four in parallel with progress bars.
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { DEPARTMENTS, loadConfig } from '../lib/config';
import { dropAllTables } from '../lib/db';
import { generatePopulation } from '../subgraphs/common/population';
import { openDepartmentStore, seedStore } from '../subgraphs/common/run';
import { subgraphDefinition } from '../subgraphs';

async function main() {
  const { values } = parseArgs({
    options: {
      persons: { type: 'string', default: '1000' },
      only: { type: 'string' },
      reset: { type: 'boolean', default: false },
      seed: { type: 'string', default: '20240101' },
    },
  });
  const persons = Number(values.persons);
  if (!Number.isInteger(persons) || persons < 3) throw new Error('--persons must be an integer of at least 3');
  const names = values.only ? values.only.split(',') : [...DEPARTMENTS];
  const defs = names.map(subgraphDefinition);
  const config = loadConfig();

  let t = Date.now();
  const population = generatePopulation(persons, Number(values.seed));
  console.log(`Generated ${persons} persons, ${population.marriages.length} marriage registrations in ${Date.now() - t} ms`);

  const bars = new cliProgress.MultiBar(
    { format: '{name} [{bar}] {percentage}% | {value}/{total} rows | {duration}s', hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 5000 },
    cliProgress.Presets.shades_classic,
  );
  t = Date.now();
  const results = await Promise.allSettled(
    defs.map(async (def) => {
      let store = await openDepartmentStore(def, config);
      if (await def.isSeeded(store)) {
        if (!values.reset) throw new Error(`${def.name} already holds data; pass --reset to replace it`);
        await dropAllTables(store);
        await store.close();
        store = await openDepartmentStore(def, config);
      }
      const bar = bars.create(1, 0, { name: def.name.padEnd(17) });
      const began = Date.now();
      try {
        await seedStore(def, store, population, (done, total) => {
          bar.setTotal(total);
          bar.update(done);
        });
      } finally {
        await store.close();
      }
      return { name: def.name, dialect: store.dialect, seconds: (Date.now() - began) / 1000 };
    }),
  );
  bars.stop();
  let failed = false;
  for (const [i, r] of results.entries()) {
    if (r.status === 'fulfilled') console.log(`${r.value.name}: ${r.value.dialect}, ${r.value.seconds.toFixed(1)} s`);
    else {
      failed = true;
      console.error(`${defs[i].name}: ${(r.reason as Error).message}`);
    }
  }
  console.log(`Seeded ${persons} persons in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  if (failed) process.exit(1);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

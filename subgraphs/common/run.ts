/** Opening, seeding and serving one department: what `npm start` and `npm run subgraph` share. */
import { dbTimeouts, type Config, type Department } from '../../lib/config';
import { analyze, openStore, type Store } from '../../lib/db';
import type { Logger } from '../../lib/logger';
import { generatePopulation, type Population } from './population';
import { createSubgraphServer, type RunningServer, type SeedProgress, type SubgraphDefinition } from './server';

/** Opens (and migrates) a department's store as configured; `logger` hears of connection errors. */
export function openDepartmentStore(def: SubgraphDefinition, config: Config, logger?: Logger): Promise<Store<unknown>> {
  return openStore({
    name: def.name,
    url: config.subgraphs[def.name].dbUrl,
    dataDir: config.DATA_DIR,
    migrations: def.migrations,
    timeouts: dbTimeouts(config),
    onConnectionError: (err) => logger?.warn({ err }, 'store connection lost; the next statement reconnects'),
  });
}

/** Writes `population` into an empty store, then refreshes the planner's statistics. */
export async function seedStore(def: SubgraphDefinition, store: Store<unknown>, population: Population, progress?: SeedProgress): Promise<void> {
  await def.seed(store, population, progress);
  await analyze(store);
}

/** Seeds the store with `population` unless it already holds data; returns whether it seeded. */
export async function seedIfEmpty(def: SubgraphDefinition, store: Store<unknown>, population: () => Population, progress?: SeedProgress): Promise<boolean> {
  if (await def.isSeeded(store)) return false;
  await seedStore(def, store, population(), progress);
  return true;
}

export interface RunningSubgraph {
  name: Department;
  server: RunningServer;
  stop(): Promise<void>;
}

/** Opens the store, seeds demo data on first run (SEED_PERSONS persons), and listens. */
export async function runSubgraph(def: SubgraphDefinition, config: Config, logger: Logger, population?: () => Population): Promise<RunningSubgraph> {
  const log = logger.child({ subgraph: def.name });
  const store = await openDepartmentStore(def, config, log);
  const started = Date.now();
  if (await seedIfEmpty(def, store, population ?? (() => generatePopulation(config.SEED_PERSONS)))) {
    log.info({ persons: config.SEED_PERSONS, ms: Date.now() - started }, 'seeded demo data');
  }
  const sub = await createSubgraphServer(def, { store, logger: log, internalSecret: config.INTERNAL_TOKEN_SECRET, policyDir: config.ACCESS_POLICY_DIR });
  const server = await sub.listen(config.subgraphs[def.name].port, config.HOST);
  log.info({ url: server.url, store: store.dialect }, 'subgraph ready');
  return {
    name: def.name,
    server,
    async stop() {
      await server.stop();
      await store.close();
    },
  };
}

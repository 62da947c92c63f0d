/** The real-estate registration subgraph (不动产登记): MySQL/MariaDB in production. */
import { readTypeDefs, subgraphModule, type SubgraphDefinition } from '../common/server';
import { createLoaders, type RealEstateLoaders } from './loaders';
import { correction } from './correction';
import { migrations } from './migrations';
import { recordSubjects, resolvers } from './resolvers';
import { isSeeded, seed } from './seed';
import type { RealEstateDB } from './store';

export const typeDefs = readTypeDefs(__dirname);

export const subgraph: SubgraphDefinition<RealEstateDB, RealEstateLoaders> = {
  name: 'real-estate',
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

/** The marriage registration subgraph (婚姻登记): PostgreSQL in production. */
import { readTypeDefs, subgraphModule, type SubgraphDefinition } from '../common/server';
import { createLoaders, type MarriageLoaders } from './loaders';
import { correction } from './correction';
import { migrations } from './migrations';
import { recordSubjects, resolvers } from './resolvers';
import { isSeeded, seed } from './seed';
import type { MarriageDB } from './store';

export const typeDefs = readTypeDefs(__dirname);

export const subgraph: SubgraphDefinition<MarriageDB, MarriageLoaders> = {
  name: 'marriage',
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

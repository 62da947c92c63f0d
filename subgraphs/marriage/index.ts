/** The marriage registration subgraph (婚姻登记): PostgreSQL in production. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, createSubgraphServer, type SubgraphDefinition, type SubgraphServerOptions } from '../common/server';
import { createLoaders, type MarriageLoaders } from './loaders';
import { migrations } from './migrations';
import { resolvers } from './resolvers';
import { isSeeded, seed } from './seed';
import type { MarriageDB } from './store';

export const typeDefs = readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8');

export const subgraph: SubgraphDefinition<MarriageDB, MarriageLoaders> = {
  name: 'marriage',
  typeDefs,
  resolvers,
  migrations,
  createLoaders,
  seed,
  isSeeded,
};

export { resolvers };
export const schema = buildSchema(subgraph);
export const createServer = (options: SubgraphServerOptions<MarriageDB>) => createSubgraphServer(subgraph, options);

/** The real-estate registration subgraph (不动产登记): MySQL/MariaDB in production. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, createSubgraphServer, type SubgraphDefinition, type SubgraphServerOptions } from '../common/server';
import { createLoaders, type RealEstateLoaders } from './loaders';
import { migrations } from './migrations';
import { resolvers } from './resolvers';
import { isSeeded, seed } from './seed';
import type { RealEstateDB } from './store';

export const typeDefs = readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8');

export const subgraph: SubgraphDefinition<RealEstateDB, RealEstateLoaders> = {
  name: 'real-estate',
  typeDefs,
  resolvers,
  migrations,
  createLoaders,
  seed,
  isSeeded,
};

export { resolvers };
export const schema = buildSchema(subgraph);
export const createServer = (options: SubgraphServerOptions<RealEstateDB>) => createSubgraphServer(subgraph, options);

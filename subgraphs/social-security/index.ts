/** The social-security subgraph (社会保险): PostgreSQL in production. Also hosts the resident register and the root fields. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, createSubgraphServer, type SubgraphDefinition, type SubgraphServerOptions } from '../common/server';
import { createLoaders, type SocialSecurityLoaders } from './loaders';
import { migrations } from './migrations';
import { resolvers } from './resolvers';
import { isSeeded, seed } from './seed';
import type { SocialSecurityDB } from './store';

export const typeDefs = readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8');

export const subgraph: SubgraphDefinition<SocialSecurityDB, SocialSecurityLoaders> = {
  name: 'social-security',
  typeDefs,
  resolvers,
  migrations,
  createLoaders,
  seed,
  isSeeded,
};

export { resolvers };
export const schema = buildSchema(subgraph);
export const createServer = (options: SubgraphServerOptions<SocialSecurityDB>) => createSubgraphServer(subgraph, options);

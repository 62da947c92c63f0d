/** The social-security subgraph (社会保险): PostgreSQL in production. Also hosts the resident register and the root fields. */
import { readTypeDefs, subgraphModule, type SubgraphDefinition } from '../common/server';
import { createLoaders, type SocialSecurityLoaders } from './loaders';
import { correction } from './correction';
import { migrations } from './migrations';
import { recordSubjects, resolvers } from './resolvers';
import { isSeeded, seed } from './seed';
import type { SocialSecurityDB } from './store';

export const typeDefs = readTypeDefs(__dirname);

export const subgraph: SubgraphDefinition<SocialSecurityDB, SocialSecurityLoaders> = {
  name: 'social-security',
  typeDefs,
  resolvers,
  recordSubjects,
  migrations,
  createLoaders,
  seed,
  isSeeded,
  correction,
};

export { resolvers };
export const { schema, createServer } = subgraphModule(subgraph);

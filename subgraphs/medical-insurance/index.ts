/** The medical insurance subgraph (医保): MySQL/MariaDB in production. */
import { readTypeDefs, subgraphModule, type SubgraphDefinition } from '../common/server';
import { createLoaders, type MedicalInsuranceLoaders } from './loaders';
import { correction } from './correction';
import { migrations } from './migrations';
import { resolvers } from './resolvers';
import { isSeeded, seed } from './seed';
import type { MedicalInsuranceDB } from './store';

export const typeDefs = readTypeDefs(__dirname);

export const subgraph: SubgraphDefinition<MedicalInsuranceDB, MedicalInsuranceLoaders> = {
  name: 'medical-insurance',
  typeDefs,
  resolvers,
  migrations,
  createLoaders,
  seed,
  isSeeded,
  correction,
};

export { resolvers };
export const { schema, createServer } = subgraphModule(subgraph);

/** The medical insurance subgraph (医保): MySQL/MariaDB in production. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, createSubgraphServer, type SubgraphDefinition, type SubgraphServerOptions } from '../common/server';
import { createLoaders, type MedicalInsuranceLoaders } from './loaders';
import { migrations } from './migrations';
import { resolvers } from './resolvers';
import { isSeeded, seed } from './seed';
import type { MedicalInsuranceDB } from './store';

export const typeDefs = readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8');

export const subgraph: SubgraphDefinition<MedicalInsuranceDB, MedicalInsuranceLoaders> = {
  name: 'medical-insurance',
  typeDefs,
  resolvers,
  migrations,
  createLoaders,
  seed,
  isSeeded,
};

export { resolvers };
export const schema = buildSchema(subgraph);
export const createServer = (options: SubgraphServerOptions<MedicalInsuranceDB>) => createSubgraphServer(subgraph, options);

/** Composes the supergraph from the subgraph SDLs; shared by `npm run compose` and the staleness test. */
import { composeServices } from '@apollo/composition';
import { loadConfig, DEPARTMENTS } from '../lib/config';
import { fullTypeDefs } from '../subgraphs/common/server';
import { SUBGRAPHS } from '../subgraphs';

/** The supergraph SDL for the four departments, with their default local URLs. */
export function composeSupergraph(): string {
  const config = loadConfig({});
  const services = DEPARTMENTS.filter((name) => SUBGRAPHS[name]).map((name) => ({
    name,
    url: config.subgraphs[name].url,
    typeDefs: fullTypeDefs(SUBGRAPHS[name]!),
  }));
  const result = composeServices(services);
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}

/** Composes the supergraph from the subgraph SDLs; shared by `npm run compose` and the staleness test. */
import { composeServices } from '@apollo/composition';
import type { DocumentNode } from 'graphql';
import { loadConfig, DEPARTMENTS } from '../lib/config';
import { fullTypeDefs } from '../subgraphs/common/server';
import { SUBGRAPHS } from '../subgraphs';
import { ACCESS_SUBGRAPH, ACCESS_SUBGRAPH_URL, accessSubgraphTypeDefs } from '../gateway/src/access';

/**
 * The supergraph SDL for the four departments, with their default local URLs, and the gateway's
 * own `access` subgraph (served in process; its URL is a name, never fetched).
 */
export function composeSupergraph(): string {
  const config = loadConfig({});
  const services: Array<{ name: string; url: string; typeDefs: DocumentNode }> = DEPARTMENTS.filter((name) => SUBGRAPHS[name]).map((name) => ({
    name,
    url: config.subgraphs[name].url,
    typeDefs: fullTypeDefs(SUBGRAPHS[name]!),
  }));
  services.push({ name: ACCESS_SUBGRAPH, url: ACCESS_SUBGRAPH_URL, typeDefs: accessSubgraphTypeDefs });
  const result = composeServices(services);
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}

/**
 * Composes the supergraph (supergraph.graphql beside this file) from the subgraph SDLs; shared by
 * `npm run compose` (scripts/compose.ts) and the tests. It sits above the departments and the
 * gateway, whose in-process `access` subgraph it composes with them.
 */
import { composeServices } from '@apollo/composition';
import type { DocumentNode } from 'graphql';
import { loadConfig, DEPARTMENTS } from '../lib/config';
import { fullTypeDefs } from '../subgraphs/common/server';
import { SUBGRAPHS } from '../subgraphs';
import { ACCESS_SUBGRAPH, ACCESS_SUBGRAPH_URL, accessSubgraphTypeDefs } from '../gateway/src/access';

/** One subgraph to compose: its name, where the gateway calls it, and its complete SDL. */
export interface ComposedService {
  name: string;
  url: string;
  typeDefs: DocumentNode;
}

export interface ComposeOptions {
  /** Each department's URL in the supergraph. @default its default local URL (http://localhost:4001/graphql, …) */
  urls?: Partial<Record<string, string>>;
  /** Subgraphs composed beside the departments (a test's extra subgraph). @default none */
  extra?: ComposedService[];
}

/**
 * The supergraph SDL for the departments and the gateway's own `access` subgraph (served in
 * process; its URL is a name, never fetched); throws with every composition error listed.
 */
export function composeSupergraph(options: ComposeOptions = {}): string {
  const config = loadConfig({});
  const services: ComposedService[] = DEPARTMENTS.filter((name) => SUBGRAPHS[name]).map((name) => ({
    name,
    url: options.urls?.[name] ?? config.subgraphs[name].url,
    typeDefs: fullTypeDefs(SUBGRAPHS[name]!),
  }));
  services.push({ name: ACCESS_SUBGRAPH, url: ACCESS_SUBGRAPH_URL, typeDefs: accessSubgraphTypeDefs });
  const result = composeServices([...services, ...(options.extra ?? [])]);
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}

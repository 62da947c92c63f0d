/**
 * What the gateway needs from one supergraph before it may serve it: its id, the SDL
 * @apollo/gateway accepts with the authorization index read from it (authz/policies.ts), and the
 * subgraphs it calls. Prepared once per version, so the schema, its policies and its subgraph
 * list always come from the same file.
 */
import { sha256Hex } from '../../../lib/hash';
import { Kind, parse, type ConstDirectiveNode } from 'graphql';
import { assertRulesCoverSchema, readPolicies, type PolicyIndex } from '../authz/policies';
import type { Catalogue } from '../../../lib/legal-basis';

/** A subgraph of the supergraph (`join__Graph`): its name and the URL the supergraph gives. */
export interface SupergraphSubgraph {
  name: string;
  url: string;
}

export interface PreparedSupergraph {
  /** First 16 hex digits of the SDL's SHA-256: names the version in logs and in `/readyz`. */
  id: string;
  /** The supergraph as read (with its access-control directives). */
  sdl: string;
  /** The supergraph without the access-control specs, as @apollo/gateway is given it. */
  gatewaySdl: string;
  policies: PolicyIndex;
  subgraphs: SupergraphSubgraph[];
}

/** The supergraph's id: what `PreparedSupergraph.id` holds. */
export const supergraphId = (sdl: string): string => sha256Hex(sdl).slice(0, 16);

const stringArgument = (d: ConstDirectiveNode, name: string): string | undefined => {
  const value = d.arguments?.find((a) => a.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
};

/** The subgraphs a supergraph's `join__Graph` enum lists; throws when it lists none (not a supergraph). */
export function subgraphsOf(sdl: string): SupergraphSubgraph[] {
  const graphs = parse(sdl).definitions.find((d) => d.kind === Kind.ENUM_TYPE_DEFINITION && d.name.value === 'join__Graph');
  const subgraphs = (graphs?.kind === Kind.ENUM_TYPE_DEFINITION ? (graphs.values ?? []) : []).flatMap((value) => {
    const join = value.directives?.find((d) => d.name.value === 'join__graph');
    const name = join && stringArgument(join, 'name');
    return name ? [{ name, url: stringArgument(join, 'url') ?? '' }] : [];
  });
  if (subgraphs.length === 0) throw new Error('not a supergraph: no join__Graph enum naming its subgraphs (compose it with `npm run compose`)');
  return subgraphs;
}

/**
 * Reads `sdl` for serving. Throws on a document that does not parse, is not a supergraph, places
 * an access-control directive where the gateway cannot enforce it (see readPolicies), or governs
 * fields the access rules' `catalogue` does not match (assertRulesCoverSchema); @apollo/gateway
 * then validates the rest of it when it switches.
 */
export function prepareSupergraph(sdl: string, catalogue?: Catalogue): PreparedSupergraph {
  const { gatewaySdl, policies } = readPolicies(sdl);
  const subgraphs = subgraphsOf(sdl);
  if (catalogue) assertRulesCoverSchema(policies, catalogue, subgraphs.map((s) => s.name));
  const id = supergraphId(sdl);
  // Marked with the version's id: two versions differing only in policies strip to the same SDL,
  // which @apollo/gateway would take for no change, and the new policies would never be attached.
  return { id, sdl, gatewaySdl: `${gatewaySdl}\n# supergraph ${id}\n`, policies, subgraphs };
}

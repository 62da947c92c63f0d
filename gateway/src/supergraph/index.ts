/** The supergraph the gateway serves, and its live reload (SUPERGRAPH_PATH / SUPERGRAPH_URL, SUPERGRAPH_POLL_INTERVAL_MS). */
export { prepareSupergraph, subgraphsOf, supergraphId, type PreparedSupergraph, type SupergraphSubgraph } from './prepare';
export { fileSource, urlSource, type SupergraphSource } from './source';
export { LiveSupergraph, subgraphsAnswer, type LiveSupergraphOptions, type PollOutcome } from './live';

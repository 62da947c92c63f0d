/**
 * Benchmark child: Express 5 + Apollo Server (the stack the project's gateway and plain
 * @apollo/gateway run on) in gateway mode on the supergraph's API schema, its executor answering
 * every operation with the hot response held in memory, as a response-cache hit answers. No
 * planning, no subgraph, no plugin, no graphql-js execution (a gateway's executor replaces it):
 * what parsing the request, Apollo Server's request pipeline (document cache, validation cache)
 * and writing the answer cost on this machine, the floor under any cache hit served through
 * Apollo Server.
 *
 * Env: BENCH_PORT, BENCH_BODY (file holding the hot response), SUPERGRAPH_PATH.
 */
import { readFileSync } from 'node:fs';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { expressMiddleware } from '@as-integrations/express5';
import { Supergraph } from '@apollo/federation-internals';
import { prepareSupergraph } from '../gateway/src/supergraph/prepare';

const port = Number(process.env.BENCH_PORT);
const { data } = JSON.parse(readFileSync(process.env.BENCH_BODY!, 'utf8')) as { data: Record<string, unknown> };
const schema = Supergraph.build(prepareSupergraph(readFileSync(process.env.SUPERGRAPH_PATH ?? 'schema/supergraph.graphql', 'utf8')).gatewaySdl)
  .apiSchema()
  .toGraphQLJSSchema();

async function main() {
  // The GatewayInterface a hit passes through: the schema once, an executor returning the answer.
  let loaded: Parameters<GatewayInterface['onSchemaLoadOrUpdate']>[0] | undefined;
  const gateway: GatewayInterface = {
    async load() {
      loaded?.({ apiSchema: schema, coreSupergraphSdl: '' });
      return { executor: async () => ({ data }) };
    },
    onSchemaLoadOrUpdate: (callback) => {
      loaded = callback;
      return () => {};
    },
    stop: async () => {},
  };
  const apollo = new ApolloServer({ gateway });
  await apollo.start();
  const app = express();
  app.use('/graphql', express.json(), expressMiddleware(apollo));
  const server = app.listen(port, '127.0.0.1', () => console.log(`Apollo Server floor ready at http://127.0.0.1:${port}/graphql`));
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

/**
 * Benchmark child: Express 5 + Apollo Server (the stack the project's gateway and plain
 * @apollo/gateway run on) serving the supergraph's API schema, every `person` answered from the
 * hot person's data in memory (graphql-js's default resolvers read the rest). No planning, no
 * subgraph, no plugin: what parsing the request, Apollo Server's request pipeline (document cache,
 * validation cache, execution) and writing the answer cost on this machine, the floor under any
 * cache hit served through Apollo Server.
 *
 * Env: BENCH_PORT, BENCH_BODY (file holding the hot response), SUPERGRAPH_PATH.
 */
import { readFileSync } from 'node:fs';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { Supergraph } from '@apollo/federation-internals';
import { prepareSupergraph } from '../gateway/src/supergraph/prepare';

const port = Number(process.env.BENCH_PORT);
const { data } = JSON.parse(readFileSync(process.env.BENCH_BODY!, 'utf8')) as { data: { person: unknown } };
const schema = Supergraph.build(prepareSupergraph(readFileSync(process.env.SUPERGRAPH_PATH ?? 'schema/supergraph.graphql', 'utf8')).gatewaySdl)
  .apiSchema()
  .toGraphQLJSSchema();

async function main() {
  const apollo = new ApolloServer({ schema, rootValue: { person: () => data.person } });
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

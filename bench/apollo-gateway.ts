/**
 * Benchmark child: a plain @apollo/gateway under @apollo/server's standalone server, nothing
 * added — the baseline the project's gateway is measured against. It serves the stripped
 * supergraph (the one the project's gateway hands @apollo/gateway) and sends each subgraph the
 * long-lived internal token the harness minted for it, since subgraphs answer nobody else.
 *
 * Env: BENCH_PORT, BENCH_SUPERGRAPH (file), BENCH_TOKENS (JSON: subgraph name -> token).
 */
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';

async function main() {
  const port = Number(process.env.BENCH_PORT);
  const supergraphSdl = readFileSync(process.env.BENCH_SUPERGRAPH!, 'utf8');
  const tokens = JSON.parse(process.env.BENCH_TOKENS!) as Record<string, string>;

  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource({
        url,
        willSendRequest({ request }) {
          request.http!.headers.set('authorization', `Bearer ${tokens[name]}`);
        },
      }),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, { listen: { port, host: '127.0.0.1' } });
  console.log(`plain @apollo/gateway ready at ${url}`);

  const stop = () => {
    // Draining waits for keep-alive connections; a benchmark child need not wait long.
    setTimeout(() => process.exit(0), 2000).unref();
    server.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

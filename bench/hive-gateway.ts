/**
 * Benchmark child: Hive Gateway (@graphql-hive/gateway's runtime, the engine its CLI serves) on
 * the stripped supergraph, one process, on Node's http server — the same shape as the other
 * targets (the CLI would fork a worker per core, which on this 2-core machine would compete with
 * the subgraphs and the load generator). Each subgraph call carries the internal token the
 * harness minted for that subgraph. With BENCH_HIVE_ROUTER_RUNTIME=1 it plans and executes with
 * Hive Router's Rust query planner (`@graphql-hive/router-runtime`, a native addon), as the
 * CLI's `--hive-router-runtime` does; otherwise with its default JavaScript (stitching) runtime.
 *
 * Env: BENCH_PORT, BENCH_SUPERGRAPH (file), BENCH_TOKENS (JSON: subgraph name -> token),
 * BENCH_HIVE_ROUTER_RUNTIME (1 = the Rust query planner).
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { createGatewayRuntime } from '@graphql-hive/gateway';

async function main() {
  const port = Number(process.env.BENCH_PORT);
  const supergraph = parse(readFileSync(process.env.BENCH_SUPERGRAPH!, 'utf8'));
  const tokens = JSON.parse(process.env.BENCH_TOKENS!) as Record<string, string>;
  const rust = process.env.BENCH_HIVE_ROUTER_RUNTIME === '1';

  const gateway = createGatewayRuntime({
    supergraph,
    ...(rust ? { unifiedGraphHandler: (await import('@graphql-hive/router-runtime')).unifiedGraphHandler } : {}),
    logging: 'warn',
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: false,
    propagateHeaders: {
      fromClientToSubgraphs: ({ subgraphName }) => ({ authorization: `Bearer ${tokens[subgraphName]}` }),
    },
  });
  const server = http.createServer(gateway);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  console.log(`Hive Gateway${rust ? ' (Rust query planner)' : ''} ready at http://127.0.0.1:${port}/graphql`);

  const stop = async () => {
    setTimeout(() => process.exit(0), 2000).unref();
    server.close();
    server.closeAllConnections();
    await gateway.dispose();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

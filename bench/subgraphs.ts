/**
 * Benchmark child: the four subgraphs in one process, on the bench databases, each on its port
 * from the environment (as `npm run subgraph` reads it), plus `GET /bench/statements` on
 * BENCH_CONTROL_PORT: the SQL statements each store has sent so far (lib/db.ts counts them), which
 * the harness reads before and after every run. Never seeds: the harness did that.
 */
import http from 'node:http';
import { DEPARTMENTS, loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { openDepartmentStore } from '../subgraphs/common/run';
import { subgraphDefinition } from '../subgraphs';
import { createSubgraphServer } from '../subgraphs/common/server';

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'bench-subgraphs');
  const controlPort = Number(process.env.BENCH_CONTROL_PORT);
  if (!controlPort) throw new Error('BENCH_CONTROL_PORT is not set');

  const running = await Promise.all(
    DEPARTMENTS.map(async (name) => {
      const def = subgraphDefinition(name);
      if (!config.subgraphs[name].dbUrl) throw new Error(`${name}: no database URL; the benchmark runs on real databases only`);
      const store = await openDepartmentStore(def, config);
      const sub = await createSubgraphServer(def, { store, logger: logger.child({ subgraph: name }), internalSecret: config.INTERNAL_TOKEN_SECRET });
      const server = await sub.listen(config.subgraphs[name].port, config.HOST);
      return { name, store, server };
    }),
  );

  const control = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/bench/statements') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(Object.fromEntries(running.map((r) => [r.name, r.store.statements]))));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => control.listen(controlPort, config.HOST, resolve));
  logger.info({ subgraphs: running.map((r) => r.server.url), control: controlPort }, 'bench subgraphs ready');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // Draining waits for keep-alive connections; a benchmark child need not wait long.
    setTimeout(() => process.exit(0), 2000).unref();
    control.close();
    for (const r of running) {
      await r.server.stop().catch(() => {});
      await r.store.close().catch(() => {});
    }
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

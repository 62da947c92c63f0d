/** `npm run subgraph -- <name>`: one department's subgraph alone, configured by the environment. */
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { stopOnSignals } from '../lib/process';
import { runSubgraph } from '../subgraphs/common/run';
import { subgraphDefinition } from '../subgraphs';
import { startTracing } from '../lib/tracing';

async function main() {
  const name = process.argv[2];
  if (!name) throw new Error('Usage: npm run subgraph -- <social-security|real-estate|marriage|medical-insurance>');
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, name);
  const tracing = await startTracing(config, `archive-${name}`); // off unless OTEL_* configure an exporter
  const running = await runSubgraph(subgraphDefinition(name), config, logger);
  stopOnSignals(logger, [running.stop, ...(tracing ? [tracing.shutdown] : [])]);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

/** `npm run gateway`: the gateway alone, configured by the environment (see README). */
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createGateway } from './server';
import { stopOnSignals } from '../../lib/process';
import { startTracing } from '../../lib/tracing';

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'gateway');
  const tracing = await startTracing(config, 'archive-gateway'); // off unless OTEL_* configure an exporter
  const gateway = await createGateway({ config, logger });
  const running = await gateway.listen(config.GATEWAY_PORT);
  logger.info({ url: running.url }, 'gateway ready');
  stopOnSignals(logger, [running.stop, ...(tracing ? [tracing.shutdown] : [])]);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

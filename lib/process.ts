import type { Logger } from './logger';

/**
 * Stops the given parts in order on SIGINT/SIGTERM (drains in-flight requests), then exits.
 * A second signal exits at once.
 */
export function stopOnSignals(logger: Logger, stops: Array<() => Promise<void>>): void {
  let stopping = false;
  const handler = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'stopping');
    for (const stop of stops) {
      await stop().catch((err) => logger.error({ err }, 'error while stopping'));
    }
    process.exit(0);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

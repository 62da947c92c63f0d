import pino, { type Logger } from 'pino';

export type { Logger };

/** The one logger factory: JSON lines on stdout, level from config. */
export function createLogger(level: string, name: string): Logger {
  return pino({ level, name, base: { service: name } });
}

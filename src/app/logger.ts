import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout for `serve`; silent for tests and short CLI commands unless asked. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino({ level, base: { service: 'kimauth' } }, destination) : pino({ level, base: { service: 'kimauth' } });
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

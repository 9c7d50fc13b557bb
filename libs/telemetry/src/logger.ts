import pino, { type DestinationStream, type Logger } from 'pino';

export interface LoggerOptions {
  readonly service: string;
  readonly version: string;
  readonly level: string;
  /** Where lines go; stdout when omitted. */
  readonly destination?: DestinationStream;
}

/** Paths whose values never reach a log line. */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.pass',
  '*.token',
  '*.creds',
  'natsPass',
  'natsCreds',
];

/**
 * The process's JSON logger (also Fastify's): one object per line, ISO time, level as a
 * label, `service` and `version` on every line, secrets redacted.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service, version: options.version, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    },
    options.destination,
  );
}

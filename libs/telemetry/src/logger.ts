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

let stdout: DestinationStream | undefined;

/**
 * One stdout stream for every logger in the process. Separate pino instances with their
 * own streams reorder lines between them (seen in the one-process topology); sharing one
 * synchronous stream keeps lines in the order they were logged and loses none when the
 * process exits right after logging.
 */
function sharedStdout(): DestinationStream {
  stdout ??= pino.destination({ dest: 1, sync: true });
  return stdout;
}

/**
 * A JSON logger (also Fastify's): one object per line, ISO time, level as a label,
 * `service` and `version` on every line, secrets redacted. All loggers of a process write
 * to one shared stdout stream unless given a destination.
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
    options.destination ?? sharedStdout(),
  );
}

import pino, { type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import { chooseLogFormat, currentTerminal, type LogFormat } from './log-format';

export interface LoggerOptions {
  readonly service: string;
  readonly version: string;
  readonly level: string;
  /** Where lines go; stdout when omitted. */
  readonly destination?: DestinationStream;
  /** LOG_FORMAT: JSON lines or readable lines; when omitted, readable only when a person is watching ({@link chooseLogFormat}). */
  readonly format?: LogFormat;
  /** Colour readable lines; when omitted, as {@link chooseLogFormat} decides for this process. */
  readonly colour?: boolean;
}

/** Field names that hold credentials wherever Tandem logs them. */
const SECRET_FIELDS = ['password', 'pass', 'token', 'secret', 'creds', 'NATS_PASS'] as const;

/**
 * The top-level keys under which Tandem's log lines carry objects that may hold credentials
 * (an error, NATS or other settings, a caller's options or headers). Their secret fields are
 * redacted one level down; a new log call that nests credentials under another key must add
 * it here (a test lists them).
 */
export const REDACTED_PARENTS = ['err', 'error', 'nats', 'config', 'settings', 'options', 'connection', 'auth', 'credentials'] as const;

/** Header names that carry credentials. */
const SECRET_HEADERS = ['authorization', 'cookie', '["proxy-authorization"]', '["x-api-key"]', '["set-cookie"]'] as const;

/**
 * Paths whose values never reach a log line. All are anchored at a named top-level key: a
 * leading wildcard (`*.password`) makes pino walk every key of every line (the cost:
 * docs/benchmarks/ab-redaction.md).
 */
export const REDACTED_PATHS: readonly string[] = [
  ...['req.headers', 'res.headers', 'headers'].flatMap((parent) =>
    SECRET_HEADERS.map((header) => (header.startsWith('[') ? `${parent}${header}` : `${parent}.${header}`)),
  ),
  ...SECRET_FIELDS,
  'natsPass',
  'natsCreds',
  ...REDACTED_PARENTS.flatMap((parent) => [
    ...SECRET_FIELDS.map((field) => `${parent}.${field}`),
    ...SECRET_HEADERS.map((header) => (header.startsWith('[') ? `${parent}.headers${header}` : `${parent}.headers.${header}`)),
  ]),
];

/**
 * A URL for a log line: the query string's values are replaced (`/orders?token=[redacted]`),
 * its names kept. Tandem's API takes no query parameters; a caller that sends a secret there
 * anyway does not find it in the logs.
 */
export function redactQuery(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => (pair.includes('=') ? `${pair.slice(0, pair.indexOf('='))}=[redacted]` : pair))
    .join('&');
  return `${url.slice(0, at)}?${query}`;
}

interface RequestLike {
  readonly method: string;
  readonly url: string;
  readonly host?: string;
  readonly ip?: string;
  readonly socket?: { readonly remotePort?: number };
}

/** Fastify's request fields (method, url, host, remoteAddress, remotePort), with {@link redactQuery} on the URL. */
function requestSerializer(req: unknown): unknown {
  if (
    typeof req !== 'object' ||
    req === null ||
    typeof (req as RequestLike).url !== 'string' ||
    typeof (req as RequestLike).method !== 'string'
  ) {
    return req; // not a request object: the redact paths still apply to it
  }
  const r = req as RequestLike;
  return { method: r.method, url: redactQuery(r.url), host: r.host, remoteAddress: r.ip, remotePort: r.socket?.remotePort };
}

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

/** The shared readable stdout streams, one per colour setting. */
const prettyStdout = new Map<boolean, DestinationStream>();

/**
 * Readable lines: `HH:MM:ss.mmm LEVEL: service 1a2b3c4d message {other fields}` (the trace id
 * shortened to 8 characters), written synchronously like the JSON stream. pino-pretty is
 * loaded only here: the JSON path never pays for it.
 */
function prettyStream(destination: DestinationStream | 1, colour: boolean): DestinationStream {
  const pretty = require('pino-pretty') as typeof PinoPretty;
  return pretty({
    destination,
    sync: true,
    colorize: colour,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,version,trace_id,span_id,trace_flags',
    // pino-pretty colours the whole message part; nothing is coloured inside it.
    messageFormat: (log, messageKey) => {
      const service = typeof log['service'] === 'string' ? log['service'] : '';
      const trace = typeof log['trace_id'] === 'string' ? ` ${log['trace_id'].slice(0, 8)}` : '';
      const message = log[messageKey] === undefined ? '' : String(log[messageKey]);
      return `${service}${trace} ${message}`;
    },
  }) as DestinationStream;
}

/**
 * The process's logger (also Fastify's). JSON (the default wherever no person watches): one
 * object per line, ISO time, level as a label, `service` and `version` on every line. Pretty
 * (`LOG_FORMAT=pretty`, or a terminal watching): the same records, one readable line each.
 * Either way secrets are redacted (headers that carry credentials, password-like fields,
 * query-string values) and all loggers of a process write to one shared stdout stream unless
 * given a destination.
 */
export function createLogger(options: LoggerOptions): Logger {
  // Who watches is a question about stdout: a logger given its own destination writes JSON unless told otherwise.
  const chosen =
    options.destination && options.format === undefined
      ? { format: 'json' as const, colour: false }
      : chooseLogFormat(options.format, currentTerminal());
  const colour = options.colour ?? chosen.colour;
  let destination = options.destination ?? sharedStdout();
  if (chosen.format === 'pretty')
    if (options.destination) destination = prettyStream(options.destination, colour);
    else {
      let shared = prettyStdout.get(colour);
      if (!shared) prettyStdout.set(colour, (shared = prettyStream(1, colour)));
      destination = shared;
    }
  return pino(
    {
      level: options.level,
      base: { service: options.service, version: options.version, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      serializers: { req: requestSerializer },
    },
    destination,
  );
}

/** What `npm start` runs with. */
export interface DevOptions {
  readonly help: boolean;
  /** Run the three services composed in one process (apps/all-in-one). */
  readonly oneProcess: boolean;
  readonly logLevel: string;
  /** Show everything nats-server (and Jaeger) print, not only warnings and errors. */
  readonly verbose: boolean;
  /** Run Jaeger in Docker and export every trace to it. */
  readonly jaeger: boolean;
  readonly natsServer: string;
  readonly natsPort: number;
  /** Where nats-server keeps JetStream data. */
  readonly dataDir: string;
  readonly ports: { readonly gateway: number; readonly order: number; readonly consumer: number };
}

export type ParseResult = { ok: true; value: DevOptions } | { ok: false; error: string };

export const USAGE = `Usage: npm start [-- options]

Runs nats-server (JetStream, data under .data/) and gateway, order and consumer
as separate processes on 127.0.0.1. Ctrl-C stops everything gracefully.

Options:
  --one-process         run gateway, order and consumer in one process (apps/all-in-one)
  --log-level <level>   fatal, error, warn, info (default), debug, trace or silent
  --jaeger              run Jaeger (Docker, the image deploy/ uses) and send every trace
                        to it; UI at http://127.0.0.1:16686
  --verbose             show all of nats-server's (and Jaeger's) output, not only
                        warnings and errors
  -h, --help            show this help

Environment:
  NATS_SERVER_BIN       the nats-server binary (npm start provides one of the tested line, 2.15)
  ORDER_ID_SECRET       keys order ids (default: generated once into <TANDEM_DATA_DIR>/order-id-secret)
  GATEWAY_PORT, ORDER_PORT, CONSUMER_PORT, NATS_PORT
                        ports on 127.0.0.1 (default 3000, 3001, 3002, 4222)
  TANDEM_DATA_DIR       JetStream data directory (default .data/nats)
  LOG_FORMAT            json or pretty (default: pretty in a terminal, json otherwise)
  OTEL_EXPORTER_OTLP_ENDPOINT
                        send traces to this OTLP collector (what --jaeger sets for you)
`;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Parses `npm start` arguments; every error names the argument and the expected form. */
export function parseDevArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParseResult {
  let help = false;
  let oneProcess = false;
  let verbose = false;
  let jaeger = false;
  let logLevel = 'info';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') help = true;
    else if (arg === '--one-process') oneProcess = true;
    else if (arg === '--verbose') verbose = true;
    else if (arg === '--jaeger') jaeger = true;
    else if (arg === '--log-level') {
      const value = argv[++i];
      if (value === undefined || !LEVELS.includes(value)) {
        return { ok: false, error: `--log-level expects one of ${LEVELS.join(', ')}, got ${JSON.stringify(value ?? '')}` };
      }
      logLevel = value;
    } else {
      return { ok: false, error: `unknown argument ${JSON.stringify(arg)}` };
    }
  }
  const ports: Record<string, number> = {};
  for (const [variable, fallback] of [
    ['GATEWAY_PORT', 3000],
    ['ORDER_PORT', 3001],
    ['CONSUMER_PORT', 3002],
    ['NATS_PORT', 4222],
  ] as const) {
    const raw = env[variable];
    const port = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      return { ok: false, error: `${variable} expects an integer port 1..65535, got ${JSON.stringify(raw)}` };
    }
    ports[variable] = port;
  }
  const distinct = new Set(Object.values(ports));
  if (distinct.size !== 4) return { ok: false, error: `GATEWAY_PORT, ORDER_PORT, CONSUMER_PORT and NATS_PORT must differ` };
  return {
    ok: true,
    value: {
      help,
      oneProcess,
      logLevel,
      verbose,
      jaeger,
      natsServer: env['NATS_SERVER_BIN'] || 'nats-server',
      natsPort: ports['NATS_PORT'] as number,
      dataDir: env['TANDEM_DATA_DIR'] || '.data/nats',
      ports: { gateway: ports['GATEWAY_PORT'] as number, order: ports['ORDER_PORT'] as number, consumer: ports['CONSUMER_PORT'] as number },
    },
  };
}

/**
 * What npm start adds to its services' environment for the terminal it runs in: readable,
 * coloured logs when a person watches (its stdout is a terminal), unless LOG_FORMAT, NO_COLOR
 * or FORCE_COLOR say otherwise. The services' stdout is a pipe to npm start, so they cannot
 * see the terminal themselves.
 */
export function terminalEnv(env: Readonly<Record<string, string | undefined>>, stdoutIsTTY: boolean): Record<string, string> {
  if (!stdoutIsTTY) return {};
  return {
    ...(env['LOG_FORMAT'] === undefined ? { LOG_FORMAT: 'pretty' } : {}),
    ...(env['FORCE_COLOR'] === undefined && (env['NO_COLOR'] ?? '') === '' ? { FORCE_COLOR: '1' } : {}),
  };
}

/** nats-server's lines worth showing by default: warnings, errors, fatal errors. */
export function natsLineShown(line: string): boolean {
  return /\[(WRN|ERR|FTL)\]/.test(line);
}

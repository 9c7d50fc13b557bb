import type { InstrumentationConfigMap } from '@opentelemetry/auto-instrumentations-node';
import type { ConfigIssue } from '@tandem/runtime';

/**
 * Every instrumentation `@opentelemetry/auto-instrumentations-node` (0.82.0) carries, by the
 * short name the standard `OTEL_NODE_ENABLED_INSTRUMENTATIONS` /
 * `OTEL_NODE_DISABLED_INSTRUMENTATIONS` variables use, and whether Tandem turns it on when
 * neither variable says otherwise. On: what Tandem's processes use — http (server and
 * client spans), undici (the gateway's order client), pino (trace ids on log lines) and
 * fastify (route and handler spans; `@fastify/otel`, which the bundle does not carry). Off:
 * the rest, fs, dns and net included (a span per file read or socket is noise and costs CPU
 * per request). A test holds this list equal to the bundle's.
 */
export const INSTRUMENTATIONS = {
  http: true,
  undici: true,
  pino: true,
  fastify: true,
  amqplib: false,
  'aws-lambda': false,
  'aws-sdk': false,
  bunyan: false,
  'cassandra-driver': false,
  connect: false,
  cucumber: false,
  dataloader: false,
  dns: false,
  express: false,
  fs: false,
  'generic-pool': false,
  graphql: false,
  grpc: false,
  hapi: false,
  'host-metrics': false,
  ioredis: false,
  kafkajs: false,
  knex: false,
  koa: false,
  'lru-memoizer': false,
  memcached: false,
  mongodb: false,
  mongoose: false,
  mysql: false,
  mysql2: false,
  'nestjs-core': false,
  net: false,
  openai: false,
  oracledb: false,
  pg: false,
  redis: false,
  restify: false,
  router: false,
  'runtime-node': false,
  'socket.io': false,
  tedious: false,
  winston: false,
} as const satisfies Record<string, boolean>;

export type InstrumentationName = keyof typeof INSTRUMENTATIONS;

/** `fastify` is `@fastify/otel`, set up beside the bundle; every other name is the bundle's. */
const NOT_IN_BUNDLE: ReadonlySet<InstrumentationName> = new Set(['fastify']);

const NAMES = Object.keys(INSTRUMENTATIONS) as InstrumentationName[];

/**
 * Which instrumentations run, from the standard variables with their standard meaning, over
 * Tandem's defaults: `OTEL_NODE_ENABLED_INSTRUMENTATIONS` replaces the default list,
 * `OTEL_NODE_DISABLED_INSTRUMENTATIONS` takes names out of whatever is enabled. Unlike the
 * bundle (which only logs a diagnostic), a name it does not know is a configuration error
 * naming the variable.
 */
export function selectInstrumentations(
  env: Readonly<Record<string, string | undefined>>,
  problems: ConfigIssue[],
): ReadonlySet<InstrumentationName> {
  const enabledList = nameList(env, 'OTEL_NODE_ENABLED_INSTRUMENTATIONS', problems);
  const enabled = new Set<InstrumentationName>(enabledList ?? NAMES.filter((name) => INSTRUMENTATIONS[name]));
  for (const name of nameList(env, 'OTEL_NODE_DISABLED_INSTRUMENTATIONS', problems) ?? []) enabled.delete(name);
  return enabled;
}

/** A comma-separated list of instrumentation names, or undefined when the variable is unset or empty. */
function nameList(
  env: Readonly<Record<string, string | undefined>>,
  variable: string,
  problems: ConfigIssue[],
): InstrumentationName[] | undefined {
  const raw = (env[variable] ?? '').trim();
  if (raw === '') return undefined;
  const names = raw
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !Object.hasOwn(INSTRUMENTATIONS, name));
  if (unknown.length > 0) {
    problems.push({
      variable,
      expected: `a comma-separated list of instrumentation names (${NAMES.join(', ')}); unknown: ${unknown.join(', ')}`,
      received: raw,
    });
  }
  return names.filter((name): name is InstrumentationName => Object.hasOwn(INSTRUMENTATIONS, name));
}

/** What Tandem configures on the instrumentations it may enable. */
export interface InstrumentationTuning {
  /** Incoming requests to these paths get no span (probes, `/metrics`). */
  readonly untracedPaths: ReadonlySet<string>;
}

/**
 * The `getNodeAutoInstrumentations()` argument for a selection: every bundle instrumentation
 * named with an explicit `enabled` (explicit configuration wins over the variables inside the
 * bundle, so the selection above is the only place they are read), plus Tandem's settings:
 * probes untraced, and pino's log sending off — it re-parses every log line to hand it to an
 * OpenTelemetry logs pipeline Tandem does not run; `trace_id`/`span_id` still go into the lines.
 */
export function autoInstrumentationConfig(
  enabled: ReadonlySet<InstrumentationName>,
  tuning: InstrumentationTuning,
): InstrumentationConfigMap {
  const config: Record<string, { enabled: boolean }> = {};
  for (const name of NAMES) {
    if (!NOT_IN_BUNDLE.has(name)) config[`@opentelemetry/instrumentation-${name}`] = { enabled: enabled.has(name) };
  }
  return {
    ...config,
    '@opentelemetry/instrumentation-http': {
      enabled: enabled.has('http'),
      ignoreIncomingRequestHook: (request) => tuning.untracedPaths.has((request.url ?? '').split('?')[0] ?? ''),
    },
    '@opentelemetry/instrumentation-pino': { enabled: enabled.has('pino'), disableLogSending: true },
  };
}

import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { TextMapPropagator } from '@opentelemetry/api';
import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import { CompositePropagator, setGlobalErrorHandler, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPGrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { defaultResource, envDetector, hostDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NoopSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type BatchSpanProcessorOptions,
  type Sampler,
  type SpanExporter,
  type SpanLimits,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import type { ConfigIssue } from '@tandem/runtime';
import type { Logger } from 'pino';
import { autoInstrumentationConfig, selectInstrumentations, type InstrumentationName } from './instrumentations';

export type TracesExporter = 'otlp' | 'console' | 'none';

/** The OTLP transports Tandem exports over (Jaeger and collectors take gRPC on 4317, HTTP on 4318). */
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

export interface TelemetryOptions {
  /** Default `service.name` (OTEL_SERVICE_NAME wins). */
  readonly serviceName: string;
  /** `service.version` (SERVICE_VERSION). */
  readonly serviceVersion: string;
  /** The process environment: the standard OTEL_* variables configure everything. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The running OpenTelemetry SDK of a process. */
export interface Telemetry {
  readonly exporter: TracesExporter;
  /** The sampler in use, as `OTEL_TRACES_SAMPLER` names it (`off` when OTEL_SDK_DISABLED). */
  readonly sampler: string;
  /** The instrumentations running, by their short names (`http`, `undici`, `pino`, `fastify`, …). */
  readonly instrumentations: readonly InstrumentationName[];
  /** Invalid OTEL_* settings; the process edge reports them like any configuration error (exit 78). */
  readonly problems: readonly ConfigIssue[];
  /** Where the single "export failed" warning goes once a logger exists. */
  attachLogger(logger: Logger): void;
  /** Flushes pending spans and stops the SDK. */
  shutdown(): Promise<void>;
}

/** Probe and scrape requests: frequent, uninteresting, never traced. */
const UNTRACED_PATHS: ReadonlySet<string> = new Set(['/livez', '/readyz', '/metrics']);

/** Kubernetes downward-API variables mapped to resource attributes when present. */
const K8S_ATTRIBUTES: Readonly<Record<string, string>> = {
  K8S_POD_NAME: 'k8s.pod.name',
  K8S_NAMESPACE_NAME: 'k8s.namespace.name',
  K8S_NODE_NAME: 'k8s.node.name',
  K8S_DEPLOYMENT_NAME: 'k8s.deployment.name',
};

/**
 * Starts OpenTelemetry with the ecosystem's standard bootstrap — `NodeSDK` from
 * `@opentelemetry/sdk-node` with instrumentations from `getNodeAutoInstrumentations()` plus
 * `@fastify/otel` — before anything it instruments is loaded (call it from the first module
 * `main.ts` imports). Configured only by the standard variables, and strictly: every value is
 * checked first ({@link telemetrySettings}) and one Tandem cannot honour is a configuration
 * error naming the variable (exit 78), never a silent default. What is checked is then handed
 * to NodeSDK explicitly (exporter, sampler, propagator, limits, instrumentations), so NodeSDK's
 * own reading of the environment never picks something else.
 * - `OTEL_SDK_DISABLED=true`: nothing at all — no SDK, no propagation, no trace ids in logs.
 * - `OTEL_TRACES_EXPORTER`: `otlp`, `console` or `none`. Unset: `otlp` when an OTLP
 *   endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT` / `…_TRACES_ENDPOINT`), else
 *   `none` — quiet when no collector runs.
 * - `OTEL_EXPORTER_OTLP_PROTOCOL` / `…_TRACES_PROTOCOL`: `http/protobuf` (default), `http/json` or `grpc`.
 * - `OTEL_TRACES_SAMPLER` (+ `_ARG`): `always_on`, `always_off`, `traceidratio`,
 *   `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio`. Default
 *   `parentbased_always_on`; with no exporter, `parentbased_always_off`: a service that exports
 *   nothing starts no recorded traces of its own, but continues a sampled trace it is handed,
 *   so the decision made upstream reaches the services downstream.
 * - `OTEL_PROPAGATORS`: `tracecontext`, `baggage`, `b3`, `b3multi` or `none` (default both W3C ones).
 * - `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `OTEL_NODE_DISABLED_INSTRUMENTATIONS`: which
 *   instrumentations run ({@link selectInstrumentations}; default http, undici, pino, fastify).
 * - `OTEL_BSP_*`, span limits (`OTEL_SPAN_*_LIMIT`, `OTEL_ATTRIBUTE_*_LIMIT`),
 *   `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`; `OTEL_LOG_LEVEL` (NodeSDK's own diagnostics).
 * Whatever the sampler decides, W3C context propagates: a service that records nothing still
 * passes the incoming trace on (into HTTP calls and NATS headers) and logs its trace id.
 * OTel metrics and logs pipelines are off: metrics are prom-client's `/metrics`, logs are stdout.
 * Fastify gets a span per request and per route handler, not per hook. A failing export is
 * warned about once, not per batch.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const { env } = options;
  const settings = telemetrySettings(env);
  const { exporter, problems } = settings;
  const instrumentations = [...settings.instrumentations];
  if (settings.disabled || problems.length > 0) {
    // Disabled, or about to exit 78: start nothing.
    return {
      exporter,
      sampler: settings.samplerName,
      instrumentations: settings.disabled ? [] : instrumentations,
      problems,
      attachLogger: () => undefined,
      shutdown: async () => undefined,
    };
  }

  const spanExporter = createSpanExporter(exporter, settings.protocol);
  // With nothing to export the provider still runs (no-op processor): the sampler must see a
  // sampled parent to continue its trace, and spans must carry new ids into NATS headers.
  const spanProcessor: SpanProcessor = spanExporter
    ? new BatchSpanProcessor({ exporter: spanExporter, ...settings.batch })
    : new NoopSpanProcessor();

  const attributes: Record<string, string> = {
    'service.version': options.serviceVersion,
    'deployment.environment.name': env['DEPLOYMENT_ENVIRONMENT'] || 'local',
  };
  for (const [variable, attribute] of Object.entries(K8S_ATTRIBUTES)) {
    const value = env[variable];
    if (value) attributes[attribute] = value;
  }

  let logger: Logger | undefined;
  let warned = false;
  setGlobalErrorHandler((error) => {
    if (warned) return;
    warned = true;
    const message = 'telemetry export failed; spans are being dropped (further failures are not logged)';
    if (logger) logger.warn({ err: error, exporter }, message);
    else process.stderr.write(`${JSON.stringify({ level: 'warn', msg: message, err: String(error) })}\n`);
  });

  const enabled = settings.instrumentations;
  const sdk = new NodeSDK({
    serviceName: env['OTEL_SERVICE_NAME'] || options.serviceName,
    resource: defaultResource().merge(resourceFromAttributes(attributes)),
    resourceDetectors: [envDetector, processDetector, hostDetector],
    sampler: settings.sampler,
    spanLimits: settings.spanLimits,
    spanProcessors: [spanProcessor],
    textMapPropagator: settings.propagator ?? null,
    // prom-client serves metrics and pino writes logs: no OTel metrics or logs pipeline (and
    // none of NodeSDK's env defaults, which would export both to localhost:4318).
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      ...getNodeAutoInstrumentations(autoInstrumentationConfig(enabled, { untracedPaths: UNTRACED_PATHS })),
      ...(enabled.has('fastify')
        ? [
            new FastifyOtelInstrumentation({
              registerOnInitialization: true,
              ignorePaths: (route) => UNTRACED_PATHS.has(route.url),
              // The request and route-handler spans tell where time goes; one span per hook
              // (request id, rate limit, security headers…) is noise at a cost per request.
              instrumentHooks: false,
            }),
          ]
        : []),
    ],
  });
  sdk.start();
  return {
    exporter,
    sampler: settings.samplerName,
    instrumentations,
    problems,
    attachLogger: (l) => {
      logger = l;
    },
    shutdown: () => sdk.shutdown(),
  };
}

function createSpanExporter(exporter: TracesExporter, protocol: OtlpProtocol): SpanExporter | undefined {
  if (exporter === 'console') return new ConsoleSpanExporter();
  if (exporter !== 'otlp') return undefined;
  // Each reads its endpoint, headers, timeout and compression from the standard variables.
  if (protocol === 'grpc') return new OTLPGrpcTraceExporter();
  if (protocol === 'http/json') return new OTLPJsonTraceExporter();
  return new OTLPProtoTraceExporter();
}

/** What the OTEL_* variables ask for, checked; nothing is started. */
export interface TelemetrySettings {
  /** `OTEL_SDK_DISABLED=true`. */
  readonly disabled: boolean;
  readonly exporter: TracesExporter;
  readonly protocol: OtlpProtocol;
  /** As `OTEL_TRACES_SAMPLER` names it; `off` when disabled. */
  readonly samplerName: string;
  readonly sampler: Sampler;
  /** Undefined: `OTEL_PROPAGATORS=none`. */
  readonly propagator: TextMapPropagator | undefined;
  readonly batch: Omit<BatchSpanProcessorOptions, 'exporter'>;
  readonly spanLimits: SpanLimits;
  /** The instrumentations to run (`OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `…_DISABLED_…` over Tandem's defaults). */
  readonly instrumentations: ReadonlySet<InstrumentationName>;
  /** Every invalid setting, each naming its variable. */
  readonly problems: readonly ConfigIssue[];
}

/** Reads and checks the standard OTEL_* variables (see {@link startTelemetry} for what each means). */
export function telemetrySettings(env: TelemetryOptions['env']): TelemetrySettings {
  const disabledProblems: ConfigIssue[] = [];
  const disabled = booleanSetting(env, 'OTEL_SDK_DISABLED', disabledProblems);
  const problems: ConfigIssue[] = [...disabledProblems];
  const exporter = tracesExporter(env, problems);
  const protocolVariable = setting(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const requested = setting(env, protocolVariable) || 'http/protobuf';
  const protocol = (OTLP_PROTOCOLS as readonly string[]).includes(requested) ? (requested as OtlpProtocol) : 'http/protobuf';
  if (exporter === 'otlp' && protocol !== requested) {
    problems.push({ variable: protocolVariable, expected: OTLP_PROTOCOLS.join(', '), received: env[protocolVariable] ?? '' });
  }
  const sampler = samplerSetting(env, exporter, problems);
  const settings = {
    protocol,
    sampler: sampler.sampler,
    propagator: propagatorSetting(env, problems),
    batch: batchSettings(env, problems),
    spanLimits: spanLimits(env, problems),
    instrumentations: selectInstrumentations(env, problems),
  };
  // Switched off, nothing else is read: only a bad OTEL_SDK_DISABLED itself is a problem.
  if (disabled) return { ...settings, disabled, exporter: 'none', samplerName: 'off', problems: disabledProblems };
  return { ...settings, disabled, exporter, samplerName: sampler.name, problems };
}

const OTLP_PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc'];

/** An enum-like variable, trimmed and lower-cased (the OTel spec makes their values case-insensitive). */
function setting(env: TelemetryOptions['env'], variable: string): string {
  return (env[variable] ?? '').trim().toLowerCase();
}

function tracesExporter(env: TelemetryOptions['env'], problems: ConfigIssue[]): TracesExporter {
  const raw = setting(env, 'OTEL_TRACES_EXPORTER');
  if (raw === '') return env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ? 'otlp' : 'none';
  if (raw === 'otlp' || raw === 'console' || raw === 'none') return raw;
  problems.push({ variable: 'OTEL_TRACES_EXPORTER', expected: 'otlp, console or none', received: env['OTEL_TRACES_EXPORTER'] ?? '' });
  return 'none';
}

function booleanSetting(env: TelemetryOptions['env'], variable: string, problems: ConfigIssue[]): boolean {
  const raw = (env[variable] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  problems.push({ variable, expected: 'true or false', received: env[variable] ?? '' });
  return false;
}

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** `OTEL_TRACES_SAMPLER` (+ `_ARG` for the ratio samplers); the default depends on whether anything is exported. */
function samplerSetting(
  env: TelemetryOptions['env'],
  exporter: TracesExporter,
  problems: ConfigIssue[],
): { readonly name: string; readonly sampler: Sampler } {
  const raw = setting(env, 'OTEL_TRACES_SAMPLER');
  const name = raw === '' ? (exporter === 'none' ? 'parentbased_always_off' : 'parentbased_always_on') : raw;
  if (!(SAMPLERS as readonly string[]).includes(name)) {
    problems.push({ variable: 'OTEL_TRACES_SAMPLER', expected: SAMPLERS.join(', '), received: env['OTEL_TRACES_SAMPLER'] ?? '' });
    return { name: 'parentbased_always_on', sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }) };
  }
  const ratio = () => {
    const arg = (env['OTEL_TRACES_SAMPLER_ARG'] ?? '').trim();
    if (arg === '') return 1;
    const value = Number(arg);
    if (Number.isFinite(value) && value >= 0 && value <= 1) return value;
    problems.push({ variable: 'OTEL_TRACES_SAMPLER_ARG', expected: `a ratio from 0 to 1 for ${name}`, received: arg });
    return 1;
  };
  const root = name.endsWith('always_on')
    ? new AlwaysOnSampler()
    : name.endsWith('always_off')
      ? new AlwaysOffSampler()
      : new TraceIdRatioBasedSampler(ratio());
  return { name, sampler: name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root };
}

/** `OTEL_PROPAGATORS`: undefined means "none" (nothing is propagated). */
function propagatorSetting(env: TelemetryOptions['env'], problems: ConfigIssue[]): TextMapPropagator | undefined {
  const raw = setting(env, 'OTEL_PROPAGATORS');
  const names =
    raw === ''
      ? ['tracecontext', 'baggage']
      : [
          ...new Set(
            raw
              .split(',')
              .map((n) => n.trim())
              .filter((n) => n !== ''),
          ),
        ];
  if (names.includes('none')) return undefined;
  const propagators: TextMapPropagator[] = [];
  for (const name of names) {
    if (name === 'tracecontext') propagators.push(new W3CTraceContextPropagator());
    else if (name === 'baggage') propagators.push(new W3CBaggagePropagator());
    else if (name === 'b3') propagators.push(new B3Propagator());
    else if (name === 'b3multi') propagators.push(new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }));
    else
      problems.push({
        variable: 'OTEL_PROPAGATORS',
        expected: 'a list of tracecontext, baggage, b3, b3multi, or none (Jaeger and X-Ray are not bundled)',
        received: env['OTEL_PROPAGATORS'] ?? '',
      });
  }
  return new CompositePropagator({ propagators });
}

/** A whole number ≥ `min` from the environment, or undefined (unset); anything else is a problem. */
function wholeNumber(env: TelemetryOptions['env'], variable: string, problems: ConfigIssue[], min = 1): number | undefined {
  const raw = (env[variable] ?? '').trim();
  if (raw === '') return undefined;
  const value = Number(raw);
  if (Number.isInteger(value) && value >= min) return value;
  problems.push({ variable, expected: `a whole number of at least ${min}`, received: raw });
  return undefined;
}

function batchSettings(env: TelemetryOptions['env'], problems: ConfigIssue[]): Omit<BatchSpanProcessorOptions, 'exporter'> {
  const settings = {
    scheduledDelayMillis: wholeNumber(env, 'OTEL_BSP_SCHEDULE_DELAY', problems),
    exportTimeoutMillis: wholeNumber(env, 'OTEL_BSP_EXPORT_TIMEOUT', problems),
    maxQueueSize: wholeNumber(env, 'OTEL_BSP_MAX_QUEUE_SIZE', problems),
    maxExportBatchSize: wholeNumber(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', problems),
  };
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
}

function spanLimits(env: TelemetryOptions['env'], problems: ConfigIssue[]): SpanLimits {
  const limit = (variable: string, fallback?: string) =>
    wholeNumber(env, variable, problems, 0) ?? (fallback === undefined ? undefined : wholeNumber(env, fallback, problems, 0));
  const limits: SpanLimits = {
    attributeCountLimit: limit('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'),
    attributeValueLengthLimit: limit('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
    eventCountLimit: limit('OTEL_SPAN_EVENT_COUNT_LIMIT'),
    linkCountLimit: limit('OTEL_SPAN_LINK_COUNT_LIMIT'),
  };
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
}

import { FastifyOtelInstrumentation } from '@fastify/otel';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, ConsoleSpanExporter, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { ConfigIssue } from '@tandem/runtime';
import type { Logger } from 'pino';

export type TracesExporter = 'otlp' | 'console' | 'none';

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
 * Starts OpenTelemetry before anything it instruments is loaded (call it from the first
 * module `main.ts` imports): http, undici, pino (trace ids in log lines) and Fastify
 * (`@fastify/otel`). Configured only by the standard variables:
 * - `OTEL_TRACES_EXPORTER`: `otlp`, `console` or `none`. Unset: `otlp` when an OTLP
 *   endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT` / `…_TRACES_ENDPOINT`), else
 *   `none` — quiet when no collector runs.
 * - `OTEL_EXPORTER_OTLP_PROTOCOL`: `http/protobuf` (default) or `http/json`.
 * - `OTEL_TRACES_SAMPLER`/`_ARG` (default parent-based always-on), `OTEL_SERVICE_NAME`,
 *   `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_BSP_*`, `OTEL_PROPAGATORS` (default W3C trace context + baggage).
 * Whatever the exporter — `none` included — spans are created and W3C context propagates,
 * so a service that exports nothing still passes an upstream trace on and logs trace ids.
 * OTel metrics and logs exporters are off: metrics are prom-client's `/metrics`, logs are stdout.
 * A failing export is warned about once, not per batch.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const { env } = options;
  const problems: ConfigIssue[] = [];
  const exporter = tracesExporter(env, problems);
  const protocol = env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] || env['OTEL_EXPORTER_OTLP_PROTOCOL'] || 'http/protobuf';
  if (exporter === 'otlp' && protocol !== 'http/protobuf' && protocol !== 'http/json') {
    problems.push({
      variable: 'OTEL_EXPORTER_OTLP_PROTOCOL',
      expected: 'http/protobuf or http/json (gRPC is not bundled)',
      received: protocol,
    });
  }
  const spanProcessors: SpanProcessor[] =
    exporter === 'otlp' && problems.length === 0
      ? [new BatchSpanProcessor({ exporter: protocol === 'http/json' ? new OTLPJsonTraceExporter() : new OTLPProtoTraceExporter() })]
      : exporter === 'console'
        ? [new BatchSpanProcessor({ exporter: new ConsoleSpanExporter() })]
        : [new NoopSpanProcessor()];

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

  const sdk = new NodeSDK({
    serviceName: env['OTEL_SERVICE_NAME'] || options.serviceName,
    resource: resourceFromAttributes(attributes),
    spanProcessors,
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0] ?? '') }),
      new UndiciInstrumentation(),
      new PinoInstrumentation(),
      new FastifyOtelInstrumentation({ registerOnInitialization: true, ignorePaths: (o) => UNTRACED_PATHS.has(o.url) }),
    ],
  });
  sdk.start();
  return {
    exporter,
    problems,
    attachLogger: (l) => {
      logger = l;
    },
    shutdown: () => sdk.shutdown(),
  };
}

function tracesExporter(env: TelemetryOptions['env'], problems: ConfigIssue[]): TracesExporter {
  const raw = (env['OTEL_TRACES_EXPORTER'] ?? '').trim();
  if (raw === '') return env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ? 'otlp' : 'none';
  if (raw === 'otlp' || raw === 'console' || raw === 'none') return raw;
  problems.push({ variable: 'OTEL_TRACES_EXPORTER', expected: 'otlp, console or none', received: raw });
  return 'none';
}

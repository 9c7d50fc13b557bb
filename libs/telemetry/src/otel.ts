/**
 * Second entry (`@tandem/telemetry/otel`): only the OpenTelemetry bootstrap, so that an
 * app's instrument.ts can start the SDK without loading pino, Fastify or prom-client
 * first (modules loaded before the SDK starts are not instrumented).
 */
export { startTelemetry } from './tracing';
export type { OtlpProtocol, Telemetry, TelemetryOptions, TracesExporter } from './tracing';
export { INSTRUMENTATIONS } from './instrumentations';
export type { InstrumentationName } from './instrumentations';

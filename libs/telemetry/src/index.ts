export { createLogger } from './logger';
export type { LoggerOptions } from './logger';
export { createServiceMetrics, registerOpenStreamsGauge } from './metrics';
export type { ServiceMetrics, ServiceMetricsOptions } from './metrics';
export { metricsPlugin } from './metrics.plugin';
export type { MetricsPluginOptions } from './metrics.plugin';
export { TelemetryComponent } from './telemetry.component';
export type { OtlpProtocol, Telemetry, TelemetryOptions, TracesExporter } from './tracing';
export type { InstrumentationName } from './instrumentations';

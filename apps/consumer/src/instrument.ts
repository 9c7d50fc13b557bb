import { startTelemetry } from '@tandem/telemetry/otel';

/**
 * OpenTelemetry starts here, before main.ts loads Fastify, pino, http or undici, so they
 * are instrumented. Imported first by main.ts; configured by the OTEL_* variables.
 */
export const telemetry = startTelemetry({
  serviceName: 'consumer',
  serviceVersion: process.env['SERVICE_VERSION'] || 'v1',
  env: process.env,
});

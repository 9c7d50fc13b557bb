import { HttpServerComponent, Supervisor, type ServiceHandle } from '@tandem/runtime';
import { createLogger, createServiceMetrics } from '@tandem/telemetry';
import { buildGatewayApp } from './app';
import type { GatewayConfig } from './config';

/** Composes the gateway: its HTTP server under a supervisor. The gateway uses no NATS. */
export function buildGatewayService(config: GatewayConfig): ServiceHandle {
  const name = 'gateway';
  const logger = createLogger({ service: name, version: config.version, level: config.logLevel });
  const supervisor = new Supervisor({ logger, shutdownDelayMs: config.shutdownDelayMs, shutdownTimeoutMs: config.shutdownTimeoutMs });
  const metrics = createServiceMetrics({ service: name, version: config.version });
  const app = buildGatewayApp({ logger, health: supervisor, metrics });
  supervisor.add(new HttpServerComponent(app, { port: config.port, host: config.host }));
  return { name, logger, supervisor, shutdownTimeoutMs: config.shutdownTimeoutMs };
}

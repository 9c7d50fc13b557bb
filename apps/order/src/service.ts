import { NatsConnectionComponent } from '@tandem/messaging';
import { HttpServerComponent, Supervisor, type ServiceHandle } from '@tandem/runtime';
import { createLogger, createServiceMetrics } from '@tandem/telemetry';
import { buildOrderApp } from './app';
import type { OrderConfig } from './config';

/**
 * Composes the order service: NATS connection, then the HTTP server (stopped first on
 * shutdown, so in-flight requests can still publish while they finish).
 */
export function buildOrderService(config: OrderConfig): ServiceHandle {
  const name = 'order';
  const logger = createLogger({ service: name, version: config.version, level: config.logLevel });
  const supervisor = new Supervisor({ logger, shutdownDelayMs: config.shutdownDelayMs, shutdownTimeoutMs: config.shutdownTimeoutMs });
  const metrics = createServiceMetrics({ service: name, version: config.version });
  const nats = new NatsConnectionComponent({ ...config.nats, clientName: `${name}-${config.version}` });
  const app = buildOrderApp({ logger, health: supervisor, metrics });
  supervisor.add(nats).add(new HttpServerComponent(app, { port: config.port, host: config.host, dependsOn: [nats.name] }));
  return { name, logger, supervisor, shutdownTimeoutMs: config.shutdownTimeoutMs };
}

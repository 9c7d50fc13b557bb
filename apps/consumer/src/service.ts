import { NatsConnectionComponent } from '@tandem/messaging';
import { healthPlugin, HttpServerComponent, Supervisor, type ServiceHandle } from '@tandem/runtime';
import { createLogger, createServiceMetrics, metricsPlugin } from '@tandem/telemetry';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { ConsumerConfig } from './config';

/**
 * Composes the fulfilment worker: NATS connection, then a small HTTP server for probes
 * and metrics only (SPEC §2).
 */
export function buildConsumerService(config: ConsumerConfig): ServiceHandle {
  const name = 'consumer';
  const logger = createLogger({ service: name, version: config.version, level: config.logLevel });
  const supervisor = new Supervisor({ logger, shutdownDelayMs: config.shutdownDelayMs, shutdownTimeoutMs: config.shutdownTimeoutMs });
  const metrics = createServiceMetrics({ service: name, version: config.version });
  const nats = new NatsConnectionComponent({ ...config.nats, clientName: `${name}-${config.version}` });
  const httpLogger: FastifyBaseLogger = logger;
  const app = Fastify({ loggerInstance: httpLogger, bodyLimit: 1024 });
  app.register(healthPlugin, { health: supervisor });
  app.register(metricsPlugin, { metrics });
  supervisor.add(nats).add(new HttpServerComponent(app, { port: config.port, host: config.host, dependsOn: [nats.name] }));
  return { name, logger, supervisor, shutdownTimeoutMs: config.shutdownTimeoutMs };
}

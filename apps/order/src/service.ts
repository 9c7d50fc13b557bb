import { Topology } from '@tandem/contracts';
import { NatsConnectionComponent, TopologyComponent } from '@tandem/messaging';
import { HttpServerComponent, Supervisor, type Component, type HealthSource, type ServiceHandle } from '@tandem/runtime';
import { createLogger, createServiceMetrics, TelemetryComponent, type Telemetry } from '@tandem/telemetry';
import type { Logger } from 'pino';
import { buildOrderApp } from './app';
import type { OrderConfig } from './config';

/** What the order service's components share with the process they run in. */
export interface OrderParts {
  readonly logger: Logger;
  readonly health: HealthSource;
  /** The process's NATS connection (shared in the one-process topology). */
  readonly nats: NatsConnectionComponent;
  readonly namePrefix?: string;
}

/**
 * The order service's components: its HTTP server, which depends on the NATS connection
 * so that it stops first on shutdown and in-flight requests can still publish.
 */
export function orderComponents(config: OrderConfig, parts: OrderParts): Component[] {
  const metrics = createServiceMetrics({ service: 'order', version: config.version });
  const app = buildOrderApp({ logger: parts.logger, health: parts.health, metrics });
  const topology = new TopologyComponent(
    parts.nats,
    {
      streams: [Topology.ordersStream, Topology.deadLetterStream],
      consumers: [Topology.orderStatusConsumer],
      buckets: [Topology.ordersBucket],
    },
    config.nats.replicas,
    `${parts.namePrefix ?? ''}topology`,
  );
  return [
    topology,
    new HttpServerComponent(app, {
      name: `${parts.namePrefix ?? ''}http`,
      port: config.port,
      host: config.host,
      dependsOn: [parts.nats.name],
    }),
  ];
}

/** The order service as its own process (the default topology). */
export function buildOrderService(config: OrderConfig, telemetry?: Telemetry): ServiceHandle {
  const name = 'order';
  const logger = createLogger({ service: name, version: config.version, level: config.logLevel });
  const supervisor = new Supervisor({ logger, shutdownDelayMs: config.shutdownDelayMs, shutdownTimeoutMs: config.shutdownTimeoutMs });
  if (telemetry) {
    telemetry.attachLogger(logger);
    supervisor.add(new TelemetryComponent(telemetry));
  }
  const nats = new NatsConnectionComponent({ ...config.nats, clientName: `${name}-${config.version}` });
  supervisor.add(nats);
  for (const component of orderComponents(config, { logger, health: supervisor, nats })) supervisor.add(component);
  return { name, logger, supervisor, shutdownTimeoutMs: config.shutdownTimeoutMs };
}

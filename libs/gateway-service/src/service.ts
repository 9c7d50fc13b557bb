import { EventStreamHub, HttpServerComponent, Supervisor, type Component, type HealthSource, type ServiceHandle } from '@tandem/runtime';
import { createLogger, createServiceMetrics, registerOpenStreamsGauge, TelemetryComponent, type Telemetry } from '@tandem/telemetry';
import type { Logger } from 'pino';
import { buildGatewayApp } from './app';
import { OrderClient } from './order-client';
import type { GatewayConfig } from './config';
import type { OrderService } from './order-service';

/** What the gateway's components share with the process they run in. */
export interface GatewayParts {
  readonly logger: Logger;
  readonly health: HealthSource;
  /** Prefix for component names when several services share one supervisor (e.g. `gateway.`). */
  readonly namePrefix?: string;
  /**
   * How to reach the order service when it runs in the same process (the one-process
   * topology: an `InProcessOrderClient`); when omitted, HTTP to `ORDER_URL`.
   */
  readonly orders?: OrderService;
}

/**
 * The gateway's components: its HTTP server and the event streams it relays (stopped first:
 * clients told to reconnect). It uses no NATS.
 */
export function gatewayComponents(config: GatewayConfig, parts: GatewayParts): Component[] {
  const metrics = createServiceMetrics({ service: 'gateway', version: config.version });
  const prefix = parts.namePrefix ?? '';
  const orders = parts.orders ?? new OrderClient({ baseUrl: config.orderUrl, maxStreams: config.events.maxStreams });
  const streams = new EventStreamHub({
    name: `${prefix}event-streams`,
    dependsOn: [`${prefix}http`],
    maxStreams: config.events.maxStreams,
    maxPerClient: config.events.maxPerClient,
  });
  registerOpenStreamsGauge(metrics, () => streams.size);
  const app = buildGatewayApp({
    logger: parts.logger,
    health: parts.health,
    metrics,
    orders,
    streams,
    version: config.version,
    requestTimeoutMs: config.requestTimeoutMs,
    rateLimitMax: config.rateLimitMax,
    rateLimitWindowMs: config.rateLimitWindowMs,
    trustProxy: config.trustProxy,
  });
  app.addHook('onClose', () => orders.close());
  return [new HttpServerComponent(app, { name: `${prefix}http`, port: config.port, host: config.host }), streams];
}

/** The gateway as its own process (the default topology). */
export function buildGatewayService(config: GatewayConfig, telemetry?: Telemetry): ServiceHandle {
  const name = 'gateway';
  const logger = createLogger({ service: name, version: config.version, level: config.logLevel, format: config.logFormat });
  const supervisor = new Supervisor({ logger, shutdownDelayMs: config.shutdownDelayMs, shutdownTimeoutMs: config.shutdownTimeoutMs });
  if (telemetry) {
    telemetry.attachLogger(logger);
    supervisor.add(new TelemetryComponent(telemetry));
  }
  for (const component of gatewayComponents(config, { logger, health: supervisor })) supervisor.add(component);
  return { name, logger, supervisor, shutdownTimeoutMs: config.shutdownTimeoutMs };
}

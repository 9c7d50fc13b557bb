import { EventStreamHub, HttpServerComponent } from '@tandem/http';
import { type Component } from '@tandem/runtime';
import { defineService, type ServiceParts } from '@tandem/service';
import { createServiceMetrics, registerOpenStreamsGauge } from '@tandem/telemetry';
import { buildGatewayApp } from './app';
import { loadGatewayConfig, type GatewayConfig } from './config';
import { OrderClient } from './order-client';
import type { OrderService } from './order-service';

/** What the gateway's components take from the process they run in. */
export interface GatewayParts extends ServiceParts {
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
  const prefix = parts.namePrefix;
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

/** The public HTTP API: what apps/gateway runs. */
export const gatewayService = defineService({ name: 'gateway', config: loadGatewayConfig, components: gatewayComponents });

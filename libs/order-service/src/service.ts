import { Topology } from '@tandem/contracts';
import { messagingMetrics, NatsConnectionComponent, Publisher, TopologyComponent } from '@tandem/messaging';
import { orderIdFor } from '@tandem/orders';
import { EventStreamHub, HttpServerComponent } from '@tandem/http';
import { type Component } from '@tandem/runtime';
import { defineService, type ServiceParts } from '@tandem/service';
import { createServiceMetrics, registerOpenStreamsGauge } from '@tandem/telemetry';
import type { FastifyInstance } from 'fastify';
import { JetStreamOrderLog } from './adapters/jetstream-order-log';
import { buildOrderApp } from './app';
import { loadOrderConfig, type OrderConfig } from './config';
import { OrderChangeFeed } from './status/order-change-feed';

/** The order service composed into a process: its components, and its API for callers in the same process. */
export interface OrderComposition {
  readonly components: Component[];
  /** The order API's Fastify app, for `inject()` from the same process (the one-process gateway, docs/decisions/0009). */
  readonly app: FastifyInstance;
  /** True while the order API's listener is open: when a request over HTTP would be accepted. */
  readonly accepting: () => boolean;
}

/**
 * The order service's components, and its API's app for in-process callers: its topology
 * (the streams it owns), the feed of order changes (subscriptions while clients wait), its
 * HTTP API and the open event streams. Orders are their events in the stream
 * (docs/decisions/0012); waiting clients are served from the same process
 * (docs/decisions/0014). Stop order: event streams (clients told to reconnect), HTTP, the
 * feed, then the connection.
 */
export function composeOrder(config: OrderConfig, parts: ServiceParts): OrderComposition {
  const prefix = parts.namePrefix;
  const metrics = createServiceMetrics({ service: 'order', version: config.version });
  const messaging = messagingMetrics(metrics.registry);
  const nats = parts.nats(config.nats);
  const log = new JetStreamOrderLog(new Publisher(nats, { metrics: messaging, ackTimeoutMs: 2_000 }), nats);
  const changes = new OrderChangeFeed(nats, { name: `${prefix}order-changes` });
  const streams = new EventStreamHub({
    name: `${prefix}event-streams`,
    dependsOn: [`${prefix}http`],
    maxStreams: config.events.maxStreams,
    heartbeatMs: config.events.heartbeatMs,
    idleTimeoutMs: config.events.idleTimeoutMs,
  });
  registerOpenStreamsGauge(metrics, () => streams.size);
  const app = buildOrderApp({
    logger: parts.logger,
    health: parts.health,
    metrics,
    log,
    orderIds: (key) => orderIdFor(key, config.orderIdSecret),
    version: config.version,
    requestTimeoutMs: config.requestTimeoutMs,
    events: { changes, streams },
  });
  if (!config.orderIdSecretConfigured)
    parts.logger.warn('ORDER_ID_SECRET is not set: order ids are derived with the public development secret (set it outside development)');
  const topology = new TopologyComponent(nats, { streams: [Topology.ordersStream] }, config.nats.replicas, `${prefix}topology`);
  const http = new HttpServerComponent(app, {
    name: `${prefix}http`,
    port: config.port,
    host: config.host,
    dependsOn: [nats.name, changes.name],
  });
  return { components: [topology, changes, http, streams], app, accepting: () => http.health().ready };
}

/** The order service: what apps/order runs. */
export const orderService = defineService({
  name: 'order',
  config: loadOrderConfig,
  components: (config, parts) => composeOrder(config, parts).components,
  connectNats: (options) => new NatsConnectionComponent(options),
});

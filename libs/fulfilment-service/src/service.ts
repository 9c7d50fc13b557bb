import { OrderEvents, TandemTopology, Topology } from '@tandem/contracts';
import {
  ConsumerRunner,
  deadLetterFromAdvisory,
  maxDeliveriesEvent,
  messagingMetrics,
  NatsConnectionComponent,
  Publisher,
  TopologyComponent,
} from '@tandem/messaging';
import { HttpServerComponent } from '@tandem/http';
import { type Component } from '@tandem/runtime';
import { defineService, type ServiceParts } from '@tandem/service';
import { createServiceMetrics } from '@tandem/telemetry';
import { buildConsumerApp } from './app';
import { loadConsumerConfig, type ConsumerConfig } from './config';
import { fulfilmentHandler } from './handlers/order-created.handler';

/**
 * The fulfilment worker's components: its topology check, the `fulfilment` consumer, the
 * `dead-letters` consumer (messages that reached max_deliver unsettled, from the server's
 * advisories: docs/decisions/0015), and its probe/metrics HTTP server.
 */
export function consumerComponents(config: ConsumerConfig, parts: ServiceParts): Component[] {
  const nats = parts.nats(config.nats);
  const prefix = parts.namePrefix;
  const metrics = createServiceMetrics({ service: 'consumer', version: config.version });
  const app = buildConsumerApp({ logger: parts.logger, health: parts.health, metrics, requestTimeoutMs: config.requestTimeoutMs });
  const topology = new TopologyComponent(nats, TandemTopology, config.nats.replicas, `${prefix}topology`);
  const messaging = messagingMetrics(metrics.registry);
  const fulfilment = new ConsumerRunner({
    name: `${prefix}consumer:fulfilment`,
    connection: nats,
    consumer: Topology.fulfilmentConsumer,
    event: OrderEvents.created,
    handler: fulfilmentHandler(new Publisher(nats, { metrics: messaging }), config.fulfilment),
    concurrency: config.fulfilment.concurrency,
    metrics: messaging,
    replicas: config.nats.replicas,
    requires: topology,
  });
  const deadLetters = new ConsumerRunner({
    name: `${prefix}consumer:dead-letters`,
    connection: nats,
    consumer: Topology.deadLettersConsumer,
    event: maxDeliveriesEvent,
    handler: deadLetterFromAdvisory(nats, { deadLetterStream: Topology.deadLetterStream.name }),
    concurrency: 4,
    metrics: messaging,
    replicas: config.nats.replicas,
    requires: topology,
  });
  return [
    topology,
    fulfilment,
    deadLetters,
    new HttpServerComponent(app, {
      name: `${prefix}http`,
      port: config.port,
      host: config.host,
      dependsOn: [nats.name],
    }),
  ];
}

/** The fulfilment worker: what apps/consumer runs. */
export const consumerService = defineService({
  name: 'consumer',
  config: loadConsumerConfig,
  components: consumerComponents,
  connectNats: (options) => new NatsConnectionComponent(options),
});

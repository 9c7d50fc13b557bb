import {
  FulfilmentSplitReadEvent,
  fulfilmentConsumerOf,
  fulfilmentSplitWeights,
  OrderEvents,
  TandemTopology,
  Topology,
} from '@tandem/contracts';
import {
  ConsumerRunner,
  deadLetterFromAdvisory,
  maxDeliveriesEvent,
  messagingMetrics,
  NatsConnectionComponent,
  Publisher,
  StreamSplit,
  TopologyComponent,
  versionSplit,
} from '@tandem/messaging';
import { HttpServerComponent } from '@tandem/http';
import { type Component } from '@tandem/runtime';
import { defineService, type ServiceParts } from '@tandem/service';
import { createServiceMetrics } from '@tandem/telemetry';
import { buildConsumerApp } from './app';
import { loadConsumerConfig, type ConsumerConfig } from './config';
import { fulfilmentHandler } from './handlers/order-created.handler';

/**
 * The fulfilment worker's components: its topology check, its version's fulfilment consumer
 * (`fulfilment` for v1, `fulfilment-v2` for v2, each handling its share of the split), the
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
  // Every version's durable gets every order; each handles the share the split in ORDERS gives
  // it and acks the rest unhandled (docs/decisions/0018).
  const split = new StreamSplit({
    connection: nats,
    stream: Topology.ordersStream.name,
    event: FulfilmentSplitReadEvent,
    weightsOf: fulfilmentSplitWeights,
    logger: parts.logger,
  });
  const fulfilment = new ConsumerRunner({
    name: `${prefix}consumer:fulfilment`,
    connection: nats,
    consumer: fulfilmentConsumerOf(config.version),
    event: OrderEvents.created,
    handler: fulfilmentHandler(new Publisher(nats, { metrics: messaging }), config.fulfilment),
    concurrency: config.fulfilment.concurrency,
    metrics: messaging,
    replicas: config.nats.replicas,
    requires: topology,
    gate: versionSplit(split, config.version),
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

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
import { HttpServerComponent, Supervisor, type Component, type HealthSource, type ServiceHandle } from '@tandem/runtime';
import { createLogger, createServiceMetrics, TelemetryComponent, type Telemetry } from '@tandem/telemetry';
import type { Logger } from 'pino';
import { buildConsumerApp } from './app';
import { fulfilmentHandler } from './handlers/order-created.handler';
import type { ConsumerConfig } from './config';

/** What the consumer's components share with the process they run in. */
export interface ConsumerParts {
  readonly logger: Logger;
  readonly health: HealthSource;
  /** The process's NATS connection (shared in the one-process topology). */
  readonly nats: NatsConnectionComponent;
  readonly namePrefix?: string;
}

/**
 * The fulfilment worker's components: its topology check, the `fulfilment` consumer, the
 * `dead-letters` consumer (messages that reached max_deliver unsettled, from the server's
 * advisories: docs/decisions/0015), and its probe/metrics HTTP server.
 */
export function consumerComponents(config: ConsumerConfig, parts: ConsumerParts): Component[] {
  const metrics = createServiceMetrics({ service: 'consumer', version: config.version });
  const app = buildConsumerApp({ logger: parts.logger, health: parts.health, metrics, requestTimeoutMs: config.requestTimeoutMs });
  const topology = new TopologyComponent(parts.nats, TandemTopology, config.nats.replicas, `${parts.namePrefix ?? ''}topology`);
  const messaging = messagingMetrics(metrics.registry);
  const fulfilment = new ConsumerRunner({
    name: `${parts.namePrefix ?? ''}consumer:fulfilment`,
    connection: parts.nats,
    consumer: Topology.fulfilmentConsumer,
    event: OrderEvents.created,
    handler: fulfilmentHandler(new Publisher(parts.nats, { metrics: messaging }), config.fulfilment),
    concurrency: config.fulfilment.concurrency,
    metrics: messaging,
    replicas: config.nats.replicas,
    requires: topology,
  });
  const deadLetters = new ConsumerRunner({
    name: `${parts.namePrefix ?? ''}consumer:dead-letters`,
    connection: parts.nats,
    consumer: Topology.deadLettersConsumer,
    event: maxDeliveriesEvent,
    handler: deadLetterFromAdvisory(parts.nats, { deadLetterStream: Topology.deadLetterStream.name }),
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
      name: `${parts.namePrefix ?? ''}http`,
      port: config.port,
      host: config.host,
      dependsOn: [parts.nats.name],
    }),
  ];
}

/** The consumer as its own process (the default topology). */
export function buildConsumerService(config: ConsumerConfig, telemetry?: Telemetry): ServiceHandle {
  const name = 'consumer';
  const logger = createLogger({ service: name, version: config.version, level: config.logLevel, format: config.logFormat });
  const supervisor = new Supervisor({ logger, shutdownDelayMs: config.shutdownDelayMs, shutdownTimeoutMs: config.shutdownTimeoutMs });
  if (telemetry) {
    telemetry.attachLogger(logger);
    supervisor.add(new TelemetryComponent(telemetry));
  }
  const nats = new NatsConnectionComponent({ ...config.nats, clientName: `${name}-${config.version}` });
  supervisor.add(nats);
  for (const component of consumerComponents(config, { logger, health: supervisor, nats })) supervisor.add(component);
  return { name, logger, supervisor, shutdownTimeoutMs: config.shutdownTimeoutMs };
}

import { consumerComponents } from '@tandem/fulfilment-service';
import { gatewayComponents, InProcessOrderClient } from '@tandem/gateway-service';
import { NatsConnectionComponent } from '@tandem/messaging';
import { composeOrder } from '@tandem/order-service';
import { Supervisor, type ServiceHandle } from '@tandem/runtime';
import { createLogger, TelemetryComponent, type Telemetry } from '@tandem/telemetry';
import type { AllInOneConfig } from './config';

/**
 * The one-process topology (SPEC §5): gateway, order and consumer under one supervisor,
 * sharing one NATS connection, each with its own HTTP server on its own port, its own
 * logger (`service` field) and its own metrics. Readiness is the whole process's: every
 * port's `/readyz` turns 200 only when all components are ready. The gateway calls order
 * in process — injected into order's own HTTP app, no loopback hop (docs/decisions/0009) —
 * while order's port still serves its API. Shutdown stops the three HTTP servers (gateway
 * first, so its in-flight calls into order finish while order still accepts them), then
 * drains the shared connection.
 */
export function buildAllInOneService(config: AllInOneConfig, telemetry?: Telemetry): ServiceHandle {
  const { gateway, order, consumer } = config;
  const logger = createLogger({ service: 'all-in-one', version: order.version, level: order.logLevel, format: order.logFormat });
  const supervisor = new Supervisor({ logger, shutdownDelayMs: order.shutdownDelayMs, shutdownTimeoutMs: order.shutdownTimeoutMs });
  if (telemetry) {
    telemetry.attachLogger(logger);
    supervisor.add(new TelemetryComponent(telemetry));
  }
  const nats = new NatsConnectionComponent({ ...order.nats, clientName: `all-in-one-${order.version}` });
  const serviceLogger = (service: string, version: string, level: string) =>
    createLogger({ service, version, level, format: order.logFormat });
  supervisor.add(nats);
  const orderService = composeOrder(order, {
    logger: serviceLogger('order', order.version, order.logLevel),
    health: supervisor,
    nats,
    namePrefix: 'order.',
  });
  const components = [
    ...orderService.components,
    ...consumerComponents(consumer, {
      logger: serviceLogger('consumer', consumer.version, consumer.logLevel),
      health: supervisor,
      nats,
      namePrefix: 'consumer.',
    }),
    ...gatewayComponents(gateway, {
      logger: serviceLogger('gateway', gateway.version, gateway.logLevel),
      health: supervisor,
      namePrefix: 'gateway.',
      orders: new InProcessOrderClient({ app: orderService.app, accepting: orderService.accepting }),
    }),
  ];
  for (const component of components) supervisor.add(component);
  return { name: 'all-in-one', logger, supervisor, shutdownTimeoutMs: order.shutdownTimeoutMs };
}

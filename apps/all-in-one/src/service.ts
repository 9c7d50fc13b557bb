import { consumerComponents } from '@tandem/consumer';
import { gatewayComponents } from '@tandem/gateway';
import { NatsConnectionComponent } from '@tandem/messaging';
import { orderComponents } from '@tandem/order';
import { Supervisor, type ServiceHandle } from '@tandem/runtime';
import { createLogger, TelemetryComponent, type Telemetry } from '@tandem/telemetry';
import type { AllInOneConfig } from './config';

/**
 * The one-process topology (SPEC §5): gateway, order and consumer under one supervisor,
 * sharing one NATS connection, each with its own HTTP server on its own port, its own
 * logger (`service` field) and its own metrics. Readiness is the whole process's: every
 * port's `/readyz` turns 200 only when all components are ready. Shutdown stops the
 * three HTTP servers (gateway first), then drains the shared connection.
 */
export function buildAllInOneService(config: AllInOneConfig, telemetry?: Telemetry): ServiceHandle {
  const { gateway, order, consumer } = config;
  const logger = createLogger({ service: 'all-in-one', version: order.version, level: order.logLevel });
  const supervisor = new Supervisor({ logger, shutdownDelayMs: order.shutdownDelayMs, shutdownTimeoutMs: order.shutdownTimeoutMs });
  if (telemetry) {
    telemetry.attachLogger(logger);
    supervisor.add(new TelemetryComponent(telemetry));
  }
  const nats = new NatsConnectionComponent({ ...order.nats, clientName: `all-in-one-${order.version}` });
  const serviceLogger = (service: string, version: string, level: string) => createLogger({ service, version, level });
  supervisor.add(nats);
  const components = [
    ...orderComponents(order, {
      logger: serviceLogger('order', order.version, order.logLevel),
      health: supervisor,
      nats,
      namePrefix: 'order.',
    }),
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
    }),
  ];
  for (const component of components) supervisor.add(component);
  return { name: 'all-in-one', logger, supervisor, shutdownTimeoutMs: order.shutdownTimeoutMs };
}

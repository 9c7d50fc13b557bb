import { consumerComponents } from '@tandem/fulfilment-service';
import { gatewayComponents, InProcessOrderClient } from '@tandem/gateway-service';
import { NatsConnectionComponent } from '@tandem/messaging';
import { composeOrder } from '@tandem/order-service';
import { defineService } from '@tandem/service';
import { createLogger } from '@tandem/telemetry';
import { loadAllInOneConfig } from './config';

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
export const allInOneService = defineService({
  name: 'all-in-one',
  config: loadAllInOneConfig,
  connectNats: (options) => new NatsConnectionComponent(options),
  components: (config, parts) => {
    const { gateway, order, consumer } = config;
    const logger = (service: string, settings: { version: string; logLevel: string }) =>
      createLogger({ service, version: settings.version, level: settings.logLevel, format: config.logFormat });
    const orderService = composeOrder(order, { ...parts, logger: logger('order', order), namePrefix: 'order.' });
    return [
      ...orderService.components,
      ...consumerComponents(consumer, { ...parts, logger: logger('consumer', consumer), namePrefix: 'consumer.' }),
      ...gatewayComponents(gateway, {
        ...parts,
        logger: logger('gateway', gateway),
        namePrefix: 'gateway.',
        orders: new InProcessOrderClient({ app: orderService.app, accepting: orderService.accepting }),
      }),
    ];
  },
});

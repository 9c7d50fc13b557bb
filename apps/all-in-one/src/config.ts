import { loadConsumerConfig, type ConsumerConfig } from '@tandem/fulfilment-service';
import { loadGatewayConfig, type GatewayConfig } from '@tandem/gateway-service';
import { loadOrderConfig, type OrderConfig } from '@tandem/order-service';
import { Env, parseEnv } from '@tandem/runtime';
import type { ProcessConfig } from '@tandem/service';
import Type from 'typebox';

const PortsEnv = Type.Object({
  GATEWAY_PORT: Env.port(3000),
  ORDER_PORT: Env.port(3001),
  CONSUMER_PORT: Env.port(3002),
});

/** The process's own settings (logging, shutdown) are the services' common ones, as order reads them. */
export interface AllInOneConfig extends ProcessConfig {
  readonly gateway: GatewayConfig;
  readonly order: OrderConfig;
  readonly consumer: ConsumerConfig;
}

/**
 * One process, three services: each service reads the variables it always reads, except
 * that the ports come from GATEWAY_PORT, ORDER_PORT and CONSUMER_PORT (PORT is ignored),
 * and ORDER_URL is not used: the gateway calls this process's own order service in process.
 */
export function loadAllInOneConfig(env: Readonly<Record<string, string | undefined>>): AllInOneConfig {
  const ports = parseEnv(PortsEnv, env);
  const order = loadOrderConfig({ ...env, PORT: String(ports.ORDER_PORT) });
  const { version, logLevel, logFormat, shutdownDelayMs, shutdownTimeoutMs } = order;
  return Object.freeze({
    version,
    logLevel,
    ...(logFormat === undefined ? {} : { logFormat }),
    shutdownDelayMs,
    shutdownTimeoutMs,
    gateway: loadGatewayConfig({ ...env, PORT: String(ports.GATEWAY_PORT), ORDER_URL: `http://127.0.0.1:${ports.ORDER_PORT}` }),
    order,
    consumer: loadConsumerConfig({ ...env, PORT: String(ports.CONSUMER_PORT) }),
  });
}

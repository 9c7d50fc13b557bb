import { natsEnvProperties, toNatsSettings, type NatsSettings } from '@tandem/messaging';
import { parseEnv, serviceEnvProperties, toServiceConfig, type ServiceConfig } from '@tandem/runtime';
import Type from 'typebox';

const OrderEnv = Type.Object({ ...serviceEnvProperties(3001), ...natsEnvProperties() });

export interface OrderConfig extends ServiceConfig {
  readonly nats: NatsSettings;
}

/** Reads the order service's configuration (SPEC §2); throws ConfigError naming each bad variable. */
export function loadOrderConfig(env: Readonly<Record<string, string | undefined>>): OrderConfig {
  const parsed = parseEnv(OrderEnv, env);
  return Object.freeze({ ...toServiceConfig(parsed), nats: toNatsSettings(parsed) });
}

import { natsEnvProperties, toNatsSettings, type NatsSettings } from '@tandem/messaging';
import { parseEnv, serviceEnvProperties, toServiceConfig, type ServiceConfig } from '@tandem/runtime';
import Type from 'typebox';

const ConsumerEnv = Type.Object({ ...serviceEnvProperties(3002), ...natsEnvProperties() });

export interface ConsumerConfig extends ServiceConfig {
  readonly nats: NatsSettings;
}

/** Reads the consumer's configuration (SPEC §2); throws ConfigError naming each bad variable. */
export function loadConsumerConfig(env: Readonly<Record<string, string | undefined>>): ConsumerConfig {
  const parsed = parseEnv(ConsumerEnv, env);
  return Object.freeze({ ...toServiceConfig(parsed), nats: toNatsSettings(parsed) });
}

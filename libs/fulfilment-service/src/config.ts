import { natsEnvProperties, toNatsSettings, type NatsSettings } from '@tandem/messaging';
import { FulfilmentVersions, type FulfilmentVersion } from '@tandem/contracts';
import { Env, parseEnv, serviceEnvProperties, toServiceConfig, type ServiceConfig } from '@tandem/runtime';
import Type from 'typebox';

const ConsumerEnv = Type.Object({
  ...serviceEnvProperties(3002),
  // The fulfilment version picks the durable (docs/decisions/0018): only the canary's two.
  SERVICE_VERSION: Type.Union(
    FulfilmentVersions.map((v) => Type.Literal(v)),
    {
      default: 'v1',
      description: `the fulfilment version, ${FulfilmentVersions.join(' or ')} (the canary splits orders.created between them)`,
    },
  ),
  ...natsEnvProperties(),
  FULFILMENT_DELAY_MS: Env.milliseconds(0, 60_000),
  FULFILMENT_FAIL_RATE: Type.Number({
    minimum: 0,
    maximum: 1,
    default: 0,
    description: 'a number from 0 to 1 (share of fulfilment attempts that fail)',
  }),
  FULFILMENT_CONCURRENCY: Env.integer(16, 1, 1_000),
});

export interface ConsumerConfig extends ServiceConfig {
  /** SERVICE_VERSION, which is also the fulfilment version: v1 or v2 (docs/decisions/0018). */
  readonly version: FulfilmentVersion;
  readonly nats: NatsSettings;
  readonly fulfilment: { readonly delayMs: number; readonly failRate: number; readonly concurrency: number };
}

/** Reads the consumer's configuration (SPEC §2); throws ConfigError naming each bad variable. */
export function loadConsumerConfig(env: Readonly<Record<string, string | undefined>>): ConsumerConfig {
  const parsed = parseEnv(ConsumerEnv, env);
  return Object.freeze({
    ...toServiceConfig(parsed),
    version: parsed.SERVICE_VERSION,
    nats: toNatsSettings(parsed),
    fulfilment: { delayMs: parsed.FULFILMENT_DELAY_MS, failRate: parsed.FULFILMENT_FAIL_RATE, concurrency: parsed.FULFILMENT_CONCURRENCY },
  });
}

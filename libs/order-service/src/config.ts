import { natsEnvProperties, toNatsSettings, type NatsSettings } from '@tandem/messaging';
import { MIN_ORDER_ID_SECRET_LENGTH } from '@tandem/orders';
import { ConfigError, Env, parseEnv, serviceEnvProperties, toServiceConfig, type ServiceConfig } from '@tandem/runtime';
import Type from 'typebox';

const SECRET_FORM = `at least ${MIN_ORDER_ID_SECRET_LENGTH} characters with at least 10 different ones, e.g. the output of: openssl rand -hex 32`;

const OrderEnv = Type.Object({
  ...serviceEnvProperties(3001),
  ...natsEnvProperties(),
  ORDER_ID_SECRET: Env.optionalString(SECRET_FORM, { secret: true }),
  EVENTS_MAX_STREAMS: Env.integer(2_000, 1, 100_000),
  // Under the gateway's 60 s wait for upstream bytes (libs/gateway-service/src/order-client.ts).
  EVENTS_HEARTBEAT_MS: Env.integer(15_000, 100, 30_000),
  EVENTS_IDLE_TIMEOUT_MS: Env.integer(300_000, 1_000, 3_600_000),
  NODE_ENV: Type.Optional(Type.String()),
});

/**
 * The secret of local development and tests when ORDER_ID_SECRET is unset outside production:
 * public, so ids derived with it are as guessable as before; `npm start` generates a real one.
 */
export const DEVELOPMENT_ORDER_ID_SECRET = 'tandem-development-only-order-id-secret';

export interface OrderConfig extends ServiceConfig {
  readonly nats: NatsSettings;
  /** Keys order ids derived from an Idempotency-Key (ORDER_ID_SECRET). */
  readonly orderIdSecret: string;
  /** False when the public development secret is in use (warned about at start). */
  readonly orderIdSecretConfigured: boolean;
  /** `GET /orders/:id/events`: open streams per instance, heartbeat period, idle bound (EVENTS_*). */
  readonly events: { readonly maxStreams: number; readonly heartbeatMs: number; readonly idleTimeoutMs: number };
}

/**
 * Reads the order service's configuration (SPEC §2); throws ConfigError naming each bad
 * variable. ORDER_ID_SECRET must be set, and strong, when NODE_ENV=production (the image
 * sets it); elsewhere a missing one falls back to a public development secret.
 */
export function loadOrderConfig(env: Readonly<Record<string, string | undefined>>): OrderConfig {
  const parsed = parseEnv(OrderEnv, env);
  const secret = parsed.ORDER_ID_SECRET;
  const production = parsed.NODE_ENV === 'production';
  if (secret !== undefined && (secret.length < MIN_ORDER_ID_SECRET_LENGTH || new Set(secret).size < 10)) {
    throw new ConfigError([{ variable: 'ORDER_ID_SECRET', expected: SECRET_FORM, received: '<redacted>' }]);
  }
  if (secret === undefined && production) {
    throw new ConfigError([{ variable: 'ORDER_ID_SECRET', expected: `set in production (NODE_ENV=production): ${SECRET_FORM}` }]);
  }
  return Object.freeze({
    ...toServiceConfig(parsed),
    nats: toNatsSettings(parsed),
    orderIdSecret: secret ?? DEVELOPMENT_ORDER_ID_SECRET,
    orderIdSecretConfigured: secret !== undefined,
    events: Object.freeze({
      maxStreams: parsed.EVENTS_MAX_STREAMS,
      heartbeatMs: parsed.EVENTS_HEARTBEAT_MS,
      idleTimeoutMs: parsed.EVENTS_IDLE_TIMEOUT_MS,
    }),
  });
}

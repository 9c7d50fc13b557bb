import { Env, parseEnv, serviceEnvProperties, toServiceConfig, type ServiceConfig } from '@tandem/runtime';
import Type from 'typebox';

const GatewayEnv = Type.Object({
  ...serviceEnvProperties(3000),
  ORDER_URL: Env.httpUrl('http://127.0.0.1:3001'),
  RATE_LIMIT_MAX: Env.integer(100, 1, 1_000_000),
  RATE_LIMIT_WINDOW_MS: Env.milliseconds(0, 86_400_000),
});

export interface GatewayConfig extends ServiceConfig {
  /** Base URL of the order service. */
  readonly orderUrl: string;
  /** Requests per client per window; the limit is off when `rateLimitWindowMs` is 0. */
  readonly rateLimitMax: number;
  readonly rateLimitWindowMs: number;
}

/** Reads the gateway's configuration (SPEC §2); throws ConfigError naming each bad variable. */
export function loadGatewayConfig(env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  const parsed = parseEnv(GatewayEnv, env);
  return Object.freeze({
    ...toServiceConfig(parsed),
    orderUrl: parsed.ORDER_URL.replace(/\/+$/, ''),
    rateLimitMax: parsed.RATE_LIMIT_MAX,
    rateLimitWindowMs: parsed.RATE_LIMIT_WINDOW_MS,
  });
}

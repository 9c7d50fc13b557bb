import { isIP } from 'node:net';
import { ConfigError, Env, parseEnv, serviceEnvProperties, toServiceConfig, type ServiceConfig } from '@tandem/runtime';
import Type from 'typebox';

const GatewayEnv = Type.Object({
  ...serviceEnvProperties(3000),
  ORDER_URL: Env.httpUrl('http://127.0.0.1:3001'),
  RATE_LIMIT_MAX: Env.integer(100, 1, 1_000_000),
  RATE_LIMIT_WINDOW_MS: Env.milliseconds(0, 86_400_000),
  EVENTS_MAX_STREAMS: Env.integer(2_000, 1, 100_000),
  EVENTS_MAX_PER_CLIENT: Env.integer(8, 1, 100_000),
  TRUST_PROXY: Env.optionalString(
    'comma-separated proxy addresses whose X-Forwarded-For is trusted: IPs, CIDRs, loopback, linklocal, uniquelocal',
  ),
});

export interface GatewayConfig extends ServiceConfig {
  /** Base URL of the order service. */
  readonly orderUrl: string;
  /** Requests per client per window; the limit is off when `rateLimitWindowMs` is 0. */
  readonly rateLimitMax: number;
  readonly rateLimitWindowMs: number;
  /** Proxies whose X-Forwarded-For is trusted (empty: none). */
  readonly trustProxy: readonly string[];
  /** `GET /orders/:id/events` relayed: open streams per instance and per client (EVENTS_*). */
  readonly events: { readonly maxStreams: number; readonly maxPerClient: number };
}

/** Reads the gateway's configuration (SPEC §2); throws ConfigError naming each bad variable. */
export function loadGatewayConfig(env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  const parsed = parseEnv(GatewayEnv, env);
  return Object.freeze({
    ...toServiceConfig(parsed),
    orderUrl: parsed.ORDER_URL.replace(/\/+$/, ''),
    rateLimitMax: parsed.RATE_LIMIT_MAX,
    rateLimitWindowMs: parsed.RATE_LIMIT_WINDOW_MS,
    trustProxy: parseTrustProxy(parsed.TRUST_PROXY),
    events: Object.freeze({ maxStreams: parsed.EVENTS_MAX_STREAMS, maxPerClient: parsed.EVENTS_MAX_PER_CLIENT }),
  });
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `TRUST_PROXY`: each entry an IP, a CIDR or one of proxy-addr's names; anything else stops the start. */
function parseTrustProxy(value: string | undefined): readonly string[] {
  if (value === undefined) return [];
  const entries = value.split(',').map((entry) => entry.trim());
  const bad = entries.filter((entry) => {
    if (PROXY_NAMES.has(entry)) return false;
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return true;
    return prefix !== undefined && !(/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
  });
  if (bad.length > 0) {
    throw new ConfigError([
      {
        variable: 'TRUST_PROXY',
        expected: 'comma-separated IP addresses, CIDRs (10.0.0.0/8) or loopback, linklocal, uniquelocal',
        received: value,
      },
    ]);
  }
  return Object.freeze(entries);
}

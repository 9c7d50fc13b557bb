import Type, { type Static, type TSchema } from 'typebox';
import { Env } from './env-config';
import { ConfigError } from './errors';

/** The variables every service reads (SPEC §2), as TypeBox properties to spread into an app's env schema. */
export function serviceEnvProperties(defaultPort: number) {
  return {
    PORT: Env.port(defaultPort),
    HOST: Env.host(),
    SERVICE_VERSION: Env.version(),
    LOG_LEVEL: Env.logLevel(),
    LOG_FORMAT: Env.logFormat(),
    SHUTDOWN_DELAY_MS: Env.milliseconds(0, 600_000),
    SHUTDOWN_TIMEOUT_MS: Env.milliseconds(25_000, 600_000),
    HTTP_REQUEST_TIMEOUT_MS: Type.Optional(
      Type.Integer({
        minimum: 1_000,
        maximum: 600_000,
        description: 'a whole number of milliseconds 1000..600000 for a request (headers and body) to arrive',
      }),
    ),
  } satisfies Record<string, TSchema>;
}

/** The service variables as one object schema (defaults for port 1; apps use {@link serviceEnvProperties}). */
export const ServiceEnvSchema = Type.Object(serviceEnvProperties(1));
type ServiceEnv = Static<typeof ServiceEnvSchema>;

/** The settings every service has, in the shape code uses. */
export interface ServiceConfig {
  readonly port: number;
  readonly host: string;
  readonly version: string;
  readonly logLevel: string;
  /** LOG_FORMAT; undefined: pretty when a terminal watches, JSON otherwise (decided by the logger). */
  readonly logFormat?: 'json' | 'pretty';
  readonly shutdownDelayMs: number;
  readonly shutdownTimeoutMs: number;
  /** HTTP_REQUEST_TIMEOUT_MS: a request (headers and body) slower than this is answered 408 (default 10 s, at most half of SHUTDOWN_TIMEOUT_MS − SHUTDOWN_DELAY_MS). */
  readonly requestTimeoutMs: number;
}

/** Maps parsed service variables to {@link ServiceConfig}; the delay must leave room inside the timeout. */
export function toServiceConfig(env: ServiceEnv): ServiceConfig {
  if (env.SHUTDOWN_DELAY_MS >= env.SHUTDOWN_TIMEOUT_MS) {
    throw new ConfigError([
      {
        variable: 'SHUTDOWN_DELAY_MS',
        expected: `fewer milliseconds than SHUTDOWN_TIMEOUT_MS (${env.SHUTDOWN_TIMEOUT_MS}), so that draining has time left`,
        received: String(env.SHUTDOWN_DELAY_MS),
      },
    ]);
  }
  // Listeners stay open through SHUTDOWN_DELAY_MS: an upload begun just before they close is
  // cut off at delay + request timeout, which must fall inside SHUTDOWN_TIMEOUT_MS.
  const afterDelay = env.SHUTDOWN_TIMEOUT_MS - env.SHUTDOWN_DELAY_MS;
  if (env.HTTP_REQUEST_TIMEOUT_MS !== undefined && env.HTTP_REQUEST_TIMEOUT_MS >= afterDelay) {
    throw new ConfigError([
      {
        variable: 'HTTP_REQUEST_TIMEOUT_MS',
        expected: `fewer milliseconds than SHUTDOWN_TIMEOUT_MS − SHUTDOWN_DELAY_MS (${afterDelay}), so that a slow upload cannot hold a shutdown past its deadline`,
        received: String(env.HTTP_REQUEST_TIMEOUT_MS),
      },
    ]);
  }
  return {
    port: env.PORT,
    host: env.HOST,
    version: env.SERVICE_VERSION,
    logLevel: env.LOG_LEVEL,
    ...(env.LOG_FORMAT === undefined ? {} : { logFormat: env.LOG_FORMAT as 'json' | 'pretty' }),
    shutdownDelayMs: env.SHUTDOWN_DELAY_MS,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    // Unset: 10 s, or half of what the shutdown leaves after its delay when that is shorter, so
    // that a slow upload is cut off before a shutdown's deadline (100 ms at the least).
    requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS ?? Math.max(100, Math.min(10_000, Math.floor(afterDelay / 2))),
  };
}

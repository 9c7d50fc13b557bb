import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import { AccessLogController } from './access-log';
import { httpServerTimeouts } from './http-timeouts';
import { problemFrameworkErrors } from './problem.plugin';

export interface ServiceAppOptions {
  readonly logger: FastifyBaseLogger;
  /** HTTP_REQUEST_TIMEOUT_MS: a request slower to arrive is answered 408 (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** Largest request body in bytes (default 16 KiB). */
  readonly bodyLimit?: number;
  /** Proxies whose X-Forwarded-For is believed (empty or absent: none). */
  readonly trustProxy?: readonly string[];
}

/**
 * The Fastify options every Tandem service's app is built with: its logger with one access
 * line per request, router errors as problem bodies, slow clients cut off, and strict
 * validation (no type coercion, no silently dropped properties, every error listed).
 */
export function serviceAppOptions(options: ServiceAppOptions): FastifyServerOptions & { loggerInstance: FastifyBaseLogger } {
  return {
    loggerInstance: options.logger,
    logController: new AccessLogController(),
    frameworkErrors: problemFrameworkErrors,
    bodyLimit: options.bodyLimit ?? 16 * 1024,
    ...httpServerTimeouts(options.requestTimeoutMs ?? 10_000),
    trustProxy: options.trustProxy && options.trustProxy.length > 0 ? options.trustProxy.join(',') : false,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
  };
}

import { Problems } from '@tandem/contracts';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import { healthPlugin, problemPlugin, requestIdPlugin, serviceAppOptions, type EventStreamHub } from '@tandem/http';
import { type HealthSource } from '@tandem/runtime';
import { metricsPlugin, type ServiceMetrics } from '@tandem/telemetry';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { OrderService } from './order-service';
import { ordersRoutes } from './routes/orders.routes';
import { securityHeadersPlugin } from './security-headers.plugin';

export interface GatewayDeps {
  /** HTTP_REQUEST_TIMEOUT_MS: a request slower to arrive is answered 408 (default 10 s). */
  readonly requestTimeoutMs?: number;
  readonly logger: FastifyBaseLogger;
  readonly health: HealthSource;
  readonly metrics: ServiceMetrics;
  /** The order service: over HTTP, or in the same process (the one-process topology). */
  readonly orders: OrderService;
  /** Open event streams relayed from the order service (`GET /orders/:id/events`). */
  readonly streams: Pick<EventStreamHub, 'admit' | 'closing' | 'handOff'>;
  readonly version: string;
  /** Requests per client per window; off when `rateLimitWindowMs` is 0. */
  readonly rateLimitMax: number;
  readonly rateLimitWindowMs: number;
  /**
   * Addresses (IPs, CIDRs, or `loopback`/`linklocal`/`uniquelocal`) of proxies whose
   * X-Forwarded-For is believed; empty: none, the socket's peer is the client. With an Istio
   * sidecar the peer is the sidecar on loopback and the ingress gateway has appended the
   * client's address, so `loopback` makes rate limits and logs see the real client.
   */
  readonly trustProxy?: readonly string[];
}

/** Builds the gateway's HTTP app; never listens (tests drive it with `inject()`). */
export function buildGatewayApp(deps: GatewayDeps): FastifyInstance {
  const app = Fastify(
    serviceAppOptions({
      logger: deps.logger,
      ...(deps.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: deps.requestTimeoutMs }),
      ...(deps.trustProxy === undefined ? {} : { trustProxy: deps.trustProxy }),
    }),
  );
  app.register(requestIdPlugin);
  app.register(problemPlugin, { catalogue: Problems });
  // helmet's defaults, computed once (not per request as @fastify/helmet does).
  app.register(securityHeadersPlugin);
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tandem public API',
        version: deps.version,
        description: 'Orders: create, read and follow. Errors are application/problem+json (RFC 9457).',
      },
    },
  });
  app.register(healthPlugin, { health: deps.health });
  app.register(metricsPlugin, { metrics: deps.metrics });
  app.register(async (api) => {
    if (deps.rateLimitWindowMs > 0) await api.register(rateLimit, { max: deps.rateLimitMax, timeWindow: deps.rateLimitWindowMs });
    await api.register(ordersRoutes, { orders: deps.orders, streams: deps.streams });
  });
  app.get('/openapi.json', { schema: { hide: true }, logLevel: 'warn' }, async () => app.swagger());
  return app;
}

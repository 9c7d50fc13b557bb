import { Problems } from '@tandem/contracts';
import { healthPlugin, problemPlugin, requestIdPlugin, serviceAppOptions } from '@tandem/http';
import { type HealthSource } from '@tandem/runtime';
import type { OrderIdSource, OrderLog } from '@tandem/orders';
import type { OrderEventsRoutesOptions } from './routes/order-events.routes';
import { metricsPlugin, type ServiceMetrics } from '@tandem/telemetry';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ordersRoutes } from './routes/orders.routes';

export interface OrderDeps {
  /** HTTP_REQUEST_TIMEOUT_MS: a request slower to arrive is answered 408 (default 10 s). */
  readonly requestTimeoutMs?: number;
  readonly logger: FastifyBaseLogger;
  readonly health: HealthSource;
  readonly metrics: ServiceMetrics;
  readonly log: OrderLog;
  readonly orderIds: OrderIdSource;
  readonly version: string;
  /** The order event streams' watcher and open streams; without them `GET /orders/:id/events` is not served. */
  readonly events?: Omit<OrderEventsRoutesOptions, 'log'>;
}

/** Builds the order service's HTTP app; never listens (tests drive it with `inject()`). */
export function buildOrderApp(deps: OrderDeps): FastifyInstance {
  const app = Fastify(
    serviceAppOptions({
      logger: deps.logger,
      ...(deps.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: deps.requestTimeoutMs }),
    }),
  );
  app.register(requestIdPlugin);
  app.register(problemPlugin, { catalogue: Problems });
  app.register(healthPlugin, { health: deps.health });
  app.register(metricsPlugin, { metrics: deps.metrics });
  app.register(ordersRoutes, {
    log: deps.log,
    orderIds: deps.orderIds,
    version: deps.version,
    ...(deps.events ? { events: deps.events } : {}),
  });
  return app;
}

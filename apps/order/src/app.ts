import { healthPlugin, type HealthSource } from '@tandem/runtime';
import { metricsPlugin, type ServiceMetrics } from '@tandem/telemetry';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';

export interface OrderDeps {
  readonly logger: FastifyBaseLogger;
  readonly health: HealthSource;
  readonly metrics: ServiceMetrics;
}

/** Builds the order service's HTTP app; never listens (tests drive it with `inject()`). */
export function buildOrderApp(deps: OrderDeps): FastifyInstance {
  const app = Fastify({ loggerInstance: deps.logger, bodyLimit: 16 * 1024 });
  app.register(healthPlugin, { health: deps.health });
  app.register(metricsPlugin, { metrics: deps.metrics });
  return app;
}

import { Problems } from '@tandem/contracts';
import { healthPlugin, problemPlugin, requestIdPlugin, serviceAppOptions } from '@tandem/http';
import { type HealthSource } from '@tandem/runtime';
import { metricsPlugin, type ServiceMetrics } from '@tandem/telemetry';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';

export interface ConsumerHttpDeps {
  /** HTTP_REQUEST_TIMEOUT_MS: a request slower to arrive is answered 408 (default 10 s). */
  readonly requestTimeoutMs?: number;
  readonly logger: FastifyBaseLogger;
  readonly health: HealthSource;
  readonly metrics: ServiceMetrics;
}

/** The consumer's small HTTP side: probes and metrics only (SPEC §2); never listens itself. */
export function buildConsumerApp(deps: ConsumerHttpDeps): FastifyInstance {
  const app = Fastify(
    serviceAppOptions({
      logger: deps.logger,
      bodyLimit: 1024,
      ...(deps.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: deps.requestTimeoutMs }),
    }),
  );
  app.register(requestIdPlugin);
  app.register(problemPlugin, { catalogue: Problems });
  app.register(healthPlugin, { health: deps.health });
  app.register(metricsPlugin, { metrics: deps.metrics });
  return app;
}

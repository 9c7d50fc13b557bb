import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { HealthSource } from '@tandem/runtime';

export interface HealthPluginOptions {
  readonly health: HealthSource;
}

/**
 * `GET /livez` and `GET /readyz` (SPEC §3). `/readyz` answers 200 only when every
 * component is ready and 503 otherwise — including from the moment shutdown starts — with
 * a JSON body naming each component, its state, since when, and its last error.
 * Probe requests are logged only at `warn` and above so they do not drown the access log.
 */
async function healthRoutes(app: FastifyInstance, options: HealthPluginOptions): Promise<void> {
  const noStore = { 'cache-control': 'no-store' };
  app.get('/livez', { logLevel: 'warn' }, async (_request, reply) => {
    const report = options.health.health();
    return reply
      .code(report.live ? 200 : 503)
      .headers(noStore)
      .send({ status: report.live ? 'alive' : 'dead' });
  });
  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    const report = options.health.health();
    return reply
      .code(report.ready ? 200 : 503)
      .headers(noStore)
      .send({ status: report.status, components: report.components });
  });
}

export const healthPlugin = fp(healthRoutes, { name: 'tandem-health', fastify: '5.x' });

import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ServiceMetrics } from './metrics';

export interface MetricsPluginOptions {
  readonly metrics: ServiceMetrics;
}

/**
 * `GET /metrics` in Prometheus text format, and request count and duration for every
 * route by its template (`/orders/:id`, never the raw URL, so label cardinality stays
 * bounded; unmatched URLs are labelled `unmatched`). Probe and scrape routes are not counted.
 */
async function metricsRoutes(app: FastifyInstance, options: MetricsPluginOptions): Promise<void> {
  const { registry, httpRequests, httpDuration } = options.metrics;
  const skip = new Set(['/metrics', '/livez', '/readyz']);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (skip.has(route)) return;
    const labels = { method: request.method, route, status_code: String(reply.statusCode) };
    httpRequests.inc(labels);
    httpDuration.observe(labels, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    const body = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(body);
  });
}

export const metricsPlugin = fp(metricsRoutes, { name: 'tandem-metrics', fastify: '5.x' });
